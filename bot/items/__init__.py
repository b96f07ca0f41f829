"""Unanswered items: citizens' questions, their deadlines, reminders and outcomes."""
