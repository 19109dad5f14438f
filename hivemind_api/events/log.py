"""The ordered history of visible changes (docs/architecture.md, "The event pipeline"): one row per change, in the change's own
transaction, with ``pg_notify`` carrying only the event id. Feeds, SSE and webhooks all read
from this table, so nothing is lost while a listener is down.

Readers keep a cursor (the last id they saw) and read ``id > cursor``. That is only exact if ids
become visible in id order, which an identity column alone does not promise: two transactions
can take ids 10 and 11 and commit 11 first. ``append_event`` therefore takes a transaction-level
advisory lock before it takes an id, so event-writing transactions commit in id order (the lock
is held from the append to the commit, which is short: every caller appends near its end).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api.db.models import Contribution, Event, KnowledgeItem, Org, core_table
from hivemind_api.vocab import EventType

CHANNEL = "hivemind_events"
_ORDER_LOCK = 0x45_56_4E_54  # "EVNT": event ids commit in order
_EVENTS = core_table(Event)
_INSERT = _EVENTS.insert().returning(_EVENTS.c.id)  # compiled once, many rows per call


@dataclass(frozen=True)
class EventRecord:
    """One event as every consumer (feeds, SSE, webhooks) sees it."""

    id: int
    type: str
    org_id: uuid.UUID
    is_public: bool
    summary: dict[str, Any]
    created_at: datetime

    def visible_to(self, org_id: uuid.UUID) -> bool:
        """Public events reach everyone; the rest only the event's own org."""
        return self.is_public or self.org_id == org_id

    def as_payload(self) -> dict[str, Any]:
        """The JSON that SSE clients and webhook receivers get.

        The earlier implementation's receivers keep working: its SSE ``data`` had the item's
        ``id``, ``is_public``, ``org_id``, ``category`` and ``title`` at the top level, and its
        webhook bodies ``event``, ``knowledge_item_id``, ``org_id``, ``category`` and
        ``timestamp``. Those names keep their meaning (for a contribution's events the id is the
        contribution's, as the original's ``knowledge.rejected`` had it); what this version adds
        (``event_id``, ``type``, the ``item`` summary) sits beside them.
        """
        subject = self.summary.get("id")
        return {
            "event_id": self.id,
            "event": self.type,
            "type": self.type,
            "id": subject,
            "knowledge_item_id": subject,
            "org_id": str(self.org_id),
            "is_public": self.is_public,
            "category": self.summary.get("category"),
            "title": self.summary.get("title"),
            "timestamp": self.created_at.isoformat(),
            "item": self.summary,
        }


# Events about a quarantined item reach nobody (SSE, webhooks, the hub) except the quarantine and
# release themselves, which tell subscribers the item left or came back.
_SHOWN = "(k.quarantined_at IS NULL OR e.type IN ('knowledge.quarantined', 'knowledge.released'))"
_SELECT = (
    "SELECT e.id, e.type, e.org_id, e.is_public, e.summary, e.created_at FROM events e "
    "LEFT JOIN knowledge_items k ON k.id = e.knowledge_item_id "
)


def _records(rows: Sequence[sa.Row[Any]]) -> list[EventRecord]:
    return [
        EventRecord(int(r.id), r.type, r.org_id, r.is_public, dict(r.summary or {}), r.created_at)
        for r in rows
    ]


async def events_after(
    session: AsyncSession, after_id: int, *, limit: int = 500, visible_to: uuid.UUID | None = None
) -> list[EventRecord]:
    """Events with ``id > after_id`` in id order; with ``visible_to``, only those that org may see."""
    where = "e.id > :after" + (" AND (e.is_public OR e.org_id = :org)" if visible_to is not None else "")
    rows = (
        await session.execute(
            sa.text(f"{_SELECT} WHERE {where} AND {_SHOWN} ORDER BY e.id LIMIT :n"),
            params={"after": after_id, "org": visible_to, "n": limit},
        )
    ).all()
    return _records(rows)


async def event_by_id(session: AsyncSession, event_id: int) -> EventRecord | None:
    """One event, or None when it is no longer shown (its item was quarantined since)."""
    rows = (
        await session.execute(sa.text(f"{_SELECT} WHERE e.id = :id AND {_SHOWN}"), params={"id": event_id})
    ).all()
    found = _records(rows)
    return found[0] if found else None


async def latest_event_id(session: AsyncSession) -> int:
    return int((await session.execute(sa.text("SELECT coalesce(max(id), 0) FROM events"))).scalar_one())


def item_summary(item: KnowledgeItem) -> dict[str, Any]:
    """What every consumer sees of an item (``append_event`` adds the org's name)."""
    return {
        "id": str(item.id),
        "title": item.title,
        "category": item.category,
        "quality": round(float(item.quality_score), 4),
        "created_at": item.approved_at.isoformat() if item.approved_at else None,
    }


def contribution_summary(c: Contribution) -> dict[str, Any]:
    """The same fields for events about a contribution (no quality yet)."""
    return {
        "id": str(c.id),
        "title": c.title,
        "category": c.category,
        "quality": None,
        "created_at": c.created_at.isoformat() if c.created_at else None,
    }


@dataclass(frozen=True)
class NewEvent:
    """An event to append: its type and org, and the item or summary it is about."""

    type: EventType
    org_id: uuid.UUID
    is_public: bool = False
    item: KnowledgeItem | None = None
    contribution_id: uuid.UUID | None = None
    summary: dict[str, Any] | None = None
    extra: dict[str, Any] | None = None


async def append_events(session: AsyncSession, events: list[NewEvent]) -> list[int]:
    """Append events in one INSERT and NOTIFY once; all take effect only if the caller's
    transaction commits. Returns their ids in order.

    One notification is enough for any number of rows: readers never trust the payload, they
    read every event after the last id they saw. Each summary defaults to its item's, gets the
    org's name, and ``extra`` adds fields (e.g. ``superseded_by``)."""
    if not events:
        return []
    rows = []
    for e in events:
        summary = e.summary if e.summary is not None or e.item is None else item_summary(e.item)
        org = await session.get(Org, e.org_id)  # from the session's identity map after the first
        rows.append(
            {
                "type": e.type,
                "org_id": e.org_id,
                "is_public": e.is_public,
                "knowledge_item_id": e.item.id if e.item is not None else None,
                "contribution_id": e.contribution_id,
                "summary": {**(summary or {}), "org_name": org.name if org else "", **(e.extra or {})},
            }
        )
    await session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), params={"k": _ORDER_LOCK})
    ids = sorted(int(i) for i in (await session.exec(_INSERT, params=rows)).scalars())
    await session.execute(sa.text("SELECT pg_notify(:ch, :id)"), params={"ch": CHANNEL, "id": str(ids[-1])})
    return ids


async def append_event(
    session: AsyncSession,
    event_type: EventType,
    *,
    org_id: uuid.UUID,
    is_public: bool = False,
    item: KnowledgeItem | None = None,
    contribution_id: uuid.UUID | None = None,
    summary: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> int:
    """Append one event (see ``append_events``)."""
    (event_id,) = await append_events(
        session, [NewEvent(event_type, org_id, is_public, item, contribution_id, summary, extra)]
    )
    return event_id
