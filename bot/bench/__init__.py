"""Benchmarks: scripts that build a large database and time what matters (not unit tests)."""
