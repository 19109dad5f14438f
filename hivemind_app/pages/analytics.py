"""Analytics: the public commons (stat cards, growth from real daily counts, categories), the
org's reciprocity ledger, agents, and top items, all from ``hivemind_api.stats``.

It follows the live feed: the page joins the shared feed states, and a hidden element keyed on
their newest event ids remounts whenever an event arrives, which re-runs ``refresh``.
"""

from __future__ import annotations

from typing import Any, TypedDict

import reflex as rx

from hivemind_api import stats
from hivemind_api.db.engine import session_scope
from hivemind_app import routes
from hivemind_app.components.data_table import data_table
from hivemind_app.components.layout import page_layout
from hivemind_app.components.stat_card import stat_card
from hivemind_app.state.auth import AuthState
from hivemind_app.state.feed import OrgFeedState, PublicFeedState


def _pct(rate: float) -> str:
    return f"{rate * 100:.1f} %"


def _growth(added: int, total: int, rate: float) -> str:
    """A growth rate, or "all new" when the commons was empty at the start of the window."""
    return "all new" if added and added == total else _pct(rate)


class CommonsView(TypedDict, total=False):
    """The public commons' figures as the cards show them (empty until the page loads)."""

    total: str
    added_24h: str
    added_7d: str
    growth_24h: str
    growth_7d: str
    retrievals_24h: str
    domains: str
    orgs: str


class LedgerView(TypedDict, total=False):
    """The org's reciprocity ledger as the page shows it (empty until the page loads)."""

    contributions: str
    pending: str
    approved_24h: str
    items: str
    public: str
    given: str
    own: str
    taken: str
    helpful: str
    not_helpful: str


class DayRow(TypedDict):
    day: str  # MM-DD
    added: int
    total: int


class CategoryRow(TypedDict):
    category: str
    count: int


class AgentRow(TypedDict):
    agent: str
    contributions: str
    pending: str
    approved: str
    items: str
    retrievals: str
    by_others: str
    helpful: str  # a percentage, or "–" before any outcome


class TopItemRow(TypedDict):
    id: str
    title: str
    category: str
    by_others: str
    helpful: str
    all: str
    public: str


class AnalyticsState(AuthState):
    commons: CommonsView = {}
    daily: list[DayRow] = []
    categories: list[CategoryRow] = []
    ledger: LedgerView = {}
    agents: list[AgentRow] = []
    top_items: list[TopItemRow] = []

    @rx.event
    async def load(self):
        principal = await self._signed_in()
        if principal is None:
            return AuthState.require_session
        await self._fill(principal.org.id)
        return None

    @rx.event
    async def refresh(self):
        principal = await self._principal()
        if principal is not None:
            await self._fill(principal.org.id)

    async def _fill(self, org_id) -> None:
        async with session_scope() as db:
            c = await stats.commons_stats(db, org_id)
            o = await stats.org_stats(db, org_id)
            agents = await stats.agent_table(db, org_id)
        self.commons = CommonsView(
            total=str(c.total_items),
            added_24h=str(c.added_24h),
            added_7d=str(c.added_7d),
            growth_24h=_growth(c.added_24h, c.total_items, c.growth_ratio_24h),
            growth_7d=_growth(c.added_7d, c.total_items, c.growth_ratio_7d),
            retrievals_24h=str(c.retrieval_volume_24h),
            domains=str(c.frameworks_covered),
            orgs=str(c.contributing_orgs),
        )
        self.daily = [DayRow(day=f"{d.date:%m-%d}", added=d.added, total=d.total) for d in c.daily]
        self.categories = [CategoryRow(category=k.category, count=k.count) for k in c.categories]
        self.ledger = LedgerView(
            contributions=str(o.contributions_total),
            pending=str(o.contributions_pending),
            approved_24h=str(o.contributions_approved_24h),
            items=str(o.items_live),
            public=str(o.items_public),
            given=str(o.retrievals_by_others),
            own=str(o.retrievals_by_own),
            taken=str(o.retrievals_from_others),
            helpful=str(o.helpful_count),
            not_helpful=str(o.not_helpful_count),
        )
        self.agents = [
            AgentRow(
                agent=a.agent_id,
                contributions=str(a.agent_contributions),
                pending=str(a.agent_pending),
                approved=str(a.agent_approved),
                items=str(a.agent_items_live),
                retrievals=str(a.agent_retrievals_received),
                by_others=str(a.agent_retrievals_by_others),
                helpful="–" if a.agent_helpful_ratio is None else _pct(a.agent_helpful_ratio),
            )
            for a in agents
        ]
        self.top_items = [
            TopItemRow(
                id=str(t.id),
                title=t.title,
                category=t.category,
                by_others=str(t.retrievals_by_others),
                helpful=str(t.helpful_by_others),
                all=str(t.retrieval_count),
                public="public" if t.is_public else "",
            )
            for t in o.top_items
        ]


def _commons_cards() -> rx.Component:
    c = AnalyticsState.commons
    return rx.grid(
        stat_card("Public items", c["total"], "live items in the commons", card_id="an-total"),
        stat_card("New in 24 h", c["added_24h"], "growth " + c["growth_24h"], card_id="an-added-24h"),
        stat_card("New in 7 days", c["added_7d"], "growth " + c["growth_7d"], card_id="an-added-7d"),
        stat_card(
            "Retrievals, 24 h", c["retrievals_24h"], "of public items, by every org", card_id="an-retrievals"
        ),
        stat_card("Domains", c["domains"], c["orgs"] + " contributing orgs", card_id="an-domains"),
        columns="5",
        spacing="3",
        width="100%",
    )


def _panel(title: str, content: rx.Component, panel_id: str | None = None) -> rx.Component:
    """A titled, full-width card: every section of this page."""
    return rx.card(rx.text(title, weight="bold"), content, width="100%", id=panel_id)


def _growth_chart() -> rx.Component:
    return _panel(
        "Commons growth, last 30 days (UTC)",
        rx.recharts.composed_chart(
            rx.recharts.bar(data_key="added", name="entered that day", fill=rx.color("amber", 8)),
            rx.recharts.line(
                data_key="total",
                name="public items",
                stroke=rx.color("blue", 9),
                dot=False,
                y_axis_id="right",
            ),
            rx.recharts.x_axis(data_key="day"),
            rx.recharts.y_axis(allow_decimals=False),
            rx.recharts.y_axis(y_axis_id="right", orientation="right", allow_decimals=False),
            rx.recharts.graphing_tooltip(),
            rx.recharts.legend(),
            data=AnalyticsState.daily,
            height=260,
            width="100%",
        ),
        "growth-chart",
    )


def _categories_chart() -> rx.Component:
    return _panel(
        "Public items by category",
        rx.recharts.bar_chart(
            rx.recharts.bar(data_key="count", fill=rx.color("green", 8)),
            rx.recharts.x_axis(data_key="category"),
            rx.recharts.y_axis(allow_decimals=False),
            rx.recharts.graphing_tooltip(),
            data=AnalyticsState.categories,
            height=260,
            width="100%",
        ),
        "categories-chart",
    )


def _ledger() -> rx.Component:
    led = AnalyticsState.ledger
    return rx.card(
        rx.vstack(
            rx.text("Reciprocity ledger: " + AuthState.org_name, weight="bold"),
            rx.grid(
                stat_card(
                    "Given",
                    led["given"],
                    "retrievals of our items by other orgs' agents",
                    card_id="led-given",
                ),
                stat_card(
                    "Taken",
                    led["taken"],
                    "retrievals of other orgs' items by our agents",
                    card_id="led-taken",
                ),
                stat_card(
                    "Helpful",
                    led["helpful"],
                    led["not_helpful"] + " did not help (other orgs' outcomes)",
                    card_id="led-helpful",
                ),
                stat_card(
                    "Contributions",
                    led["contributions"],
                    led["pending"] + " pending, " + led["approved_24h"] + " approved in 24 h",
                    card_id="led-contributions",
                ),
                stat_card(
                    "Our live items",
                    led["items"],
                    led["public"] + " public; " + led["own"] + " own-org reads",
                    card_id="led-items",
                ),
                columns="5",
                spacing="3",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _agents_and_top() -> rx.Component:
    return rx.grid(
        _panel(
            "Agents",
            data_table(
                (
                    "Agent",
                    "Contributed",
                    "Pending",
                    "Approved",
                    "Live items",
                    "Retrievals",
                    "By other orgs",
                    "Helpful",
                ),
                AnalyticsState.agents,
                lambda r: rx.table.row(
                    *[
                        rx.table.cell(r[k])
                        for k in (
                            "agent",
                            "contributions",
                            "pending",
                            "approved",
                            "items",
                            "retrievals",
                            "by_others",
                            "helpful",
                        )
                    ]
                ),
                element_id="agents-table",
            ),
        ),
        _panel(
            "Top items (use by other orgs)",
            data_table(
                ("Item", "By other orgs", "Helpful", "All retrievals"),
                AnalyticsState.top_items,
                lambda r: rx.table.row(
                    rx.table.cell(
                        rx.link(r["title"], href=routes.KNOWLEDGE + "?item=" + r["id"]),
                        rx.cond(r["public"] != "", rx.badge("public", margin_left="0.5em")),
                    ),
                    rx.table.cell(r["by_others"]),
                    rx.table.cell(r["helpful"]),
                    rx.table.cell(r["all"]),
                ),
                element_id="top-items",
            ),
        ),
        columns="1",
        spacing="3",
        width="100%",
    )


def _live_trigger() -> rx.Component:
    """Remounts (so refreshes the figures) whenever either live feed gets a newer event."""

    def newest(entries: Any) -> Any:
        return rx.cond(entries.length() > 0, entries[0]["id"], "none")

    # The key sits on the outer box: a new key remounts its child, whose on_mount then fires again.
    return rx.box(
        rx.box(on_mount=AnalyticsState.refresh),
        key=newest(PublicFeedState.entries) + "-" + newest(OrgFeedState.entries),
        display="none",
    )


def _body() -> rx.Component:
    return rx.vstack(
        _live_trigger(),
        rx.heading("Public commons", size="4"),
        _commons_cards(),
        rx.grid(_growth_chart(), _categories_chart(), columns="2", spacing="3", width="100%"),
        rx.heading("Your org", size="4"),
        _ledger(),
        _agents_and_top(),
        width="100%",
        spacing="4",
    )


analytics_page = page_layout("Analytics", _body)
