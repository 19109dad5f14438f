"""Knowledge browser: the same hybrid search agents use, and each item's provenance, quality,
usage and history; curators publish to or withdraw from the public commons.

A member browses as their org's agents see the commons (``SessionPrincipal.caller``): private items of their
org plus the public ones. Browsing records no retrievals, so usage stays what agents did.
"""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from hivemind_api.accounts.sessions import SessionPrincipal
from hivemind_api.db.engine import session_scope
from hivemind_api.errors import DomainError
from hivemind_api.knowledge import items, purge, quarantine
from hivemind_api.knowledge.search import SearchFilters, search
from hivemind_api.vocab import CATEGORIES, MemberRole
from hivemind_app.components.confirm import confirm_button
from hivemind_app.components.data_table import data_table
from hivemind_app.components.layout import page_layout
from hivemind_app.state.auth import AuthState

ALL = "all"


def _stamp(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


def _tally(votes: dict[str, int]) -> str:
    words = {
        "solved": "solved",
        "did_not_help": "did not help",
        "outdated": "outdated",
        "incorrect": "incorrect",
    }
    said = [f"{n} {words[k]}" for k, n in votes.items() if n]
    return " · ".join(said) or "none"


def _versions(framework: str | None, version_range: str | None) -> str:
    return " ".join(x for x in (framework, version_range or "every version") if x)


class ItemView(TypedDict, total=False):
    """The open item as the page shows it (empty while none is open)."""

    id: str
    title: str
    content: str
    category: str
    org: str
    agent: str
    run: str
    contributed: str
    approved: str
    hash: str
    integrity: str  # "verified" or the warning
    public: str  # "public" or "private"
    quality: str
    confidence: str
    own: str  # retrievals by the own org's agents
    others: str
    solved: str
    not_helpful: str
    valid: str
    mine: bool  # the member's org owns it
    # quality's parts (knowledge.quality): each in [0, 1], the penalty subtracted
    usefulness: str
    popularity: str
    freshness: str
    penalty: str
    votes_own: str  # counted votes of the item's own org, e.g. "2 solved · 1 did not help"
    votes_others: str
    mark: str  # the curator's mark and reason, or empty
    versions: str  # "django >=4.2,<5", or "every version"
    forked_from: str  # the item it was forked from, or empty


class RevisionRow(TypedDict):
    kind: str  # "as contributed" | "curator's edit"
    who: str
    at: str
    content: str


class RangeRow(TypedDict):
    versions: str
    span: str  # "2026-01-02 10:00 → now"
    reason: str


class ForkRow(TypedDict):
    id: str
    title: str
    direction: str
    versions: str


class ResultRow(TypedDict):
    id: str
    title: str
    category: str
    org: str
    quality: str
    relevance: str
    public: str  # "public" or "private"


class QuarantinedRow(TypedDict):
    id: str
    title: str
    category: str
    at: str
    reasons: str
    content: str  # the first 400 characters
    public: str


class KnowledgeState(AuthState):
    query: str = ""
    category: str = ALL
    results: list[ResultRow] = []
    total: int = 0
    item: ItemView = {}
    item_events: list[str] = []
    revisions: list[RevisionRow] = []
    ranges: list[RangeRow] = []
    forks: list[ForkRow] = []
    mark_choice: str = "outdated"
    mark_reason: str = ""
    quarantined: list[QuarantinedRow] = []  # the org's quarantined items (curators only)

    @rx.var
    def can_curate(self) -> bool:
        return self.role in (MemberRole.CURATOR, MemberRole.ADMIN)

    @rx.event
    async def load(self):
        """On load; ``/knowledge?item=<id>`` opens that item (links from the review queue)."""
        principal = await self._signed_in()
        if principal is None:
            return AuthState.require_session
        await self._load_quarantined(principal)
        item_id = self.router.url.query_parameters.get("item", "")
        if item_id:
            try:
                await self._load_item(principal, item_id)
            except DomainError as err:
                self.item = {}
                return rx.toast.error(str(err))
        return None

    async def _search(self) -> None:
        principal = await self._principal()
        if principal is None or not self.query.strip():
            self.results, self.total = [], 0
            return
        async with session_scope() as db:
            result = await search(
                db,
                principal.caller,
                self.query,
                filters=SearchFilters(category=None if self.category == ALL else self.category),
                limit=20,
            )
        self.total = result.total_found
        self.results = [
            ResultRow(
                id=str(h.id),
                title=h.title,
                category=h.category,
                org=h.org_attribution,
                quality=f"{h.quality_score:.2f}",
                relevance=f"{h.relevance_score:.2f}",
                public="public" if h.is_public else "private",
            )
            for h in result.results
        ]

    @rx.event(supersedes=True)
    async def set_query(self, value: str):
        self.query = value
        await self._search()

    @rx.event
    async def set_category_filter(self, value: str):
        before, self.category = self.category, value
        try:
            await self._search()
        except DomainError as err:  # a forged category: nothing changes
            self.category = before
            return rx.toast.error(str(err))
        return None

    async def _load_item(self, principal: SessionPrincipal, item_id: str) -> None:
        viewer = principal.caller
        async with session_scope() as db:
            d = await items.get_item(db, viewer, item_id)
            a = await items.item_activity(db, viewer, item_id)
            h = await items.item_history(db, viewer, item_id)
        q = d.quality
        self.item = ItemView(
            id=str(d.id),
            title=d.title,
            content=d.content,
            category=d.category,
            org=d.org_attribution,
            agent=d.source_agent_id,
            run=d.run_id or "—",
            contributed=_stamp(d.contributed_at),
            approved=_stamp(d.approved_at),
            hash=d.content_hash,
            integrity="verified" if d.integrity_verified else (d.integrity_warning or ""),
            public="public" if d.is_public else "private",
            quality=f"{d.quality_score:.2f}",
            confidence=f"{d.confidence:.2f}",
            own=str(a.retrievals_own),
            others=str(a.retrievals_others),
            solved=str(a.solved),
            not_helpful=str(a.not_helpful),
            valid=f"valid from {_stamp(d.valid_at)} until {_stamp(d.invalid_at)}"
            + (f", superseded {_stamp(d.expired_at)}" if d.expired_at else ""),
            mine=d.org_attribution == principal.org.slug,
            usefulness=f"{q['usefulness']:.2f}",
            popularity=f"{q['popularity']:.2f}",
            freshness=f"{q['freshness']:.2f}",
            penalty=f"{q['penalty']:.2f}",
            votes_own=_tally(q["votes_own_org"]),
            votes_others=_tally(q["votes_other_orgs"]),
            mark=f"{q['curator_mark']}: {q['curator_mark_reason']}" if q["curator_mark"] else "",
            versions=_versions(d.framework, d.version_range),
            forked_from=str(d.forked_from or ""),
        )
        self.item_events = [f"{_stamp(at)} {kind}" for kind, at in a.events]
        self.revisions = [
            RevisionRow(
                kind="curator's edit" if r.kind == "curator_edit" else "as contributed",
                who=r.actor,
                at=_stamp(r.at),
                content=r.content,
            )
            for r in h.revisions
        ]
        self.ranges = [
            RangeRow(
                versions=r.version_range or "every version",
                span=f"{_stamp(r.valid_from)} → {_stamp(r.valid_to) if r.valid_to else 'now'}",
                reason=r.reason,
            )
            for r in h.ranges
        ]
        self.forks = [
            ForkRow(
                id=str(f.id),
                title=f.title,
                direction=f.direction,
                versions=f.version_range or "every version",
            )
            for f in h.forks
        ]
        self.mark_reason = ""

    async def _load_quarantined(self, principal: SessionPrincipal) -> None:
        if not principal.can_curate:
            self.quarantined = []
            return
        async with session_scope() as db:
            found = await quarantine.list_quarantined(db, principal.org.id)
        self.quarantined = [
            QuarantinedRow(
                id=str(q.id),
                title=q.title,
                category=q.category,
                at=_stamp(q.quarantined_at),
                reasons="; ".join(q.reasons),
                content=q.content[:400] + ("…" if len(q.content) > 400 else ""),
                public="public" if q.is_public else "private",
            )
            for q in found
        ]

    async def _curate(self, action, item_id: str):
        """Run ``action(db, curator, item_id)`` as a curator or admin, then refresh the lists."""
        principal = await self._with_role(MemberRole.CURATOR, MemberRole.ADMIN)
        if principal is None:
            return rx.toast.error("Only curators and admins can release or purge knowledge.")
        try:
            async with session_scope() as db:
                await action(db, principal.caller, item_id)
        except DomainError as err:
            return rx.toast.error(str(err))
        if self.item.get("id") == item_id:
            self.item = {}
        await self._load_quarantined(principal)
        await self._search()
        return None

    @rx.event
    async def release(self, item_id: str):
        failed = await self._curate(quarantine.release, item_id)
        return failed or rx.toast.success("Released: it is back in search, feeds and statistics")

    @rx.event
    async def purge(self, item_id: str):
        failed = await self._curate(purge.purge_item, item_id)
        return failed or rx.toast.success("Purged: its text is gone from every table")

    @rx.event
    async def open(self, item_id: str):
        principal = await self._principal()
        if principal is None:
            return AuthState.require_session
        try:
            await self._load_item(principal, item_id)
        except DomainError as err:
            return rx.toast.error(str(err))
        return None

    @rx.event
    def close(self):
        self.item = {}

    async def _act(
        self,
        roles: tuple[str, ...],
        denied: str,
        action,
        done: str | None = None,
        *,
        closes: bool = False,
    ):
        """Run ``action(db, viewer, item_id)`` on the open item as a member with one of ``roles``,
        then refresh the item (or close it, when the action removed it) and the results."""
        principal = await self._with_role(*roles)
        if principal is None:
            return rx.toast.error(denied)
        item_id = self.item.get("id", "")
        try:
            async with session_scope() as db:
                result = await action(db, principal.caller, item_id)
            if closes:
                self.item = {}
            else:
                await self._load_item(principal, item_id)
            await self._search()
        except DomainError as err:
            return rx.toast.error(str(err))
        return rx.toast.success(done or result.message)

    @rx.event
    async def invalidate(self):
        return await self._act(
            (MemberRole.CURATOR, MemberRole.ADMIN),
            "Only curators and admins can invalidate knowledge.",
            items.invalidate,
            "Invalidated: search no longer returns it; it stays readable for the record",
        )

    @rx.event
    def set_mark_choice(self, value: str):
        self.mark_choice = value

    @rx.event
    def set_mark_reason(self, value: str):
        self.mark_reason = value

    @rx.event
    async def mark(self, clear: bool = False):
        """Mark the open item outdated (a quality penalty) or incorrect (a larger one, and search
        stops returning it), with a reason; or clear the mark."""
        choice, reason = (None, None) if clear else (self.mark_choice, self.mark_reason)

        async def act(db, viewer, item_id):
            return await items.mark_item(db, viewer, item_id, choice, reason)

        return await self._act(
            (MemberRole.CURATOR, MemberRole.ADMIN),
            "Only curators and admins can mark knowledge.",
            act,
            "Mark cleared" if clear else f"Marked {choice}",
        )

    @rx.event
    async def delete(self):
        return await self._act(
            (MemberRole.ADMIN,),
            "Only admins can delete knowledge.",
            items.delete_own,
            "Deleted: it no longer appears anywhere",
            closes=True,
        )

    @rx.event
    async def set_public(self, is_public: bool):
        return await self._act(
            (MemberRole.CURATOR, MemberRole.ADMIN),
            "Only curators and admins can publish.",
            lambda db, viewer, item_id: items.set_public(db, viewer, item_id, is_public),
        )


def _result_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.link(
                row["title"],
                on_click=KnowledgeState.open(row["id"]),
                cursor="pointer",
                id="result-" + row["id"],
            )
        ),
        rx.table.cell(rx.badge(row["category"], variant="soft")),
        rx.table.cell(row["org"]),
        rx.table.cell(row["relevance"]),
        rx.table.cell(row["quality"]),
        rx.table.cell(row["public"]),
    )


def _fact(label: str, value: rx.Var, element_id: str | None = None) -> rx.Component:
    return rx.hstack(
        rx.text(label, size="2", color_scheme="gray", width="9em"),
        rx.text(value, size="2", id=element_id),
        spacing="2",
    )


def _changes() -> rx.Component:
    """The history of changes: the texts (as contributed, a curator's edit), the version ranges
    over time (approval, a fork, narrowing by outdated reports) and the forks."""
    return rx.grid(
        rx.vstack(
            rx.text("Texts", weight="bold"),
            rx.foreach(
                KnowledgeState.revisions,
                lambda r: rx.box(
                    rx.text(r["kind"] + " · " + r["who"] + " · " + r["at"], size="1", color_scheme="gray"),
                    rx.text(r["content"], size="2", white_space="pre-wrap"),
                    class_name="revision",
                ),
            ),
            spacing="2",
            id="item-revisions",
        ),
        rx.vstack(
            rx.text("Version ranges", weight="bold"),
            rx.foreach(
                KnowledgeState.ranges,
                lambda r: rx.box(
                    rx.text(r["versions"], size="2", weight="medium"),
                    rx.text(r["span"] + " · " + r["reason"], size="1", color_scheme="gray"),
                    class_name="range",
                ),
            ),
            spacing="2",
            id="item-ranges",
        ),
        rx.vstack(
            rx.text("Forks", weight="bold"),
            rx.cond(
                KnowledgeState.forks.length() > 0,
                rx.foreach(
                    KnowledgeState.forks,
                    lambda f: rx.hstack(
                        rx.text(f["direction"], size="2", color_scheme="gray"),
                        rx.link(
                            f["title"],
                            on_click=KnowledgeState.open(f["id"]),
                            cursor="pointer",
                            size="2",
                            id="fork-" + f["id"],
                        ),
                        rx.text(f["versions"], size="2"),
                        spacing="2",
                    ),
                ),
                rx.text("none", size="2", color_scheme="gray"),
            ),
            spacing="2",
            id="item-forks",
        ),
        columns="3",
        spacing="4",
        width="100%",
    )


def _mark_controls() -> rx.Component:
    return rx.hstack(
        rx.select(
            ["outdated", "incorrect"],
            value=KnowledgeState.mark_choice,
            on_change=KnowledgeState.set_mark_choice,
            id="mark-choice",
            size="2",
        ),
        rx.input(
            placeholder="Why (required), e.g. fixed upstream in 2.3",
            value=KnowledgeState.mark_reason,
            on_change=KnowledgeState.set_mark_reason,
            id="mark-reason",
            width="22em",
        ),
        rx.button(
            "Mark", on_click=KnowledgeState.mark(False), id="mark", variant="soft", color_scheme="orange"
        ),
        rx.cond(
            KnowledgeState.item["mark"] != "",
            rx.button(
                "Clear the mark",
                on_click=KnowledgeState.mark(True),
                id="mark-clear",
                variant="soft",
                color_scheme="gray",
            ),
        ),
        spacing="3",
        align="center",
    )


def _detail() -> rx.Component:
    return rx.cond(
        KnowledgeState.item.contains("id"),
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.heading(KnowledgeState.item["title"], size="4", id="item-title"),
                    rx.spacer(),
                    rx.badge(KnowledgeState.item["public"], id="item-public"),
                    rx.icon_button(rx.icon("x"), on_click=KnowledgeState.close, variant="ghost"),
                    width="100%",
                    align="center",
                ),
                rx.box(rx.markdown(KnowledgeState.item["content"]), width="100%"),
                rx.grid(
                    rx.vstack(
                        rx.text("Provenance", weight="bold"),
                        _fact("org", KnowledgeState.item["org"]),
                        _fact("agent", KnowledgeState.item["agent"]),
                        _fact("run", KnowledgeState.item["run"]),
                        _fact("contributed", KnowledgeState.item["contributed"]),
                        _fact("approved", KnowledgeState.item["approved"]),
                        _fact("integrity", KnowledgeState.item["integrity"], "item-integrity"),
                        _fact("validity", KnowledgeState.item["valid"]),
                        _fact("versions", KnowledgeState.item["versions"], "item-versions"),
                        rx.cond(
                            KnowledgeState.item["forked_from"] != "",
                            rx.hstack(
                                rx.text("forked from", size="2", color_scheme="gray", width="9em"),
                                rx.link(
                                    "the earlier item",
                                    on_click=KnowledgeState.open(KnowledgeState.item["forked_from"]),
                                    cursor="pointer",
                                    size="2",
                                    id="item-forked-from",
                                ),
                            ),
                        ),
                        spacing="1",
                    ),
                    rx.vstack(
                        rx.text("Quality and use", weight="bold"),
                        _fact("quality", KnowledgeState.item["quality"], "item-quality"),
                        _fact("  usefulness ×0.6", KnowledgeState.item["usefulness"], "item-usefulness"),
                        _fact("  popularity ×0.15", KnowledgeState.item["popularity"], "item-popularity"),
                        _fact("  freshness ×0.25", KnowledgeState.item["freshness"], "item-freshness"),
                        _fact("  penalty", KnowledgeState.item["penalty"], "item-penalty"),
                        _fact("votes, own org", KnowledgeState.item["votes_own"], "item-votes-own"),
                        _fact("votes, other orgs", KnowledgeState.item["votes_others"], "item-votes-others"),
                        rx.cond(
                            KnowledgeState.item["mark"] != "",
                            _fact("curator's mark", KnowledgeState.item["mark"], "item-mark"),
                        ),
                        _fact("confidence", KnowledgeState.item["confidence"]),
                        _fact("retrievals, own org", KnowledgeState.item["own"], "item-own"),
                        _fact("retrievals, others", KnowledgeState.item["others"], "item-others"),
                        _fact("solved", KnowledgeState.item["solved"]),
                        _fact("did not help", KnowledgeState.item["not_helpful"]),
                        spacing="1",
                    ),
                    rx.vstack(
                        rx.text("History", weight="bold"),
                        rx.unordered_list(
                            rx.foreach(
                                KnowledgeState.item_events, lambda e: rx.list_item(rx.text(e, size="2"))
                            ),
                            id="item-events",
                        ),
                        spacing="1",
                    ),
                    columns="3",
                    spacing="4",
                    width="100%",
                ),
                _changes(),
                rx.cond(
                    KnowledgeState.can_curate & KnowledgeState.item["mine"].bool(),
                    _mark_controls(),
                ),
                rx.cond(
                    KnowledgeState.can_curate & KnowledgeState.item["mine"].bool(),
                    rx.hstack(
                        rx.cond(
                            KnowledgeState.item["public"] == "public",
                            rx.button(
                                "Unpublish",
                                on_click=KnowledgeState.set_public(False),
                                id="unpublish",
                                variant="soft",
                                color_scheme="orange",
                            ),
                            rx.button(
                                "Publish to the commons",
                                on_click=KnowledgeState.set_public(True),
                                id="publish",
                            ),
                        ),
                        rx.button(
                            "Invalidate",
                            on_click=KnowledgeState.invalidate,
                            id="invalidate",
                            variant="soft",
                            color_scheme="gray",
                        ),
                        rx.cond(
                            KnowledgeState.role == MemberRole.ADMIN.value,
                            confirm_button(
                                "Delete",
                                title="Delete this item?",
                                description="It disappears from search for every agent at once.",
                                on_confirm=KnowledgeState.delete,
                                element_id="delete",
                                size="2",
                            ),
                        ),
                        confirm_button(
                            "Purge",
                            title="Purge this item?",
                            description=_PURGE_WARNING,
                            on_confirm=KnowledgeState.purge(KnowledgeState.item["id"]),
                            element_id="purge",
                            size="2",
                        ),
                        spacing="3",
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
            id="item",
        ),
    )


_PURGE_WARNING = (
    "Its text is erased from every table: the item, its contributions, event summaries and "
    "similar-item lists. Subscribers are told; the audit log keeps who did it. This cannot be undone."
)


def _quarantine_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(row["title"], weight="medium", size="2"),
                rx.text(row["content"], size="1", color_scheme="gray"),
                spacing="1",
            )
        ),
        rx.table.cell(rx.text(row["reasons"], size="2"), id="reasons-" + row["id"]),
        rx.table.cell(rx.text(row["at"], size="2")),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    "Release",
                    size="1",
                    variant="soft",
                    on_click=KnowledgeState.release(row["id"]),
                    id="release-" + row["id"],
                ),
                confirm_button(
                    "Purge",
                    title="Purge this item?",
                    description=_PURGE_WARNING,
                    on_confirm=KnowledgeState.purge(row["id"]),
                    element_id="purge-" + row["id"],
                ),
                spacing="2",
            )
        ),
        id="quarantined-" + row["id"],
    )


def _quarantine() -> rx.Component:
    """What a re-screen failed: hidden from everyone until a curator releases or purges it."""
    return rx.cond(
        KnowledgeState.quarantined.length() > 0,
        rx.card(
            rx.vstack(
                rx.heading("Quarantined by a re-screen", size="3"),
                rx.text(
                    "The screens changed and now fail these items. Nobody sees them until you decide: release one "
                    "if the finding is harmless, purge it if it holds personal data, a secret or an attack.",
                    size="2",
                    color_scheme="gray",
                ),
                data_table(
                    ("Item", "Why", "Quarantined", ""),
                    KnowledgeState.quarantined,
                    _quarantine_row,
                    element_id="quarantine",
                ),
                spacing="2",
                width="100%",
            ),
            width="100%",
        ),
    )


def _body() -> rx.Component:
    return rx.vstack(
        _quarantine(),
        rx.hstack(
            rx.input(
                placeholder="Search your org's knowledge and the public commons…",
                value=KnowledgeState.query,
                on_change=KnowledgeState.set_query,
                debounce_timeout=300,
                id="search",
                width="32em",
            ),
            rx.select(
                [ALL, *CATEGORIES],
                value=KnowledgeState.category,
                on_change=KnowledgeState.set_category_filter,
                id="search-category",
            ),
            spacing="3",
            align="center",
        ),
        _detail(),
        rx.cond(
            KnowledgeState.results.length() > 0,
            data_table(
                ("Title", "Category", "Org", "Relevance", "Quality", ""),
                KnowledgeState.results,
                _result_row,
                element_id="results",
            ),
            rx.text(
                rx.cond(KnowledgeState.query == "", "Type to search.", "No results."),
                size="2",
                color_scheme="gray",
                id="results-empty",
            ),
        ),
        width="100%",
        spacing="4",
    )


knowledge_page = page_layout("Knowledge", _body)
