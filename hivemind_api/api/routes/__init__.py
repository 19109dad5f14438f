"""REST routes under /api/v1: thin adapters from HTTP to hivemind_api's domain functions."""
