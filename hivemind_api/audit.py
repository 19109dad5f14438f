"""Append-only audit trail of curator and admin actions: written with each action, read by the
org's admins and curator keys (``list_entries``: REST, dashboard and CLI share it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api.accounts.caller import Caller
from hivemind_api.db.models import AuditLog
from hivemind_api.errors import Forbidden, InvalidInput

MAX_PAGE = 200
MAX_FILTER_LENGTH = 320  # an e-mail address is at most 320 characters


async def record(
    session: AsyncSession,
    *,
    action: str,
    by: Caller | None = None,
    actor: str = "",
    org_id: uuid.UUID | None = None,
    actor_user_id: uuid.UUID | None = None,
    actor_key_id: uuid.UUID | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an audit row to the caller's transaction (it commits or rolls back with the action).

    ``by`` names the actor for a use case; account flows without a ``Caller`` (sign-up, an
    invitation accepted) pass ``actor`` and the ids themselves."""
    if by is not None:
        actor, actor_user_id, actor_key_id = by.audit.actor, by.audit.actor_user_id, by.audit.actor_key_id
    session.add(
        AuditLog(
            org_id=org_id,
            actor_user_id=actor_user_id,
            actor_key_id=actor_key_id,
            actor_label=actor,
            action=action,
            target_type=target_type,
            target_id=target_id,
            details=details or {},
        )
    )


@dataclass(frozen=True)
class AuditEntry:
    """One audited action. ``actor`` is an ``agent:<id>`` label, a member's e-mail or a system
    actor (``cli``, an auto-approve rule); ``details`` never holds contributed text."""

    id: int
    created_at: datetime
    actor: str
    actor_user_id: uuid.UUID | None
    actor_key_id: uuid.UUID | None
    action: str
    target_type: str | None
    target_id: str | None
    details: dict[str, Any]


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]  # newest first
    next_cursor: str | None  # pass it back for older entries; None at the oldest


def _filter(value: str | None, name: str) -> str | None:
    value = (value or "").strip()
    if len(value) > MAX_FILTER_LENGTH:
        raise InvalidInput(f"{name} must be at most {MAX_FILTER_LENGTH} characters")
    return value or None


def _cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    if not cursor.isdigit() or len(cursor) > 19:
        raise InvalidInput("invalid cursor: pass back the next_cursor of the previous page")
    return int(cursor)


async def list_entries(
    session: AsyncSession,
    caller: Caller,
    *,
    action: str | None = None,
    actor: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> AuditPage:
    """The caller's org's audit log, newest first, ``limit`` at a time.

    ``action`` is an exact action (``knowledge.purged``) or, ending in a dot, a family
    (``knowledge.``); ``actor`` an exact actor label. Only the org's admins, curator keys and the
    server's CLI may read it.
    """
    if not caller.can_read_audit:
        raise Forbidden("the audit log is for the org's admins and curator keys")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}")
    action, actor, before = _filter(action, "action"), _filter(actor, "actor"), _cursor(cursor)
    query = select(AuditLog).where(AuditLog.org_id == caller.org_id)
    if action is not None:
        query = query.where(
            col(AuditLog.action).startswith(action, autoescape=True)
            if action.endswith(".")
            else AuditLog.action == action
        )
    if actor is not None:
        query = query.where(AuditLog.actor_label == actor)
    if before is not None:
        query = query.where(col(AuditLog.id) < before)
    rows = (await session.exec(query.order_by(col(AuditLog.id).desc()).limit(limit + 1))).all()
    entries = [
        AuditEntry(
            id=int(r.id or 0),
            created_at=r.created_at,
            actor=r.actor_label,
            actor_user_id=r.actor_user_id,
            actor_key_id=r.actor_key_id,
            action=r.action,
            target_type=r.target_type,
            target_id=r.target_id,
            details=dict(r.details or {}),
        )
        for r in rows[:limit]
    ]
    return AuditPage(entries, str(entries[-1].id) if len(rows) > limit else None)
