"""What one client of the live stream receives: replay from the events table, then live events.

Used by ``GET /api/v1/stream/feed``. The client subscribes to the process's event hub *before*
it reads the replay, so no event falls between the two; events seen in both are dropped by id.
Only events the caller's org may see are yielded: public ones, and its own org's private ones.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from hivemind_api.db.engine import session_scope
from hivemind_api.errors import InvalidInput
from hivemind_api.events.hub import EventHub
from hivemind_api.events.log import EventRecord, events_after

REPLAY_PAGE = 500


class StreamLagging(Exception):
    """The client fell too far behind the live events; it should reconnect with Last-Event-ID."""


def parse_cursor(last_event_id: str | None, since: int | None) -> int | None:
    """The id to replay after: ``Last-Event-ID`` (set by a reconnecting EventSource) wins over ``since``."""
    if last_event_id is not None and last_event_id.strip():
        try:
            value = int(last_event_id.strip())
        except ValueError:
            raise InvalidInput(
                f"Last-Event-ID must be an event id (an integer), not {last_event_id!r}"
            ) from None
        if value < 0:
            raise InvalidInput("Last-Event-ID must not be negative")
        return value
    return since


async def follow(hub: EventHub, org_id: uuid.UUID, after: int | None) -> AsyncIterator[EventRecord]:
    """Events visible to ``org_id``, in id order: those after ``after`` (None: from now on), then
    live ones, until the client falls too far behind (``StreamLagging``)."""
    with hub.subscribe() as live:
        last = after if after is not None else hub.last_id or 0
        if after is not None:
            while True:
                async with session_scope() as db:
                    page = await events_after(db, last, limit=REPLAY_PAGE, visible_to=org_id)
                for event in page:
                    yield event
                    last = event.id
                if len(page) < REPLAY_PAGE:
                    break
        while True:
            batch = await live.next_batch()
            if live.overflowed:
                raise StreamLagging("the client fell behind the live events")
            for event in batch or []:  # no timeout: a batch always comes
                if event.id > last and event.visible_to(org_id):
                    yield event
                    last = event.id
