"""Turn one configured Postgres URL into the per-driver forms the stack needs.

Users give a plain ``postgresql://`` URL (or one with any driver suffix); SQLAlchemy's async
engine wants ``+asyncpg``, Alembic and sync tools ``+psycopg``, and raw asyncpg/psycopg
connections (LISTEN, tests) the bare libpq form.
"""

from __future__ import annotations

import re

_SCHEME = re.compile(r"^postgres(?:ql)?(?:\+\w+)?://")


def _with_scheme(url: str, scheme: str) -> str:
    if not _SCHEME.match(url):
        raise ValueError(f"not a PostgreSQL URL: {url.split('://')[0]}://…")
    return _SCHEME.sub(f"{scheme}://", url, count=1)


def async_url(url: str) -> str:
    return _with_scheme(url, "postgresql+asyncpg")


def sync_url(url: str) -> str:
    return _with_scheme(url, "postgresql+psycopg")


def libpq_url(url: str) -> str:
    return _with_scheme(url, "postgresql")
