"""Embedded PostgreSQL+pgvector and Redis for the zero-configuration default."""
