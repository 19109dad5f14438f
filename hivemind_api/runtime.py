"""The running system of one app process: services, database engine, migrations, workers.

The Reflex lifespan calls ``start_runtime``/``stop``; keeping it here (not in hivemind_app)
lets tests and other front doors start exactly the same thing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from dataclasses import dataclass

from redis import Redis
from rq import Queue, Retry

from hivemind_api import embeddings

from hivemind_api.config import Settings
from hivemind_api.db.engine import configure_database, dispose_database, session_scope
from hivemind_api.embeddings import ensure_model_pinned
from hivemind_api.db.migrate import migrate
from hivemind_api.ratelimit import RateLimiter
from hivemind_api.services import Services, child_env, open_services
from hivemind_api.worker.supervisor import WorkerSupervisor

log = logging.getLogger("hivemind.runtime")


@dataclass
class Runtime:
    settings: Settings
    services: Services
    supervisor: WorkerSupervisor | None
    queue: Queue
    limiter: RateLimiter

    def enqueue_contribution(self, contribution_id: uuid.UUID) -> None:
        """Queue the ingestion pipeline for one contribution (by id: its scrubbed text is in Postgres)."""
        self.queue.enqueue(
            "hivemind_api.knowledge.pipeline.process_contribution", str(contribution_id),
            job_timeout=300, result_ttl=0, failure_ttl=24 * 3600,
            retry=Retry(max=3, interval=[5, 30, 120]),
        )

    async def stop(self) -> None:
        """Stop workers first (they hold Redis connections), then the engine, then the servers."""
        global _current
        if self.supervisor is not None:
            await self.supervisor.stop()
        self.queue.connection.close()
        await dispose_database()
        await asyncio.to_thread(self.services.release)
        if _current is self:
            _current = None


_current: Runtime | None = None


def current_runtime() -> Runtime:
    if _current is None:
        raise RuntimeError("HiveMind runtime is not started")
    return _current


async def start_runtime(settings: Settings, *, warm_up_model: bool = True) -> Runtime:
    global _current
    services = await asyncio.to_thread(open_services, settings, need_redis=True)
    try:
        configure_database(services.database_url)
        before, after = await asyncio.to_thread(migrate, services.database_url)
        if before != after:
            log.info("database migrated from %s to %s", before, after)
        async with session_scope() as session:
            await ensure_model_pinned(session)
        if warm_up_model:
            await asyncio.to_thread(embeddings.get_model)  # the first search should not pay for it
        supervisor = None
        if settings.supervised_workers:
            env = child_env(services, settings, dict(os.environ))
            supervisor = WorkerSupervisor(settings.supervised_workers, env)
            await supervisor.start()
    except BaseException:
        await dispose_database()
        await asyncio.to_thread(services.release)
        raise
    queue = Queue(settings.queue_name, connection=Redis.from_url(services.redis_url))
    _current = Runtime(settings, services, supervisor, queue, RateLimiter(services.redis_url, settings))
    return _current
