"""The production shape on one machine: N backend processes behind a balancing proxy and M
``hivemind worker`` processes, all on one PostgreSQL and one Redis that the tests own (so they
can restart them). Each process is a real server started the way a process manager would start
it, logging to its own file; members can be killed and started again by the fault tests.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import redis

from tests.integration.agent_stack import (
    REPO,
    AgentStack,
    seed_orgs_and_keys,
    spawn_backend,
    stack_env,
    wait_healthy,
)
from tests.pg_tcp import TcpPostgres, free_port
from tests.utils.tcp_proxy import CuttableProxy


class RedisServer:
    """A redis-server of the test's own, without persistence: a restart loses every queued job,
    the hardest case for the app's recovery."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                client.close()
                return self
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)


@dataclass
class Member:
    """One backend or worker process."""

    name: str
    log: Path
    port: int | None = None
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class Cluster:
    tmp: Path
    overrides: dict[str, str] = field(default_factory=dict)
    backends: list[Member] = field(default_factory=list)
    workers: list[Member] = field(default_factory=list)

    def start(self, n_backends: int = 2, n_workers: int = 2) -> Cluster:
        """Start everything; on any failure stop what did start (no orphan worker may remain)."""
        try:
            return self._start(n_backends, n_workers)
        except BaseException:
            self.stop()
            raise

    def _start(self, n_backends: int, n_workers: int) -> Cluster:
        self.pg = TcpPostgres(self.tmp / "pgdata", free_port()).start()
        with psycopg.connect(self.pg.url, autocommit=True) as conn:
            conn.execute("CREATE DATABASE hivemind")
        self.database_url = self.pg.url.rsplit("/", 1)[0] + "/hivemind"
        self.redis = RedisServer(self.tmp / "redis").start()
        # The backends start no workers of their own: the workers are separate processes, as
        # `hivemind worker` runs on other machines in production.
        self.env = stack_env(self.database_url, self.redis.url, {"HIVEMIND_WORKERS": "0", **self.overrides})
        self.workers = [Member(f"worker-{i}", self.tmp / f"worker-{i}.log") for i in range(n_workers)]
        for worker in self.workers:
            self.start_worker(worker)
        self.backends = [
            Member(f"backend-{i}", self.tmp / f"backend-{i}.log", port=free_port()) for i in range(n_backends)
        ]
        for backend in self.backends:  # one after another: each compiles the pages into .web/
            self.start_backend(backend)
        self.proxy = CuttableProxy(
            "127.0.0.1", self.backends[0].port or 0, *[("127.0.0.1", b.port or 0) for b in self.backends[1:]]
        )
        self.stack = AgentStack(
            base_url=self.proxy.url, database_url=self.database_url, redis_url=self.redis.url
        )
        seed_orgs_and_keys(self.stack)
        return self

    def start_backend(self, backend: Member) -> None:
        assert backend.port is not None
        backend.proc = spawn_backend(self.env, backend.port, backend.log)
        wait_healthy(backend.url, backend.proc, backend.log)

    def start_worker(self, worker: Member) -> None:
        with open(worker.log, "ab") as log:
            worker.proc = subprocess.Popen(
                [sys.executable, "-m", "hivemind_api.cli", "worker"],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its RQ scheduler child is in its group: kill both
            )

    def listening_workers(self) -> dict[int, str]:
        """Pid -> RQ name of each worker registered with Redis and heartbeating."""
        from rq import Worker

        conn = redis.Redis.from_url(self.redis.url)
        try:
            return {w.pid: w.name for w in Worker.all(connection=conn) if w.pid}
        finally:
            conn.close()

    def wait_workers_listening(self, timeout: float = 180) -> None:
        """Until every running worker has registered with Redis (it has loaded its models)."""
        deadline = time.monotonic() + timeout
        while True:
            running = {w.proc.pid for w in self.workers if w.running and w.proc is not None}
            if running <= set(self.listening_workers()):
                return
            assert time.monotonic() < deadline, "workers did not register"
            time.sleep(0.5)

    @staticmethod
    def kill(member: Member, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to the member's whole process group (a worker's scheduler child too)."""
        if member.proc is None:
            return
        if sig == signal.SIGKILL:  # a worker leads its own group; a backend has none (ignored)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(member.proc.pid, sig)
        with contextlib.suppress(ProcessLookupError):
            member.proc.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            member.proc.wait(30)
        if member.proc.poll() is None:
            member.proc.kill()
            member.proc.wait(10)

    def signal_workers(self, sig: int) -> None:
        """SIGSTOP/SIGCONT every worker's process group: workers that take no job for a while."""
        for worker in self.workers:
            if worker.running and worker.proc is not None:
                os.killpg(worker.proc.pid, sig)

    def logs(self) -> list[Path]:
        return [m.log for m in (*self.backends, *self.workers)]

    def stop(self) -> None:
        for member in (*self.backends, *self.workers):
            self.kill(member, signal.SIGTERM)
        for member in self.workers:  # whatever a worker left in its group
            self.kill(member)
        if hasattr(self, "proxy"):  # each only if it was started
            self.proxy.close()
        if hasattr(self, "redis"):
            self.redis.stop()
        if hasattr(self, "pg"):
            self.pg.stop()


def health(url: str) -> httpx.Response:
    return httpx.get(f"{url}/health", timeout=5)
