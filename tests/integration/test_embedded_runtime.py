"""The embedded default as the backend's lifespan runs it: servers, migrations, a supervised worker."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import psutil
from redis import Redis
from rq import Queue

from tests.integration.backend import backend
from tests.integration.test_health import wait_for


def _processes_using(data_dir: Path, pids: list[int]) -> list[str]:
    alive = []
    for p in psutil.process_iter(["pid", "cmdline"]):
        cmd = " ".join(p.info["cmdline"] or [])
        if str(data_dir) in cmd or p.info["pid"] in pids:
            alive.append(cmd)
    return alive


def test_embedded_default_supervises_worker_and_cleans_up(tmp_path: Path) -> None:
    from hivemind_api.runtime import current_runtime

    data_dir = tmp_path / "data"
    env = {"HIVEMIND_DATA_DIR": str(data_dir)}
    with backend(env) as client:
        runtime = current_runtime()
        assert runtime.services.embedded and runtime.supervisor is not None
        wait_for(lambda: client.get("/health").status_code == 200, timeout=60)
        redis_url = runtime.services.redis_url

        job = Queue("default", connection=Redis.from_url(redis_url)).enqueue("hivemind_api.jobs.ping", "embedded")
        wait_for(lambda: job.refresh() or job.is_finished, timeout=30)
        first_pid = job.return_value()["worker_pid"]
        assert first_pid in runtime.supervisor.pids

        os.kill(first_pid, signal.SIGKILL)  # a worker dying mid-flight is replaced
        wait_for(lambda: runtime.supervisor.restarts == 1 and len(runtime.supervisor.pids) == 1, timeout=30)
        assert runtime.supervisor.pids != [first_pid]
        job2 = Queue("default", connection=Redis.from_url(redis_url)).enqueue("hivemind_api.jobs.ping", "again")
        wait_for(lambda: job2.refresh() or job2.is_finished, timeout=30)
        all_pids = [first_pid, *runtime.supervisor.pids]

    time.sleep(0.5)
    assert _processes_using(data_dir, all_pids) == []  # no orphan Postgres, Redis or worker

    with backend(env) as client:  # the next start keeps the data (the queue's finished job)
        try:
            wait_for(lambda: client.get("/health").status_code == 200, timeout=60)
        except AssertionError:
            raise AssertionError(client.get("/health").json()) from None
        conn = Redis.from_url(current_runtime().services.redis_url)
        assert conn.exists(f"rq:job:{job2.id}")
