"""One LISTEN connection per backend process, fanned out to everything that follows the events.

The dashboard's live feeds, every SSE client and the webhook dispatcher all subscribe here, so a
thousand open streams cost one Postgres connection, not a thousand. ``pg_notify`` carries only
an event id and a notification can be missed (the connection was being re-established, the
database restarted), so the hub never trusts the payload: on every wake-up it reads the events
table after the last id it has seen (exact, because event ids commit in order; see
``hivemind_api.events.log``) and hands each subscriber the same ordered batch.

A subscriber that falls too far behind is cut off rather than allowed to grow memory without
bound; an SSE client then reconnects with ``Last-Event-ID`` and replays from the table.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

import asyncpg

from hivemind_api.db.engine import session_scope
from hivemind_api.db.urls import libpq_url
from hivemind_api.events.log import CHANNEL, EventRecord, events_after, latest_event_id

log = logging.getLogger("hivemind.events")
RETRY_S = 1.0
MAX_BACKLOG = 2000  # events a subscriber may have waiting before it is cut off
_LOST = "connection lost"


class Subscription:
    """An ordered stream of event batches for one consumer."""

    def __init__(self, hub: EventHub) -> None:
        self._hub = hub
        self._queue: asyncio.Queue[list[EventRecord]] = asyncio.Queue()
        self._backlog = 0
        self.overflowed = False

    def _offer(self, batch: list[EventRecord]) -> None:
        if self.overflowed:
            return
        if self._backlog + len(batch) > MAX_BACKLOG:
            self.overflowed = True
            self._queue.put_nowait([])  # wake the consumer so it sees the overflow
            return
        self._backlog += len(batch)
        self._queue.put_nowait(batch)

    async def next_batch(self, timeout: float | None = None) -> list[EventRecord] | None:
        """The next batch, or None after ``timeout`` seconds without events."""
        try:
            batch = await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None
        self._backlog -= len(batch)
        return batch

    def close(self) -> None:
        self._hub._subscribers.discard(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class EventHub:
    def __init__(self) -> None:
        self._subscribers: set[Subscription] = set()
        self.last_id: int | None = None

    def subscribe(self) -> Subscription:
        sub = Subscription(self)
        self._subscribers.add(sub)
        return sub

    async def follow(self, idle_timeout: float) -> AsyncIterator[list[EventRecord] | None]:
        """For consumers that rebuild from the table rather than replay: each batch as it comes,
        ``[]`` after ``idle_timeout`` seconds without events, and ``None`` when the consumer fell
        behind and may have missed events (it is resubscribed and should rebuild everything)."""
        sub = self.subscribe()
        try:
            while True:
                batch = await sub.next_batch(idle_timeout)
                if sub.overflowed:
                    sub.close()
                    sub = self.subscribe()
                    yield None
                else:
                    yield batch or []
        finally:
            sub.close()

    def _dispatch(self, batch: list[EventRecord]) -> None:
        for sub in list(self._subscribers):
            sub._offer(batch)

    async def _catch_up(self) -> None:
        while True:
            async with session_scope() as db:
                batch = await events_after(db, self.last_id or 0)
            if not batch:
                return
            self.last_id = batch[-1].id
            self._dispatch(batch)

    async def run(self, database_url: Callable[[], str]) -> None:
        """LISTEN, catch up, dispatch; reconnect (and catch up) after any failure. Runs until cancelled
        (one run per backend lifespan; it starts from the newest event)."""
        self.last_id = None
        while self.last_id is None:
            try:
                async with session_scope() as db:
                    self.last_id = await latest_event_id(db)
            except Exception as err:  # noqa: BLE001 - the runtime may still be starting
                log.debug("event hub waiting for the database: %s", err)
                await asyncio.sleep(RETRY_S)
        while True:
            conn = None
            try:
                wake: asyncio.Queue[str] = asyncio.Queue()
                conn = await asyncpg.connect(libpq_url(database_url()))
                await conn.add_listener(CHANNEL, lambda _c, _pid, _ch, payload, q=wake: q.put_nowait(payload))
                # An idle LISTEN connection raises nothing when the server drops it: asyncpg tells us.
                conn.add_termination_listener(lambda _c, q=wake: q.put_nowait(_LOST))
                await self._catch_up()  # whatever happened while we were away
                while True:
                    signals = [await wake.get()]
                    while not wake.empty():  # a burst of notifications costs one read
                        signals.append(wake.get_nowait())
                    if _LOST in signals:
                        raise ConnectionError("the LISTEN connection was closed by the server")
                    await self._catch_up()
            except asyncio.CancelledError:
                raise
            except Exception as err:  # noqa: BLE001 - reconnect and catch up
                log.warning("event hub lost its connection (%s); reconnecting", err)
                await asyncio.sleep(RETRY_S)
            finally:
                if conn is not None and not conn.is_closed():
                    await conn.close()


hub = EventHub()
