"""``hivemind worker``: one RQ worker bound to the configured (or embedded) Redis.

``SimpleWorker`` runs jobs in-process: forking per job costs ~20 ms and would reload the
embedding model every time; a crash takes the worker down,
which the supervisor (or the production process manager) restarts, and RQ re-queues the job.

A Redis restart must not take the workers down with it (the queue's work is found again in
Postgres, see ``knowledge.pipeline``). RQ retries a lost connection while it waits for a job,
but gives up when Redis goes away while it finishes one, and a restarted Redis has forgotten
every worker, so /health would call them dead. So the process starts a fresh worker whenever
one gives up without being asked to stop, and a worker whose registration vanished registers
again at its next heartbeat.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Queue, SimpleWorker
from rq.exceptions import StopRequested

from hivemind_api.config import Settings
from hivemind_api.db.engine import configure_database, session_scope
from hivemind_api.db.migrate import migrate
from hivemind_api.infra import embeddings
from hivemind_api.infra.embeddings import ensure_model_pinned
from hivemind_api.infra.procutil import die_with_parent
from hivemind_api.infra.services import open_services
from hivemind_api.knowledge import quarantine
from hivemind_api.trust import injection_encoder, name_model, semantic
from hivemind_api.trust.version import screen_version
from hivemind_api.worker.loop import run_async

log = logging.getLogger("hivemind.worker")


RESTART_DELAYS_S = (1, 2, 4, 8, 15)  # between fresh workers while Redis stays away


class Worker(SimpleWorker):
    """RQ's in-process worker, registering again when Redis lost its registration, and stopping
    cleanly on a signal that arrives while it starts."""

    def bootstrap(self, *args: Any, **kwargs: Any) -> None:
        # RQ registers the worker, forks its scheduler and only then installs its own signal
        # handlers: a SIGTERM in that gap (a supervisor seeing the worker registered and stopping
        # it) would kill the process outright. Note the request instead; RQ's loop honours it.
        signal.signal(signal.SIGTERM, self._stop_while_starting)
        signal.signal(signal.SIGINT, self._stop_while_starting)
        super().bootstrap(*args, **kwargs)

    def _stop_while_starting(self, signum: int, frame: FrameType | None) -> None:
        log.info("worker %s: stop requested while starting", self.name)
        self._shutdown_requested_date = datetime.now(UTC)
        self._stop_requested = True

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        if pipeline is None and not self.connection.exists(self.key):
            log.warning("worker %s: Redis lost its registration (restarted?); registering again", self.name)
            self.register_birth()  # type: ignore[no-untyped-call]
        super().heartbeat(timeout, pipeline)


def build_worker(conn: Redis, settings: Settings) -> Worker:
    queue = Queue(settings.queue_name, connection=conn)
    return Worker([queue], connection=conn, worker_ttl=settings.worker_ttl)


def _work(redis_url: str, settings: Settings, *, burst: bool) -> bool:
    """Run workers one after another until one stops because it was asked to (SIGTERM/SIGINT)
    or, with ``burst``, found the queue empty."""
    failures = 0
    while True:
        conn = Redis.from_url(redis_url)
        try:
            worker = build_worker(conn, settings)  # asks Redis for its version: may fail too
            worked = worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
            if burst or worker._shutdown_requested_date is not None:  # set by RQ's SIGTERM/SIGINT handler
                return worked
            log.warning("worker %s gave up after an error; starting a fresh one", worker.name)
        except (RedisConnectionError, RedisTimeoutError) as err:
            log.warning("lost Redis (%s); starting a fresh worker", err)
        finally:
            conn.close()
        try:
            time.sleep(RESTART_DELAYS_S[min(failures, len(RESTART_DELAYS_S) - 1)])
        except StopRequested:  # RQ's signal handler, still installed, while we waited
            return False
        failures += 1


async def _pin_model() -> None:
    async with session_scope() as session:
        await ensure_model_pinned(session)


def run_worker(settings: Settings, *, burst: bool = False) -> bool:
    """Run until SIGTERM/SIGINT (RQ's warm shutdown) or, with ``burst``, until the queue is empty."""
    # RQ forks its scheduler from the worker. If the worker is killed outright, that child would
    # live on holding the worker's Redis sockets; make every child die with this process.
    os.register_at_fork(after_in_child=die_with_parent)
    embeddings.use_throughput_mode()  # a worker embeds many texts: single-thread runs side by side
    services = open_services(settings, need_redis=True)
    try:
        migrate(services.database_url)
        configure_database(services.database_url)
        run_async(_pin_model())
        embeddings.get_model()  # load (or, on a new machine, export) before the first job
        name_model.load()
        semantic.load()  # refuses a head trained on another encoder's vectors
        injection_encoder.get_encoder()  # its encoder: built and exported on a new machine, before the first job
        queue = Queue(settings.queue_name, connection=Redis.from_url(services.redis))
        if quarantine.request_if_outdated(queue):  # the screens changed since items passed
            log.info("queued a re-screen of the commons (screens %s)", screen_version())
        queue.connection.close()
        log.info("worker listening on %s", settings.queue_name)
        return _work(services.redis, settings, burst=burst)
    finally:
        services.release()
