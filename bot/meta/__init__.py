"""Facebook Pages and Instagram: comments found by webhook and by polling Meta's Graph API."""
