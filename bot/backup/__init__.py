"""`vakt backup` and `vakt restore`: a consistent copy of the database and of the evidence
archive, taken while the bot runs, with a manifest that says what a whole backup holds."""
