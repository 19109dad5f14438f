"""Liveness of the three things HiveMind needs: Postgres, Redis and at least one RQ worker."""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from redis import Redis
from rq import Worker

from hivemind_api.db.engine import get_engine


@dataclass
class ComponentHealth:
    ok: bool
    detail: str
    latency_ms: float | None = None
    extra: dict[str, object] = field(default_factory=dict)


@dataclass
class HealthReport:
    database: ComponentHealth
    redis: ComponentHealth
    worker: ComponentHealth

    @property
    def ok(self) -> bool:
        return self.database.ok and self.redis.ok and self.worker.ok

    def as_dict(self) -> dict[str, object]:
        return {
            "status": "ok" if self.ok else "unavailable",
            "database": asdict(self.database),
            "redis": asdict(self.redis),
            "worker": asdict(self.worker),
        }


async def _check_database(timeout: float) -> ComponentHealth:
    started = time.perf_counter()
    try:

        async def probe() -> None:
            async with get_engine().connect() as conn:
                await conn.execute(sa.text("SELECT 1"))

        await asyncio.wait_for(probe(), timeout)
    except Exception as err:  # noqa: BLE001 - any failure means "down"; say why
        return ComponentHealth(False, f"{type(err).__name__}: {err}"[:300])
    return ComponentHealth(True, "ok", round((time.perf_counter() - started) * 1000, 2))


def _check_redis_and_workers(
    redis_url: str, timeout: float, worker_ttl: int
) -> tuple[ComponentHealth, ComponentHealth]:
    conn = Redis.from_url(redis_url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        started = time.perf_counter()
        try:
            conn.ping()
        except Exception as err:  # noqa: BLE001 - any failure means "down"; say why
            down = ComponentHealth(False, f"{type(err).__name__}: {err}"[:300])
            return down, ComponentHealth(False, "unknown: Redis is down")
        redis_ok = ComponentHealth(True, "ok", round((time.perf_counter() - started) * 1000, 2))
        now = datetime.now(UTC)
        alive = []
        for worker in Worker.all(connection=conn):
            beat = worker.last_heartbeat
            if beat is not None and beat.tzinfo is None:
                beat = beat.replace(tzinfo=UTC)
            if beat is not None and (now - beat).total_seconds() <= worker_ttl:
                alive.append({"name": worker.name, "last_heartbeat": beat.isoformat()})
        if not alive:
            return redis_ok, ComponentHealth(False, f"no worker heartbeat in the last {worker_ttl} s")
        return redis_ok, ComponentHealth(True, "ok", extra={"workers": alive})
    finally:
        conn.close()


async def check_health(redis_url: str | None, *, worker_ttl: int, timeout: float = 2.0) -> HealthReport:
    db_task = asyncio.create_task(_check_database(timeout))
    if redis_url is None:
        missing = ComponentHealth(False, "Redis is not configured")
        return HealthReport(await db_task, missing, missing)
    redis_h, worker_h = await asyncio.to_thread(_check_redis_and_workers, redis_url, timeout, worker_ttl)
    return HealthReport(await db_task, redis_h, worker_h)
