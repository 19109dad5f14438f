"""The ``hivemind`` console script, run as a real subprocess on both targets."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import psycopg
import pytest
from redis import Redis
from rq import Queue

from hivemind_api.accounts.keys import hash_key

HIVEMIND = [sys.executable, "-m", "hivemind_api.cli"]


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HIVEMIND, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def cli_env(target, database_url: str) -> dict[str, str]:
    """Embedded target: share the running embedded servers through the data dir, as a user
    would while the app runs. External target: point at the servers by URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIVEMIND_")}
    if target.data_dir is not None:
        env["HIVEMIND_DATA_DIR"] = str(target.data_dir)
    else:
        env["HIVEMIND_DATABASE_URL"] = database_url
        env["HIVEMIND_REDIS_URL"] = target.redis_url
    return env


def _db_url(target, database_url: str) -> str:
    return target.admin_url if target.data_dir is not None else database_url


def test_org_create_and_errors(cli_env) -> None:
    slug = "cli-" + uuid.uuid4().hex[:8]
    ok = run(cli_env, "org", "create", slug, "--name", "CLI Org")
    assert ok.returncode == 0, ok.stderr
    assert f"created org {slug} (CLI Org)" in ok.stdout
    dup = run(cli_env, "org", "create", slug)
    assert dup.returncode == 1 and dup.stderr.strip() == f"error: org '{slug}' already exists"
    bad = run(cli_env, "org", "create", "Bad_Slug")
    assert (
        bad.returncode == 1
        and bad.stderr.startswith("error: invalid org slug")
        and bad.stderr.count("\n") == 1
    )


def test_user_create_and_errors(cli_env, target, database_url) -> None:
    slug = "cliu-" + uuid.uuid4().hex[:8]
    assert run(cli_env, "org", "create", slug).returncode == 0
    email = f"curator-{slug}@example.com"
    ok = run(
        cli_env,
        "user",
        "create",
        email,
        "--org",
        slug,
        "--role",
        "curator",
        "--password-stdin",
        stdin="hunter2hunter2\n",
    )
    assert ok.returncode == 0, ok.stderr
    with psycopg.connect(_db_url(target, database_url)) as c:
        role, pw = c.execute(
            "SELECT m.role, u.password_hash FROM users u JOIN memberships m ON m.user_id = u.id WHERE u.email = %s",
            (email,),
        ).fetchone()
    assert role == "curator" and pw.startswith("$argon2id$") and "hunter2" not in pw
    cases = {
        (
            "nobody@example.com",
            "--org",
            "missing-org",
            "--role",
            "viewer",
        ): "error: unknown org 'missing-org'",
        ("nobody@example.com", "--org", slug, "--role", "owner"): "error: invalid role 'owner'",
        ("not-an-email", "--org", slug, "--role", "viewer"): "error: invalid email 'not-an-email'",
        (email, "--org", slug, "--role", "viewer"): f"error: user {email} is already a member of {slug}",
    }
    for args, message in cases.items():
        r = run(cli_env, "user", "create", *args, "--password-stdin", stdin="hunter2hunter2\n")
        assert r.returncode == 1 and r.stderr.startswith(message), (args, r.stderr)
    short = run(
        cli_env,
        "user",
        "create",
        "x@example.com",
        "--org",
        slug,
        "--role",
        "viewer",
        "--password-stdin",
        stdin="short\n",
    )
    assert short.returncode == 1 and "at least 8 characters" in short.stderr
    no_pw = run(cli_env, "user", "create", "x@example.com", "--org", slug, "--role", "viewer", stdin="")
    assert no_pw.returncode == 2 and "--password-stdin" in no_pw.stderr


def test_key_create_list_revoke(cli_env, target, database_url) -> None:
    slug = "clik-" + uuid.uuid4().hex[:8]
    assert run(cli_env, "org", "create", slug).returncode == 0
    created = run(
        cli_env,
        "key",
        "create",
        "--org",
        slug,
        "--agent",
        "claude-7",
        "--role",
        "curator",
        "--name",
        "ci box",
    )
    assert created.returncode == 0, created.stderr
    raw = created.stdout.rstrip("\n").splitlines()[-1]
    assert raw.startswith("hm_") and len(raw) == 46 and " " not in raw
    with psycopg.connect(_db_url(target, database_url)) as c:
        prefix, _stored_hash, role, name = c.execute(
            "SELECT key_prefix, key_hash, role, name FROM api_keys WHERE key_hash = %s", (hash_key(raw),)
        ).fetchone()
        dumped = str(c.execute("SELECT * FROM api_keys WHERE key_prefix = %s", (prefix,)).fetchone())
    assert prefix == raw[:12] and role == "curator" and name == "ci box" and raw not in dumped

    listed = run(cli_env, "key", "list", "--org", slug)
    assert listed.returncode == 0 and prefix in listed.stdout and "claude-7" in listed.stdout
    assert raw not in listed.stdout and "active" in listed.stdout

    revoked = run(cli_env, "key", "revoke", prefix)
    assert revoked.returncode == 0 and f"revoked key {prefix}" in revoked.stdout
    assert "revoked" in run(cli_env, "key", "list", "--org", slug).stdout
    again = run(cli_env, "key", "revoke", prefix)
    assert again.returncode == 1 and "already revoked" in again.stderr
    unknown = run(cli_env, "key", "revoke", "hm_000000000")
    assert unknown.returncode == 1 and unknown.stderr.strip() == "error: no key with prefix hm_000000000"

    for args, message in {
        ("--org", slug, "--agent", "a1", "--role", "admin"): "error: invalid key role 'admin'",
        ("--org", "missing-org", "--agent", "a1"): "error: unknown org 'missing-org'",
        ("--org", slug, "--agent", "bad agent"): "error: invalid agent id",
    }.items():
        r = run(cli_env, "key", "create", *args)
        assert r.returncode == 1 and r.stderr.startswith(message) and r.stdout == "", (args, r.stderr)
    assert run(cli_env, "key", "list", "--org", "missing-org").returncode == 1


def test_rule_lifecycle(cli_env) -> None:
    slug = "clir-" + uuid.uuid4().hex[:8]
    assert run(cli_env, "org", "create", slug).returncode == 0
    added = run(cli_env, "rule", "add", "--org", slug, "--category", "tooling", "--min-score", "70")
    assert added.returncode == 0, added.stderr
    assert f"{slug} auto-approves tooling with pre-screen >= 70" in added.stdout
    rule_id = added.stdout.split()[2].rstrip(":")
    listed = run(cli_env, "rule", "list", "--org", slug)
    assert rule_id in listed.stdout and "tooling" in listed.stdout and "70" in listed.stdout
    again = run(cli_env, "rule", "add", "--org", slug, "--category", "tooling")
    assert again.returncode == 1 and "already auto-approves tooling" in again.stderr
    for args, message in {
        ("--category", "nonsense"): "invalid category",
        ("--category", "config", "--min-score", "101"): "between 0 and 100",
    }.items():
        r = run(cli_env, "rule", "add", "--org", slug, *args)
        assert r.returncode == 1 and message in r.stderr, r.stderr
    removed = run(cli_env, "rule", "remove", rule_id)
    assert removed.returncode == 0 and f"removed rule {rule_id} (tooling)" in removed.stdout
    assert rule_id not in run(cli_env, "rule", "list", "--org", slug).stdout
    missing = run(cli_env, "rule", "remove", rule_id)
    assert missing.returncode == 1 and "no auto-approve rule" in missing.stderr


def test_db_migrate(cli_env) -> None:
    r = run(cli_env, "db", "migrate")
    from hivemind_api.db.migrate import head_revision

    assert r.returncode == 0 and r.stdout.startswith(f"database at revision {head_revision()}")


def test_worker_runs_queued_jobs(cli_env, target) -> None:
    queue = Queue("default", connection=Redis.from_url(target.redis_url))
    job = queue.enqueue("hivemind_api.infra.jobs.ping", "from-cli-test")
    env = dict(cli_env, HIVEMIND_MODEL_THREADS="2", HIVEMIND_MODEL_STREAMS="3")  # not a worker's defaults
    if target.data_dir is not None:  # the embedded servers are running: reach them by URL
        env["HIVEMIND_REDIS_URL"] = target.redis_url
    r = run(env, "worker", "--burst")
    assert r.returncode == 0, r.stderr
    job.refresh()
    assert job.is_finished and job.return_value()["token"] == "from-cli-test"
    assert job.return_value()["model_threads"] == 2  # HIVEMIND_MODEL_THREADS reached the model
    assert job.return_value()["model_streams"] == 3


def _servers_for(data_dir: Path) -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter(["name", "cmdline"]):
        cmd = " ".join(p.info["cmdline"] or [])
        if str(data_dir) in cmd and ("postgres" in (p.info["name"] or "") or "redis-server" in cmd):
            found.append(p)
    return found


def test_cli_starts_and_stops_embedded_server_when_app_is_not_running(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIVEMIND_")}
    env["HIVEMIND_DATA_DIR"] = str(tmp_path / "data")
    assert run(env, "org", "create", "standalone").returncode == 0
    assert _servers_for(tmp_path / "data") == []  # stopped again, nothing orphaned
    listed = run(env, "key", "create", "--org", "standalone", "--agent", "a")
    assert listed.returncode == 0  # the data survived the stop
    assert _servers_for(tmp_path / "data") == []


def test_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIVEMIND_")}
    env["HIVEMIND_DATABASE_URL"] = "postgresql://postgres@127.0.0.1:1/postgres"
    r = run(env, "org", "create", "nope")
    assert (
        r.returncode == 2
        and r.stderr.startswith("error: cannot reach the database")
        and r.stderr.count("\n") == 1
    )


def test_killed_worker_leaves_no_child_behind(cli_env, target) -> None:
    """RQ forks a scheduler from the worker; SIGKILL on the worker must take it down too."""
    env = dict(cli_env)
    if target.data_dir is not None:
        env["HIVEMIND_REDIS_URL"] = target.redis_url
    worker = subprocess.Popen(
        [*HIVEMIND, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        # The scheduler is forked once both models are loaded (embedding and name model): on a
        # slow host hour that alone took over 30 s.
        deadline = time.monotonic() + 120
        children: list[psutil.Process] = []
        while not children:
            assert time.monotonic() < deadline, "the worker never forked its scheduler"
            time.sleep(0.2)
            children = psutil.Process(worker.pid).children()
        worker.kill()
        worker.wait()
        _gone, still = psutil.wait_procs(children, timeout=10)
        assert still == []
    finally:
        worker.kill()


def test_killed_user_of_embedded_servers_does_not_pin_them(tmp_path: Path) -> None:
    """A process sharing the embedded servers dies by SIGKILL (so it never releases them):
    the last live user must still stop them."""
    from hivemind_api.embedded.postgres import EmbeddedPostgres
    from hivemind_api.embedded.redis import EmbeddedRedis
    from tests.processes import alive, embedded_server_pids

    data_dir = tmp_path / "data"
    pg, rd = EmbeddedPostgres(data_dir), EmbeddedRedis(data_dir)
    pg.acquire()
    rd.acquire()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIVEMIND_")}
    env["HIVEMIND_DATA_DIR"] = str(data_dir)
    worker = subprocess.Popen(
        [*HIVEMIND, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        handles = data_dir / "redis" / "handles.json"
        deadline = time.monotonic() + 30
        while str(worker.pid) not in (handles.read_text() if handles.exists() else ""):
            assert time.monotonic() < deadline, "the worker never attached"
            time.sleep(0.2)
        worker.kill()
        worker.wait()
    finally:
        worker.kill()
    servers = embedded_server_pids(data_dir)
    assert len(servers) == 2 and alive(servers)
    rd.release()
    pg.release()
    time.sleep(0.5)
    assert alive(servers) == []


def test_audit_lists_an_orgs_actions_newest_first_with_filters_and_paging(cli_env) -> None:
    slug = "clia-" + uuid.uuid4().hex[:8]
    assert run(cli_env, "org", "create", slug).returncode == 0
    for category in ("tooling", "config", "workaround"):
        assert run(cli_env, "rule", "add", "--org", slug, "--category", category).returncode == 0
    listed = run(cli_env, "audit", "--org", slug)
    assert listed.returncode == 0, listed.stderr
    lines = [line.split("\t") for line in listed.stdout.splitlines()]
    assert [fields[3] for fields in lines] == ["rule.added"] * 3
    assert all(fields[2] == "cli" for fields in lines)
    assert [int(fields[0]) for fields in lines] == sorted((int(f[0]) for f in lines), reverse=True)
    first = run(cli_env, "audit", "--org", slug, "--limit", "2")
    assert first.stdout.count("rule.added") == 2 and "older entries: --cursor" in first.stdout
    cursor = first.stdout.rsplit("--cursor ", 1)[1].strip()
    rest = run(cli_env, "audit", "--org", slug, "--limit", "2", "--cursor", cursor)
    assert rest.stdout.count("rule.added") == 1 and "older entries" not in rest.stdout
    assert "no audit entries" in run(cli_env, "audit", "--org", slug, "--action", "key.").stdout
    assert run(cli_env, "audit", "--org", slug, "--action", "rule.").stdout.count("rule.added") == 3
    for args, message in {
        ("--org", slug, "--limit", "0"): "limit must be between 1 and 200",
        ("--org", slug, "--cursor", "x"): "invalid cursor",
        ("--org", "no-such-org-" + slug): "unknown org",
    }.items():
        bad = run(cli_env, "audit", *args)
        assert bad.returncode == 1 and message in bad.stderr, bad.stderr
