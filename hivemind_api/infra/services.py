"""Resolve where Postgres and Redis are: external servers from the environment, or embedded.

Every process (app, CLI, worker) goes through ``open_services`` so the embedded servers are
shared when they already run and started when they do not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hivemind_api.config import Settings
from hivemind_api.embedded.postgres import EmbeddedPostgres
from hivemind_api.embedded.redis import EmbeddedRedis


@dataclass
class Services:
    database_url: str
    redis_url: str | None
    _handles: list[EmbeddedPostgres | EmbeddedRedis] = field(default_factory=list)

    @property
    def redis(self) -> str:
        """The Redis URL, for callers that opened the services with ``need_redis=True``."""
        if self.redis_url is None:
            raise RuntimeError("these services were opened without Redis")
        return self.redis_url

    @property
    def embedded(self) -> bool:
        return bool(self._handles)

    def release(self) -> None:
        """Release embedded servers in reverse order of acquisition (Redis before Postgres)."""
        while self._handles:
            self._handles.pop().release()


def child_env(services: Services, settings: Settings, base: dict[str, str]) -> dict[str, str]:
    """Environment for a child process (worker, reflex) that must reach these same servers.

    Passing the URLs makes the child treat the servers as external: only the process that
    acquired the embedded servers manages their lifetime.
    """
    env = dict(base)
    env["HIVEMIND_DATABASE_URL"] = services.database_url
    env["HIVEMIND_REDIS_URL"] = services.redis_url or ""
    env["HIVEMIND_WORKER_TTL"] = str(settings.worker_ttl)
    return env


def open_services(settings: Settings, *, need_redis: bool = True) -> Services:
    handles: list[EmbeddedPostgres | EmbeddedRedis] = []
    try:
        if settings.database_url:
            db_url = settings.database_url
        else:
            pg = EmbeddedPostgres(settings.resolved_data_dir)
            db_url = pg.acquire()
            handles.append(pg)
        redis_url = settings.redis_url
        if need_redis and not redis_url:
            rd = EmbeddedRedis(settings.resolved_data_dir)
            redis_url = rd.acquire()
            handles.append(rd)
    except BaseException:
        for handle in reversed(handles):
            handle.release()
        raise
    return Services(database_url=db_url, redis_url=redis_url, _handles=handles)
