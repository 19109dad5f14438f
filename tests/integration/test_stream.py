"""``GET /api/v1/stream/feed`` through the real server: public and private events by org, replay
with Last-Event-ID and ``since``, pings, auth, and one LISTEN connection for many clients."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.integration.agent_stack import AgentStack, start_stack, stop_stack
from tests.integration.sse_client import Sse, StreamReader, parse


@pytest.fixture(scope="module")
def stack(external_target, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentStack]:
    running = start_stack(
        external_target, tmp_path_factory.mktemp("stream"), {"HIVEMIND_SSE_PING_SECONDS": "1"}
    )
    yield running
    stop_stack(running)


def _tip(topic: str) -> str:
    return (
        f"Stream check {uuid.uuid4().hex[:8]}: {topic}. Pin the exact version in the lock file and "
        "rebuild the image so the CI cache cannot serve a stale layer."
    )


def _until(reader: StreamReader, event_type: str, item_id: str) -> tuple[Sse, list[Sse]]:
    """Read until ``event_type`` for ``item_id``; returns it and the events read before it."""
    before = []
    while True:
        sse = reader.next()
        if sse.payload["type"] == event_type and sse.payload["item"].get("id") == item_id:
            return sse, before
        before.append(sse)


def test_public_events_reach_every_org_and_private_ones_only_their_own(stack: AgentStack) -> None:
    acme, beta = StreamReader(stack.base_url, stack.keys["a"]), StreamReader(stack.base_url, stack.keys["b"])
    try:
        assert acme.status == beta.status == 200
        public_item = stack.add_item("a", _tip("public redis tip"), public=True)
        for reader in (acme, beta):
            sse, _ = _until(reader, "knowledge.approved", public_item)
            assert sse.event == "public" and sse.payload["item"]["org_name"] == "Acme Inc"
            assert sse.id == str(sse.payload["event_id"]) and sse.payload["is_public"] is True
            assert {"title", "category", "quality", "created_at"} <= set(sse.payload["item"])
        private_item = stack.add_item("a", _tip("private staging tip"), public=False)
        sse, before = _until(acme, "knowledge.approved", private_item)
        assert sse.event == "private" and not sse.payload["is_public"]
        assert [e.payload["type"] for e in before] == ["contribution.created"]
        created = before[0].payload["item"]  # every event carries the same summary fields
        assert {"id", "title", "category", "quality", "org_name", "created_at"} <= set(created)
        assert created["org_name"] == "Acme Inc" and created["quality"] is None
        # beta reaches the next public event without ever being shown acme's private ones
        beta_public = stack.add_item("b", _tip("beta public tip"), public=True)
        sse, before = _until(beta, "knowledge.approved", beta_public)
        assert sse.event == "public"
        assert before and all(
            e.event == "private" and e.payload["org_id"] == str(stack.org_ids["beta"]) for e in before
        )
        ids = [int(e.id) for e in [*before, sse]]
        assert ids == sorted(ids)
    finally:
        acme.close()
        beta.close()


def test_reconnect_with_last_event_id_replays_exactly_the_missed_events(stack: AgentStack) -> None:
    reader = StreamReader(stack.base_url, stack.keys["a"])
    first = stack.add_item("a", _tip("before the drop"), public=True)
    last_seen, _ = _until(reader, "knowledge.approved", first)
    reader.close()

    missed_item = stack.add_item("a", _tip("while away, private"))
    with stack.client("a_curator") as c:
        assert c.post(f"/api/v1/knowledge/{missed_item}/publish").status_code == 200
    rejected = stack.contribute("a", _tip("while away, rejected"))
    assert stack.wait_processed(rejected) == "pending"
    with stack.client("a_curator") as c:
        assert (
            c.post(f"/api/v1/contributions/{rejected}/reject", json={"reason": "too vague"}).status_code
            == 200
        )
    stack.add_item("b", _tip("beta private while away"))  # never visible to acme
    expected = stack.sql(
        "SELECT id, type FROM events WHERE id > %s AND (is_public OR org_id = %s) ORDER BY id",
        (int(last_seen.id), stack.org_ids["acme"]),
    )
    assert [t for _, t in expected] == [
        "contribution.created",
        "knowledge.approved",
        "knowledge.published",
        "contribution.created",
        "knowledge.rejected",
    ]

    for how in ({"headers": {"Last-Event-ID": last_seen.id}}, {"params": {"since": last_seen.id}}):
        again = StreamReader(stack.base_url, stack.keys["a"], **how)
        try:
            replayed = [again.next() for _ in expected]
            assert [(int(e.id), e.payload["type"]) for e in replayed] == expected
            assert [e.event for e in replayed] == ["private", "private", "public", "private", "private"]
            assert again.drain(wait=1.5) == []  # exactly the missed ones: nothing else, no duplicates
        finally:
            again.close()


def test_pings_keep_an_idle_stream_alive(stack: AgentStack) -> None:
    reader = StreamReader(stack.base_url, stack.keys["b"])
    try:
        started = time.monotonic()
        ping = reader.next(kinds=("ping",), timeout=5)
        assert ping.event == "ping" and time.monotonic() - started < 5
    finally:
        reader.close()


def test_auth_and_bad_input(stack: AgentStack) -> None:
    with httpx.Client(base_url=stack.base_url, timeout=10) as c:
        assert c.get("/api/v1/stream/feed").status_code == 401
        assert c.get("/api/v1/stream/feed", headers={"X-API-Key": "hm_not-a-real-key"}).status_code == 401
        revoked = stack.add_key("acme", "stream-revoked", "contributor")
        stack.sql("UPDATE api_keys SET revoked_at = now() WHERE key_prefix = %s", (revoked[:12],))
        assert c.get("/api/v1/stream/feed", headers={"X-API-Key": revoked}).status_code == 401
        bad = c.get("/api/v1/stream/feed", headers={"X-API-Key": stack.keys["a"], "Last-Event-ID": "abc"})
        assert bad.status_code == 400 and "Last-Event-ID" in bad.json()["detail"]
        assert (
            c.get(
                "/api/v1/stream/feed", params={"since": "-1"}, headers={"X-API-Key": stack.keys["a"]}
            ).status_code
            == 422
        )
    # Bearer works as for every route
    reader = StreamReader(
        stack.base_url, "", headers={"Authorization": f"Bearer {stack.keys['a_reader']}", "X-API-Key": ""}
    )
    try:
        assert reader.status == 200
    finally:
        reader.close()


def test_a_thousand_clients_share_one_listen_connection(stack: AgentStack) -> None:
    clients = 1000

    async def go() -> tuple[int, list[str]]:
        limits = httpx.Limits(max_connections=clients + 10, max_keepalive_connections=0)
        async with httpx.AsyncClient(
            base_url=stack.base_url, limits=limits, timeout=httpx.Timeout(60, read=None)
        ) as client:
            opened = asyncio.Queue()
            done: list[str] = []

            async def listen(i: int) -> None:
                key = stack.keys["a" if i % 2 else "b"]
                async with client.stream("GET", "/api/v1/stream/feed", headers={"X-API-Key": key}) as r:
                    assert r.status_code == 200
                    opened.put_nowait(i)
                    lines = r.aiter_lines()
                    pending: list[str] = []
                    async for line in lines:
                        pending.append(line)
                        if line == "":
                            for sse in parse(pending):
                                if sse.event == "public":
                                    done.append(sse.payload["item"]["id"])
                                    return
                            pending = []

            tasks = [asyncio.create_task(listen(i)) for i in range(clients)]
            for _ in range(clients):
                await asyncio.wait_for(opened.get(), 120)
            connections = await asyncio.to_thread(
                lambda: stack.sql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")[
                    0
                ][0]
            )
            item = await asyncio.to_thread(stack.add_item, "a", _tip("for a thousand listeners"), public=True)
            await asyncio.wait_for(asyncio.gather(*tasks), 120)
            assert set(done) == {item}
            return connections, done

    connections, done = asyncio.run(go())
    assert len(done) == clients
    # The backend's pool (at most 15), its one LISTEN connection, the worker's and this test's own.
    assert connections < 40, connections
    listens = stack.sql(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%%'"
    )[0][0]
    assert listens == 1
