"""Which knowledge items exist for whom: the predicates every read of the commons uses.

Three states, from widest to narrowest:

* **present**: not deleted and not quarantined. Fetch, outcomes and the re-screen read these;
  a superseded item can still be fetched by id (``at_time`` searches find it too).
* **current**: present and not superseded (``expired_at``). Duplicate detection compares new
  contributions with these.
* **live**: current and valid now (``valid_at`` reached, ``invalid_at`` not). Search, the home
  page's counts and every statistic count exactly these, so the home page and the analytics
  ledger cannot disagree.

**visible to an org**: the org's own items and every public item.

Each predicate comes as a SQL fragment over a table alias (for the hand-written statements) and,
where ORM queries need it, as a SQLAlchemy expression over ``KnowledgeItem``.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api.db.models import KnowledgeItem


def present_sql(alias: str = "k") -> str:
    return f"{alias}.deleted_at IS NULL AND {alias}.quarantined_at IS NULL"


def current_sql(alias: str = "k") -> str:
    return f"{present_sql(alias)} AND {alias}.expired_at IS NULL"


def live_sql(alias: str = "k") -> str:
    return (
        f"{current_sql(alias)} AND ({alias}.invalid_at IS NULL OR {alias}.invalid_at > now()) "
        f"AND ({alias}.valid_at IS NULL OR {alias}.valid_at <= now())"
    )


def valid_at_sql(alias: str = "k", at: str = ":at") -> str:
    """Present and believed at the time bound to ``at``: approved by then, not yet superseded or
    invalidated then, already valid then."""
    return (
        f"{present_sql(alias)} AND {alias}.approved_at <= {at} "
        f"AND ({alias}.expired_at IS NULL OR {alias}.expired_at > {at}) "
        f"AND ({alias}.invalid_at IS NULL OR {alias}.invalid_at > {at}) "
        f"AND ({alias}.valid_at IS NULL OR {alias}.valid_at <= {at})"
    )


def visible_sql(alias: str = "k", org: str = ":org") -> str:
    return f"({alias}.org_id = {org} OR {alias}.is_public)"


def item_present() -> sa.ColumnElement[bool]:
    return sa.and_(col(KnowledgeItem.deleted_at).is_(None), col(KnowledgeItem.quarantined_at).is_(None))


def item_visible_to(org_id: uuid.UUID) -> sa.ColumnElement[bool]:
    return sa.or_(col(KnowledgeItem.org_id) == org_id, col(KnowledgeItem.is_public))


async def own_item_for_update(
    session: AsyncSession, org_id: uuid.UUID, item_id: uuid.UUID, *where: sa.ColumnElement[bool]
) -> KnowledgeItem | None:
    """One of ``org_id``'s items that meets ``where``, locked until the transaction ends, or None
    (another org's item is None too: the caller answers it as not found)."""
    query = select(KnowledgeItem).where(KnowledgeItem.id == item_id, KnowledgeItem.org_id == org_id, *where)
    return (await session.exec(query.with_for_update())).first()
