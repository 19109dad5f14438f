"""Settings → auto-approve rules: which categories skip review in this org, above which score.

Admins add and remove rules; everyone in the org sees them. A rule never approves blocked,
flagged or near-duplicate contributions (``hivemind_api.knowledge.rules``).
"""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from hivemind_api.db.engine import session_scope
from hivemind_api.errors import DomainError
from hivemind_api.knowledge import rules
from hivemind_api.vocab import CATEGORIES, MemberRole
from hivemind_app.components.data_table import data_table
from hivemind_app.components.layout import page_layout
from hivemind_app.state.auth import AuthState


class RuleRow(TypedDict):
    id: str
    category: str
    min_score: str  # "any" or the minimum pre-screen score
    created: str


def _row(r: rules.RuleInfo) -> RuleRow:
    return RuleRow(
        id=str(r.id),
        category=r.category,
        min_score="any" if r.min_prescreen_score is None else str(r.min_prescreen_score),
        created=r.created_at.strftime("%Y-%m-%d %H:%M"),
    )


class RulesState(AuthState):
    rows: list[RuleRow] = []
    new_category: str = CATEGORIES[0]
    new_min_score: str = ""
    error: str = ""

    @rx.var
    def is_admin(self) -> bool:
        return self.role == MemberRole.ADMIN

    async def _reload(self, org_slug: str) -> None:
        async with session_scope() as db:
            self.rows = [_row(r) for r in await rules.list_rules(db, org_slug)]

    @rx.event
    async def load(self):
        principal = await self._signed_in()
        if principal is None:
            return AuthState.require_session
        await self._reload(principal.org.slug)
        return None

    @rx.event
    def set_new_category(self, value: str):
        self.new_category = value

    @rx.event
    def set_new_min_score(self, value: str):
        self.new_min_score = value

    @rx.event
    async def add(self):
        principal = await self._with_role(MemberRole.ADMIN)
        if principal is None:
            return rx.toast.error("Only admins can change auto-approve rules.")
        raw = self.new_min_score.strip()
        if raw and not raw.isdigit():
            self.error = "The minimum score is a whole number from 0 to 100."
            return None
        try:
            async with session_scope() as db:
                rule = await rules.add_rule(
                    db,
                    principal.org.slug,
                    self.new_category,
                    min_prescreen_score=int(raw) if raw else None,
                    by=principal.caller,
                )
        except DomainError as err:
            self.error = str(err)
            return None
        self.error, self.new_min_score = "", ""
        await self._reload(principal.org.slug)
        return rx.toast.success(f"{rule.category} contributions are now auto-approved")

    @rx.event
    async def remove(self, rule_id: str):
        principal = await self._with_role(MemberRole.ADMIN)
        if principal is None:
            return rx.toast.error("Only admins can change auto-approve rules.")
        try:
            async with session_scope() as db:
                rule = await rules.remove_rule(
                    db,
                    rule_id,
                    org_slug=principal.org.slug,
                    by=principal.caller,
                )
        except DomainError as err:
            return rx.toast.error(str(err))
        await self._reload(principal.org.slug)
        return rx.toast.success(f"{rule.category} contributions wait for review again")


def _rule_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.badge(row["category"], variant="soft")),
        rx.table.cell(row["min_score"]),
        rx.table.cell(row["created"]),
        rx.table.cell(
            rx.cond(
                RulesState.is_admin,
                rx.button(
                    "Remove",
                    size="1",
                    color_scheme="red",
                    variant="soft",
                    id="remove-" + row["category"],
                    on_click=RulesState.remove(row["id"]),
                ),
            )
        ),
        id="rule-" + row["category"],
    )


def _body() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Contributions of these categories skip the review queue, unless screening flagged them or "
            "they nearly duplicate an existing item.",
            size="2",
            color_scheme="gray",
        ),
        rx.cond(
            RulesState.is_admin,
            rx.hstack(
                rx.select(
                    list(CATEGORIES),
                    value=RulesState.new_category,
                    on_change=RulesState.set_new_category,
                    id="new-category",
                ),
                rx.input(
                    placeholder="minimum pre-screen score (optional)",
                    value=RulesState.new_min_score,
                    on_change=RulesState.set_new_min_score,
                    id="new-min-score",
                    width="18em",
                ),
                rx.button("Add rule", on_click=RulesState.add, id="add-rule"),
                spacing="3",
                align="center",
            ),
        ),
        rx.cond(
            RulesState.error != "", rx.text(RulesState.error, color_scheme="red", size="2", id="rule-error")
        ),
        data_table(
            ("Category", "Minimum score", "Added", ""), RulesState.rows, _rule_row, element_id="rules"
        ),
        rx.cond(
            RulesState.rows.length() == 0,
            rx.text(
                "No rule: every contribution waits for a curator.",
                size="2",
                color_scheme="gray",
                id="rules-empty",
            ),
        ),
        width="100%",
        spacing="4",
    )


rules_page = page_layout("Auto-approve rules", _body)
