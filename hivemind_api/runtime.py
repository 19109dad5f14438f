"""The running system of one app process: services, database engine, migrations, workers.

The Reflex lifespan calls ``start_runtime``/``stop``; keeping it here (not in hivemind_app)
lets tests and other front doors start exactly the same thing.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass

from hivemind_api.config import Settings
from hivemind_api.db.engine import configure_database, dispose_database
from hivemind_api.db.migrate import migrate
from hivemind_api.services import Services, child_env, open_services
from hivemind_api.worker.supervisor import WorkerSupervisor

log = logging.getLogger("hivemind.runtime")


@dataclass
class Runtime:
    settings: Settings
    services: Services
    supervisor: WorkerSupervisor | None

    async def stop(self) -> None:
        """Stop workers first (they hold Redis connections), then the engine, then the servers."""
        global _current
        if self.supervisor is not None:
            await self.supervisor.stop()
        await dispose_database()
        await asyncio.to_thread(self.services.release)
        if _current is self:
            _current = None


_current: Runtime | None = None


def current_runtime() -> Runtime:
    if _current is None:
        raise RuntimeError("HiveMind runtime is not started")
    return _current


async def start_runtime(settings: Settings) -> Runtime:
    global _current
    services = await asyncio.to_thread(open_services, settings, need_redis=True)
    try:
        configure_database(services.database_url)
        before, after = await asyncio.to_thread(migrate, services.database_url)
        if before != after:
            log.info("database migrated from %s to %s", before, after)
        supervisor = None
        if settings.supervised_workers:
            env = child_env(services, settings, dict(os.environ))
            supervisor = WorkerSupervisor(settings.supervised_workers, env)
            await supervisor.start()
    except BaseException:
        await dispose_database()
        await asyncio.to_thread(services.release)
        raise
    _current = Runtime(settings, services, supervisor)
    return _current
