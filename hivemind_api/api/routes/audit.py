"""The org's audit log over REST (admins read it in the dashboard, operators with the CLI)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from hivemind_api import audit
from hivemind_api.accounts.caller import Caller
from hivemind_api.api.deps import principal
from hivemind_api.db.engine import session_scope

router = APIRouter(prefix="/api/v1", tags=["audit"])
Principal = Annotated[Caller, Depends(principal)]


@router.get("/audit", response_model=audit.AuditPage, operation_id="list_audit_log")
async def list_audit_log(
    who: Principal,
    action: Annotated[
        str | None,
        Query(max_length=audit.MAX_FILTER_LENGTH, description="an action, or a family ending in '.'"),
    ] = None,
    actor: Annotated[
        str | None, Query(max_length=audit.MAX_FILTER_LENGTH, description="an actor label")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_PAGE)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=20, description="next_cursor of the previous page")
    ] = None,
) -> audit.AuditPage:
    """Your org's audit log, newest first (curator keys): who approved, rejected, published,
    purged, released, deleted or changed what, and when. Never any contributed text."""
    async with session_scope() as session:
        return await audit.list_entries(session, who, action=action, actor=actor, limit=limit, cursor=cursor)
