"""Keeps the dashboard's live feeds current: a lifespan task following the process's event hub.

The hub (``hivemind_api.events.hub``) owns the one LISTEN connection and hands over every event
in order, including those it caught up on after a reconnect. Feeds are never appended from an
event: the events only say which feeds changed, and those are rewritten from the table, so every
backend process and every reconnect shows the same, complete history. A heartbeat every few
minutes rewrites the joined feeds too, which keeps their shared states from expiring.
"""

from __future__ import annotations

import logging

import reflex as rx

from hivemind_api.events.feeds import PUBLIC_REFRESH_TYPES
from hivemind_api.events.hub import hub
from hivemind_api.events.log import EventRecord
from hivemind_app.state.feed import (
    PUBLIC_TOKEN,
    OrgFeedState,
    PublicFeedState,
    joined_orgs,
    org_rows,
    org_token,
    public_rows,
)

log = logging.getLogger("hivemind.feed")
HEARTBEAT_S = 300


async def _push_public(app: rx.App) -> None:
    rows = await public_rows()
    async with app.modify_state(rx.BaseStateToken(ident=PUBLIC_TOKEN, cls=PublicFeedState)) as root:
        (await root.get_state(PublicFeedState)).entries = rows


async def _push_org(app: rx.App, org_id) -> None:
    rows = await org_rows(org_id)
    async with app.modify_state(rx.BaseStateToken(ident=org_token(org_id), cls=OrgFeedState)) as root:
        (await root.get_state(OrgFeedState)).entries = rows


async def _refresh(app: rx.App, batch: list[EventRecord] | None) -> None:
    """Rewrite the feeds ``batch`` touched (every joined feed for a heartbeat ``[]`` or after
    falling behind, ``None``)."""
    everything = not batch
    public = everything or any(e.is_public and e.type in PUBLIC_REFRESH_TYPES for e in batch)
    orgs = set(joined_orgs) if everything else {e.org_id for e in batch} & joined_orgs
    if public:
        await _push_public(app)
    for org_id in orgs:
        await _push_org(app, org_id)


async def feed_listener(app: rx.App) -> None:
    """Lifespan task: refresh the feeds each batch of events touches."""
    async for batch in hub.follow(idle_timeout=HEARTBEAT_S):
        try:
            await _refresh(app, batch)
        except Exception as err:  # noqa: BLE001 - the next batch or heartbeat retries
            log.warning("feed refresh failed: %s", err)
