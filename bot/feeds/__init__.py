"""Calendar feeds: the rota as iCalendar links people subscribe to."""
