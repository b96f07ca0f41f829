"""Action, callback and field ids of the deletion and snapshot checklists and modals."""

# The deletion modal's fields shared with the items' modals, and the card's Deleted button.
from bot.items.ids import FIELD_ACCOUNT, FIELD_NOTE, FIELD_REFERENCE, FIELD_URL, ITEM_DELETED

__all__ = ["FIELD_ACCOUNT", "FIELD_NOTE", "FIELD_REFERENCE", "FIELD_URL", "ITEM_DELETED"]

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
