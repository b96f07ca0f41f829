"""Posting activity: what each account posted, and its weekly volume."""
