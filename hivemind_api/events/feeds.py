"""The live feeds, read from the events table (docs/architecture.md, "The event pipeline"): the public commons and one org's own.

Feeds are always rebuilt from the table, never appended from a notification, so every backend
process and every reconnect shows the same, complete history.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api.vocab import EventType

FEED_SIZE = 20
PUBLIC_TYPES = (EventType.KNOWLEDGE_APPROVED, EventType.KNOWLEDGE_PUBLISHED)
# Events after which the public feed must be rebuilt at once: entries arrive, or an item leaves
# for everyone (its past entries are filtered out of the rebuilt feed).
PUBLIC_REFRESH_TYPES = (
    *PUBLIC_TYPES,
    EventType.KNOWLEDGE_QUARANTINED,
    EventType.KNOWLEDGE_RELEASED,
    EventType.KNOWLEDGE_PURGED,
)


@dataclass(frozen=True)
class FeedEntry:
    event_id: int
    type: str
    title: str
    category: str
    org_name: str
    item_id: str | None
    at: datetime
    is_public: bool


_COLUMNS = """
    e.id, e.type, coalesce(e.summary->>'title', '') AS title, coalesce(e.summary->>'category', '') AS category,
    o.name AS org_name, e.knowledge_item_id, e.created_at, e.is_public
"""


# Not about a quarantined item (but its quarantine, for the org), and not a purged event (whose
# summary was erased).
_SHOWN = (
    "e.summary->>'purged' IS NULL AND (e.type = 'knowledge.quarantined' OR NOT EXISTS ("
    "SELECT 1 FROM knowledge_items k WHERE k.id = e.knowledge_item_id AND k.quarantined_at IS NOT NULL))"
)


def _entries(rows: Sequence[sa.Row[Any]]) -> list[FeedEntry]:
    return [
        FeedEntry(
            r.id,
            r.type,
            r.title,
            r.category,
            r.org_name,
            str(r.knowledge_item_id) if r.knowledge_item_id else None,
            r.created_at,
            r.is_public,
        )
        for r in rows
    ]


async def public_feed(session: AsyncSession, limit: int = FEED_SIZE) -> list[FeedEntry]:
    """What every org sees: items entering the public commons."""
    rows = (
        await session.execute(
            sa.text(
                f"SELECT {_COLUMNS} FROM events e JOIN orgs o ON o.id = e.org_id "
                f"WHERE e.is_public AND e.type IN :types AND {_SHOWN} ORDER BY e.id DESC LIMIT :n"
            ).bindparams(sa.bindparam("types", expanding=True)),
            params={"types": list(PUBLIC_TYPES), "n": limit},
        )
    ).all()
    return _entries(rows)


async def org_feed(session: AsyncSession, org_id: uuid.UUID, limit: int = FEED_SIZE) -> list[FeedEntry]:
    """Everything that happened in one org (its members only)."""
    rows = (
        await session.execute(
            sa.text(
                f"SELECT {_COLUMNS} FROM events e JOIN orgs o ON o.id = e.org_id "
                f"WHERE e.org_id = :org AND {_SHOWN} ORDER BY e.id DESC LIMIT :n"
            ),
            params={"org": org_id, "n": limit},
        )
    ).all()
    return _entries(rows)
