"""The ordered history of visible changes (SPEC §2): one row per change, in the change's own
transaction, with ``pg_notify`` carrying only the event id. Feeds, SSE and webhooks all read
from this table, so nothing is lost while a listener is down."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api.db.models import Event, KnowledgeItem, Org

CHANNEL = "hivemind_events"


def item_summary(item: KnowledgeItem, org_name: str) -> dict[str, Any]:
    return {
        "id": str(item.id),
        "title": item.title,
        "category": item.category,
        "quality": round(float(item.quality_score), 4),
        "org_name": org_name,
        "created_at": item.approved_at.isoformat() if item.approved_at else None,
    }


async def append_event(
    session: AsyncSession,
    event_type: str,
    *,
    org_id: uuid.UUID,
    is_public: bool = False,
    item: KnowledgeItem | None = None,
    contribution_id: uuid.UUID | None = None,
    summary: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> int:
    """Append an event and NOTIFY its id; both take effect only if the caller's transaction commits.

    The summary defaults to the item's; ``extra`` adds fields to it (e.g. ``superseded_by``)."""
    if summary is None and item is not None:
        org = await session.get(Org, org_id)
        summary = item_summary(item, org.name if org else "")
    summary = {**(summary or {}), **(extra or {})}
    event = Event(
        type=event_type, org_id=org_id, is_public=is_public,
        knowledge_item_id=item.id if item is not None else None,
        contribution_id=contribution_id, summary=summary or {},
    )
    session.add(event)
    await session.flush()
    await session.exec(sa.text("SELECT pg_notify(:ch, :id)"), params={"ch": CHANNEL, "id": str(event.id)})
    return int(event.id)
