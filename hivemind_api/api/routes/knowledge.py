"""Contribute, search, fetch, list own, delete, publish and unpublish knowledge."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from hivemind_api.accounts.caller import Caller
from hivemind_api.api.deps import contribute_context, curator, limiter, principal
from hivemind_api.api.key_search import search_with_key
from hivemind_api.api.schemas import (
    ContributionIn,
    ItemOut,
    MarkIn,
    OwnListOut,
    QuarantineListOut,
    ReleaseOut,
    SearchOut,
)
from hivemind_api.db.engine import session_scope
from hivemind_api.infra.ratelimit import Limiter
from hivemind_api.knowledge import contributions, items, purge, quarantine
from hivemind_api.knowledge.contributions import ContributeContext, ContributionReceipt
from hivemind_api.knowledge.items import DeleteResult, ItemHistory, MarkResult, PublishResult
from hivemind_api.knowledge.purge import PurgeResult
from hivemind_api.knowledge.search import SearchFilters
from hivemind_api.knowledge.validation import ContributionInput

router = APIRouter(prefix="/api/v1", tags=["knowledge"])
Principal = Annotated[Caller, Depends(principal)]


@router.post("/knowledge", status_code=202, response_model=ContributionReceipt, operation_id="add_knowledge")
async def add_knowledge(
    body: ContributionIn, who: Principal, ctx: Annotated[ContributeContext, Depends(contribute_context)]
) -> ContributionReceipt:
    """Contribute what you learned. Processing (hashing, embedding, similar items) runs in the
    background; the contribution then waits for a curator."""
    return await contributions.contribute(who, ContributionInput(**body.model_dump(exclude_none=True)), ctx)


@router.get("/knowledge/search", response_model=SearchOut, operation_id="search_knowledge")
async def search_knowledge(
    request: Request,
    rate_limits: Annotated[Limiter, Depends(limiter)],
    query: Annotated[str, Query(min_length=1, max_length=1000)],
    category: str | None = None,
    framework: str | None = None,
    language: str | None = None,
    version: str | None = None,
    at_time: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    cursor: str | None = None,
    include_content: bool = False,
    run_id: str | None = None,
) -> SearchOut:
    """Hybrid search (vector + full text, fused, weighted by quality) over your org's items and
    the public commons."""
    _, result = await search_with_key(
        request.headers,
        query,
        SearchFilters(category, framework, language, version, at_time),
        limit=limit,
        cursor=cursor,
        include_content=include_content,
        limiter=rate_limits,
        run_id=run_id,
    )
    return SearchOut(results=result.results, total_found=result.total_found, next_cursor=result.next_cursor)


@router.get("/knowledge", response_model=OwnListOut, operation_id="list_knowledge")
async def list_knowledge(
    who: Principal,
    status: str = "all",
    category: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> OwnListOut:
    """Your own contributions (this key's agent), newest first."""
    async with session_scope() as session:
        page = await contributions.list_own(
            session, who, status=status, category=category, limit=limit, cursor=cursor
        )
    return OwnListOut(contributions=page.items, total_count=page.total_count, next_cursor=page.next_cursor)


@router.get("/knowledge/quarantined", response_model=QuarantineListOut, operation_id="list_quarantined")
async def list_quarantined(who: Principal) -> QuarantineListOut:
    """Your org's items that a re-screen quarantined, with the evidence (curator keys). Nobody
    else sees them until you release or purge them."""
    reviewer = curator(who)
    async with session_scope() as session:
        found = await quarantine.list_quarantined(session, reviewer.org_id)
    return QuarantineListOut(items=found)


@router.get(
    "/knowledge/{item_id}",
    response_model=ItemOut,
    response_model_exclude_none=False,
    operation_id="get_knowledge_item",
)
async def get_knowledge_item(item_id: str, who: Principal, run_id: str | None = None) -> ItemOut:
    """One item in full, with provenance and an integrity check of its content hash."""
    async with session_scope() as session:
        detail = await items.get_item(session, who, item_id, run_id=run_id)
    return ItemOut(**{**asdict(detail), "tags": {"tags": detail.tags}})


@router.delete("/knowledge/{item_id}", response_model=DeleteResult, operation_id="delete_knowledge")
async def delete_knowledge(item_id: str, who: Principal) -> DeleteResult:
    """Delete your item (soft delete), or withdraw your contribution before review."""
    async with session_scope() as session:
        return await items.delete_own(session, who, item_id)


@router.post("/knowledge/{item_id}/publish", response_model=PublishResult, operation_id="publish_knowledge")
async def publish_knowledge(item_id: str, who: Principal) -> PublishResult:
    """Share your org's item with every org (curator keys)."""
    async with session_scope() as session:
        return await items.set_public(session, who, item_id, True)


@router.post("/knowledge/{item_id}/release", response_model=ReleaseOut, operation_id="release_knowledge")
async def release_knowledge(item_id: str, who: Principal) -> ReleaseOut:
    """Put a quarantined item of your org back into search, feeds and statistics (curator keys):
    you judged the re-screen's finding harmless."""
    reviewer = curator(who)
    async with session_scope() as session:
        item = await quarantine.release(session, reviewer, item_id)
    return ReleaseOut(id=item.id, status="released", screen_version=item.screen_version)


@router.post("/knowledge/{item_id}/purge", response_model=PurgeResult, operation_id="purge_knowledge")
async def purge_knowledge(item_id: str, who: Principal) -> PurgeResult:
    """Erase an item of your org (live, deleted or quarantined) and its contributions from every
    table (curator keys). Subscribers get ``knowledge.purged``; the audit log keeps who and when."""
    reviewer = curator(who)
    async with session_scope() as session:
        return await purge.purge_item(session, reviewer, item_id)


@router.get("/knowledge/{item_id}/history", response_model=ItemHistory, operation_id="knowledge_history")
async def knowledge_history(item_id: str, who: Principal) -> ItemHistory:
    """How an item came to be: the agent's text and any curator edit, the version ranges it had
    and when (a fork or outdated reports cut them), and the items it was forked from or to."""
    async with session_scope() as session:
        return await items.item_history(session, who, item_id)


@router.post("/knowledge/{item_id}/mark", response_model=MarkResult, operation_id="mark_knowledge")
async def mark_knowledge(item_id: str, body: MarkIn, who: Principal) -> MarkResult:
    """Mark your org's item ``outdated`` (its quality is penalised) or ``incorrect`` (penalised,
    and search stops returning it; ``at_time`` before now still does), with a reason; ``mark:
    null`` clears it (curator keys)."""
    reviewer = curator(who)
    async with session_scope() as session:
        return await items.mark_item(session, reviewer, item_id, body.mark, body.reason)


@router.post(
    "/knowledge/{item_id}/unpublish", response_model=PublishResult, operation_id="unpublish_knowledge"
)
async def unpublish_knowledge(item_id: str, who: Principal) -> PublishResult:
    """Make your org's item private again (curator keys)."""
    async with session_scope() as session:
        return await items.set_public(session, who, item_id, False)
