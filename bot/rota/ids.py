"""Action ids of the rota's buttons (swap requests, absences)."""

SWAP_ACCEPT = "vakt_swap_accept"
SWAP_DECLINE = "vakt_swap_decline"
SWAP_WITHDRAW = "vakt_swap_withdraw"
ABSENCE_CANCEL = "vakt_absence_cancel"
