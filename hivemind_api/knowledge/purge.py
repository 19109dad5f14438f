"""Erasure that can be proven: purge an item or a contribution from every place its text reached.

Where a contribution's text goes, and what purge does there (in one transaction):

* the contribution row (content, title, embedding, MinHash signature, redaction report and
  injection excerpts) and its LSH bands: deleted (bands cascade);
* the knowledge item approved from it (content, title, embedding, full-text vector) and its
  signals: deleted (signals cascade);
* other contributions of the org with the same text (duplicates, re-posts): deleted the same way;
* event summaries (titles) of every event about them: replaced by ``{"purged": true}``; feeds,
  SSE replays and webhook retries read summaries from the table, so none can show the text again;
* other contributions' similar-item lists (which name the item's title): the entry is removed;
* Redis holds no text (jobs carry ids; the feeds rebuild from the table on the purge event).

A ``knowledge.purged`` event (id only) tells subscribers, and an audit row records who purged what,
by id, without the text. Deleted rows leave the logical database at once (``pg_dump``); their
pages are reused after Postgres' autovacuum.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api import audit
from hivemind_api.accounts.caller import Caller
from hivemind_api.db.models import Contribution, KnowledgeItem
from hivemind_api.errors import NotFound
from hivemind_api.events.log import append_event
from hivemind_api.inputs import parse_uuid
from hivemind_api.knowledge.access import require_curator
from hivemind_api.knowledge.visibility import own_item_for_update
from hivemind_api.vocab import EventType


@dataclass(frozen=True)
class PurgeResult:
    id: uuid.UUID
    status: str  # "purged"
    knowledge_items: int
    contributions: int
    events_erased: int
    message: str


async def purge_item(session: AsyncSession, curator: Caller, item_id: str) -> PurgeResult:
    """Purge one of the org's items (live, deleted, expired or quarantined) and its contributions."""
    require_curator(curator)
    item = await own_item_for_update(session, curator.org_id, parse_uuid(item_id, "item id"))
    if item is None:
        raise NotFound(f"knowledge item '{item_id}' not found")
    return await _purge(session, curator, item, None)


async def purge_contribution(session: AsyncSession, curator: Caller, contribution_id: str) -> PurgeResult:
    """Purge one of the org's contributions in any status, and the item approved from it."""
    require_curator(curator)
    contribution = (
        await session.exec(
            select(Contribution)
            .where(
                Contribution.id == parse_uuid(contribution_id, "contribution id"),
                Contribution.org_id == curator.org_id,
            )
            .with_for_update()
        )
    ).first()
    if contribution is None:
        raise NotFound(f"contribution '{contribution_id}' not found")
    item = None
    if contribution.knowledge_item_id is not None:
        item = (
            await session.exec(
                select(KnowledgeItem)
                .where(KnowledgeItem.id == contribution.knowledge_item_id)
                .with_for_update()
            )
        ).first()
    return await _purge(session, curator, item, contribution)


async def _purge(
    session: AsyncSession, curator: Caller, item: KnowledgeItem | None, contribution: Contribution | None
) -> PurgeResult:
    org_id = curator.org_id
    hashes = {
        h
        for h in (
            (item.content_hash if item else None),
            (contribution.content_hash if contribution else None),
        )
        if h
    }
    seeds = {
        c
        for c in ((item.contribution_id if item else None), (contribution.id if contribution else None))
        if c
    }
    # Every contribution of the org that holds the same text: the source, its duplicates, re-posts.
    contribution_ids = [
        r[0]
        for r in (
            await session.execute(
                sa.text(
                    "SELECT id FROM contributions WHERE org_id = :org AND (id = ANY(:seeds) OR content_hash = ANY(:hashes) "
                    "OR knowledge_item_id = :item OR duplicate_of = :item OR duplicate_of_contribution = ANY(:seeds)) "
                    "FOR UPDATE"
                ),
                params={
                    "org": org_id,
                    "seeds": list(seeds),
                    "hashes": list(hashes),
                    "item": item.id if item else None,
                },
            )
        ).all()
    ]
    item_ids = [item.id] if item else []
    erased = cast(  # an UPDATE's result is a cursor result, which counts the rows it changed
        "CursorResult[Any]",
        await session.execute(
            sa.text(
                "UPDATE events SET summary = jsonb_build_object('purged', true) "
                "WHERE knowledge_item_id = ANY(:items) OR contribution_id = ANY(:contributions)"
            ),
            params={"items": item_ids, "contributions": contribution_ids},
        ),
    ).rowcount
    for purged in item_ids:  # other contributions' lists of similar items name the title
        await session.execute(
            sa.text(
                "UPDATE contributions SET similar_items = coalesce((SELECT jsonb_agg(s) FROM jsonb_array_elements("
                "similar_items) s WHERE s->>'id' <> :id), '[]'::jsonb) WHERE similar_items @> :probe"
            ),
            params={"id": str(purged), "probe": f'[{{"id": "{purged}"}}]'},
        )
    # Contributions first: a duplicate's link to the item may not be nulled while it is a duplicate.
    await session.execute(
        sa.text("DELETE FROM contributions WHERE id = ANY(:ids)"), params={"ids": contribution_ids}
    )
    await session.execute(
        sa.text("DELETE FROM knowledge_items WHERE id = ANY(:items)"), params={"items": item_ids}
    )
    target = item.id if item else contribution.id  # type: ignore[union-attr]
    kind = "knowledge_item" if item else "contribution"
    await append_event(
        session,
        EventType.KNOWLEDGE_PURGED,
        org_id=org_id,
        is_public=bool(item and item.is_public),
        summary={"id": str(target), "kind": kind, "purged": True},
    )
    await audit.record(
        session,
        by=curator,
        action=f"{kind}.purged",
        org_id=org_id,
        target_type=kind,
        target_id=str(target),
        details={
            "knowledge_items": [str(i) for i in item_ids],
            "contributions": [str(c) for c in contribution_ids],
            "events_erased": erased,
        },
    )
    return PurgeResult(
        target,
        "purged",
        len(item_ids),
        len(contribution_ids),
        erased,
        "Purged: the text is gone from every table; subscribers were told (knowledge.purged).",
    )
