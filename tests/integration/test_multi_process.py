"""The production shape: 2 backend processes behind a balancing proxy and 2 ``hivemind worker``
processes on one external PostgreSQL and one Redis. Each contribution is processed exactly once,
every SSE client hears each event once whichever backend it is connected to, each webhook is
delivered once, and rate limits are shared. Then the faults, each with nothing lost: a worker
killed mid-batch, a backend killed under its SSE clients, Postgres and Redis restarted.

The tests of this module run in order on one cluster (each leaves it whole for the next).
"""

from __future__ import annotations

import collections
import dataclasses
import json
import re
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
import websockets.sync.client
from rq import Worker

from tests.integration.agent_stack import REPO, assert_log_holds_no_secrets
from tests.integration.cluster import Cluster, Member
from tests.integration.sse_client import StreamReader
from tests.integration.test_mcp import call, ok
from tests.integration.webhook_receiver import Receiver
from tests.utils.nginx import Nginx

CONTRIBUTIONS_PER_KEY = 25  # the cluster's limit per key and minute

TOPICS = [
    "Raise the Postgres connection pool's size when workers time out waiting for a connection.",
    "Pin the base image by digest so a rebuilt tag cannot change the deployed layer.",
    "Set the Redis maxmemory-policy to noeviction for job queues so queued work is never dropped.",
    "Compress old log files with logrotate's delaycompress so the newest rotation stays readable.",
    "Give the HNSW index enough shared_buffers or each query reads its graph from disk.",
    "Use a read timeout on outbound HTTP calls so one slow upstream cannot hold every worker.",
    "Run database migrations before the new release serves traffic, never from two hosts at once.",
    "Keep the websocket upgrade headers in the proxy config or the dashboard never connects.",
    "Disable proxy buffering for server-sent events or clients receive them in bursts.",
    "Rotate API keys by creating the new one first, deploying it, then revoking the old one.",
    "Vacuum large tables after bulk deletes so the planner's statistics match the data.",
    "Set TCP keepalives on idle database connections behind NAT gateways that drop them silently.",
    "Bound the retry budget of a client so a failing dependency is not hit harder when it is down.",
    "Check the certificate chain's intermediate is served, or older clients fail the TLS handshake.",
    "Prefer SKIP LOCKED over advisory locks for a job table several consumers claim rows from.",
    "Mount the cache directory as a volume so container restarts do not rebuild the model export.",
    "Watch the replication lag before failing over, or recent writes are lost on the new primary.",
]


def text(n: int) -> str:
    """A distinct tip for contribution ``n`` (two topics no other n pairs the same way)."""
    first = n % len(TOPICS)
    second = (first + 1 + n // len(TOPICS)) % len(TOPICS)
    return f"{TOPICS[first]} Also: {TOPICS[second]} (seen in deployment {uuid.uuid4().hex[:8]})"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    running = Cluster(
        tmp_path_factory.mktemp("cluster"),
        overrides={
            "HIVEMIND_WEBHOOK_ALLOW_PRIVATE": "1",  # the receiver is on loopback
            "HIVEMIND_WEBHOOK_BACKOFF_SECONDS": "2,2,2,2",
            "HIVEMIND_RATE_LIMIT_CONTRIBUTIONS_PER_KEY": f"{CONTRIBUTIONS_PER_KEY}/minute",
            # Work left behind is found within seconds rather than a minute or more.
            "HIVEMIND_RECOVERY_INTERVAL_SECONDS": "3",
            "HIVEMIND_STUCK_AFTER_SECONDS": "10",
        },
    ).start()
    try:
        running.wait_workers_listening()
        yield running
    finally:
        try:
            assert_log_holds_no_secrets(running.stack, running.logs())
        finally:
            running.stop()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def post_contribution(client: httpx.Client, key: str, n: int) -> httpx.Response:
    """POST tip ``n`` as the agent of ``key``."""
    return client.post(
        "/api/v1/knowledge", headers={"X-API-Key": key}, json={"content": text(n), "category": "tooling"}
    )


class Contributors:
    """Fresh contributor keys of one org, used round robin and replaced before the per-key limit."""

    def __init__(self, cluster: Cluster, org: str = "acme", *, prepared: int = 0) -> None:
        self.cluster, self.org = cluster, org
        self.used: collections.Counter[str] = collections.Counter()
        self.key = ""
        # Keys made up front, for a test during which the database goes away.
        self.spare = [self._new_key() for _ in range(prepared)]

    def _new_key(self) -> str:
        return self.cluster.stack.add_key(self.org, f"agent-{uuid.uuid4().hex[:6]}", "contributor")

    def next_key(self) -> str:
        if not self.key or self.used[self.key] >= CONTRIBUTIONS_PER_KEY:
            self.key = self.spare.pop() if self.spare else self._new_key()
        self.used[self.key] += 1
        return self.key

    def post(self, n: int, base_url: str | None = None) -> httpx.Response:
        with httpx.Client(base_url=base_url or self.cluster.stack.base_url, timeout=60) as c:
            return post_contribution(c, self.next_key(), n)

    def contribute(self, n: int, base_url: str | None = None) -> str:
        r = self.post(n, base_url)
        assert r.status_code == 202, r.text
        return r.json()["contribution_id"]


def wait_all_processed(cluster: Cluster, ids: list[str], timeout: float = 240) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while True:
        rows = dict(
            cluster.stack.sql("SELECT id::text, status FROM contributions WHERE id = ANY(%s::uuid[])", (ids,))
        )
        if len(rows) == len(ids) and "processing" not in rows.values():
            return rows
        waiting = sum(1 for s in rows.values() if s == "processing")
        assert time.monotonic() < deadline, f"{waiting} of {len(ids)} contributions still processing"
        time.sleep(0.5)


def still_processing(cluster: Cluster, ids: list[str]) -> int:
    return cluster.stack.sql(
        "SELECT count(*) FROM contributions WHERE status = 'processing' AND id = ANY(%s::uuid[])", (ids,)
    )[0][0]


def created_events(cluster: Cluster, ids: list[str]) -> collections.Counter[str]:
    """How many ``contribution.created`` events each contribution got (its pipeline commit)."""
    rows = cluster.stack.sql(
        "SELECT summary->>'id' FROM events WHERE type = 'contribution.created' AND summary->>'id' = ANY(%s)",
        (ids,),
    )
    return collections.Counter(r[0] for r in rows)


def visible_event_ids(cluster: Cluster, org: str, after: int) -> list[int]:
    return [
        r[0]
        for r in cluster.stack.sql(
            "SELECT id FROM events WHERE id > %s AND (is_public OR org_id = %s) ORDER BY id",
            (after, cluster.stack.org_ids[org]),
        )
    ]


def latest_event_id(cluster: Cluster) -> int:
    return cluster.stack.sql("SELECT coalesce(max(id), 0) FROM events")[0][0]


def collect(reader: StreamReader, want: set[int], timeout: float = 60) -> list[int]:
    """Event ids the reader receives until it has every id of ``want`` (then a second more, so a
    duplicate sent right after would be seen)."""
    got: list[int] = []
    deadline = time.monotonic() + timeout
    while not want <= set(got):
        assert time.monotonic() < deadline, f"missing events {sorted(want - set(got))[:10]}"
        got += [int(e.id or 0) for e in reader.drain(0.5)]
    return got + [int(e.id or 0) for e in reader.drain(1.0)]


def processed_lines(member: Member) -> list[str]:
    """Contribution ids a worker's log says it finished (``contribution <id> -> <status>``)."""
    return re.findall(r"contribution ([0-9a-f-]{36}) -> \w+", member.log.read_text(errors="replace"))


def test_each_contribution_is_processed_once_and_every_listener_hears_each_event_once(
    cluster: Cluster, receiver: Receiver
) -> None:
    stack = cluster.stack
    with stack.client("a_curator") as c:
        r = c.post("/api/v1/webhooks", json={"url": receiver.base_url + "/cluster", "event_types": []})
    assert r.status_code == 201, r.text
    start = latest_event_id(cluster)
    readers = [StreamReader(b.url, stack.keys["a_curator"]) for b in cluster.backends]
    try:
        contributors = Contributors(cluster)
        # Through the proxy and straight to each backend: every backend takes contributions.
        urls = [None, *[b.url for b in cluster.backends]]
        ids = [contributors.contribute(n, urls[n % len(urls)]) for n in range(60)]
        statuses = wait_all_processed(cluster, ids)
        assert set(statuses.values()) == {"pending"}, collections.Counter(statuses.values())

        # Exactly once: one pipeline commit per contribution, and each finished by one worker.
        assert created_events(cluster, ids) == collections.Counter(dict.fromkeys(ids, 1))
        finished = [processed_lines(w) for w in cluster.workers]
        everywhere = collections.Counter(cid for lines in finished for cid in lines if cid in set(ids))
        assert everywhere == collections.Counter(dict.fromkeys(ids, 1))
        assert all(finished), "both workers should have taken work from the shared queue"

        # A curator's approvals through one backend reach the clients of both.
        for cid in ids[:3]:
            with httpx.Client(base_url=cluster.backends[0].url, timeout=30) as c:
                r = c.post(
                    f"/api/v1/contributions/{cid}/approve",
                    headers={"X-API-Key": stack.keys["a_curator"]},
                    json={"is_public": False},
                )
            assert r.status_code == 200, r.text
        want = visible_event_ids(cluster, "acme", start)
        assert len(want) == 63  # 60 created, 3 approved
        for reader in readers:
            got = collect(reader, set(want))
            assert sorted(got) == want, "each event exactly once, in order, on every backend"
    finally:
        for reader in readers:
            reader.close()

    # The webhook receiver gets each event once, whichever process dispatched it.
    deadline = time.monotonic() + 120
    while len(receiver.received("/cluster")) < len(want):
        assert time.monotonic() < deadline, f"{len(receiver.received('/cluster'))} of {len(want)} deliveries"
        time.sleep(0.5)
    time.sleep(3)  # a duplicate delivery would arrive by now
    delivered = collections.Counter(json.loads(r.body)["event_id"] for r in receiver.received("/cluster"))
    assert delivered == collections.Counter(dict.fromkeys(want, 1))


def test_rate_limits_are_shared_by_the_backends(cluster: Cluster) -> None:
    key = cluster.stack.add_key("acme", "limit-probe", "contributor")
    accepted = 0
    for n in range(CONTRIBUTIONS_PER_KEY):
        url = cluster.backends[n % 2].url
        with httpx.Client(base_url=url, timeout=30) as c:
            accepted += post_contribution(c, key, 100 + n).status_code == 202
    assert accepted == CONTRIBUTIONS_PER_KEY
    for backend in cluster.backends:  # the key's next contribution is refused on either backend
        with httpx.Client(base_url=backend.url, timeout=30) as c:
            r = post_contribution(c, key, 199)
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0, r.text


def test_the_documented_nginx_config_carries_websocket_stream_api_and_mcp(
    cluster: Cluster, tmp_path: Path
) -> None:
    """docs/deploy/nginx.conf, run by a real nginx in front of both backends."""
    nginx = Nginx(REPO / "docs" / "deploy" / "nginx.conf", [b.port or 0 for b in cluster.backends], tmp_path)
    checked = nginx.check()
    assert checked.returncode == 0, checked.stderr
    nginx.start()
    reader = None
    try:
        # The dashboard's websocket is upgraded (engine.io's open packet comes back).
        with websockets.sync.client.connect(
            f"ws://127.0.0.1:{nginx.port}/_event/?EIO=4&transport=websocket", open_timeout=10
        ) as ws:
            assert str(ws.recv(timeout=10)).startswith("0{")
        # The API, and MCP through the official client.
        via = dataclasses.replace(cluster.stack, base_url=nginx.url)
        with via.client("a_reader") as c:
            assert c.get("/api/v1/keys/me").status_code == 200
        found = ok(call(via, "a_reader", "search_knowledge", {"query": "connection pool"}))
        assert "results" in found
        # The live stream is passed on as each event comes, not when a buffer fills.
        reader = StreamReader(nginx.url, cluster.stack.keys["a_curator"])
        cid = Contributors(cluster).contribute(900)
        event = reader.next(timeout=30)
        assert event.payload["id"] == cid and event.payload["event"] == "contribution.created"
    finally:
        if reader is not None:
            reader.close()
        nginx.stop()


class Follower:
    """An agent following the stream with the SDK as a user installs it (``follow()``, which
    reconnects with ``Last-Event-ID``), on a thread, recording each event id it yields."""

    def __init__(self, base_url: str, key: str, after: int) -> None:
        from hivemind_client import HiveMind

        self.ids: list[int] = []
        self._client = HiveMind(base_url, key, max_retry_delay=2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(after,), daemon=True)
        self._thread.start()

    def _run(self, after: int) -> None:
        try:
            for event in self._client.follow(after, reconnect_delay=0.5):
                self.ids.append(event.event_id)
                if self._stop.is_set():
                    return
        except RuntimeError:  # the test closed the client under it
            if not self._stop.is_set():
                raise

    def wait_for(self, want: list[int], timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not set(want) <= set(self.ids):
            missing = sorted(set(want) - set(self.ids))
            assert time.monotonic() < deadline, f"the follower never got {missing[:10]} ({len(missing)})"
            time.sleep(0.3)
        time.sleep(1)  # a repeated event would arrive by now

    def close(self) -> None:
        self._stop.set()
        self._client.close()


class Load:
    """Agents searching and contributing through the proxy on a thread; records every answer."""

    def __init__(self, cluster: Cluster, first_n: int) -> None:
        self.cluster = cluster
        self.contributors = Contributors(cluster, prepared=10)
        self.answers: list[tuple[float, str, int]] = []  # (time, operation, status)
        self.accepted: list[str] = []
        self._n = first_n
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        key = self.cluster.stack.keys["a_reader"]
        with httpx.Client(base_url=self.cluster.stack.base_url, timeout=30) as c:
            while not self._stop.is_set():
                try:
                    r = c.get(
                        "/api/v1/knowledge/search",
                        params={"query": "connection pool"},
                        headers={"X-API-Key": key},
                    )
                    self.answers.append((time.monotonic(), "search", r.status_code))
                    r = post_contribution(c, self.contributors.next_key(), self._n)
                    self._n += 1
                    self.answers.append((time.monotonic(), "contribute", r.status_code))
                    if r.status_code == 202:
                        self.accepted.append(r.json()["contribution_id"])
                except httpx.TransportError:
                    self.answers.append((time.monotonic(), "transport", 0))
                time.sleep(0.05)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(60)

    def statuses(self, since: float = 0.0) -> collections.Counter[int]:
        return collections.Counter(status for at, _, status in self.answers if at >= since)


def test_a_worker_killed_mid_batch_loses_nothing(cluster: Cluster) -> None:
    contributors = Contributors(cluster)
    ids = [contributors.contribute(n) for n in range(300, 380)]
    # Catch a worker while it runs a drain and contributions still wait, then SIGKILL it (and
    # its scheduler child): its batch's transaction dies with its connection.
    victim, waiting = None, 0
    deadline = time.monotonic() + 60
    conn = redis.Redis.from_url(cluster.redis.url)
    try:
        while victim is None:
            assert time.monotonic() < deadline, "no worker was seen running a drain"
            for w in Worker.all(connection=conn):
                if w.get_current_job_id():
                    victim = next(
                        (m for m in cluster.workers if m.proc is not None and m.proc.pid == w.pid), None
                    )
            waiting = still_processing(cluster, ids)
            if victim is not None and waiting == 0:
                victim = None  # too late: everything is done
                ids += [contributors.contribute(n) for n in range(380 + len(ids), 400 + len(ids))]
            time.sleep(0.02)
    finally:
        conn.close()
    cluster.kill(victim)
    assert waiting > 0
    statuses = wait_all_processed(cluster, ids, timeout=240)  # by the other worker alone
    assert set(statuses.values()) == {"pending"}, collections.Counter(statuses.values())
    assert created_events(cluster, ids) == collections.Counter(dict.fromkeys(ids, 1))
    cluster.start_worker(victim)  # what the process manager does
    cluster.wait_workers_listening()


def test_a_backend_killed_under_its_sse_clients_loses_no_event(cluster: Cluster) -> None:
    from tests.utils.tcp_proxy import CuttableProxy

    first, second = cluster.backends
    proxy = CuttableProxy(
        "127.0.0.1", first.port or 0, ("127.0.0.1", second.port or 0)
    )  # first gets the stream
    start = latest_event_id(cluster)
    follower = Follower(proxy.url, cluster.stack.keys["a_curator"], start)
    contributors = Contributors(cluster)
    try:
        ids = [contributors.contribute(n, second.url) for n in range(500, 510)]
        wait_all_processed(cluster, ids)
        follower.wait_for(visible_event_ids(cluster, "acme", start))
        cluster.kill(first)  # its clients are cut; the proxy sends them to the other backend
        ids += [contributors.contribute(n, second.url) for n in range(510, 530)]
        wait_all_processed(cluster, ids)
        want = visible_event_ids(cluster, "acme", start)
        follower.wait_for(want)
        assert follower.ids == want, "each event exactly once, in order, across the failover"
    finally:
        follower.close()
        proxy.close()
        cluster.start_backend(first)


def test_postgres_restarted_under_load_gets_503_then_recovers_without_losing_events(cluster: Cluster) -> None:
    start = latest_event_id(cluster)
    followers = [Follower(b.url, cluster.stack.keys["a_curator"], start) for b in cluster.backends]
    load = Load(cluster, first_n=600)
    try:
        time.sleep(3)
        cluster.pg.stop()
        down_at = time.monotonic()
        time.sleep(4)
        cluster.pg.resume()
        up_at = time.monotonic()
        time.sleep(20)
    finally:
        load.stop()
    try:
        during = load.statuses(since=down_at)
        assert set(load.statuses()) <= {200, 202, 503}, load.statuses()  # never a 500
        assert during[503] > 0, "the load never met the outage"
        after = [s for at, _, s in load.answers if at > up_at + 10]
        assert after and set(after) <= {200, 202}, collections.Counter(after)  # recovered, no restart
        for backend in cluster.backends:
            assert httpx.get(f"{backend.url}/health", timeout=10).status_code == 200

        statuses = wait_all_processed(cluster, load.accepted, timeout=240)
        assert set(statuses.values()) == {"pending"}, collections.Counter(statuses.values())
        assert created_events(cluster, load.accepted) == collections.Counter(dict.fromkeys(load.accepted, 1))
        want = visible_event_ids(cluster, "acme", start)
        for follower in followers:
            follower.wait_for(want)
            assert follower.ids == want
    finally:
        for follower in followers:
            follower.close()


def test_redis_restarted_loses_no_queued_work(cluster: Cluster) -> None:
    contributors = Contributors(cluster)
    stored = cluster.stack.sql("SELECT count(*) FROM contributions")[0][0]
    cluster.redis.stop()  # every queued job and flag is gone with it (no persistence)
    refused = [contributors.post(n).status_code for n in range(700, 705)]
    assert set(refused) == {503}  # refused and nothing stored: the agent retries
    assert cluster.stack.sql("SELECT count(*) FROM contributions")[0][0] == stored
    cluster.redis.start()
    # Contributions stored, and their drain requested, while no worker takes jobs; then Redis
    # restarts empty: the request is gone, and the backends must make it again.
    cluster.signal_workers(signal.SIGSTOP)
    try:
        ids = [contributors.contribute(n) for n in range(710, 740)]
        cluster.redis.stop()
        time.sleep(1)
        cluster.redis.start()
    finally:
        cluster.signal_workers(signal.SIGCONT)
    # Nothing is queued now and nobody contributes: only the backends' recovery loop, which finds
    # contributions waiting in Postgres for too long, can ask for the drain that ends this.
    assert still_processing(cluster, ids) > 0
    statuses = wait_all_processed(cluster, ids, timeout=240)
    assert set(statuses.values()) == {"pending"}, collections.Counter(statuses.values())
    assert created_events(cluster, ids) == collections.Counter(dict.fromkeys(ids, 1))
    # The same worker processes live on and registered again: /health is green everywhere.
    assert all(w.running for w in cluster.workers), "a worker process died with Redis"
    cluster.wait_workers_listening(timeout=120)
    for backend in cluster.backends:
        assert httpx.get(f"{backend.url}/health", timeout=10).status_code == 200
