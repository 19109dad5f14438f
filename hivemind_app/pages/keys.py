"""Settings → API keys: create (the raw key shown once), list with last use and usage, revoke.

Admins manage keys; curators and viewers see the list. Every handler re-checks the role and
scopes to the session's org on the server, so another org's key can never be revoked from here.
"""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from hivemind_api.accounts import keys
from hivemind_api.db.engine import session_scope
from hivemind_api.errors import DomainError
from hivemind_api.vocab import KEY_ROLES, MemberRole
from hivemind_app.components.confirm import confirm_button
from hivemind_app.components.data_table import data_table
from hivemind_app.components.layout import page_layout
from hivemind_app.components.secret_reveal import secret_reveal
from hivemind_app.state.auth import AuthState


class KeyRow(TypedDict):
    prefix: str
    agent: str
    name: str
    role: str
    requests: str
    last_used: str
    status: str  # "active" or "revoked <when>"


def _row(k: keys.ApiKeyInfo) -> KeyRow:
    return KeyRow(
        prefix=k.key_prefix,
        agent=k.agent_id,
        name=k.name or "",
        role=k.role,
        requests=str(k.request_count),
        last_used=k.last_used_at.strftime("%Y-%m-%d %H:%M") if k.last_used_at else "never",
        status=f"revoked {k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "active",
    )


class KeysState(AuthState):
    rows: list[KeyRow] = []
    new_agent: str = ""
    new_role: str = "contributor"
    new_name: str = ""
    created_key: str = ""
    created_agent: str = ""
    error: str = ""

    @rx.var
    def is_admin(self) -> bool:
        return self.role == MemberRole.ADMIN

    async def _reload(self, org_slug: str) -> None:
        async with session_scope() as db:
            self.rows = [_row(k) for k in await keys.list_api_keys(db, org_slug)]

    @rx.event
    async def load(self):
        principal = await self._signed_in()
        if principal is None:
            return AuthState.require_session
        self.created_key = ""
        await self._reload(principal.org.slug)
        return None

    @rx.event
    def set_new_agent(self, value: str):
        self.new_agent = value

    @rx.event
    def set_new_role(self, value: str):
        self.new_role = value

    @rx.event
    def set_new_name(self, value: str):
        self.new_name = value

    @rx.event
    async def create(self):
        principal = await self._with_role(MemberRole.ADMIN)
        if principal is None:
            return rx.toast.error("Only admins can create API keys.")
        try:
            async with session_scope() as db:
                info, raw = await keys.create_api_key(
                    db,
                    principal.org.slug,
                    self.new_agent.strip(),
                    role=self.new_role,
                    name=self.new_name.strip() or None,
                    by=principal.caller,
                )
        except DomainError as err:
            self.error = str(err)
            return None
        self.error, self.created_key, self.created_agent = "", raw, info.agent_id
        self.new_agent = self.new_name = ""
        await self._reload(principal.org.slug)
        return rx.toast.success(f"Key created for {info.agent_id}")

    @rx.event
    def dismiss_created(self):
        self.created_key = ""

    @rx.event
    async def revoke(self, prefix: str):
        principal = await self._with_role(MemberRole.ADMIN)
        if principal is None:
            return rx.toast.error("Only admins can revoke API keys.")
        try:
            async with session_scope() as db:
                info = await keys.revoke_api_key(
                    db,
                    prefix,
                    org_id=principal.org.id,
                    by=principal.caller,
                )
        except DomainError as err:
            return rx.toast.error(str(err))
        await self._reload(principal.org.slug)
        return rx.toast.success(f"Revoked {info.key_prefix}: it stops working now")


def _create_form() -> rx.Component:
    return rx.cond(
        KeysState.is_admin,
        rx.card(
            rx.vstack(
                rx.text("New API key", weight="bold"),
                rx.hstack(
                    rx.input(
                        placeholder="agent id, e.g. claude-code-ci",
                        value=KeysState.new_agent,
                        on_change=KeysState.set_new_agent,
                        id="new-agent",
                        width="18em",
                    ),
                    rx.select(
                        list(KEY_ROLES),
                        value=KeysState.new_role,
                        on_change=KeysState.set_new_role,
                        id="new-role",
                    ),
                    rx.input(
                        placeholder="label (optional)",
                        value=KeysState.new_name,
                        on_change=KeysState.set_new_name,
                        id="new-name",
                        width="14em",
                    ),
                    rx.button("Create key", on_click=KeysState.create, id="create-key"),
                    spacing="3",
                    align="center",
                    wrap="wrap",
                ),
                rx.cond(
                    KeysState.error != "",
                    rx.text(KeysState.error, color_scheme="red", size="2", id="key-error"),
                ),
                spacing="2",
            ),
            width="100%",
        ),
    )


def _key_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.code(row["prefix"])),
        rx.table.cell(row["agent"]),
        rx.table.cell(row["name"]),
        rx.table.cell(rx.badge(row["role"], variant="soft")),
        rx.table.cell(row["requests"]),
        rx.table.cell(row["last_used"]),
        rx.table.cell(row["status"], id="status-" + row["prefix"]),
        rx.table.cell(
            rx.cond(
                KeysState.is_admin & (row["status"] == "active"),
                confirm_button(
                    "Revoke",
                    title="Revoke key " + row["prefix"] + "?",
                    description="Agent " + row["agent"] + " loses access at once. This cannot be undone.",
                    on_confirm=KeysState.revoke(row["prefix"]),
                    element_id="revoke-" + row["prefix"],
                ),
            )
        ),
        id="key-" + row["prefix"],
    )


def _body() -> rx.Component:
    return rx.vstack(
        rx.cond(
            KeysState.created_key != "",
            secret_reveal(
                "API key for agent " + KeysState.created_agent,
                KeysState.created_key,
                KeysState.dismiss_created,
                element_id="created-key",
            ),
        ),
        _create_form(),
        data_table(
            ("Prefix", "Agent", "Label", "Role", "Requests", "Last used", "Status", ""),
            KeysState.rows,
            _key_row,
            element_id="keys",
        ),
        width="100%",
        spacing="4",
    )


keys_page = page_layout("API keys", _body)
