"""The embedded default as the backend's lifespan runs it: servers, migrations, a supervised worker."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import psutil
import pytest
from redis import Redis
from rq import Queue

from tests.integration.backend import backend
from tests.integration.test_health import wait_for
from tests.processes import alive, embedded_server_pids


def test_embedded_default_supervises_worker_and_cleans_up(tmp_path: Path) -> None:
    from hivemind_api.runtime import current_runtime

    data_dir = tmp_path / "data"
    env = {"HIVEMIND_DATA_DIR": str(data_dir)}
    with backend(env) as client:
        runtime = current_runtime()
        assert runtime.services.embedded and runtime.supervisor is not None
        wait_for(lambda: client.get("/health").status_code == 200, timeout=60)
        servers = embedded_server_pids(data_dir)
        assert set(servers) == {"postgres", "redis"}

        # This connection stays open across the stop: a stray client must not keep Redis alive.
        stray = Redis.from_url(runtime.services.redis_url)
        queue = Queue("default", connection=stray)
        job = queue.enqueue("hivemind_api.infra.jobs.ping", "embedded")
        wait_for(lambda: job.refresh() or job.is_finished, timeout=30)
        first_pid = job.return_value()["worker_pid"]
        assert first_pid in runtime.supervisor.pids
        # The worker embeds for throughput: one-thread model runs, one per core, side by side.
        assert job.return_value()["model_threads"] == 1
        assert job.return_value()["model_streams"] == os.cpu_count()

        os.kill(first_pid, signal.SIGKILL)  # a worker dying mid-flight is replaced
        wait_for(lambda: runtime.supervisor.restarts == 1 and len(runtime.supervisor.pids) == 1, timeout=30)
        assert runtime.supervisor.pids != [first_pid]
        job2 = queue.enqueue("hivemind_api.infra.jobs.ping", "again")
        wait_for(lambda: job2.refresh() or job2.is_finished, timeout=30)
        workers = [first_pid, *runtime.supervisor.pids]

    time.sleep(0.5)
    assert alive(servers) == [] and alive(workers) == []  # no orphan Postgres, Redis or worker
    stray.close()

    with backend(env) as client:  # the next start keeps the data (the finished job's record)
        wait_for(lambda: client.get("/health").status_code == 200, timeout=60)
        conn = Redis.from_url(current_runtime().services.redis_url)
        assert conn.exists(f"rq:job:{job2.id}")
        conn.close()
        servers = embedded_server_pids(data_dir)
    time.sleep(0.5)
    assert alive(servers) == []


def test_embedded_postgres_keeps_a_vector_index_in_shared_buffers(tmp_path: Path) -> None:
    """PostgreSQL's 128 MB default would not hold a 100k-item HNSW index; the embedded server gets
    a quarter of the machine's memory (at most 4 GB), every start, with its include written once."""
    import psycopg

    from hivemind_api.embedded.postgres import EmbeddedPostgres, shared_buffers_mb

    assert shared_buffers_mb(24 * 2**30) == 4096 and shared_buffers_mb(4 * 2**30) == 1024
    assert shared_buffers_mb(256 * 2**20) == 128  # never below PostgreSQL's own default
    for _ in range(2):
        pg = EmbeddedPostgres(tmp_path)
        url = pg.acquire()
        try:
            with psycopg.connect(url) as c:
                pages, unit = c.execute(
                    "SELECT setting::bigint, unit FROM pg_settings WHERE name = 'shared_buffers'"
                ).fetchone()
            assert unit == "8kB" and pages * 8 // 1024 == shared_buffers_mb() > 128
        finally:
            pg.release()
    assert (tmp_path / "pg" / "postgresql.conf").read_text().count("include_if_exists = 'hivemind.conf'") == 1


def _worker_children() -> list[psutil.Process]:
    """The in-process runtime's workers: this process's own children. Not recursive, because a
    spare agent stack the integration pool starts meanwhile runs workers as grandchildren."""
    return [
        p
        for p in psutil.Process().children(recursive=False)
        if p.is_running() and "worker" in p.cmdline() and p.status() != psutil.STATUS_ZOMBIE
    ]


async def test_a_start_that_fails_after_its_workers_started_stops_them(external_target, monkeypatch) -> None:
    """The workers start before the model warm-up (they load beside it); a warm-up that fails
    takes them down with the start instead of leaving them running."""
    from hivemind_api import runtime
    from hivemind_api.config import Settings

    def warm_up_fails_once_a_worker_runs() -> None:
        deadline = time.monotonic() + 60
        while not _worker_children():
            assert time.monotonic() < deadline, "no worker started before the warm-up"
            time.sleep(0.1)
        raise RuntimeError("the model could not be loaded")

    monkeypatch.setattr(runtime.embeddings, "get_model", warm_up_fails_once_a_worker_runs)
    settings = Settings(
        database_url=external_target.create_database(),
        redis_url=external_target.redis_url.rsplit("/", 1)[0] + "/8",
        workers=1,
    )
    with pytest.raises(RuntimeError, match="could not be loaded"):
        await runtime.start_runtime(settings)
    assert _worker_children() == []
