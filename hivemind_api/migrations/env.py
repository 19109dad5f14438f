"""Alembic environment: run migrations on the connection handed over by ``db.migrate``."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import hivemind_api.db.models  # noqa: F401  (registers the tables on SQLModel.metadata)

target_metadata = SQLModel.metadata
connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `hivemind db migrate`")
context.configure(connection=connection, target_metadata=target_metadata, transaction_per_migration=True)
with context.begin_transaction():
    context.run_migrations()
