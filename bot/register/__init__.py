"""The account register: every official account, its owner and its details."""
