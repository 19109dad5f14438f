"""Apply Alembic migrations, safely from several processes at once.

The app applies them at start and ``hivemind db migrate`` on demand; several backend workers
may start together, so a Postgres advisory lock serialises them.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from hivemind_api.db.urls import sync_url

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
_LOCK_KEY = 0x48_49_56_45  # "HIVE"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def current_revision(url: str) -> str | None:
    engine = sa.create_engine(sync_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def migrate(url: str, target: str = "head") -> tuple[str | None, str]:
    """Upgrade the database at ``url`` to head (or ``target``); returns (revision before, after)."""
    engine = sa.create_engine(sync_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _LOCK_KEY})
            conn.commit()
            try:
                before = MigrationContext.configure(conn).get_current_revision()
                cfg = _config()
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, target)
                conn.commit()
                after = MigrationContext.configure(conn).get_current_revision()
                if after is None:
                    raise RuntimeError(f"upgrading to {target!r} left the database without a revision")
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
                conn.commit()
        return before, after
    finally:
        engine.dispose()
