"""Archiving: deletion checklists, snapshots and the public-records export."""
