"""Settings → members: who is in the org and with which role. Admins add people by email (a new
account's one-time password is shown once), change roles and remove members; everyone can change
their own password here.

Role checks happen here, on the server, on every event; the domain keeps at least one admin.
"""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from hivemind_api.accounts import members, users
from hivemind_api.db.engine import session_scope
from hivemind_api.errors import DomainError
from hivemind_api.vocab import MEMBER_ROLES, MemberRole
from hivemind_app.components.auth_card import form_field
from hivemind_app.components.confirm import confirm_button
from hivemind_app.components.data_table import data_table
from hivemind_app.components.layout import page_layout
from hivemind_app.components.secret_reveal import secret_reveal
from hivemind_app.state.auth import AuthState


class MemberRow(TypedDict):
    id: str  # the user's id
    email: str
    role: str
    since: str


class MembersState(AuthState):
    rows: list[MemberRow] = []
    new_email: str = ""
    new_role: str = MemberRole.VIEWER.value
    error: str = ""
    one_time_password: str = ""
    one_time_email: str = ""
    password_message: str = ""

    @rx.var
    def is_admin(self) -> bool:
        return self.role == MemberRole.ADMIN

    async def _reload(self, org_id) -> None:
        async with session_scope() as db:
            self.rows = [
                MemberRow(id=str(m.user_id), email=m.email, role=m.role, since=f"{m.since:%Y-%m-%d}")
                for m in await members.list_members(db, org_id)
            ]

    @rx.event
    async def load(self):
        principal = await self._signed_in()
        if principal is None:
            return AuthState.require_session
        self.one_time_password = self.error = self.password_message = ""
        await self._reload(principal.org.id)
        return None

    @rx.event
    def set_new_email(self, value: str):
        self.new_email = value

    @rx.event
    def set_new_role(self, value: str):
        self.new_role = value

    @rx.event
    async def add(self):
        principal = await self._with_role(MemberRole.ADMIN)
        if principal is None:
            return rx.toast.error("Only admins can add members.")
        try:
            async with session_scope() as db:
                member, one_time = await members.add_member(
                    db, principal.caller, self.new_email, self.new_role
                )
        except DomainError as err:
            self.error = str(err)
            return None
        self.error, self.new_email = "", ""
        self.one_time_password, self.one_time_email = one_time or "", member.email
        await self._reload(principal.org.id)
        return rx.toast.success(f"{member.email} joined as {member.role}")

    @rx.event
    def dismiss_password(self):
        self.one_time_password = ""

    @rx.event
    async def remove(self, user_id: str):
        principal = await self._with_role(MemberRole.ADMIN)
        if principal is None:
            return rx.toast.error("Only admins can remove members.")
        try:
            async with session_scope() as db:
                gone = await members.remove_member(db, principal.caller, user_id)
        except DomainError as err:
            return rx.toast.error(str(err))
        await self._reload(principal.org.id)
        return rx.toast.success(f"{gone.email} was removed from the org")

    @rx.event
    async def change_password(self, form: dict[str, str]):
        principal = await self._signed_in()
        if principal is None:
            return AuthState.require_session
        if form.get("new_password", "") != form.get("new_password_confirm", ""):
            self.password_message = "The two new passwords differ."
            return None
        try:
            async with session_scope() as db:
                await users.change_password(
                    db, principal.user.id, form.get("current_password", ""), form.get("new_password", "")
                )
        except DomainError as err:
            self.password_message = str(err).capitalize() + "."
            return None
        self.password_message = ""
        return rx.toast.success("Password changed")

    @rx.event
    async def change_role(self, user_id: str, role: str):
        principal = await self._with_role(MemberRole.ADMIN)
        if principal is None:
            return rx.toast.error("Only admins can change roles.")
        try:
            async with session_scope() as db:
                m = await members.set_role(db, principal.caller, user_id, role)
        except DomainError as err:
            await self._reload(principal.org.id)
            return rx.toast.error(str(err))
        await self._reload(principal.org.id)
        self._show(await self._principal())  # one's own role may have changed
        return rx.toast.success(f"{m.email} is now {m.role}")


def _member_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["email"]),
        rx.table.cell(
            rx.cond(
                MembersState.is_admin,
                rx.select(
                    list(MEMBER_ROLES),
                    value=row["role"],
                    on_change=lambda v: MembersState.change_role(row["id"], v),
                    id="role-" + row["id"],
                ),
                rx.badge(row["role"], variant="soft"),
            )
        ),
        rx.table.cell(row["since"]),
        rx.table.cell(
            rx.cond(
                MembersState.is_admin,
                confirm_button(
                    "Remove",
                    title="Remove " + row["email"] + "?",
                    description="They lose access to this org at once; their account stays for other orgs.",
                    on_confirm=MembersState.remove(row["id"]),
                    element_id="remove-" + row["id"],
                ),
            )
        ),
        id="member-" + row["id"],
    )


def _add_form() -> rx.Component:
    return rx.cond(
        MembersState.is_admin,
        rx.card(
            rx.vstack(
                rx.text("Add a member", weight="bold"),
                rx.hstack(
                    rx.input(
                        placeholder="email",
                        type="email",
                        value=MembersState.new_email,
                        on_change=MembersState.set_new_email,
                        id="new-email",
                        width="20em",
                    ),
                    rx.select(
                        list(MEMBER_ROLES),
                        value=MembersState.new_role,
                        on_change=MembersState.set_new_role,
                        id="new-member-role",
                    ),
                    rx.button("Add member", on_click=MembersState.add, id="add-member"),
                    spacing="3",
                    align="center",
                    wrap="wrap",
                ),
                rx.cond(
                    MembersState.error != "",
                    rx.text(MembersState.error, color_scheme="red", size="2", id="member-error"),
                ),
                rx.text(
                    "Someone who already has a HiveMind account joins with their own password; a new account "
                    "gets a one-time password to pass on, which they change below after signing in.",
                    size="1",
                    color_scheme="gray",
                ),
                spacing="2",
            ),
            width="100%",
        ),
    )


def _password_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.text("Your password", weight="bold"),
                rx.hstack(
                    form_field("Current password", "current_password", type="password"),
                    form_field("New password (8+ characters)", "new_password", type="password"),
                    form_field("Repeat new password", "new_password_confirm", type="password"),
                    spacing="3",
                    width="100%",
                ),
                rx.cond(
                    MembersState.password_message != "",
                    rx.text(MembersState.password_message, color_scheme="red", size="2", id="password-error"),
                ),
                rx.button("Change password", type="submit", id="change-password"),
                spacing="2",
                width="100%",
            ),
            on_submit=MembersState.change_password,
            reset_on_submit=True,
        ),
        width="100%",
    )


def _body() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Viewers read; curators review contributions and publish; admins also manage keys, members and "
            "rules.",
            size="2",
            color_scheme="gray",
        ),
        rx.cond(
            MembersState.one_time_password != "",
            secret_reveal(
                "One-time password for " + MembersState.one_time_email,
                MembersState.one_time_password,
                MembersState.dismiss_password,
                element_id="one-time-password",
            ),
        ),
        _add_form(),
        data_table(
            ("Email", "Role", "Member since", ""), MembersState.rows, _member_row, element_id="members"
        ),
        _password_form(),
        width="100%",
        spacing="4",
    )


members_page = page_layout("Members", _body)
