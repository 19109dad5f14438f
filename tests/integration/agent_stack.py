"""A running HiveMind for agent-facing tests: backend server process, supervised RQ worker,
external Postgres and Redis, two orgs with keys of every role."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import redis

from hivemind_api.accounts.keys import generate_key, hash_key
from tests.pg_tcp import free_port

REPO = Path(__file__).resolve().parents[2]

KEY_SPECS = {
    "a": ("acme", "agent-a", "contributor"),
    "a2": ("acme", "agent-a2", "contributor"),
    "a_curator": ("acme", "curator-a", "curator"),
    "a_reader": ("acme", "reader-a", "reader"),
    "b": ("beta", "agent-b", "contributor"),
    "b_curator": ("beta", "curator-b", "curator"),
}


@dataclass
class AgentStack:
    base_url: str
    database_url: str
    redis_url: str
    keys: dict[str, str] = field(default_factory=dict)
    org_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    def client(self, who: str | None, *, bearer: bool = False) -> httpx.Client:
        headers = {}
        if who is not None:
            key = self.keys.get(who, who)
            headers = {"Authorization": f"Bearer {key}"} if bearer else {"X-API-Key": key}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=60)

    def sql(self, query: str, params: tuple | dict = ()) -> list[tuple]:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []

    def add_key(self, org: str, agent: str, role: str) -> str:
        raw = generate_key()
        self.sql(
            "INSERT INTO api_keys (org_id, agent_id, role, key_prefix, key_hash) VALUES (%s, %s, %s, %s, %s)",
            (self.org_ids[org], agent, role, raw[:12], hash_key(raw)),
        )
        return raw

    def contribute(self, who: str, content: str, category: str = "bug_fix", **extra: object) -> str:
        with self.client(who) as c:
            r = c.post("/api/v1/knowledge", json={"content": content, "category": category, **extra})
        assert r.status_code == 202, r.text
        return r.json()["contribution_id"]

    def wait_processed(self, contribution_id: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = self.sql("SELECT status FROM contributions WHERE id = %s", (contribution_id,))
            if rows and rows[0][0] != "processing":
                return rows[0][0]
            time.sleep(0.2)
        raise AssertionError(f"contribution {contribution_id} still processing after {timeout} s")

    def add_item(self, who: str, content: str, *, public: bool = False, **extra: object) -> str:
        """Contribute, wait for the pipeline, approve as that org's curator; returns the item id."""
        cid = self.contribute(who, content, **extra)
        status = self.wait_processed(cid)
        assert status == "pending", (
            status,
            self.sql("SELECT flags, duplicate_of FROM contributions WHERE id = %s", (cid,)),
        )
        curator = f"{who.split('_')[0].rstrip('2')}_curator"
        with self.client(curator) as c:
            r = c.post(f"/api/v1/contributions/{cid}/approve", json={"is_public": public})
        assert r.status_code == 200, r.text
        return r.json()["item_id"]


# The shared stack is not about rate limits: its tests may contribute quickly from one key.
GENEROUS_LIMITS = {
    "HIVEMIND_RATE_LIMIT_REQUESTS_PER_KEY": "100000/minute",
    "HIVEMIND_RATE_LIMIT_REQUESTS_PER_ORG": "100000/minute",
    "HIVEMIND_RATE_LIMIT_CONTRIBUTIONS_PER_KEY": "100000/minute",
    "HIVEMIND_RATE_LIMIT_CONTRIBUTIONS_PER_ORG": "100000/minute",
}


# Redis databases for stacks: each live stack has its own (two workers on one queue would take
# each other's jobs), and a module may run two beside the pool's next one. The other tests' fixed
# databases (7, 9, 10, 11, 12) are left out.
STACK_REDIS_DBS = (1, 2, 3, 4, 5, 6, 13, 14, 15)
_redis_dbs_in_use: set[int] = set()


def _take_redis_db() -> int:
    free = [n for n in STACK_REDIS_DBS if n not in _redis_dbs_in_use]
    assert free, f"more than {len(STACK_REDIS_DBS)} stacks at once"
    _redis_dbs_in_use.add(free[0])
    return free[0]


def release_redis_db(stack: AgentStack) -> None:
    _redis_dbs_in_use.discard(int(stack.redis_url.rsplit("/", 1)[1]))


def stack_env(database_url: str, redis_url: str, overrides: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a test's backend or worker process: these servers, generous limits."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIVEMIND_")}
    env.update(
        HIVEMIND_DATABASE_URL=database_url,
        HIVEMIND_REDIS_URL=redis_url,
        HIVEMIND_WORKERS="1",
        REFLEX_SKIP_COMPILE="true",
        HF_HUB_OFFLINE="1",
    )
    env.update(GENEROUS_LIMITS)
    env.update(overrides or {})
    return env


def spawn_backend(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen[bytes]:
    """The real Reflex backend (API, MCP, lifespan) under uvicorn, logging to ``log_path``."""
    with open(log_path, "ab") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "tests.integration.serve:asgi",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def wait_healthy(base_url: str, proc: subprocess.Popen[bytes], log_path: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, log_path.read_text()[-3000:]
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{base_url} never became healthy"
        time.sleep(0.5)


def seed_orgs_and_keys(stack: AgentStack) -> None:
    """Two orgs, acme and beta, with a key for each of ``KEY_SPECS``."""
    for slug in ("acme", "beta"):
        stack.org_ids[slug] = stack.sql(
            "INSERT INTO orgs (slug, name) VALUES (%s, %s) RETURNING id", (slug, slug.title() + " Inc")
        )[0][0]
    for name, (org, agent, role) in KEY_SPECS.items():
        stack.keys[name] = stack.add_key(org, agent, role)


def spawn_stack(target, tmp_path: Path, env_overrides: dict[str, str] | None = None) -> AgentStack:
    """Start a stack's backend on a fresh database and Redis database without waiting for it:
    the backend migrates, loads the model and starts its worker while the caller goes on."""
    database_url = target.create_database()
    redis_url = target.redis_url.rsplit("/", 1)[0] + f"/{_take_redis_db()}"
    r = redis.Redis.from_url(redis_url)
    r.flushdb()
    r.close()
    port = free_port()
    log_path = tmp_path / "backend.log"
    proc = spawn_backend(stack_env(database_url, redis_url, env_overrides), port, log_path)
    return AgentStack(
        base_url=f"http://127.0.0.1:{port}",
        database_url=database_url,
        redis_url=redis_url,
        process=proc,
        log_path=log_path,
    )


def ready_stack(stack: AgentStack) -> AgentStack:
    """Wait until a spawned stack answers, then give it its two orgs and their keys."""
    assert stack.process is not None and stack.log_path is not None
    wait_healthy(stack.base_url, stack.process, stack.log_path)
    seed_orgs_and_keys(stack)
    return stack


def start_stack(target, tmp_path: Path, env_overrides: dict[str, str] | None = None) -> AgentStack:
    return ready_stack(spawn_stack(target, tmp_path, env_overrides))


def end_stack(stack: AgentStack) -> None:
    """Stop the stack's backend (its worker with it) and free its Redis database."""
    if stack.process is not None and stack.process.poll() is None:
        stack.process.terminate()
        try:
            stack.process.wait(30)
        except subprocess.TimeoutExpired:
            stack.process.kill()
    release_redis_db(stack)


def stop_stack(stack: AgentStack) -> None:
    """End a stack that served tests, then check its log kept their secrets."""
    end_stack(stack)
    assert_log_holds_no_secrets(stack)


def assert_log_holds_no_secrets(stack: AgentStack, logs: list[Path] | None = None) -> None:
    """Everything the backend and its worker logged while the module's tests ran (``logs``,
    default the stack's log) holds none of the API keys they used, no webhook secret and no
    contributed text (40-character windows of each stored text, every 20 characters: any 60
    characters of a text that leaked are found)."""
    paths = [p for p in (logs if logs is not None else [stack.log_path]) if p is not None and p.exists()]
    if not paths:
        return
    log = "\n".join(p.read_text(errors="replace") for p in paths)
    texts = [row[0] for row in stack.sql("SELECT content FROM contributions WHERE content IS NOT NULL")]
    texts += [row[0] for row in stack.sql("SELECT content FROM knowledge_items")]
    secrets = {f"key {name}": raw for name, raw in stack.keys.items()}
    secrets |= {
        f"webhook secret {n}": row[0]
        for n, row in enumerate(stack.sql("SELECT secret FROM webhook_endpoints"))
    }
    for n, text in enumerate(texts):
        for start in range(0, len(text) - 39, 20):  # any 60 characters hold a window
            secrets[f"contributed text {n} at {start}"] = text[start : start + 40]
    leaked = [label for label, value in secrets.items() if value and value in log]
    assert not leaked, f"{[str(p) for p in paths]} hold {', '.join(leaked[:10])}"
