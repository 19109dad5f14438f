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
from typing import Any

from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from rq import Queue

from hivemind_api.config import Settings
from hivemind_api.db.engine import configure_database, dispose_database, session_scope
from hivemind_api.db.migrate import migrate
from hivemind_api.embedded import keeper
from hivemind_api.events.hub import hub
from hivemind_api.infra import embeddings
from hivemind_api.infra.embeddings import ensure_model_pinned
from hivemind_api.infra.ratelimit import RateLimiter
from hivemind_api.infra.services import Services, child_env, open_services
from hivemind_api.knowledge import ingest, pipeline, rescoring
from hivemind_api.knowledge.contributions import ContributeContext
from hivemind_api.webhooks import delivery as webhook_delivery
from hivemind_api.worker.supervisor import WorkerSupervisor

log = logging.getLogger("hivemind.runtime")


@dataclass
class Runtime:
    settings: Settings
    services: Services
    supervisor: WorkerSupervisor | None
    queue: Queue
    limiter: RateLimiter
    redis: AsyncRedis  # the queue's server, for the event loop (RQ's own client blocks)

    recovery: asyncio.Task[Any] | None = None
    webhook_trigger: asyncio.Task[Any] | None = None

    def contribute_context(self) -> ContributeContext:
        """What ``contributions.contribute`` needs from this process: its queue and rate limits."""
        return ContributeContext(self.enqueue_contribution, self.limiter)

    async def enqueue_contribution(self, contribution_id: uuid.UUID) -> None:
        """Make sure a pipeline drain will pick this stored contribution up (jobs are coalesced)."""
        await pipeline.request_drain_async(self.redis, self.queue)

    async def recover_stuck(self) -> int:
        """Re-request a drain if contributions waited too long (a lost or failed job)."""
        async with session_scope() as session:
            stuck = await pipeline.stuck_contributions(session, self.settings.stuck_after_seconds)
        if stuck:
            log.warning("%d contribution(s) waited too long in processing; requesting a drain", stuck)
            await pipeline.request_drain_async(self.redis, self.queue)
        return stuck

    async def _recovery_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.recovery_interval_seconds)
            try:
                await self.recover_stuck()
                await webhook_delivery.requeue_lost(self.queue)
                await rescoring.request_if_due(self.redis, self.queue, self.settings.rescore_interval_seconds)
            except Exception as err:  # noqa: BLE001 - keep watching; the next round retries
                log.warning("recovery check failed: %s", err)

    async def _trigger_webhooks(self) -> None:
        """Ask for a webhook dispatch whenever the process's event hub sees new events (the
        dispatch itself reads the events table, so a missed request only delays it until the
        recovery loop's next round)."""
        async for batch in hub.follow(idle_timeout=60):
            if batch == []:
                continue  # idle
            try:
                await webhook_delivery.request_dispatch_async(self.redis, self.queue)
            except Exception as err:  # noqa: BLE001 - the recovery loop asks again
                log.warning("could not request a webhook dispatch: %s", err)

    async def stop(self) -> None:
        """Stop workers first (they hold Redis connections), then the engine, then the servers."""
        global _current
        for task in (self.recovery, self.webhook_trigger):
            if task is not None:
                task.cancel()
        if self.supervisor is not None:
            await self.supervisor.stop()
        self.queue.connection.close()
        await self.redis.aclose()
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
    if settings.uses_embedded_postgres or settings.uses_embedded_redis:
        owner = keeper.reflex_run_ancestor()
        if owner is not None:  # bare `reflex run`: servers that outlive this worker's killing
            await asyncio.to_thread(keeper.ensure_keeper, settings.resolved_data_dir, owner)
    services = await asyncio.to_thread(open_services, settings, need_redis=True)
    supervisor = None
    try:
        configure_database(services.database_url)
        before, after = await asyncio.to_thread(migrate, services.database_url)
        if before != after:
            log.info("database migrated from %s to %s", before, after)
        async with session_scope() as session:
            await ensure_model_pinned(session)
        if settings.supervised_workers:
            # Before the warm-up: the workers import and load the model on the other cores
            # meanwhile (about 7 s of a start on two cores).
            env = child_env(services, settings, dict(os.environ))
            supervisor = WorkerSupervisor(settings.supervised_workers, env)
            await supervisor.start()
        if warm_up_model:
            await asyncio.to_thread(embeddings.get_model)  # the first search should not pay for it
        # Nor the first contribution for compiling the screens' pattern sets (~1 s).
        await asyncio.to_thread(ingest.prepare, "Warm-up: the scrubber and the injection screen.")
    except BaseException:
        if supervisor is not None:
            await supervisor.stop()
        await dispose_database()
        await asyncio.to_thread(services.release)
        raise
    queue = Queue(settings.queue_name, connection=Redis.from_url(services.redis))
    _current = Runtime(
        settings,
        services,
        supervisor,
        queue,
        RateLimiter(services.redis, settings),
        AsyncRedis.from_url(services.redis),
    )
    _current.recovery = asyncio.create_task(_current._recovery_loop(), name="hivemind-recovery")
    _current.webhook_trigger = asyncio.create_task(
        _current._trigger_webhooks(), name="hivemind-webhook-trigger"
    )
    return _current
