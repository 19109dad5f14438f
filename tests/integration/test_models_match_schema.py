"""The SQLModel tables the code queries must match the tables the migrations create."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import hivemind_api.db.models  # noqa: F401 - registers the tables on SQLModel.metadata
from hivemind_api.db.urls import sync_url

COLUMN_LEVEL = {"add_table", "remove_table", "add_column", "remove_column", "modify_nullable", "modify_type"}


def _flatten(diffs: list) -> list[tuple]:
    out = []
    for d in diffs:
        out.extend(_flatten(d) if isinstance(d, list) else [d])
    return out


def _equivalent_string_types(diff: tuple) -> bool:
    """TEXT in SQL and an unbounded VARCHAR (SQLModel's str) are the same thing in Postgres."""
    if diff[0] != "modify_type":
        return False
    db_type, model_type = diff[5], diff[6]
    model_type = getattr(model_type, "impl", model_type)  # SQLModel's AutoString decorates String
    return isinstance(db_type, sa.Text) and isinstance(model_type, sa.String) and model_type.length is None


def test_models_and_migrations_agree_on_tables_columns_types_and_nullability(database_url: str) -> None:
    engine = sa.create_engine(sync_url(database_url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = [
                d
                for d in _flatten(compare_metadata(ctx, SQLModel.metadata))
                if d[0] in COLUMN_LEVEL and not _equivalent_string_types(d)
            ]
    finally:
        engine.dispose()
    # alembic's own bookkeeping table is the only thing the models do not describe
    diffs = [d for d in diffs if not (d[0] == "remove_table" and d[1].name == "alembic_version")]
    assert diffs == []
