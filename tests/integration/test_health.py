"""GET /health on the backend: 200 when Postgres, Redis and a worker are alive, 503 otherwise."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from redis import Redis

from tests.integration.backend import backend
from tests.pg_tcp import TcpPostgres, free_port

pytestmark = pytest.mark.usefixtures("external_target")


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0, interval: float = 0.25) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "hivemind_api.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _env(database_url: str, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIVEMIND_")}
    env.update(HIVEMIND_DATABASE_URL=database_url, HIVEMIND_REDIS_URL=redis_url, HIVEMIND_WORKERS="0")
    return env


@pytest.fixture
def clean_redis(external_target) -> str:
    """A Redis database of its own so no other test's worker registrations interfere."""
    url = external_target.redis_url.rsplit("/", 1)[0] + "/10"
    r = Redis.from_url(url)
    r.flushdb()
    r.close()
    return url


def test_health_follows_the_worker(external_target, clean_redis) -> None:
    env = _env(external_target.create_database(), clean_redis)
    with backend(env) as client:
        body = client.get("/health")
        assert body.status_code == 503
        report = body.json()
        assert report["database"]["ok"] and report["redis"]["ok"] and not report["worker"]["ok"]
        worker = start_worker(env)
        try:
            wait_for(lambda: client.get("/health").status_code == 200)
            report = client.get("/health").json()
            assert report["status"] == "ok" and len(report["worker"]["extra"]["workers"]) == 1
            worker.send_signal(signal.SIGTERM)  # a stopped worker unregisters at once
            assert worker.wait(30) == 0
            wait_for(lambda: client.get("/health").status_code == 503, timeout=10)
            assert "no worker heartbeat" in client.get("/health").json()["worker"]["detail"]
        finally:
            worker.kill()


def test_health_503_when_redis_is_down(external_target) -> None:
    env = _env(external_target.create_database(), f"redis://127.0.0.1:{free_port()}/0")
    with backend(env) as client:
        r = client.get("/health")
    assert r.status_code == 503
    body = r.json()
    assert body["database"]["ok"] and not body["redis"]["ok"] and "Connection" in body["redis"]["detail"]


def test_health_503_when_postgres_is_down(tmp_path, clean_redis) -> None:
    pg = TcpPostgres(tmp_path / "pgdata", free_port()).start()
    env = _env(pg.url, clean_redis)
    worker = start_worker(env)
    try:
        with backend(env) as client:
            wait_for(lambda: client.get("/health").status_code == 200)
            pg.stop()
            r = client.get("/health")
            assert r.status_code == 503
            body = r.json()
            assert not body["database"]["ok"] and body["redis"]["ok"]
    finally:
        worker.kill()
        worker.wait()
