"""slackkit."""
