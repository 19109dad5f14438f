"""An org's webhook endpoints: create (the secret is shown once), list, change, pause or resume,
rotate the secret, delete, and read the delivery log. Curators and admins manage them; every
lookup is scoped to the caller's org, so another org's endpoint is "not found" like a missing one.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api import audit
from hivemind_api.accounts.caller import Caller
from hivemind_api.config import get_settings
from hivemind_api.db.models import WebhookEndpoint, db_now
from hivemind_api.errors import Conflict, InvalidInput, NotFound
from hivemind_api.inputs import parse_uuid
from hivemind_api.vocab import EVENT_TYPES
from hivemind_api.webhooks.signing import new_secret
from hivemind_api.webhooks.targets import resolve_target

MAX_ENDPOINTS_PER_ORG = 20
LOG_LIMIT = 200


@dataclass(frozen=True)
class EndpointInfo:
    id: uuid.UUID
    url: str
    event_types: list[str]  # empty: every event type
    active: bool
    consecutive_failures: int
    disabled_reason: str | None
    secret_hint: str  # the first characters, to tell secrets apart; never the secret
    created_at: datetime
    updated_at: datetime
    last_delivery_at: datetime | None = None
    last_delivery_status: str | None = None


@dataclass(frozen=True)
class CreatedEndpoint:
    endpoint: EndpointInfo
    secret: str  # shown once


@dataclass(frozen=True)
class DeliveryAttempt:
    id: uuid.UUID
    delivery_id: uuid.UUID
    event_id: int
    event_type: str
    attempt: int
    status: str  # pending, success, failed, skipped
    response_status: int | None
    latency_ms: int | None
    error: str | None
    scheduled_for: datetime
    attempted_at: datetime | None


def validate_event_types(event_types: list[str] | None) -> list[str]:
    chosen = sorted(set(event_types or []))
    unknown = [t for t in chosen if t not in EVENT_TYPES]
    if unknown:
        raise InvalidInput(f"unknown event type {unknown[0]!r}: use any of {', '.join(EVENT_TYPES)}")
    return chosen


async def _checked_url(url: str) -> str:
    """Syntax and destination (resolved off the event loop); returns the URL to store."""
    allow = get_settings().webhook_allow_private
    return (await asyncio.to_thread(resolve_target, url, allow_private=allow)).url


def _info(e: WebhookEndpoint, last: tuple[datetime, str] | None = None) -> EndpointInfo:
    return EndpointInfo(
        id=e.id,
        url=e.url,
        event_types=list(e.event_types or []),
        active=e.is_active,
        consecutive_failures=e.consecutive_failures,
        disabled_reason=e.disabled_reason,
        secret_hint=e.secret[:10] + "…",
        created_at=e.created_at,
        updated_at=e.updated_at,
        last_delivery_at=last[0] if last else None,
        last_delivery_status=last[1] if last else None,
    )


async def _owned(
    session: AsyncSession, org_id: uuid.UUID, endpoint_id: str, *, lock: bool = False
) -> WebhookEndpoint:
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.id == parse_uuid(endpoint_id, "webhook id"), WebhookEndpoint.org_id == org_id
    )
    endpoint = (await session.exec(query.with_for_update() if lock else query)).first()
    if endpoint is None:
        raise NotFound(f"webhook '{endpoint_id}' not found")
    return endpoint


async def _audit(
    session: AsyncSession, actor: Caller, action: str, e: WebhookEndpoint, details: dict[str, Any]
) -> None:
    await audit.record(
        session,
        by=actor,
        action=action,
        org_id=e.org_id,
        target_type="webhook",
        target_id=str(e.id),
        details={"url": e.url, **details},
    )


async def create_endpoint(
    session: AsyncSession,
    org_id: uuid.UUID,
    actor: Caller,
    *,
    url: str,
    event_types: list[str] | None = None,
    active: bool = True,
) -> CreatedEndpoint:
    types = validate_event_types(event_types)
    url = await _checked_url(url)
    count = (
        await session.exec(
            select(func.count()).select_from(WebhookEndpoint).where(WebhookEndpoint.org_id == org_id)
        )
    ).one()
    if count >= MAX_ENDPOINTS_PER_ORG:
        raise Conflict(f"an org may have at most {MAX_ENDPOINTS_PER_ORG} webhooks; delete one first")
    secret = new_secret()
    endpoint = WebhookEndpoint(org_id=org_id, url=url, event_types=types, secret=secret, is_active=active)
    session.add(endpoint)
    await session.flush()
    await session.refresh(endpoint)
    await _audit(session, actor, "webhook.created", endpoint, {"event_types": types})
    return CreatedEndpoint(_info(endpoint), secret)


async def _with_last_delivery(session: AsyncSession, endpoints: list[WebhookEndpoint]) -> list[EndpointInfo]:
    last = {
        r.endpoint_id: (r.attempted_at, r.status)
        for r in (
            await session.execute(
                sa.text(
                    "SELECT DISTINCT ON (endpoint_id) endpoint_id, attempted_at, status FROM webhook_deliveries "
                    "WHERE endpoint_id = ANY(:ids) AND attempted_at IS NOT NULL ORDER BY endpoint_id, attempted_at DESC"
                ),
                params={"ids": [e.id for e in endpoints]},
            )
        ).all()
    }
    return [_info(e, last.get(e.id)) for e in endpoints]


async def list_endpoints(session: AsyncSession, org_id: uuid.UUID) -> list[EndpointInfo]:
    return await _with_last_delivery(
        session,
        list(
            (
                await session.exec(
                    select(WebhookEndpoint)
                    .where(WebhookEndpoint.org_id == org_id)
                    .order_by(col(WebhookEndpoint.created_at))
                )
            ).all()
        ),
    )


async def get_endpoint(session: AsyncSession, org_id: uuid.UUID, endpoint_id: str) -> EndpointInfo:
    [info] = await _with_last_delivery(session, [await _owned(session, org_id, endpoint_id)])
    return info


async def update_endpoint(
    session: AsyncSession,
    org_id: uuid.UUID,
    endpoint_id: str,
    actor: Caller,
    *,
    url: str | None = None,
    event_types: list[str] | None = None,
    active: bool | None = None,
) -> EndpointInfo:
    """Change the URL or event types, pause (active false) or resume. Resuming a disabled endpoint
    clears its failure count and reason; its skipped deliveries are not replayed."""
    e = await _owned(session, org_id, endpoint_id, lock=True)
    changes: dict[str, object] = {}
    if url is not None:
        e.url = changes["url"] = await _checked_url(url)
    if event_types is not None:
        e.event_types = changes["event_types"] = validate_event_types(event_types)
    if active is not None and active != e.is_active:
        e.is_active = changes["active"] = active
        if active:
            e.consecutive_failures, e.disabled_reason = 0, None
        else:
            await _skip_pending(session, e.id, "the endpoint was paused")
    e.updated_at = db_now()
    session.add(e)
    await session.flush()
    await session.refresh(e)
    await _audit(session, actor, "webhook.updated", e, {"changes": changes})
    return _info(e)


async def rotate_secret(
    session: AsyncSession, org_id: uuid.UUID, endpoint_id: str, actor: Caller
) -> CreatedEndpoint:
    """A new secret, effective for the next attempt; shown once."""
    e = await _owned(session, org_id, endpoint_id, lock=True)
    e.secret, e.updated_at = new_secret(), db_now()
    session.add(e)
    await session.flush()
    await session.refresh(e)
    await _audit(session, actor, "webhook.secret_rotated", e, {})
    return CreatedEndpoint(_info(e), e.secret)


async def delete_endpoint(session: AsyncSession, org_id: uuid.UUID, endpoint_id: str, actor: Caller) -> None:
    e = await _owned(session, org_id, endpoint_id, lock=True)
    await _audit(session, actor, "webhook.deleted", e, {})
    await session.delete(e)  # its delivery log goes with it (ON DELETE CASCADE)
    await session.flush()


async def _skip_pending(session: AsyncSession, endpoint_id: uuid.UUID, reason: str) -> None:
    await session.execute(
        sa.text(
            "UPDATE webhook_deliveries SET status = 'skipped', error = :why WHERE endpoint_id = :id AND status = 'pending'"
        ),
        params={"id": endpoint_id, "why": reason},
    )


async def delivery_log(
    session: AsyncSession, org_id: uuid.UUID, endpoint_id: str, limit: int = 50
) -> list[DeliveryAttempt]:
    """The endpoint's latest attempts, newest first (scheduled retries included, as pending)."""
    e = await _owned(session, org_id, endpoint_id)
    if not 1 <= limit <= LOG_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {LOG_LIMIT}")
    rows = (
        await session.execute(
            sa.text(
                "SELECT d.id, d.endpoint_id, d.event_id, e.type, d.attempt, d.status, d.response_status, d.latency_ms, "
                "d.error, d.scheduled_for, d.attempted_at FROM webhook_deliveries d JOIN events e ON e.id = d.event_id "
                "WHERE d.endpoint_id = :id ORDER BY d.created_at DESC, d.attempt DESC LIMIT :n"
            ),
            params={"id": e.id, "n": limit},
        )
    ).all()
    return [
        DeliveryAttempt(
            r.id,
            delivery_id(r.endpoint_id, r.event_id),
            r.event_id,
            r.type,
            r.attempt,
            r.status,
            r.response_status,
            r.latency_ms,
            r.error,
            r.scheduled_for,
            r.attempted_at,
        )
        for r in rows
    ]


_DELIVERY_NS = uuid.UUID("5b0d2a4e-9c8f-4e43-9a55-6f1f0d7c2e11")


def delivery_id(endpoint_id: uuid.UUID, event_id: int) -> uuid.UUID:
    """One id per (endpoint, event), the same on every retry: receivers deduplicate by it."""
    return uuid.uuid5(_DELIVERY_NS, f"{endpoint_id}:{event_id}")
