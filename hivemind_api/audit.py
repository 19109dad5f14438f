"""Append-only audit trail of curator and admin actions (SPEC §8)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api.db.models import AuditLog


async def record(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    org_id: uuid.UUID | None = None,
    actor_user_id: uuid.UUID | None = None,
    actor_key_id: uuid.UUID | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an audit row to the caller's transaction (it commits or rolls back with the action)."""
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
