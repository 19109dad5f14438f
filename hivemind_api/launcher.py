"""``hivemind run`` (what ``make run`` calls): the whole app on one machine.

It owns the embedded Postgres and Redis and the supervised RQ worker, and runs ``reflex run`` as
a child in its own process group. Owning the servers here rather than in the Reflex backend's
lifespan matters: Reflex's dev server gives a backend worker only 2 s to stop before killing it,
which is not enough to stop a worker, Redis and Postgres cleanly. On Ctrl-C or SIGTERM the
launcher stops Reflex, then the worker, then Redis, then Postgres; nothing is left running.

``--prod`` is the production shape on one host: ``reflex run --env prod`` builds the frontend
once and serves it and the backend on one port, with ``HIVEMIND_BACKEND_WORKERS`` backend
processes (granian workers) that keep Reflex's state in Redis, so a tab's events may reach any of
them. It needs an external PostgreSQL and Redis (several processes, and usually several hosts,
share them) and starts no worker of its own unless ``HIVEMIND_WORKERS`` asks for some: run
``hivemind worker`` processes next to it, on this host or others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path

from hivemind_api.config import Settings
from hivemind_api.db.migrate import migrate
from hivemind_api.infra.procutil import die_with_parent
from hivemind_api.infra.services import child_env, open_services
from hivemind_api.worker.supervisor import WorkerSupervisor

log = logging.getLogger("hivemind.launcher")


class ProdNeedsServers(Exception):
    """``--prod`` was asked for without an external PostgreSQL and Redis."""


def require_external_servers(settings: Settings) -> None:
    if settings.uses_embedded_postgres or settings.uses_embedded_redis:
        raise ProdNeedsServers(
            "--prod needs an external PostgreSQL and Redis: set HIVEMIND_DATABASE_URL and HIVEMIND_REDIS_URL "
            "(docs/deploy.md); the embedded servers are for one process on one machine"
        )


def prod_environment(settings: Settings, env: dict[str, str]) -> dict[str, str]:
    """What ``reflex run --env prod`` needs on top of the app's environment: Reflex's state in
    the shared Redis (``REFLEX_REDIS_URL``; several backend processes serve one tab), the number
    of backend processes, and the public address the built dashboard opens its websocket on
    (``REFLEX_API_URL``; without it, a browser behind a proxy would go around it to the backend's
    port, which a proxied deployment does not expose)."""
    out = dict(env)
    out["REFLEX_REDIS_URL"] = settings.redis_url or ""
    out["REFLEX_STATE_MANAGER_MODE"] = "redis"
    out["GRANIAN_WORKERS"] = str(settings.resolved_backend_workers)
    if settings.public_url:
        out["REFLEX_API_URL"] = settings.public_url.rstrip("/")
    return out


async def _run(settings: Settings, reflex_args: list[str], app_root: Path, prod: bool) -> int:
    if prod:
        require_external_servers(settings)  # refuse before starting anything
    services = await asyncio.to_thread(open_services, settings, need_redis=True)
    supervisor: WorkerSupervisor | None = None
    reflex: asyncio.subprocess.Process | None = None
    try:
        before, after = await asyncio.to_thread(migrate, services.database_url)
        log.info("database at revision %s%s", after, "" if before == after else f" (was {before})")
        env = child_env(services, settings, dict(os.environ))
        if settings.supervised_workers:
            supervisor = WorkerSupervisor(settings.supervised_workers, env)
            await supervisor.start()
        # The backend must not start workers of its own: we supervise them here.
        env["HIVEMIND_WORKERS"] = "0"
        if prod:
            env = prod_environment(settings, env)
            reflex_args = ["--env", "prod", *reflex_args]
        reflex = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "reflex",
            "run",
            *reflex_args,
            cwd=app_root,
            env=env,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        waiter = asyncio.create_task(reflex.wait())
        await asyncio.wait([waiter, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
        if reflex.returncode is None:
            log.info("stopping the app")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(reflex.pid, signal.SIGINT)  # what Ctrl-C does to a foreground reflex
            try:
                await asyncio.wait_for(waiter, 30)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(reflex.pid, signal.SIGKILL)
                await waiter
        return 0 if stop.is_set() else (reflex.returncode or 0)
    finally:
        if reflex is not None and reflex.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(reflex.pid, signal.SIGKILL)
        if supervisor is not None:
            await supervisor.stop()
        await asyncio.to_thread(services.release)
        log.info("stopped")


def run_app(settings: Settings, reflex_args: list[str], app_root: Path, *, prod: bool = False) -> int:
    return asyncio.run(_run(settings, reflex_args, app_root, prod))
