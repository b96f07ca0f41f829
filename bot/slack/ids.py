"""Action and callback ids, shared by the block builders and the listeners so they cannot drift."""

SWAP_ACCEPT = "vakt_swap_accept"
SWAP_DECLINE = "vakt_swap_decline"
SWAP_WITHDRAW = "vakt_swap_withdraw"
ABSENCE_CANCEL = "vakt_absence_cancel"
