"""One async engine per process, configured once the database URL is known.

The URL is only known at run time (the embedded server's socket lives in the data dir), so the
engine is created by ``configure_database`` rather than at import.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api.db.urls import async_url

_engine: AsyncEngine | None = None
_sessionmaker: async_sessionmaker[AsyncSession] | None = None
_url: str | None = None


def configure_database(url: str, *, pool_size: int = 5) -> None:
    """Point this process at ``url`` (any postgres URL form)."""
    global _engine, _sessionmaker, _url
    if _url == url and _engine is not None:
        return
    _engine = create_async_engine(
        async_url(url), pool_size=pool_size, max_overflow=10, pool_pre_ping=True
    )
    _sessionmaker = async_sessionmaker(_engine, class_=AsyncSession, expire_on_commit=False)
    _url = url


def get_engine() -> AsyncEngine:
    if _engine is None:
        raise RuntimeError("database not configured; call configure_database() first")
    return _engine


async def dispose_database() -> None:
    global _engine, _sessionmaker, _url
    if _engine is not None:
        await _engine.dispose()
    _engine = _sessionmaker = _url = None


@asynccontextmanager
async def session_scope() -> AsyncIterator[AsyncSession]:
    """A session whose transaction commits on success and rolls back on any error."""
    if _sessionmaker is None:
        raise RuntimeError("database not configured; call configure_database() first")
    async with _sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
