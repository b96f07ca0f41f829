"""The App Home tab: each person's duty, open questions and tasks."""
