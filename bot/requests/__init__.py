"""Account requests: asking for a new account, and its approvals."""
