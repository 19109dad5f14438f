"""Settings → audit log: who did what in this org, newest first (admins only).

The same use case as ``GET /api/v1/audit`` and ``hivemind audit`` (``hivemind_api.audit``); this
page only renders its entries and pages through them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import reflex as rx

from hivemind_api import audit
from hivemind_api.db.engine import session_scope
from hivemind_api.errors import DomainError
from hivemind_api.vocab import MemberRole
from hivemind_app.components.data_table import data_table
from hivemind_app.components.layout import page_layout
from hivemind_app.state.auth import AuthState

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditRow:
    """One entry as the table shows it."""

    id: str
    when: str
    actor: str
    action: str
    target: str
    details: str


def _row(e: audit.AuditEntry) -> AuditRow:
    return AuditRow(
        id=str(e.id),
        when=e.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        actor=e.actor,
        action=e.action,
        target=f"{e.target_type} {e.target_id}" if e.target_type else "",
        details=json.dumps(e.details, sort_keys=True, default=str) if e.details else "",
    )


class AuditState(AuthState):
    rows: list[AuditRow] = []
    action_filter: str = ""
    actor_filter: str = ""
    next_cursor: str = ""
    error: str = ""

    @rx.var
    def is_admin(self) -> bool:
        return self.role == MemberRole.ADMIN

    async def _fill(self, *, more: bool) -> None:
        principal = await self._with_role(MemberRole.ADMIN)
        if principal is None:
            self.rows, self.next_cursor, self.error = [], "", "Only admins can read the audit log."
            return
        try:
            async with session_scope() as db:
                page = await audit.list_entries(
                    db,
                    principal.caller,
                    action=self.action_filter,
                    actor=self.actor_filter,
                    limit=PAGE_SIZE,
                    cursor=self.next_cursor if more else None,
                )
        except DomainError as err:
            self.error = str(err)
            return
        fresh = [_row(e) for e in page.entries]
        self.rows = [*self.rows, *fresh] if more else fresh
        self.next_cursor, self.error = page.next_cursor or "", ""

    @rx.event
    async def load(self):
        principal = await self._signed_in()
        if principal is None:
            return AuthState.require_session
        await self._fill(more=False)
        return None

    @rx.event
    def set_action_filter(self, value: str):
        self.action_filter = value

    @rx.event
    def set_actor_filter(self, value: str):
        self.actor_filter = value

    @rx.event
    async def apply_filters(self):
        await self._fill(more=False)

    @rx.event
    async def older(self):
        await self._fill(more=True)


def _entry_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.when, white_space="nowrap"),
        rx.table.cell(row.actor),
        rx.table.cell(rx.badge(row.action, variant="soft")),
        rx.table.cell(row.target),
        rx.table.cell(rx.text(row.details, size="1", color_scheme="gray")),
        id="audit-" + row.id,
    )


def _body() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Every approval, rejection, publication, purge, release, key, member, rule and webhook change "
            "in this organisation, with who made it. Contributed text is never recorded here.",
            size="2",
            color_scheme="gray",
        ),
        rx.cond(
            AuditState.is_admin,
            rx.hstack(
                rx.input(
                    placeholder="action, or a family such as knowledge.",
                    value=AuditState.action_filter,
                    on_change=AuditState.set_action_filter,
                    id="audit-action",
                    width="18em",
                ),
                rx.input(
                    placeholder="actor (agent:… or e-mail)",
                    value=AuditState.actor_filter,
                    on_change=AuditState.set_actor_filter,
                    id="audit-actor",
                    width="18em",
                ),
                rx.button("Filter", on_click=AuditState.apply_filters, id="audit-filter"),
                spacing="3",
                align="center",
            ),
        ),
        rx.cond(
            AuditState.error != "", rx.text(AuditState.error, color_scheme="red", size="2", id="audit-error")
        ),
        data_table(
            ("When", "Actor", "Action", "Target", "Details"), AuditState.rows, _entry_row, element_id="audit"
        ),
        rx.cond(
            (AuditState.rows.length() == 0) & (AuditState.error == ""),
            rx.text("No entries match.", size="2", color_scheme="gray", id="audit-empty"),
        ),
        rx.cond(
            AuditState.next_cursor != "",
            rx.button("Older entries", on_click=AuditState.older, id="audit-older"),
        ),
        width="100%",
        spacing="4",
    )


audit_page = page_layout("Audit log", _body)
