"""Vakt: duty rota and reminders for municipal social media accounts."""
