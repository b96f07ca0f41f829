"""Action, callback and field ids of the items' cards, lists, modals and shortcut.

The shortcut's callback_id is in manifest.yml too; the archive's modals share the field ids.
"""

ITEM_ANSWERED = "vakt_item_answered"
ITEM_NO_REPLY = "vakt_item_no_reply"
ITEM_REFERRED = "vakt_item_referred"
ITEM_REOPEN = "vakt_item_reopen"
ITEM_REGISTER = "vakt_item_register"  # opens the registration modal
ITEM_DELETED = "vakt_item_deleted"  # opens the deletion modal for an item
# A connected account's comment (bot.meta): archived, then hidden or deleted on the platform.
ITEM_HIDE_ON_PLATFORM = "vakt_item_hide_on_platform"
ITEM_DELETE_ON_PLATFORM = "vakt_item_delete_on_platform"
UNANSWERED_MORE = "vakt_unanswered_more"
TRACK_SHORTCUT = "vakt_track_question"
TRACK_VIEW = "vakt_track_view"
NEW_ITEM_VIEW = "vakt_new_item_view"
REGISTER_VIEW = "vakt_register_view"
FIELD_ACCOUNT = "account"
FIELD_URL = "url"
FIELD_RECEIVED = "received"
FIELD_NOTE = "note"
FIELD_REGISTER = "register"
FIELD_REFERENCE = "reference"
