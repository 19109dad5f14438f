"""Settings → members: who is in the org and with which role (admins change roles).

Role checks happen here, on the server, on every event; the domain keeps at least one admin.
"""

from __future__ import annotations

import reflex as rx

from hivemind_api.accounts import members
from hivemind_api.db.engine import session_scope
from hivemind_api.errors import DomainError
from hivemind_api.vocab import MEMBER_ROLES
from hivemind_app.components.layout import page_layout
from hivemind_app.state.auth import AuthState


class MembersState(AuthState):
    rows: list[dict[str, str]] = []

    @rx.var
    def is_admin(self) -> bool:
        return self.role == "admin"

    async def _reload(self, org_id) -> None:  # noqa: ANN001 - uuid
        async with session_scope() as db:
            self.rows = [{"id": str(m.user_id), "email": m.email, "role": m.role, "since": f"{m.since:%Y-%m-%d}"}
                         for m in await members.list_members(db, org_id)]

    @rx.event
    async def load(self):
        principal = await self._signed_in()
        if principal is None:
            return AuthState.require_session
        await self._reload(principal.org.id)
        return None

    @rx.event
    async def change_role(self, user_id: str, role: str):
        principal = await self._with_role("admin")
        if principal is None:
            return rx.toast.error("Only admins can change roles.")
        try:
            async with session_scope() as db:
                m = await members.set_role(db, principal.org.id, user_id, role, actor=principal.user.email,
                                           actor_user_id=principal.user.id)
        except DomainError as err:
            await self._reload(principal.org.id)
            return rx.toast.error(str(err))
        await self._reload(principal.org.id)
        self._show(await self._principal())  # one's own role may have changed
        return rx.toast.success(f"{m.email} is now {m.role}")


def _member_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["email"]),
        rx.table.cell(rx.cond(
            MembersState.is_admin,
            rx.select(list(MEMBER_ROLES), value=row["role"], on_change=lambda v: MembersState.change_role(row["id"], v),
                      id="role-" + row["id"]),
            rx.badge(row["role"], variant="soft"),
        )),
        rx.table.cell(row["since"]),
        id="member-" + row["id"],
    )


def _body() -> rx.Component:
    return rx.vstack(
        rx.text("Viewers read; curators review contributions and publish; admins also manage keys, members and "
                "rules. Add people with `hivemind user create … --org <slug> --role <role>`.",
                size="2", color_scheme="gray"),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in ("Email", "Role", "Member since")])),
            rx.table.body(rx.foreach(MembersState.rows, _member_row)),
            width="100%",
            id="members",
        ),
        width="100%",
        spacing="4",
    )


members_page = page_layout("Members", _body)
