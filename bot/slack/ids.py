"""Action and callback ids, shared by the block builders and the listeners so they cannot drift."""

SWAP_ACCEPT = "vakt_swap_accept"
SWAP_DECLINE = "vakt_swap_decline"
SWAP_WITHDRAW = "vakt_swap_withdraw"
ABSENCE_CANCEL = "vakt_absence_cancel"

# Items: the outcome buttons on cards, digests and lists.
ITEM_ANSWERED = "vakt_item_answered"
ITEM_NO_REPLY = "vakt_item_no_reply"
ITEM_REFERRED = "vakt_item_referred"
ITEM_REOPEN = "vakt_item_reopen"
ITEM_REGISTER = "vakt_item_register"  # opens the registration modal
UNANSWERED_MORE = "vakt_unanswered_more"

# Modals and the message shortcut (the shortcut's callback_id is in manifest.yml too).
TRACK_SHORTCUT = "vakt_track_question"
TRACK_VIEW = "vakt_track_view"
NEW_ITEM_VIEW = "vakt_new_item_view"
REGISTER_VIEW = "vakt_register_view"

# Block and action ids inside the modals.
FIELD_ACCOUNT = "account"
FIELD_URL = "url"
FIELD_RECEIVED = "received"
FIELD_NOTE = "note"
FIELD_REGISTER = "register"
FIELD_REFERENCE = "reference"

# Archiving: deletions and snapshots
ITEM_DELETED = "vakt_item_deleted"  # opens the deletion modal for an item
DELETION_EDIT = "vakt_deletion_edit"  # opens the deletion modal to fill in the rest
DELETION_NOTIFIED = "vakt_deletion_notified"
DELETION_IMPOSSIBLE = "vakt_deletion_impossible"
DELETION_VIEW = "vakt_deletion_view"
SNAPSHOT_VIEW = "vakt_snapshot_view"
FIELD_DELETED_AT = "deleted_at"
FIELD_REASON = "reason"
FIELD_REASON_TEXT = "reason_text"
FIELD_SUMMARY = "summary"
FIELD_FILES = "files"
FIELD_ARCHIVE_LINK = "archive_link"
FIELD_APPROVED_BY = "approved_by"
FIELD_NOTIFIED = "notified"
FIELD_KIND = "kind"

# The App Home's own buttons: a press on a home tab has no response_url, so these are answered
# by republishing the home, not by the message listeners.
HOME_ANSWERED = "vakt_home_answered"
HOME_NO_REPLY = "vakt_home_no_reply"
HOME_REFERRED = "vakt_home_referred"
HOME_SHOW_ALL = "vakt_home_show_all"
