"""Review queue: the org's contributions, paged in SQL, with the evidence to decide on each.

Every handler re-resolves the session on the server and checks the role there: a viewer's
browser never shows the actions, and a forged approve event from it is refused all the same.
"""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from hivemind_api.accounts.sessions import SessionPrincipal
from hivemind_api.db.engine import session_scope
from hivemind_api.errors import DomainError, InvalidInput
from hivemind_api.knowledge import purge, review
from hivemind_api.vocab import CATEGORIES, MemberRole
from hivemind_app import routes
from hivemind_app.components.confirm import confirm_button
from hivemind_app.components.data_table import data_table
from hivemind_app.components.layout import page_layout
from hivemind_app.state.auth import AuthState

PAGE_SIZE = 20
ALL = "all"


class QueueRow(TypedDict):
    id: str
    title: str
    category: str
    agent: str
    created: str
    status: str
    prescreen: str  # the score, or empty before the worker ran
    flags: str
    preview: str


class SimilarRow(TypedDict):
    id: str
    title: str
    score: str  # "cosine 0.93" or "jaccard 0.8"
    near: str  # "near-duplicate" or empty
    own: bool  # the org's own item


def _row(c: review.PendingContribution) -> QueueRow:
    return QueueRow(
        id=str(c.id),
        title=c.title,
        category=c.category,
        agent=c.source_agent_id,
        created=c.created_at.strftime("%Y-%m-%d %H:%M"),
        status=c.status,
        prescreen="" if c.prescreen_score is None else str(c.prescreen_score),
        flags=", ".join(c.flags),
        preview=c.content_preview[:160],
    )


class ReviewState(AuthState):
    status: str = "pending"
    category: str = ALL
    sort: str = "newest"
    flagged: str = ALL  # all | flagged | unflagged
    agent: str = ""
    page: int = 0
    total: int = 0
    rows: list[QueueRow] = []
    selected: list[str] = []
    # the open contribution
    open_id: str = ""
    open_title: str = ""
    open_content: str = ""
    open_meta: str = ""
    open_status: str = ""
    open_prescreen: str = ""
    open_reasons: list[str] = []
    open_redactions: list[str] = []
    open_rules: list[str] = []
    open_similar: list[SimilarRow] = []
    reject_reason: str = ""
    supersede_id: str = ""  # an own item the approval retires
    fork_id: str = ""  # an own item the approval forks (it keeps the versions below the new range)
    # The curator's corrections at approval; each left as the agent's is not sent.
    open_category: str = ""
    open_range: str = ""  # the agent's version range
    edit_category: str = ""
    edit_range: str = ""
    editing: bool = False
    edit_text: str = ""

    @rx.var
    def can_curate(self) -> bool:
        return self.role in (MemberRole.CURATOR, MemberRole.ADMIN)

    @rx.var
    def page_count(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @rx.var
    def page_label(self) -> str:
        return f"Page {self.page + 1} of {max(1, -(-self.total // PAGE_SIZE))} · {self.total} contributions"

    async def _reload(self, principal: SessionPrincipal) -> None:
        async with session_scope() as db:
            page = await review.list_pending(
                db,
                principal.org.id,
                limit=PAGE_SIZE,
                offset=self.page * PAGE_SIZE,
                status=self.status,
                category=None if self.category == ALL else self.category,
                sort=self.sort,
                flagged=None if self.flagged == ALL else self.flagged == "flagged",
                agent=self.agent or None,
            )
        self.total = page.total
        self.rows = [_row(c) for c in page.items]
        self.selected = [s for s in self.selected if s in {r["id"] for r in self.rows}]

    @rx.event
    async def load(self):
        principal = await self._signed_in()
        if principal is None:
            return AuthState.require_session
        await self._reload(principal)
        return None

    async def _refilter(self, **changes: str):
        """Apply filter changes and reload page one; a value the domain refuses (a forged event)
        changes nothing and is reported."""
        principal = await self._principal()
        if principal is None:
            return AuthState.require_session
        before = {name: getattr(self, name) for name in changes}
        for name, value in changes.items():
            setattr(self, name, value)
        try:
            await self._reload_first_page(principal)
        except DomainError as err:
            for name, value in before.items():
                setattr(self, name, value)
            return rx.toast.error(str(err))
        return None

    async def _reload_first_page(self, principal: SessionPrincipal) -> None:
        if self.flagged not in (ALL, "flagged", "unflagged"):
            raise InvalidInput(f"invalid flag filter {self.flagged!r}")
        page = self.page
        self.page = 0
        try:
            await self._reload(principal)
        except DomainError:
            self.page = page
            raise

    @rx.event
    async def set_status_filter(self, value: str):
        self.open_id = ""
        return await self._refilter(status=value)

    @rx.event
    async def set_category_filter(self, value: str):
        return await self._refilter(category=value)

    @rx.event
    async def set_sort(self, value: str):
        return await self._refilter(sort=value)

    @rx.event
    async def set_flagged_filter(self, value: str):
        return await self._refilter(flagged=value)

    @rx.event
    async def set_agent_filter(self, value: str):
        return await self._refilter(agent=value.strip())

    @rx.event
    async def turn_page(self, delta: int):
        principal = await self._principal()
        if principal is None:
            return AuthState.require_session
        self.page = max(0, min(self.page + delta, self.page_count - 1))
        await self._reload(principal)
        return None

    @rx.event
    def toggle_selected(self, contribution_id: str):
        if contribution_id in self.selected:
            self.selected = [s for s in self.selected if s != contribution_id]
        else:
            self.selected = [*self.selected, contribution_id]

    @rx.event
    async def open(self, contribution_id: str):
        principal = await self._principal()
        if principal is None:
            return AuthState.require_session
        try:
            async with session_scope() as db:
                d = await review.get_contribution(db, principal.org.id, contribution_id)
        except DomainError as err:
            return rx.toast.error(str(err))
        self.open_id, self.open_title, self.open_content, self.open_status = (
            str(d.id),
            d.title,
            d.content,
            d.status,
        )
        self.open_meta = d.meta_line()
        self.open_prescreen = "" if d.prescreen_score is None else str(d.prescreen_score)
        self.open_reasons = d.reason_lines()
        self.open_redactions = d.redaction_lines()
        self.open_rules = d.rule_lines()
        self.open_similar = [
            SimilarRow(
                id=s.id,
                title=s.title,
                score=s.score,
                near="near-duplicate" if s.near_duplicate else "",
                own=s.own_org,
            )
            for s in d.similar()
        ]
        self.reject_reason = self.supersede_id = self.fork_id = ""
        self.open_category = self.edit_category = d.category
        self.open_range = self.edit_range = d.version_range or ""
        self.editing, self.edit_text = False, d.content
        return None

    @rx.event
    def close(self):
        self.open_id = ""

    @rx.event
    def set_reject_reason(self, value: str):
        self.reject_reason = value

    @rx.event
    def toggle_supersede(self, item_id: str):
        """Supersede and fork are exclusive: retiring an item and keeping it for older versions."""
        self.supersede_id = "" if self.supersede_id == item_id else item_id
        self.fork_id = ""

    @rx.event
    def toggle_fork(self, item_id: str):
        self.fork_id = "" if self.fork_id == item_id else item_id
        self.supersede_id = ""

    @rx.event
    def set_edit_category(self, value: str):
        self.edit_category = value

    @rx.event
    def set_edit_range(self, value: str):
        self.edit_range = value

    @rx.event
    def set_edit_text(self, value: str):
        self.edit_text = value

    @rx.event
    def toggle_editing(self):
        self.editing = not self.editing
        if not self.editing:
            self.edit_text = self.open_content

    def _corrections(self) -> dict[str, str | None]:
        """What the curator changed on the open contribution, as ``review.approve`` takes it."""
        return {
            "supersedes": self.supersede_id or None,
            "fork_of": self.fork_id or None,
            "category": self.edit_category if self.edit_category != self.open_category else None,
            "version_range": self.edit_range.strip() if self.edit_range.strip() != self.open_range else None,
            "content": self.edit_text if self.editing and self.edit_text != self.open_content else None,
        }

    async def _decide(
        self,
        ids: list[str],
        approve: bool,
        is_public: bool = False,
        corrections: dict[str, str | None] | None = None,
    ) -> list[str]:
        principal = await self._with_role(MemberRole.CURATOR, MemberRole.ADMIN)
        if principal is None:
            return ["Only curators and admins can review contributions."]
        reviewer = principal.caller
        errors = []
        for cid in ids:
            try:
                async with session_scope() as db:
                    if approve:
                        await review.approve(db, reviewer, cid, is_public=is_public, **(corrections or {}))
                    else:
                        await review.reject(db, reviewer, cid, reason=self.reject_reason)
            except DomainError as err:
                errors.append(str(err))
        self.selected = [s for s in self.selected if s not in ids]
        if self.open_id in ids and not errors:  # a refused edit stays open to be fixed
            self.open_id = ""
        await self._reload(principal)
        return errors

    def _report(self, verb: str, n: int, errors: list[str]):
        if errors and len(errors) == n:
            return rx.toast.error(errors[0])
        done = n - len(errors)
        message = f"{verb} {done} contribution{'s' if done != 1 else ''}"
        return (
            rx.toast.warning(f"{message}; {len(errors)} failed: {errors[0]}")
            if errors
            else rx.toast.success(message)
        )

    @rx.event
    async def approve(self, contribution_id: str, is_public: bool = False):
        errors = await self._decide(
            [contribution_id],
            approve=True,
            is_public=is_public,
            corrections=self._corrections() if contribution_id == self.open_id else None,
        )
        return self._report("Published" if is_public else "Approved", 1, errors)

    @rx.event
    async def reject(self, contribution_id: str):
        errors = await self._decide([contribution_id], approve=False)
        return self._report("Rejected", 1, errors)

    @rx.event
    async def purge(self, contribution_id: str):
        """Erase the contribution (and an item approved from it) from every table."""
        principal = await self._with_role(MemberRole.CURATOR, MemberRole.ADMIN)
        if principal is None:
            return rx.toast.error("Only curators and admins can purge.")
        reviewer = principal.caller
        try:
            async with session_scope() as db:
                result = await purge.purge_contribution(db, reviewer, contribution_id)
        except DomainError as err:
            return rx.toast.error(str(err))
        self.selected = [s for s in self.selected if s != contribution_id]
        self.open_id = ""
        await self._reload(principal)
        return rx.toast.success(result.message)

    @rx.event
    async def approve_selected(self):
        ids = list(self.selected)
        return self._report("Approved", len(ids), await self._decide(ids, approve=True))

    @rx.event
    async def reject_selected(self):
        ids = list(self.selected)
        return self._report("Rejected", len(ids), await self._decide(ids, approve=False))


def _filters() -> rx.Component:
    return rx.hstack(
        rx.select(
            ["pending", "blocked", "duplicate", "rejected", "approved"],
            value=ReviewState.status,
            on_change=ReviewState.set_status_filter,
            id="filter-status",
        ),
        rx.select(
            [ALL, *CATEGORIES],
            value=ReviewState.category,
            on_change=ReviewState.set_category_filter,
            id="filter-category",
        ),
        rx.select(
            ["newest", "oldest", "prescreen"],
            value=ReviewState.sort,
            on_change=ReviewState.set_sort,
            id="sort",
        ),
        rx.select(
            [ALL, "flagged", "unflagged"],
            value=ReviewState.flagged,
            on_change=ReviewState.set_flagged_filter,
            id="filter-flagged",
        ),
        rx.input(
            placeholder="agent id",
            value=ReviewState.agent,
            on_change=ReviewState.set_agent_filter,
            debounce_timeout=300,
            id="filter-agent",
            width="12em",
        ),
        rx.spacer(),
        rx.cond(
            ReviewState.can_curate & (ReviewState.status == "pending"),
            rx.hstack(
                rx.button(
                    "Approve selected",
                    id="bulk-approve",
                    on_click=ReviewState.approve_selected,
                    disabled=ReviewState.selected.length() == 0,
                    color_scheme="green",
                ),
                rx.button(
                    "Reject selected",
                    id="bulk-reject",
                    on_click=ReviewState.reject_selected,
                    disabled=ReviewState.selected.length() == 0,
                    color_scheme="red",
                    variant="soft",
                ),
            ),
        ),
        width="100%",
        align="center",
    )


def _queue_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.cond(
                ReviewState.can_curate & (row["status"] == "pending"),
                rx.checkbox(
                    checked=ReviewState.selected.contains(row["id"]),
                    on_change=lambda _v: ReviewState.toggle_selected(row["id"]),
                    id="select-" + row["id"],
                ),
            )
        ),
        rx.table.cell(
            rx.link(
                row["title"], on_click=ReviewState.open(row["id"]), id="open-" + row["id"], cursor="pointer"
            )
        ),
        rx.table.cell(rx.badge(row["category"], variant="soft")),
        rx.table.cell(row["agent"]),
        rx.table.cell(row["prescreen"]),
        rx.table.cell(rx.cond(row["flags"] != "", rx.badge(row["flags"], color_scheme="orange"))),
        rx.table.cell(row["created"]),
        id="row-" + row["id"],
    )


def _queue() -> rx.Component:
    return rx.vstack(
        data_table(
            ("", "Title", "Category", "Agent", "Pre-screen", "Flags", "Contributed"),
            ReviewState.rows,
            _queue_row,
            element_id="queue",
        ),
        rx.cond(ReviewState.total == 0, rx.text("Nothing here.", color_scheme="gray", id="queue-empty")),
        rx.hstack(
            rx.button(
                "Previous",
                on_click=ReviewState.turn_page(-1),
                disabled=ReviewState.page == 0,
                variant="soft",
                id="page-prev",
            ),
            rx.text(ReviewState.page_label, size="2", id="page-label"),
            rx.button(
                "Next",
                on_click=ReviewState.turn_page(1),
                disabled=ReviewState.page + 1 >= ReviewState.page_count,
                variant="soft",
                id="page-next",
            ),
            align="center",
        ),
        width="100%",
    )


def _bullets(items: rx.Var, element_id: str, empty: str) -> rx.Component:
    return rx.cond(
        items.length() > 0,
        rx.unordered_list(rx.foreach(items, lambda t: rx.list_item(rx.text(t, size="2"))), id=element_id),
        rx.text(empty, size="2", color_scheme="gray", id=element_id),
    )


def _corrections() -> rx.Component:
    """What a curator may change before approving: the category, the versions it holds for, the text
    (an edit is scrubbed and screened again on approval; the item's history keeps both texts)."""
    return rx.vstack(
        rx.text("Before approving", weight="bold"),
        rx.hstack(
            rx.text("category", size="2", color_scheme="gray"),
            rx.select(
                list(CATEGORIES),
                value=ReviewState.edit_category,
                on_change=ReviewState.set_edit_category,
                id="approve-category",
                size="1",
            ),
            rx.text("versions", size="2", color_scheme="gray"),
            rx.input(
                placeholder="every version (or e.g. >=4.2,<5)",
                value=ReviewState.edit_range,
                on_change=ReviewState.set_edit_range,
                id="approve-range",
                width="16em",
                size="1",
            ),
            rx.checkbox(
                "edit the text",
                checked=ReviewState.editing,
                on_change=lambda _v: ReviewState.toggle_editing(),
                id="edit-toggle",
                size="1",
            ),
            spacing="3",
            align="center",
            wrap="wrap",
        ),
        rx.cond(
            ReviewState.editing,
            rx.text_area(
                value=ReviewState.edit_text,
                on_change=ReviewState.set_edit_text,
                id="edit-text",
                width="100%",
                rows="8",
            ),
        ),
        spacing="2",
        width="100%",
    )


def _detail() -> rx.Component:
    return rx.cond(
        ReviewState.open_id != "",
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.heading(ReviewState.open_title, size="4", id="detail-title"),
                    rx.spacer(),
                    rx.badge(ReviewState.open_status, id="detail-status"),
                    rx.icon_button(
                        rx.icon("x"), on_click=ReviewState.close, variant="ghost", id="detail-close"
                    ),
                    width="100%",
                    align="center",
                ),
                rx.text(ReviewState.open_meta, size="2", color_scheme="gray"),
                rx.box(rx.markdown(ReviewState.open_content), id="detail-content", width="100%"),
                rx.grid(
                    rx.vstack(
                        rx.text(
                            "Pre-screen " + ReviewState.open_prescreen, weight="bold", id="detail-prescreen"
                        ),
                        _bullets(ReviewState.open_reasons, "detail-reasons", "no score yet"),
                    ),
                    rx.vstack(
                        rx.text("Redacted", weight="bold"),
                        _bullets(ReviewState.open_redactions, "detail-redactions", "nothing redacted"),
                    ),
                    rx.vstack(
                        rx.text("Injection screen", weight="bold"),
                        _bullets(ReviewState.open_rules, "detail-rules", "no rule matched"),
                    ),
                    columns="3",
                    spacing="4",
                    width="100%",
                ),
                rx.text("Similar existing items", weight="bold"),
                rx.cond(
                    ReviewState.open_similar.length() > 0,
                    rx.unordered_list(
                        rx.foreach(
                            ReviewState.open_similar,
                            lambda s: rx.list_item(
                                rx.hstack(
                                    rx.link(
                                        s["title"],
                                        href=routes.KNOWLEDGE + "?item=" + s["id"],
                                        size="2",
                                        id="similar-" + s["id"],
                                    ),
                                    rx.text(s["score"], size="2", color_scheme="gray"),
                                    rx.badge(s["near"], color_scheme="orange"),
                                    rx.cond(
                                        ReviewState.can_curate
                                        & s["own"].bool()
                                        & (ReviewState.open_status == "pending"),
                                        rx.hstack(
                                            rx.checkbox(
                                                "supersede it",
                                                checked=ReviewState.supersede_id == s["id"],
                                                on_change=lambda _v: ReviewState.toggle_supersede(s["id"]),
                                                id="supersede-" + s["id"],
                                                size="1",
                                            ),
                                            rx.checkbox(
                                                "fork it (it keeps the older versions)",
                                                checked=ReviewState.fork_id == s["id"],
                                                on_change=lambda _v: ReviewState.toggle_fork(s["id"]),
                                                id="fork-" + s["id"],
                                                size="1",
                                            ),
                                            spacing="3",
                                        ),
                                    ),
                                    align="center",
                                    spacing="3",
                                )
                            ),
                        ),
                        id="detail-similar",
                    ),
                    rx.text("none", size="2", color_scheme="gray", id="detail-similar"),
                ),
                rx.cond(ReviewState.can_curate & (ReviewState.open_status == "pending"), _corrections()),
                rx.cond(
                    ReviewState.can_curate,
                    confirm_button(
                        "Sensitive: purge",
                        title="Purge this contribution as sensitive?",
                        description="Its text is erased from every table (and the item approved from it, "
                        "if any) instead of being approved. Subscribers are told; the audit log keeps who "
                        "did it, without the text.",
                        confirm_label="Purge",
                        on_confirm=ReviewState.purge(ReviewState.open_id),
                        element_id="purge",
                        size="2",
                    ),
                ),
                rx.cond(
                    ReviewState.can_curate & (ReviewState.open_status == "pending"),
                    rx.hstack(
                        rx.button(
                            "Approve",
                            id="approve",
                            color_scheme="green",
                            on_click=ReviewState.approve(ReviewState.open_id, False),
                        ),
                        rx.button(
                            "Approve as public",
                            id="approve-public",
                            color_scheme="green",
                            variant="soft",
                            on_click=ReviewState.approve(ReviewState.open_id, True),
                        ),
                        rx.input(
                            placeholder="Reason for rejecting (optional)",
                            value=ReviewState.reject_reason,
                            on_change=ReviewState.set_reject_reason,
                            id="reject-reason",
                            width="22em",
                        ),
                        rx.button(
                            "Reject",
                            id="reject",
                            color_scheme="red",
                            variant="soft",
                            on_click=ReviewState.reject(ReviewState.open_id),
                        ),
                        spacing="3",
                        align="center",
                        wrap="wrap",
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
            id="detail",
        ),
    )


def _body() -> rx.Component:
    return rx.vstack(_filters(), _detail(), _queue(), width="100%", spacing="4")


review_page = page_layout("Review queue", _body)
