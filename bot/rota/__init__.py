"""The rota: who is on duty, absences, swaps, covers and the teams."""
