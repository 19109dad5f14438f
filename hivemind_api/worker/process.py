"""``hivemind worker``: one RQ worker bound to the configured (or embedded) Redis.

``SimpleWorker`` runs jobs in-process: forking per job costs ~20 ms and would reload the
embedding model every time; a crash takes the worker down,
which the supervisor (or the production process manager) restarts, and RQ re-queues the job.
"""

from __future__ import annotations

import logging
import os

from redis import Redis
from rq import Queue, SimpleWorker

from hivemind_api.config import Settings
from hivemind_api.db.engine import configure_database, session_scope
from hivemind_api.db.migrate import migrate
from hivemind_api.infra import embeddings
from hivemind_api.infra.embeddings import ensure_model_pinned
from hivemind_api.infra.procutil import die_with_parent
from hivemind_api.infra.services import open_services
from hivemind_api.knowledge import quarantine
from hivemind_api.trust import name_model, semantic
from hivemind_api.trust.version import screen_version
from hivemind_api.worker.loop import run_async

log = logging.getLogger("hivemind.worker")


def build_worker(redis_url: str, settings: Settings) -> SimpleWorker:
    conn = Redis.from_url(redis_url)
    queue = Queue(settings.queue_name, connection=conn)
    return SimpleWorker([queue], connection=conn, worker_ttl=settings.worker_ttl)


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
        semantic.load()  # refuses a head trained on another embedding model's vectors
        worker = build_worker(services.redis, settings)
        if quarantine.request_if_outdated(worker.queues[0]):  # the screens changed since items passed
            log.info("queued a re-screen of the commons (screens %s)", screen_version())
        log.info("worker %s listening on %s", worker.name, settings.queue_name)
        return worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
    finally:
        services.release()
