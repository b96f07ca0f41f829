"""The floor of the HTTP load benchmark: a bare Bolt app whose `/vakt` only acks.

    gunicorn 'bot.bench.floor:app()'   # SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN, SLACK_API_URL

Built like Vakt's app (the same client, signature check and WSGI adapter) with no other
listener and nothing else imported, so what `bot.bench.load` measures against it is the cost of
gunicorn, Bolt and the signature check alone.
"""

from __future__ import annotations

import os

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.slackkit.gateway import build_client


def app() -> SlackRequestHandler:
    """The WSGI app (a gunicorn app factory): Slack at /slack/events, `/vakt` acked."""
    api_url = os.environ.get("SLACK_API_URL") or "https://slack.com/api/"
    bolt = App(
        client=build_client(os.environ.get("SLACK_BOT_TOKEN"), api_url),
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        request_verification_enabled=True,
        token_verification_enabled=False,
        raise_error_for_unhandled_request=False,
    )

    @bolt.command("/vakt")
    def ack_only(ack: Ack) -> None:
        ack()

    return SlackRequestHandler(bolt, path="/slack/events")
