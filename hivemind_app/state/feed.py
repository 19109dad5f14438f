"""The live feeds every open tab shares: the public commons and the signed-in org's own.

``rx.SharedState``: one state per feed token, linked by each tab that shows it; the backend's
listener (``hivemind_app.feed_listener``) rewrites it from the events table and Reflex pushes
the change to every linked tab. Joining checks the session on the server: a tab only ever links
to its own org's feed.
"""

from __future__ import annotations

import uuid
from typing import TypedDict

import reflex as rx

from hivemind_api.db.engine import session_scope
from hivemind_api.events import feeds
from hivemind_app.state.auth import AuthState

PUBLIC_TOKEN = "feed-public"
# Orgs with a linked tab in this process: the listener keeps their feeds alive.
joined_orgs: set[uuid.UUID] = set()


def org_token(org_id: uuid.UUID) -> str:
    return f"feed-org-{org_id.hex}"  # shared tokens may not contain underscores


class FeedRow(TypedDict):
    """One feed line as the tabs render it (``public`` is "public" or empty)."""

    id: str
    type: str
    title: str
    category: str
    org: str
    at: str
    public: str


def as_rows(entries: list[feeds.FeedEntry]) -> list[FeedRow]:
    return [
        FeedRow(
            id=str(e.event_id),
            type=e.type.split(".", 1)[1],
            title=e.title or "(untitled)",
            category=e.category,
            org=e.org_name,
            at=e.at.strftime("%H:%M:%S"),
            public="public" if e.is_public else "",
        )
        for e in entries
    ]


async def public_rows() -> list[FeedRow]:
    async with session_scope() as db:
        return as_rows(await feeds.public_feed(db))


async def org_rows(org_id: uuid.UUID) -> list[FeedRow]:
    async with session_scope() as db:
        return as_rows(await feeds.org_feed(db, org_id))


class PublicFeedState(rx.SharedState):
    entries: list[FeedRow] = []

    @rx.event
    async def join(self):
        auth = await self.get_state(AuthState)
        if await auth._principal() is None:
            return
        linked = await self._link_to(PUBLIC_TOKEN)
        linked.entries = await public_rows()  # set from the table, never appended


class OrgFeedState(rx.SharedState):
    entries: list[FeedRow] = []

    @rx.event
    async def join(self):
        auth = await self.get_state(AuthState)
        principal = await auth._principal()
        if principal is None:
            return
        joined_orgs.add(principal.org.id)
        linked = await self._link_to(org_token(principal.org.id))
        linked.entries = await org_rows(principal.org.id)
