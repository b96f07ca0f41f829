"""The rota's buttons: a swap request accepted, declined or withdrawn, an absence cancelled."""

from __future__ import annotations

from slack_bolt import App

from bot.rota import ids
from bot.rota import service as rota
from bot.slackkit.deps import Deps
from bot.slackkit.listen import done_button


def register(app: App, deps: Deps) -> None:
    """Wire the rota's buttons."""
    app.action(ids.SWAP_ACCEPT)(
        done_button(deps, lambda ctx, i: rota.decide_swap(ctx, i, True), "swap.you_accepted", True)
    )
    app.action(ids.SWAP_DECLINE)(
        done_button(deps, lambda ctx, i: rota.decide_swap(ctx, i, False), "swap.you_declined", True)
    )
    app.action(ids.SWAP_WITHDRAW)(done_button(deps, rota.withdraw_swap, "swap.you_withdrew", True))
    app.action(ids.ABSENCE_CANCEL)(done_button(deps, rota.cancel_absence, "away.cancelled", False))
