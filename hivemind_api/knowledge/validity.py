"""Where and when an item holds: its version range, the history of that range, and the changes
that cut it (a version fork at approval, enough "outdated" reports, a curator).

The current range lives on the item (``version_range`` with its interval and holes, for search);
``item_ranges`` keeps every range it had with the time it held, so an ``at_time`` search asks
the range that held then. Each change closes the current row and opens a new one in the same
transaction as the change itself.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from packaging.version import Version
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api import audit
from hivemind_api.config import get_settings
from hivemind_api.db.models import KnowledgeItem
from hivemind_api.events.log import append_event
from hivemind_api.knowledge.versions import VersionRange, narrowed_below, parse_range, parse_version
from hivemind_api.vocab import EventType


def range_params(vrange: VersionRange | None) -> dict[str, object]:
    return {
        "range": None if vrange is None else vrange.text,
        "span": None if vrange is None else vrange.span_sql,
        "holes": "{}" if vrange is None else vrange.holes_sql,
    }


async def set_range(
    session: AsyncSession,
    item_id: uuid.UUID,
    vrange: VersionRange | None,
    reason: str,
    *,
    opening: bool = False,
) -> None:
    """Give the item ``vrange`` from now on, keeping the range it had in the history."""
    params = {"id": item_id, "reason": reason, **range_params(vrange)}
    await session.execute(
        sa.text(
            "UPDATE knowledge_items SET version_range = :range, version_span = CAST(CAST(:span AS text) AS numrange), "
            "version_holes = CAST(CAST(:holes AS text) AS numrange[]), updated_at = now() WHERE id = :id"
        ),
        params=params,
    )
    if not opening:
        await session.execute(
            sa.text(
                "UPDATE item_ranges SET valid_to = now() WHERE knowledge_item_id = :id AND valid_to IS NULL"
            ),
            params={"id": item_id},
        )
    await session.execute(
        sa.text(
            "INSERT INTO item_ranges (knowledge_item_id, version_range, version_span, version_holes, "
            "valid_from, reason) VALUES (:id, :range, CAST(CAST(:span AS text) AS numrange), CAST(CAST(:holes AS text) AS numrange[]), "
            "now(), :reason)"
        ),
        params=params,
    )


async def range_history(
    session: AsyncSession, item_id: uuid.UUID
) -> list[tuple[str | None, datetime, datetime | None, str]]:
    """Every range the item had: (range, from, to or None for the current one, why)."""
    rows = await session.execute(
        sa.text(
            "SELECT version_range, valid_from, valid_to, reason FROM item_ranges "
            "WHERE knowledge_item_id = :id ORDER BY valid_from, id"
        ),
        params={"id": item_id},
    )
    return [(r.version_range, r.valid_from, r.valid_to, r.reason) for r in rows]


def version_sql(alias: str = "k", key: str = ":vkey", at_time: str | None = None) -> str:
    """The item's range (or, with ``at_time``, the range it had then) contains the version key."""
    test = (
        "({a}.version_span IS NULL OR CAST({key} AS numeric) <@ {a}.version_span) "
        "AND NOT (CAST({key} AS numeric) <@ ANY({a}.version_holes))"
    )
    if at_time is None:
        return test.format(a=alias, key=key)
    return (
        f"EXISTS (SELECT 1 FROM item_ranges r WHERE r.knowledge_item_id = {alias}.id "
        f"AND r.valid_from <= {at_time} AND (r.valid_to IS NULL OR r.valid_to > {at_time}) "
        f"AND {test.format(a='r', key=key)})"
    )


async def narrow_on_outdated_reports(session: AsyncSession, item: KnowledgeItem) -> str | None:
    """Cut the item's range below the lowest version that enough distinct orgs (each through its
    own agents) reported it outdated at, and tell its org's curators; returns the new range."""
    threshold = get_settings().outdated_orgs_to_narrow
    rows = await session.execute(
        sa.text(
            "SELECT DISTINCT version, org_id FROM outcome_votes "
            "WHERE knowledge_item_id = :id AND outcome = 'outdated' AND counted AND version IS NOT NULL"
        ),
        params={"id": item.id},
    )
    orgs_by_version: dict[Version, set[uuid.UUID]] = {}
    for r in rows:  # 5.1 and 5.1.0 are one version
        orgs_by_version.setdefault(parse_version(r.version), set()).add(r.org_id)
    current = parse_range(item.version_range)
    reported = sorted(v for v, orgs in orgs_by_version.items() if len(orgs) >= threshold)
    for version in reported:
        if current is not None and not current.contains(version):
            continue  # already outside its range
        narrowed = narrowed_below(current, version)
        details = {"version": str(version), "orgs": threshold, "old_range": item.version_range}
        if narrowed is None:  # nothing would be left: the curators decide (supersede, mark)
            await _tell_curators(
                session, item, {**details, "new_range": item.version_range, "narrowed": False}
            )
            return None
        await set_range(session, item.id, narrowed, f"outdated at {version} (reports from {threshold} orgs)")
        item.version_range = narrowed.text
        await _tell_curators(session, item, {**details, "new_range": narrowed.text, "narrowed": True})
        return narrowed.text
    return None


async def _tell_curators(session: AsyncSession, item: KnowledgeItem, details: dict[str, object]) -> None:
    """A private event for the item's org (feeds, SSE, webhooks) and an audit row."""
    await append_event(
        session, EventType.KNOWLEDGE_NARROWED, org_id=item.org_id, is_public=False, item=item, extra=details
    )
    await audit.record(
        session,
        action="knowledge.narrowed",
        actor="outdated reports",
        org_id=item.org_id,
        target_type="knowledge_item",
        target_id=str(item.id),
        details=details,
    )
