"""Home: the org's headline numbers, read from the database on every visit."""

from __future__ import annotations

import reflex as rx

from hivemind_api.db.engine import session_scope
from hivemind_api.overview import org_overview
from hivemind_app.components.layout import page_layout
from hivemind_app.components.secret_reveal import secret_reveal
from hivemind_app.components.stat_card import stat_card
from hivemind_app.state.auth import AuthState
from hivemind_app.state.feed import OrgFeedState, PublicFeedState
from hivemind_app.state.first_key import FirstKeyState


def _feed_entry(row: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.text(row["at"], size="1", color_scheme="gray", width="5em"),
        rx.badge(row["type"], variant="soft"),
        rx.text(row["title"], size="2", weight="medium"),
        rx.text(row["org"], size="1", color_scheme="gray"),
        spacing="2",
        align="center",
        width="100%",
        class_name="feed-entry",
    )


def feed_card(title: str, entries: rx.Var, element_id: str, empty: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("radio", size=16, color=rx.color("green", 9)),
                rx.text(title, weight="bold"),
                align="center",
                spacing="2",
            ),
            rx.cond(
                entries.length() > 0,
                rx.vstack(rx.foreach(entries, _feed_entry), spacing="1", width="100%"),
                rx.text(empty, size="2", color_scheme="gray"),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id=element_id,
    )


class HomeState(AuthState):
    pending: int = 0
    org_items: int = 0
    public_items: int = 0
    commons_items: int = 0
    active_keys: int = 0
    members: int = 0

    @rx.event
    async def load(self):
        principal = await self._signed_in()
        if principal is None:
            return AuthState.require_session
        async with session_scope() as db:
            o = await org_overview(db, principal.org.id)
        self.pending, self.org_items, self.public_items = o.pending_contributions, o.org_items, o.public_items
        self.commons_items, self.active_keys, self.members = o.commons_items, o.active_keys, o.members
        return None


def _body() -> rx.Component:
    return rx.vstack(
        rx.cond(
            FirstKeyState.key != "",
            secret_reveal(
                "API key for agent " + FirstKeyState.agent,
                FirstKeyState.key,
                FirstKeyState.dismiss,
                element_id="first-key",
            ),
        ),
        rx.grid(
            stat_card(
                "Pending review",
                HomeState.pending,
                "contributions waiting for a curator",
                card_id="stat-pending",
            ),
            stat_card(
                "Org knowledge", HomeState.org_items, "live items in your namespace", card_id="stat-org-items"
            ),
            stat_card(
                "Published by you",
                HomeState.public_items,
                "your items in the public commons",
                card_id="stat-public-items",
            ),
            stat_card(
                "Public commons", HomeState.commons_items, "items shared by every org", card_id="stat-commons"
            ),
            stat_card(
                "Active API keys", HomeState.active_keys, "agents that can connect", card_id="stat-keys"
            ),
            stat_card("Members", HomeState.members, "curators, admins and viewers", card_id="stat-members"),
            columns=rx.breakpoints(initial="1", sm="2", lg="3"),
            spacing="4",
            width="100%",
        ),
        rx.grid(
            feed_card(
                "Public commons, live", PublicFeedState.entries, "feed-public", "Nothing published yet."
            ),
            feed_card("Your org, live", OrgFeedState.entries, "feed-org", "No activity yet."),
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="4",
            width="100%",
        ),
        rx.cond(
            (HomeState.active_keys == 0) & (FirstKeyState.key == ""),
            rx.callout(
                "No agent can connect yet. Create an API key with "
                "`hivemind key create --org <slug> --agent <agent-id>` and give it to your agent.",
                icon="key-round",
                id="hint-no-keys",
            ),
        ),
        width="100%",
        spacing="4",
    )


home_page = page_layout("Home", _body)
