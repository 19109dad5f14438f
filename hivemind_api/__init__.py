"""HiveMind's domain layer and agent-facing API.

Everything the product does lives here as plain async functions over a database session; the
Reflex dashboard, the REST routes and the CLI are thin adapters over these functions.
"""
