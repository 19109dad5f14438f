"""What ``follow()`` does with each Server-Sent Event, shared by the sync and async clients.

The server puts the event id in every event's ``id:`` line and, when a stream opens, the id it
starts after in the first block's ``id:`` line. The cursor keeps the newest id seen, so a
reconnect sends it as ``Last-Event-ID`` and the server replays exactly what was missed; an event
at or below the cursor (a replay overlapping what was already yielded) is dropped, so nothing is
yielded twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from httpx_sse import ServerSentEvent

from hivemind_client.models import Event

EVENT_CHANNELS = frozenset({"public", "private"})


@dataclass
class Cursor:
    last_event_id: int | None = None

    def headers(self) -> dict[str, str]:
        return {} if self.last_event_id is None else {"Last-Event-ID": str(self.last_event_id)}

    def take(self, sse: ServerSentEvent) -> Event | None:
        """The event to yield for this block, or None (a ping, the opening block, a repeat)."""
        ident = _int(sse.id)
        if sse.event not in EVENT_CHANNELS:
            if not sse.data and ident is not None and self.last_event_id is None:
                self.last_event_id = ident  # the opening block: where this stream starts
            return None
        event = Event.model_validate({**json.loads(sse.data), "channel": sse.event})
        if self.last_event_id is not None and event.event_id <= self.last_event_id:
            return None
        self.last_event_id = event.event_id
        return event


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None
