"""Facebook and Instagram connected directly: comments become questions, the account's own
reply answers them, a hidden or removed comment opens the deletion log with its capture."""
