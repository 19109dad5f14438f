"""``make load``: 50 concurrent agents for 10 minutes against the production shape on this machine
(2 backend processes, 2 ``hivemind worker`` processes, one PostgreSQL and one Redis; the same
cluster the multi-process tests start), then ``docs/load.md``.

Each agent loops over a bounded asyncio client: 70 % search, 10 % contribute, 10 % fetch,
10 % outcomes, each request right after the previous one answered (closed loop: the offered load
is whatever the system can serve). Recorded: throughput and p50/p95/p99 per operation, errors,
backend and worker memory every 30 s (growth is judged from the end of the first minute, once
each process has loaded its models and reached its largest batch, and from the start), the
exception or status of every failed request, contributions still waiting a minute after the load
stops, and, before the load, one client's search throughput and latency on the same cluster.

Knobs: LOAD_AGENTS (50), LOAD_SECONDS (600), LOAD_ITEMS (10000).
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil
import psycopg
from pgvector.psycopg import register_vector

from hivemind_api.accounts.keys import generate_key, hash_key
from hivemind_api.infra import embeddings
from hivemind_api.knowledge.text import content_hash, make_title
from tests.bench import corpus
from tests.bench.run_bench import DATA, corpus_vectors, pct
from tests.integration.cluster import Cluster

REPO = Path(__file__).resolve().parents[2]
AGENTS = int(os.environ.get("LOAD_AGENTS", "50"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "600"))
ITEMS = int(os.environ.get("LOAD_ITEMS", "10000"))
ORGS = 5
MIX = [("search", 70), ("contribute", 10), ("fetch", 10), ("outcome", 10)]
SPEC_SEARCHES_PER_S, SPEC_P95_MS = 150, 50
MEMORY_EVERY_S = 30.0


def log(msg: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {msg}", flush=True)


@dataclass
class Seeded:
    keys: list[str]
    item_ids: list[str]
    queries: list[str]


def seed(cluster: Cluster) -> Seeded:
    """ITEMS realistic items (real embeddings) over ORGS orgs, a quarter public, and one key per agent."""
    items = corpus.items(ITEMS)
    DATA.mkdir(exist_ok=True)  # the benchmark's cache of embedded corpora
    vectors, _ = corpus_vectors(items)
    rng = random.Random(5)
    keys: list[str] = []
    with psycopg.connect(cluster.database_url) as conn:
        register_vector(conn)
        orgs = [
            conn.execute(
                "INSERT INTO orgs (slug, name) VALUES (%s, %s) RETURNING id", (f"load{i}", f"Load {i}")
            ).fetchone()[0]
            for i in range(ORGS)
        ]
        for n in range(AGENTS):
            raw = generate_key()
            conn.execute(
                "INSERT INTO api_keys (org_id, agent_id, role, key_prefix, key_hash) VALUES (%s, %s, 'contributor', %s, %s)",
                (orgs[n % ORGS], f"load-agent-{n}", raw[:12], hash_key(raw)),
            )
            keys.append(raw)
        model_id = embeddings.model_identity().model_id
        with conn.cursor().copy(
            "COPY knowledge_items (org_id, source_agent_id, category, framework, language, version, content_hash, "
            "contributed_at, title, content, is_public, published_at, embedding, embedding_model) FROM STDIN"
        ) as copy:
            for i, (item, vec) in enumerate(zip(items, vectors, strict=True)):
                public = rng.random() < 0.25
                now = datetime.now(UTC)
                copy.write_row(
                    (
                        orgs[i % ORGS],
                        f"seed-agent-{i % 97}",
                        item["category"],
                        item["framework"],
                        item["language"],
                        item["version"],
                        content_hash(item["content"]),
                        now,
                        make_title(item["content"]),
                        item["content"],
                        public,
                        now if public else None,
                        vec,
                        model_id,
                    )
                )
        conn.commit()
        # Items every agent may fetch and rate: the public ones.
        public_ids = [str(r[0]) for r in conn.execute("SELECT id FROM knowledge_items WHERE is_public")]
    with psycopg.connect(cluster.database_url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) knowledge_items")
    return Seeded(keys, public_ids, corpus.queries(items, 2000))


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    # per operation: an unexpected status code, or the exception a request ended with, and how often
    errors: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    contributed: list[str] = field(default_factory=list)


async def agent(n: int, base_url: str, seeded: Seeded, deadline: float, results: Results) -> None:
    rng = random.Random(n)
    ops = [op for op, weight in MIX for _ in range(weight)]
    async with httpx.AsyncClient(
        base_url=base_url, headers={"X-API-Key": seeded.keys[n]}, timeout=60
    ) as client:
        while time.monotonic() < deadline:
            op = rng.choice(ops)
            start = time.perf_counter()
            try:
                if op == "search":
                    r = await client.get(
                        "/api/v1/knowledge/search", params={"query": rng.choice(seeded.queries)}
                    )
                elif op == "contribute":
                    text = rng.choice(corpus.long_texts(1, seed=rng.randrange(10**9)))
                    r = await client.post(
                        "/api/v1/knowledge", json={"content": text, "category": "workaround"}
                    )
                elif op == "fetch":
                    r = await client.get(f"/api/v1/knowledge/{rng.choice(seeded.item_ids)}")
                else:
                    r = await client.post(
                        "/api/v1/outcomes",
                        json={
                            "item_id": rng.choice(seeded.item_ids),
                            "outcome": "solved",
                            "run_id": uuid.uuid4().hex,
                        },
                    )
                status, failure = r.status_code, str(r.status_code)
            except httpx.HTTPError as exc:
                status, failure = 0, type(exc).__name__
            elapsed = time.perf_counter() - start
            if status in (200, 202):
                results.latencies[op].append(elapsed)
                if op == "contribute":
                    results.contributed.append(r.json()["contribution_id"])
            else:
                results.errors[op][failure] += 1


def single_client_search(base_url: str, seeded: Seeded, seconds: float = 30) -> tuple[float, list[float]]:
    """One client, one search after another: searches per second and latencies."""
    latencies: list[float] = []
    rng = random.Random(1)
    with httpx.Client(base_url=base_url, headers={"X-API-Key": seeded.keys[0]}, timeout=30) as c:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            start = time.perf_counter()
            r = c.get("/api/v1/knowledge/search", params={"query": rng.choice(seeded.queries)})
            r.raise_for_status()
            latencies.append(time.perf_counter() - start)
    return len(latencies) / seconds, latencies


def memory(cluster: Cluster) -> dict[str, float]:
    """Memory in MB of each backend and worker process with its children (a worker's forked RQ
    scheduler), as PSS: pages a fork shares with its parent are counted once, split between
    them, where adding RSS would count them twice."""
    out: dict[str, float] = {}
    for m in (*cluster.backends, *cluster.workers):
        if m.proc is None:
            continue
        proc = psutil.Process(m.proc.pid)
        family = [proc, *proc.children(recursive=True)]
        out[m.name] = sum(p.memory_full_info().pss for p in family) / 2**20
    return out


def waiting(cluster: Cluster, ids: list[str]) -> int:
    return cluster.stack.sql(
        "SELECT count(*) FROM contributions WHERE status = 'processing' AND id = ANY(%s::uuid[])", (ids,)
    )[0][0]


def main() -> None:
    work = REPO / ".hivemind-load"
    work.mkdir(exist_ok=True)
    run_dir = work / datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    run_dir.mkdir()
    overrides = {
        f"HIVEMIND_RATE_LIMIT_{k}": "1000000/minute"
        for k in ("REQUESTS_PER_KEY", "REQUESTS_PER_ORG", "CONTRIBUTIONS_PER_KEY", "CONTRIBUTIONS_PER_ORG")
    }
    cluster = Cluster(run_dir, overrides=overrides).start()
    try:
        cluster.wait_workers_listening()
        log(f"seeding {ITEMS} items and {AGENTS} agents")
        seeded = seed(cluster)
        base = cluster.stack.base_url  # the balancing proxy in front of both backends
        log("one client's search throughput (30 s)")
        single_rate, single_lat = single_client_search(base, seeded)
        log(f"{AGENTS} agents for {SECONDS:.0f} s")
        results = Results()
        started = time.monotonic()
        samples: list[tuple[float, dict[str, float]]] = []
        stop_sampling = threading.Event()

        def sample_memory() -> None:
            while True:
                samples.append((time.monotonic() - started, memory(cluster)))
                if stop_sampling.wait(MEMORY_EVERY_S):
                    return

        sampler = threading.Thread(target=sample_memory, daemon=True)
        sampler.start()

        async def drive() -> None:
            deadline = time.monotonic() + SECONDS
            await asyncio.gather(*(agent(n, base, seeded, deadline, results) for n in range(AGENTS)))

        asyncio.run(drive())
        duration = time.monotonic() - started
        stop_sampling.set()
        sampler.join()
        samples.append((duration, memory(cluster)))
        waiting_at_stop = waiting(cluster, results.contributed)
        log(f"load stopped; {waiting_at_stop} contributions waiting; checking again in 60 s")
        time.sleep(60)
        waiting_after = waiting(cluster, results.contributed)
        write_report(results, duration, single_rate, single_lat, samples, waiting_at_stop, waiting_after)
    finally:
        cluster.stop()


def write_report(
    r: Results,
    duration: float,
    single_rate: float,
    single_lat: list[float],
    samples: list[tuple[float, dict[str, float]]],
    waiting_at_stop: int,
    waiting_after: int,
) -> None:
    cores = os.cpu_count()
    lines = [
        "# Load",
        "",
        f"`make load`, {datetime.now(UTC):%Y-%m-%d}, on this development machine ({cores} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GB): {AGENTS} concurrent agents for {duration:.0f} s "
        "against 2 backend processes behind a TCP balancer and 2 `hivemind worker` processes, one "
        f"PostgreSQL and one Redis, all on the same machine, with {ITEMS:,} items seeded ({ORGS} orgs, a quarter "
        "public). Each agent sends its next request as soon as the previous one is answered; the mix is "
        "70 % search, 10 % contribute (~200 words), 10 % fetch, 10 % outcomes. The load generator "
        "shares the cores with everything it measures.",
        "",
        "| operation | completed | per second | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    total_ok = total_err = 0
    for op, _ in MIX:
        lat = r.latencies.get(op, [])
        errs = sum(r.errors.get(op, {}).values())
        total_ok += len(lat)
        total_err += errs
        detail = ", ".join(f"{n}× {s}" for s, n in sorted(r.errors.get(op, {}).items()))
        lines.append(
            f"| {op} | {len(lat):,} | {len(lat) / duration:.1f} | {pct(lat, 50) * 1e3:.0f} | "
            f"{pct(lat, 95) * 1e3:.0f} | {pct(lat, 99) * 1e3:.0f} | {errs}{f' ({detail})' if detail else ''} |"
        )
    lines.append(f"| **all** | {total_ok:,} | {total_ok / duration:.1f} | | | | {total_err} |")
    search = r.latencies.get("search", [])
    lines += [
        "",
        "## Search against SPEC §7",
        "",
        f"Target: ≥ {SPEC_SEARCHES_PER_S} searches/s at p95 ≤ {SPEC_P95_MS} ms. Under this load: "
        f"{len(search) / duration:.1f} searches/s at p95 {pct(search, 95) * 1e3:.0f} ms. One client alone on "
        f"the same cluster, measured in the same run just before: {single_rate:.1f} searches/s, p50 "
        f"{pct(single_lat, 50) * 1e3:.1f} ms, p95 {pct(single_lat, 95) * 1e3:.1f} ms "
        f"(ratio under load / alone: {len(search) / duration / single_rate:.2f}× the throughput, "
        f"{pct(search, 95) / pct(single_lat, 95):.1f}× the p95).",
        "",
        "## Memory (PSS, MB, with child processes)",
        "",
        f"Sampled every {MEMORY_EVERY_S:.0f} s. Target: flat within 10 %; judged from the end of the "
        "first minute (each process has loaded its models and met its largest batch by then) and, "
        "stricter, from the start.",
        "",
        "| process | start | after 1 min | end | change since 1 min | since start | every sample |",
        "|---|---|---|---|---|---|---|",
    ]
    first, end = samples[0][1], samples[-1][1]
    warm = next((m for t, m in samples if t >= 60), end)
    for name in first:
        a, w, b = first[name], warm.get(name, float("nan")), end.get(name, float("nan"))
        series = " ".join(f"{m.get(name, float('nan')):.0f}" for _, m in samples)
        lines.append(
            f"| {name} | {a:.0f} | {w:.0f} | {b:.0f} | {100 * (b - w) / w:+.1f} % | "
            f"{100 * (b - a) / a:+.1f} % | {series} |"
        )
    lines += [
        "",
        "## Contributions",
        "",
        f"{len(r.contributed):,} contributions accepted; {waiting_at_stop} still `processing` when the load "
        f"stopped, {waiting_after} a minute later (target 0).",
        "",
    ]
    (REPO / "docs" / "load.md").write_text("\n".join(lines))
    log("wrote docs/load.md")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
