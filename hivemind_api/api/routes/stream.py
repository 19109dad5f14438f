"""``GET /api/v1/stream/feed``: the live event stream (Server-Sent Events, via sse-starlette)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from sse_starlette import EventSourceResponse, ServerSentEvent

from hivemind_api.accounts.caller import Caller
from hivemind_api.api.deps import principal, runtime_settings
from hivemind_api.config import Settings
from hivemind_api.db.engine import session_scope
from hivemind_api.events.hub import hub
from hivemind_api.events.log import latest_event_id
from hivemind_api.events.stream import StreamLagging, follow, parse_cursor

router = APIRouter(prefix="/api/v1")
RETRY_MS = 2000  # how long a disconnected EventSource waits before it reconnects


async def _now_cursor() -> int:
    """The newest event id this backend knows (the hub's, else the table's)."""
    if hub.last_id is not None:
        return hub.last_id
    async with session_scope() as db:
        return await latest_event_id(db)


def _ping() -> ServerSentEvent:
    return ServerSentEvent(data="", event="ping")


@router.get(
    "/stream/feed",
    tags=["stream"],
    operation_id="stream_knowledge_feed",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream_knowledge_feed(
    who: Annotated[Caller, Depends(principal)],
    settings: Annotated[Settings, Depends(runtime_settings)],
    since: Annotated[int | None, Query(ge=0, description="Replay the events after this id first")] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> EventSourceResponse:
    """Live events as Server-Sent Events: ``public`` (items entering or leaving the public commons,
    from every org) and ``private`` (your org's own events), each with ``id:`` set to the event id,
    plus a ``ping`` event at least every 25 s. Reconnect with ``Last-Event-ID`` (browsers'
    EventSource does it for you) or ``?since=`` to replay exactly the events you missed."""
    after = parse_cursor(last_event_id, since)
    if after is None:
        # "From now on" is pinned to an event id and sent in the first block's id line, so a client
        # that loses the connection before any event arrives resumes from here, missing nothing.
        after = await _now_cursor()

    async def events() -> AsyncIterator[ServerSentEvent]:
        yield ServerSentEvent(comment="connected", id=str(after), retry=RETRY_MS)
        try:
            async for event in follow(hub, who.org_id, after):  # sse-starlette stops it on disconnect
                yield ServerSentEvent(
                    data=json.dumps(event.as_payload(), separators=(",", ":")),
                    id=str(event.id),
                    event="public" if event.is_public else "private",
                )
        except StreamLagging:
            return  # the client reconnects with Last-Event-ID and replays from the table

    return EventSourceResponse(
        events(),
        ping=settings.sse_ping_seconds,
        ping_message_factory=_ping,
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
