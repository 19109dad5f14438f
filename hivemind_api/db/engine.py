"""One async engine per process, configured once the database URL is known.

The URL is only known at run time (the embedded server's socket lives in the data dir), so the
engine is created by ``configure_database`` rather than at import.

Round trips are the cost that matters on a small box (each one wakes Postgres and the client up
again), so:

* pgvector's ANN settings are connection defaults, sent in the startup packet, instead of a
  ``SET LOCAL`` in every search transaction. ``hnsw.iterative_scan = relaxed_order`` keeps the
  HNSW scan going when the org/public filter drops candidates, so no result goes silently
  missing; ``hnsw.ef_search = 200`` keeps recall@10 at 0.96 with a million items (0.949 at 100)
  and 0.996 with 100k, for no measurable time: with the filter on, the iterative scan, not the
  first candidate list, dominates the scan's cost (docs/benchmarks.md).
  Startup values survive ``RESET ALL``. (A transaction-mode pooler such as PgBouncer would need
  them set with ``ALTER DATABASE … SET`` instead.)
* Liveness is checked the way HikariCP does it rather than with ``pool_pre_ping`` (three round
  trips per checkout with asyncpg): a connection the server has closed is noticed from its
  socket for free, and only a connection idle for more than ``ALIVE_BYPASS_S`` gets a real ping.
  A dead connection raises ``DisconnectionError`` at checkout, which makes the pool replace it.
* Single-statement work can run in an autocommit session (no BEGIN/COMMIT round trips).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api.db.urls import async_url
from hivemind_api.errors import ServiceUnavailable, UnstorableText

ANN_SERVER_SETTINGS = {"hnsw.iterative_scan": "relaxed_order", "hnsw.ef_search": "200"}
ALIVE_BYPASS_S = 5.0

_engine: AsyncEngine | None = None
_sessionmaker: async_sessionmaker[AsyncSession] | None = None
_autocommit_sessionmaker: async_sessionmaker[AsyncSession] | None = None
_url: str | None = None


def _check_liveness(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _connected(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        if dbapi_connection is not None:
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("connection closed by the server")
        if time.monotonic() - record.info.get("idle_since", 0.0) > ALIVE_BYPASS_S:
            try:
                dbapi_connection.ping()
            except Exception as exc:
                raise DisconnectionError(f"connection failed its ping: {exc}") from exc


def configure_database(url: str, *, pool_size: int = 5) -> None:
    """Point this process at ``url`` (any postgres URL form)."""
    global _engine, _sessionmaker, _autocommit_sessionmaker, _url
    if _url == url and _engine is not None:
        return
    _engine = create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=10,
        connect_args={"server_settings": dict(ANN_SERVER_SETTINGS)},
    )
    _check_liveness(_engine)
    _sessionmaker = async_sessionmaker(_engine, class_=AsyncSession, expire_on_commit=False)
    _autocommit_sessionmaker = async_sessionmaker(
        _engine.execution_options(isolation_level="AUTOCOMMIT"), class_=AsyncSession, expire_on_commit=False
    )
    _url = url


def get_engine() -> AsyncEngine:
    if _engine is None:
        raise RuntimeError("database not configured; call configure_database() first")
    return _engine


async def dispose_database() -> None:
    global _engine, _sessionmaker, _autocommit_sessionmaker, _url
    if _engine is not None:
        await _engine.dispose()
    _engine = _sessionmaker = _autocommit_sessionmaker = _url = None


# A NUL character is refused in text and jsonb (22021, or 22P05 as a jsonb \u0000 escape); an
# unpaired UTF-16 surrogate is refused by asyncpg before sending (no UTF-8 form).
_UNSTORABLE_SQLSTATES = {"22021", "22P05"}  # character_not_in_repertoire, untranslatable_character


def _causes(err: BaseException) -> list[BaseException]:
    """``err`` and what it wraps (SQLAlchemy's ``orig``, then ``__cause__``/``__context__``)."""
    seen: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and all(current is not s for s in seen):
        seen.append(current)
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return seen


def _is_unstorable_text(err: BaseException) -> bool:
    """Whether ``err`` is the database refusing a request's text (a 400, not a 500): checked on
    the error, so every adapter (REST, MCP, dashboard, CLI) gets the same answer and nothing of
    the transaction is kept."""
    return any(
        (isinstance(e, UnicodeEncodeError) and e.reason == "surrogates not allowed")
        or getattr(e, "sqlstate", None) in _UNSTORABLE_SQLSTATES
        for e in _causes(err)
    )


# Class 08 is "connection exception" (asyncpg's PostgresConnectionError family); 57P01-03: the server is shutting down, crashed, or is
# still starting (a restart in progress).
_UNAVAILABLE_SQLSTATES = {"57P01", "57P02", "57P03"}


def is_database_unavailable(err: BaseException) -> bool:
    """Whether ``err`` means the database could not be reached or went away mid-request (rather
    than refusing the request): the caller gets 503 and may retry; the pool replaces the
    connection."""
    for e in _causes(err):
        if isinstance(e, ConnectionError | DisconnectionError) or (
            isinstance(e, DBAPIError) and e.connection_invalidated
        ):
            return True
        sqlstate = getattr(e, "sqlstate", None) or ""
        if sqlstate.startswith("08") or sqlstate in _UNAVAILABLE_SQLSTATES:
            return True
        if isinstance(e, asyncpg.InterfaceError) and "connection is closed" in str(e):
            return True  # asyncpg refusing a query on a connection the server dropped
    return False


@asynccontextmanager
async def session_scope(*, autocommit: bool = False) -> AsyncIterator[AsyncSession]:
    """A session whose transaction commits on success and rolls back on any error.

    ``autocommit``: every statement commits on its own; only for work that is one statement.
    """
    maker = _autocommit_sessionmaker if autocommit else _sessionmaker
    if maker is None:
        raise RuntimeError("database not configured; call configure_database() first")
    async with maker() as session:
        try:
            yield session
            await session.commit()
        except BaseException as err:
            unavailable = is_database_unavailable(err)
            try:
                await session.rollback()
            except Exception:
                if not unavailable:  # a rollback on a lost connection fails too; nothing was kept
                    raise
            if unavailable:
                raise ServiceUnavailable() from err
            if _is_unstorable_text(err):
                raise UnstorableText() from err
            raise
