"""One LISTEN connection per backend process, fanning the events table out to the live feeds.

``pg_notify`` carries only an event id, and a notification can be missed (the listener was
reconnecting, the database restarted), so the listener never trusts the payload: on every
wake-up it asks the events table what changed since the last id it saw and rewrites those
feeds from the table. A heartbeat every few minutes rewrites the joined feeds too, which keeps
their shared states from expiring.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg
import reflex as rx

from hivemind_api import feeds
from hivemind_api.db.engine import session_scope
from hivemind_api.db.urls import libpq_url
from hivemind_api.events import CHANNEL
from hivemind_api.runtime import current_runtime
from hivemind_app.state.feed import (
    PUBLIC_TOKEN, OrgFeedState, PublicFeedState, joined_orgs, org_rows, org_token, public_rows,
)

log = logging.getLogger("hivemind.feed")
HEARTBEAT_S = 300
RETRY_S = 1.0
_LOST = "connection lost"


async def _push_public(app: rx.App) -> None:
    rows = await public_rows()
    async with app.modify_state(rx.BaseStateToken(ident=PUBLIC_TOKEN, cls=PublicFeedState)) as root:
        (await root.get_state(PublicFeedState)).entries = rows


async def _push_org(app: rx.App, org_id) -> None:  # noqa: ANN001 - uuid
    rows = await org_rows(org_id)
    async with app.modify_state(rx.BaseStateToken(ident=org_token(org_id), cls=OrgFeedState)) as root:
        (await root.get_state(OrgFeedState)).entries = rows


async def _catch_up(app: rx.App, last_id: int) -> int:
    async with session_scope() as db:
        changes = await feeds.changes_after(db, last_id)
    if changes.public:
        await _push_public(app)
    for org_id in changes.org_ids & joined_orgs:
        await _push_org(app, org_id)
    return changes.last_id


async def feed_listener(app: rx.App) -> None:
    """Lifespan task: LISTEN, catch up, push; reconnect (and catch up) after any failure."""
    while True:
        try:
            async with session_scope() as db:
                last_id = await feeds.latest_event_id(db)
            break
        except Exception as err:  # noqa: BLE001 - the runtime may still be starting
            log.debug("feed listener waiting for the database: %s", err)
            await asyncio.sleep(RETRY_S)
    while True:
        conn = None
        try:
            wake: asyncio.Queue[str] = asyncio.Queue()
            conn = await asyncpg.connect(libpq_url(current_runtime().services.database_url))
            await conn.add_listener(CHANNEL, lambda _c, _pid, _ch, payload: wake.put_nowait(payload))
            # An idle LISTEN connection raises nothing when the server drops it: asyncpg tells us.
            conn.add_termination_listener(lambda _c: wake.put_nowait(_LOST))
            last_id = await _catch_up(app, last_id)  # whatever happened while we were away
            while True:
                try:
                    signals = [await asyncio.wait_for(wake.get(), timeout=HEARTBEAT_S)]
                except TimeoutError:
                    signals = []
                    await _push_public(app)
                    for org_id in list(joined_orgs):
                        await _push_org(app, org_id)
                while not wake.empty():  # a burst of events costs one refresh
                    signals.append(wake.get_nowait())
                if _LOST in signals:
                    raise ConnectionError("the LISTEN connection was closed by the server")
                last_id = await _catch_up(app, last_id)
        except asyncio.CancelledError:
            raise
        except Exception as err:  # noqa: BLE001 - reconnect and catch up
            log.warning("feed listener lost its connection (%s); reconnecting", err)
            await asyncio.sleep(RETRY_S)
        finally:
            if conn is not None and not conn.is_closed():
                await conn.close()
