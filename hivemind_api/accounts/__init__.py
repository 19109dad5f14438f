"""Organisations, curator accounts, dashboard sessions and agent API keys."""
