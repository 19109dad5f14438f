"""The engine's connection settings and liveness check, on both database targets."""

from __future__ import annotations

import asyncio

import asyncpg
import psycopg
import sqlalchemy as sa

from hivemind_api.db import engine as db_engine
from hivemind_api.db.engine import session_scope


async def test_ann_settings_are_connection_defaults(db) -> None:
    """Searches rely on them without a SET of their own; RESET ALL must not lose them either."""
    async with session_scope(autocommit=True) as session:
        assert (await session.exec(sa.text("SHOW hnsw.ef_search"))).scalar() == "200"
        assert (await session.exec(sa.text("SHOW hnsw.iterative_scan"))).scalar() == "relaxed_order"
        await session.exec(sa.text("RESET ALL"))
        assert (await session.exec(sa.text("SHOW hnsw.ef_search"))).scalar() == "200"


async def test_autocommit_sessions_commit_each_statement(db) -> None:
    txid = sa.text("SELECT txid_current()")
    async with session_scope(autocommit=True) as session:
        assert (await session.exec(txid)).scalar() != (await session.exec(txid)).scalar()
    async with session_scope() as session:
        assert (await session.exec(txid)).scalar() == (await session.exec(txid)).scalar()


async def test_connections_closed_by_the_server_are_replaced(db, database_url) -> None:
    """What a Postgres restart does to a pool: every idle connection is closed server-side.
    The next requests must succeed, without a ping round trip on every checkout."""

    async def backend_pids() -> set[int]:
        async with session_scope() as a, session_scope() as b:
            return {(await s.exec(sa.text("SELECT pg_backend_pid()"))).scalar() for s in (a, b)}

    before = await backend_pids()
    assert len(before) == 2
    with psycopg.connect(database_url, autocommit=True) as admin:
        for pid in before:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    await asyncio.sleep(0.2)  # the event loop sees the sockets close
    after = await backend_pids()
    assert after and not (after & before)


async def test_idle_connections_are_pinged_and_replaced_when_dead(db, database_url, monkeypatch) -> None:
    """If the socket still looks open (the loop did not run since), an idle connection is pinged."""
    async with session_scope() as session:
        pid = (await session.exec(sa.text("SELECT pg_backend_pid()"))).scalar()
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    monkeypatch.setattr(db_engine, "ALIVE_BYPASS_S", -1.0)  # every checkout counts as idle
    # Pretend the close went unnoticed: the check must not rely on the socket alone.
    monkeypatch.setattr(asyncpg.Connection, "is_closed", lambda self: False)
    async with session_scope() as session:
        new_pid = (await session.exec(sa.text("SELECT pg_backend_pid()"))).scalar()
    assert new_pid != pid
