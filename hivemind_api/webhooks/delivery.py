"""Webhook delivery: RQ jobs that turn events into signed HTTP POSTs, with retries and a log.

- ``dispatch`` (coalesced, like the pipeline's drain) reads the events table after a cursor kept
  in ``deployment_config`` and, in the same transaction that advances the cursor, writes one
  pending attempt row per (event, subscribed active endpoint). Events are never missed and never
  dispatched twice, whichever process asked for the dispatch.
- ``deliver`` sends one attempt. Every attempt is a row with its status, HTTP status, latency
  and error. A failure schedules the next attempt with exponential backoff (default: 5 attempts
  over about an hour); ``webhook_max_failures`` consecutive failures disable the endpoint with
  the reason, and its waiting attempts are skipped.
- ``requeue_lost`` (the runtime's recovery loop) re-enqueues attempts whose job was lost.

Delivery is at least once: a receiver deduplicates by ``X-HiveMind-Delivery``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from rq import Queue, Retry
from rq.job import get_current_job
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api.config import Settings, get_settings
from hivemind_api.db.engine import session_scope
from hivemind_api.db.models import WebhookDelivery, WebhookEndpoint, db_now
from hivemind_api.events.log import EventRecord, event_by_id, events_after
from hivemind_api.infra.jobs import FAILED_JOB_TTL, CoalescedJob, enqueue_coalesced, enqueue_coalesced_async
from hivemind_api.webhooks.endpoints import delivery_id
from hivemind_api.webhooks.signing import signature
from hivemind_api.webhooks.targets import TargetRefused, resolve_target
from hivemind_api.worker.loop import run_async

log = logging.getLogger("hivemind.webhooks")
CURSOR_KEY = "webhook_dispatch_cursor"
DISPATCH_PAGE = 500
DISPATCH_FLAG_TTL = 30
LOST_AFTER_S = 60  # a pending attempt this overdue has lost its job
STALLED_AFTER_S = 600  # an attempt claimed this long ago never finished (the worker died)
USER_AGENT = "HiveMind-Webhooks/0.1"
MAX_ERROR = 500


def backoff(settings: Settings) -> list[int]:
    return [int(float(s)) for s in settings.webhook_backoff_seconds.split(",") if s.strip()]


# --- dispatch -----------------------------------------------------------------------------------


def _flag(queue_name: str) -> str:
    return f"hivemind:webhooks:dispatch-queued:{queue_name}"


_DISPATCH_JOB: CoalescedJob = {
    "func": "hivemind_api.webhooks.delivery.dispatch",
    "flag_ttl_s": DISPATCH_FLAG_TTL,
    "job_timeout": 300,
    "retry": Retry(max=3, interval=[5, 30, 120]),
}


def request_dispatch(queue: Queue) -> bool:
    """Queue a dispatch unless one is already waiting to start."""
    return enqueue_coalesced(queue, _flag(queue.name), **_DISPATCH_JOB)


async def request_dispatch_async(redis: AsyncRedis, queue: Queue) -> bool:
    """``request_dispatch`` on the event loop's connection (``redis``, to the queue's server)."""
    return await enqueue_coalesced_async(redis, queue, _flag(queue.name), **_DISPATCH_JOB)


async def _dispatch_page(session: AsyncSession) -> tuple[list[uuid.UUID], bool]:
    """Attempt rows for the next page of events; returns their ids and whether more events wait."""
    cursor = (
        await session.execute(
            sa.text("SELECT value FROM deployment_config WHERE key = :k FOR UPDATE"), params={"k": CURSOR_KEY}
        )
    ).scalar_one_or_none()
    if cursor is None:  # a database migrated before webhooks existed: follow from now on
        await session.execute(
            sa.text(
                "INSERT INTO deployment_config (key, value) SELECT :k, coalesce(max(id), 0)::text FROM events "
                "ON CONFLICT (key) DO NOTHING"
            ),
            params={"k": CURSOR_KEY},
        )
        return [], False
    events = await events_after(session, int(cursor), limit=DISPATCH_PAGE)
    if not events:
        return [], False
    endpoints = (
        await session.exec(
            select(WebhookEndpoint).where(
                WebhookEndpoint.is_active, col(WebhookEndpoint.org_id).in_({e.org_id for e in events})
            )
        )
    ).all()
    attempts = [
        WebhookDelivery(endpoint_id=ep.id, event_id=ev.id, attempt=1)
        for ev in events
        for ep in endpoints
        if ep.org_id == ev.org_id
        and (not ep.event_types or ev.type in ep.event_types)
        and ev.created_at >= ep.created_at
    ]
    session.add_all(attempts)
    await session.execute(
        sa.text("UPDATE deployment_config SET value = :v, updated_at = now() WHERE key = :k"),
        params={"k": CURSOR_KEY, "v": str(events[-1].id)},
    )
    await session.flush()
    return [a.id for a in attempts], len(events) == DISPATCH_PAGE


async def _dispatch_next_page() -> tuple[list[uuid.UUID], bool]:
    async with session_scope() as session:
        return await _dispatch_page(session)


def dispatch() -> int:
    """RQ job: attempt rows for every event not dispatched yet, and a delivery job for each."""
    job = get_current_job()
    if job is not None:
        job.connection.delete(_flag(job.origin))
    queue = Queue(job.origin, connection=job.connection) if job is not None else None
    total, more = 0, True
    while more:
        ids, more = run_async(_dispatch_next_page())
        total += len(ids)
        if queue is not None:
            for attempt_id in ids:
                _enqueue_delivery(queue, attempt_id)
    return total


def _enqueue_delivery(queue: Queue, attempt_id: uuid.UUID, delay_s: float = 0) -> None:
    kwargs = {"job_timeout": 120, "result_ttl": 0, "failure_ttl": FAILED_JOB_TTL}
    if delay_s > 0:
        queue.enqueue_in(
            timedelta(seconds=delay_s), "hivemind_api.webhooks.delivery.deliver", str(attempt_id), **kwargs
        )
    else:
        queue.enqueue("hivemind_api.webhooks.delivery.deliver", str(attempt_id), **kwargs)


# --- deliver ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Claimed:
    attempt: int
    endpoint_id: uuid.UUID
    url: str
    secret: str
    event: EventRecord


@dataclass(frozen=True)
class AttemptResult:
    status: str  # success, failed, skipped
    response_status: int | None = None
    latency_ms: int | None = None
    error: str | None = None


async def _claim(attempt_id: uuid.UUID) -> _Claimed | AttemptResult:
    async with session_scope() as session:
        row = (
            await session.execute(
                sa.text(
                    "SELECT d.attempt, d.event_id, e.id AS endpoint_id, e.url, e.secret, e.is_active "
                    "FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id "
                    "WHERE d.id = :id AND d.status = 'pending' AND d.attempted_at IS NULL FOR UPDATE OF d SKIP LOCKED"
                ),
                params={"id": attempt_id},
            )
        ).first()
        if row is None:  # a duplicate job (re-enqueued by recovery) finds the attempt claimed or done
            return AttemptResult(
                "skipped", error="not pending (taken by another job, or the endpoint was deleted)"
            )
        if not row.is_active:
            await session.execute(
                sa.text(
                    "UPDATE webhook_deliveries SET status = 'skipped', error = 'the endpoint is not active' WHERE id = :id"
                ),
                params={"id": attempt_id},
            )
            return AttemptResult("skipped", error="the endpoint is not active")
        event = await event_by_id(session, row.event_id)
        if event is None:
            await session.execute(
                sa.text(
                    "UPDATE webhook_deliveries SET status = 'skipped', error = 'the item was quarantined' WHERE id = :id"
                ),
                params={"id": attempt_id},
            )
            return AttemptResult("skipped", error="the item was quarantined")
        await session.execute(
            sa.text("UPDATE webhook_deliveries SET attempted_at = now() WHERE id = :id"),
            params={"id": attempt_id},
        )
        return _Claimed(row.attempt, row.endpoint_id, row.url, row.secret, event)


async def send(claimed: _Claimed, settings: Settings) -> AttemptResult:
    """One signed POST to the checked address of the endpoint's host."""
    body = json.dumps(claimed.event.as_payload(), separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-HiveMind-Event": claimed.event.type,
        "X-HiveMind-Delivery": str(delivery_id(claimed.endpoint_id, claimed.event.id)),
        "X-HiveMind-Timestamp": timestamp,
        "X-HiveMind-Signature": signature(claimed.secret, timestamp, body),
    }
    started = time.perf_counter()
    try:
        target = await asyncio.to_thread(
            resolve_target, claimed.url, allow_private=settings.webhook_allow_private
        )
        headers["Host"] = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
        async with httpx.AsyncClient(
            timeout=settings.webhook_timeout_seconds, follow_redirects=False, trust_env=False
        ) as client:
            response = await client.post(
                target.pinned_url(), content=body, headers=headers, extensions={"sni_hostname": target.host}
            )
    except TargetRefused as err:
        return AttemptResult("failed", error=str(err)[:MAX_ERROR])
    except (httpx.HTTPError, OSError, ValueError) as err:
        latency = round((time.perf_counter() - started) * 1000)
        return AttemptResult("failed", latency_ms=latency, error=f"{type(err).__name__}: {err}"[:MAX_ERROR])
    latency = round((time.perf_counter() - started) * 1000)
    if 200 <= response.status_code < 300:
        return AttemptResult("success", response.status_code, latency)
    return AttemptResult("failed", response.status_code, latency, f"HTTP {response.status_code}")


async def _record(
    attempt_id: uuid.UUID, claimed: _Claimed, result: AttemptResult, settings: Settings
) -> tuple[uuid.UUID, int] | None:
    """Log the attempt and update the endpoint; returns the next attempt (id, delay) if one is due."""
    delays = backoff(settings)
    async with session_scope() as session:
        await session.execute(
            sa.text(
                "UPDATE webhook_deliveries SET status = :s, response_status = :code, latency_ms = :ms, error = :err "
                "WHERE id = :id"
            ),
            params={
                "id": attempt_id,
                "s": result.status,
                "code": result.response_status,
                "ms": result.latency_ms,
                "err": result.error,
            },
        )
        endpoint = (
            await session.exec(
                select(WebhookEndpoint).where(WebhookEndpoint.id == claimed.endpoint_id).with_for_update()
            )
        ).first()
        if endpoint is None:
            return None
        if result.status == "success":
            endpoint.consecutive_failures = 0
            session.add(endpoint)
            return None
        endpoint.consecutive_failures += 1
        if endpoint.consecutive_failures >= settings.webhook_max_failures:
            endpoint.is_active = False
            endpoint.disabled_reason = (
                f"disabled after {endpoint.consecutive_failures} consecutive failed deliveries; "
                f"last: {result.error}"
            )[:MAX_ERROR]
            endpoint.updated_at = db_now()
            session.add(endpoint)
            await session.execute(
                sa.text(
                    "UPDATE webhook_deliveries SET status = 'skipped', error = 'the endpoint was disabled' "
                    "WHERE endpoint_id = :id AND status = 'pending'"
                ),
                params={"id": endpoint.id},
            )
            log.warning("webhook %s disabled: %s", endpoint.id, endpoint.disabled_reason)
            return None
        session.add(endpoint)
        if claimed.attempt > len(delays):
            return None  # that was the last attempt for this event
        delay = delays[claimed.attempt - 1]
        following = WebhookDelivery(
            endpoint_id=endpoint.id,
            event_id=claimed.event.id,
            attempt=claimed.attempt + 1,
            scheduled_for=db_now() + timedelta(seconds=delay),
        )
        session.add(following)
        await session.flush()
        return following.id, delay


async def deliver_attempt(
    attempt_id: uuid.UUID, settings: Settings | None = None
) -> tuple[AttemptResult, tuple[Any, ...] | None]:
    settings = settings or get_settings()
    claimed = await _claim(attempt_id)
    if isinstance(claimed, AttemptResult):
        return claimed, None
    result = await send(claimed, settings)
    return result, await _record(attempt_id, claimed, result, settings)


def deliver(attempt_id: str) -> str:
    """RQ job: one delivery attempt; schedules the next one after a failure."""
    result, following = run_async(deliver_attempt(uuid.UUID(attempt_id)))
    job = get_current_job()
    if following is not None and job is not None:
        _enqueue_delivery(Queue(job.origin, connection=job.connection), following[0], following[1])
    log.info(
        "webhook attempt %s: %s %s", attempt_id, result.status, result.error or result.response_status or ""
    )
    return result.status


# --- recovery -----------------------------------------------------------------------------------


async def requeue_lost(queue: Queue) -> int:
    """Re-enqueue attempts whose job was lost (Redis restarted, a worker died mid-attempt), and ask
    for a dispatch if events wait. Called by the runtime's recovery loop."""
    async with session_scope() as session:
        rows = (
            (
                await session.execute(
                    sa.text(
                        "UPDATE webhook_deliveries SET attempted_at = NULL WHERE status = 'pending' AND ("
                        "(attempted_at IS NULL AND scheduled_for < now() - make_interval(secs => :lost)) OR "
                        "attempted_at < now() - make_interval(secs => :stalled)) RETURNING id"
                    ),
                    params={"lost": LOST_AFTER_S, "stalled": STALLED_AFTER_S},
                )
            )
            .scalars()
            .all()
        )
        behind = (
            await session.execute(
                sa.text(
                    "SELECT coalesce((SELECT value::bigint FROM deployment_config WHERE key = :k), 0) "
                    "< (SELECT coalesce(max(id), 0) FROM events)"
                ),
                params={"k": CURSOR_KEY},
            )
        ).scalar_one()

    def enqueue() -> None:
        redis: Redis = queue.connection
        for attempt_id in rows:
            if redis.set(f"hivemind:webhooks:requeued:{attempt_id}", "1", nx=True, ex=LOST_AFTER_S * 5):
                _enqueue_delivery(queue, attempt_id)
        if behind:
            request_dispatch(queue)

    await asyncio.to_thread(enqueue)
    return len(rows)
