"""Settings → webhooks: endpoints that receive signed event notifications, and their delivery log.

Curators and admins create (the signing secret is shown once), pause, resume, rotate and delete;
viewers see the list and the log. Every handler re-checks the role and scopes to the session's
org on the server.
"""

from __future__ import annotations

from functools import partial
from typing import Any, TypedDict

import reflex as rx

from hivemind_api.db.engine import session_scope
from hivemind_api.errors import DomainError
from hivemind_api.vocab import EVENT_TYPES, MemberRole
from hivemind_api.webhooks import endpoints
from hivemind_app.components.confirm import confirm_button
from hivemind_app.components.data_table import data_table
from hivemind_app.components.layout import page_layout
from hivemind_app.components.secret_reveal import secret_reveal
from hivemind_app.state.auth import AuthState

MANAGERS = (MemberRole.ADMIN, MemberRole.CURATOR)


class EndpointRow(TypedDict):
    id: str
    url: str
    types: str
    status: str  # active, paused or disabled
    reason: str
    failures: str
    secret: str
    last: str


class AttemptRow(TypedDict):
    id: str
    event: str
    attempt: str
    status: str
    http: str
    latency: str
    error: str
    at: str


def _row(e: endpoints.EndpointInfo) -> EndpointRow:
    status = "active" if e.active else ("disabled" if e.disabled_reason else "paused")
    return EndpointRow(
        id=str(e.id),
        url=e.url,
        types=", ".join(e.event_types) or "all events",
        status=status,
        reason=e.disabled_reason or "",
        failures=str(e.consecutive_failures),
        secret=e.secret_hint,
        last=(
            f"{e.last_delivery_status} {e.last_delivery_at:%Y-%m-%d %H:%M:%S}"
            if e.last_delivery_at
            else "never"
        ),
    )


def _attempt(a: endpoints.DeliveryAttempt) -> AttemptRow:
    return AttemptRow(
        id=str(a.id),
        event=f"#{a.event_id} {a.event_type}",
        attempt=str(a.attempt),
        status=a.status,
        http=str(a.response_status or ""),
        latency=f"{a.latency_ms} ms" if a.latency_ms is not None else "",
        error=a.error or "",
        at=f"{(a.attempted_at or a.scheduled_for):%Y-%m-%d %H:%M:%S}",
    )


class WebhooksState(AuthState):
    rows: list[EndpointRow] = []
    new_url: str = ""
    new_types: list[str] = []
    error: str = ""
    created_secret: str = ""
    created_url: str = ""
    log_for: str = ""
    log_url: str = ""
    log_rows: list[AttemptRow] = []

    @rx.var
    def can_manage(self) -> bool:
        return self.role in MANAGERS

    async def _reload(self, org_id) -> None:
        async with session_scope() as db:
            self.rows = [_row(e) for e in await endpoints.list_endpoints(db, org_id)]
            if self.log_for:
                try:
                    self.log_rows = [
                        _attempt(a) for a in await endpoints.delivery_log(db, org_id, self.log_for)
                    ]
                except DomainError:
                    self.log_for, self.log_rows = "", []

    @rx.event
    async def load(self):
        principal = await self._signed_in()
        if principal is None:
            return AuthState.require_session
        self.created_secret, self.error, self.log_for, self.log_rows = "", "", "", []
        await self._reload(principal.org.id)
        return None

    @rx.event
    def set_new_url(self, value: str):
        self.new_url = value

    @rx.event
    def toggle_type(self, event_type: str, checked: bool):
        if event_type not in EVENT_TYPES:
            return
        chosen = set(self.new_types) | {event_type} if checked else set(self.new_types) - {event_type}
        self.new_types = [t for t in EVENT_TYPES if t in chosen]

    @rx.event
    async def create(self):
        principal = await self._with_role(*MANAGERS)
        if principal is None:
            return rx.toast.error("Only curators and admins can add webhooks.")
        try:
            async with session_scope() as db:
                made = await endpoints.create_endpoint(
                    db, principal.org.id, principal.caller, url=self.new_url, event_types=self.new_types
                )
        except DomainError as err:
            self.error = str(err)
            return None
        self.error, self.new_url, self.new_types = "", "", []
        self.created_secret, self.created_url = made.secret, made.endpoint.url
        await self._reload(principal.org.id)
        return rx.toast.success("Webhook added")

    @rx.event
    def dismiss_secret(self):
        self.created_secret = ""

    async def _change(self, webhook_id: str, change, message: str):
        """Run ``change(db, org_id, webhook_id, actor)`` for a curator or admin, then reload."""
        principal = await self._with_role(*MANAGERS)
        if principal is None:
            return rx.toast.error("Only curators and admins can change webhooks.")
        try:
            async with session_scope() as db:
                result = await change(db, principal.org.id, webhook_id, principal.caller)
        except DomainError as err:
            return rx.toast.error(str(err))
        if isinstance(result, endpoints.CreatedEndpoint):  # a rotated secret, shown once
            self.created_secret, self.created_url = result.secret, result.endpoint.url
        await self._reload(principal.org.id)
        return rx.toast.success(message)

    @rx.event
    async def pause(self, webhook_id: str):
        return await self._change(
            webhook_id, partial(endpoints.update_endpoint, active=False), "Webhook paused"
        )

    @rx.event
    async def resume(self, webhook_id: str):
        return await self._change(
            webhook_id, partial(endpoints.update_endpoint, active=True), "Webhook resumed"
        )

    @rx.event
    async def rotate(self, webhook_id: str):
        return await self._change(webhook_id, endpoints.rotate_secret, "New secret: update your receiver")

    @rx.event
    async def delete(self, webhook_id: str):
        return await self._change(webhook_id, endpoints.delete_endpoint, "Webhook deleted")

    @rx.event
    async def show_log(self, webhook_id: str):
        principal = await self._signed_in()
        if principal is None:
            return AuthState.require_session
        try:
            async with session_scope() as db:
                self.log_rows = [
                    _attempt(a) for a in await endpoints.delivery_log(db, principal.org.id, webhook_id)
                ]
                self.log_url = (await endpoints.get_endpoint(db, principal.org.id, webhook_id)).url
        except DomainError as err:
            return rx.toast.error(str(err))
        self.log_for = webhook_id
        return None


def _create_form() -> rx.Component:
    return rx.cond(
        WebhooksState.can_manage,
        rx.card(
            rx.vstack(
                rx.text("New webhook", weight="bold"),
                rx.hstack(
                    rx.input(
                        placeholder="https://hooks.example.com/hivemind",
                        value=WebhooksState.new_url,
                        on_change=WebhooksState.set_new_url,
                        id="new-webhook-url",
                        width="28em",
                    ),
                    rx.button("Add webhook", on_click=WebhooksState.create, id="create-webhook"),
                    spacing="3",
                    align="center",
                    wrap="wrap",
                ),
                rx.hstack(
                    *[
                        rx.checkbox(
                            t,
                            checked=WebhooksState.new_types.contains(t),
                            on_change=lambda checked, t=t: WebhooksState.toggle_type(t, checked),
                            id="type-" + t.replace(".", "-"),
                        )
                        for t in EVENT_TYPES
                    ],
                    spacing="3",
                    wrap="wrap",
                ),
                rx.text(
                    "No type ticked: every event. Each delivery is a JSON POST signed with the secret: "
                    'X-HiveMind-Signature = sha256=HMAC(secret, X-HiveMind-Timestamp + "." + body). '
                    "Failed deliveries are retried 4 times over about an hour; 10 failures in a row "
                    "disable the webhook.",
                    size="1",
                    color_scheme="gray",
                ),
                rx.cond(
                    WebhooksState.error != "",
                    rx.text(WebhooksState.error, color_scheme="red", size="2", id="webhook-error"),
                ),
                spacing="2",
            ),
            width="100%",
        ),
    )


def _status_badge(row: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.badge(
            row["status"],
            color_scheme=rx.match(row["status"], ("active", "green"), ("paused", "gray"), "red"),
            id="webhook-status-" + row["id"],
        ),
        rx.cond(
            row["reason"] != "",
            rx.text(row["reason"], size="1", color_scheme="red", id="webhook-reason-" + row["id"]),
        ),
        spacing="1",
        align="start",
    )


def _actions(row: rx.Var) -> rx.Component:
    def button(label: str, handler: Any, name: str, **kw: Any) -> rx.Component:
        return rx.button(
            label, size="1", variant="soft", on_click=handler(row["id"]), id=f"{name}-" + row["id"], **kw
        )

    return rx.hstack(
        button("Deliveries", WebhooksState.show_log, "log"),
        rx.cond(
            WebhooksState.can_manage,
            rx.hstack(
                rx.cond(
                    row["status"] == "active",
                    button("Pause", WebhooksState.pause, "pause"),
                    button("Resume", WebhooksState.resume, "resume", color_scheme="green"),
                ),
                button("Rotate secret", WebhooksState.rotate, "rotate"),
                confirm_button(
                    "Delete",
                    title="Delete this webhook?",
                    description="Deliveries to " + row["url"] + " stop and its delivery log is deleted.",
                    on_confirm=WebhooksState.delete(row["id"]),
                    element_id="delete-webhook-" + row["id"],
                ),
                spacing="2",
            ),
        ),
        spacing="2",
        wrap="wrap",
    )


def _webhook_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.code(row["url"])),
        rx.table.cell(row["types"]),
        rx.table.cell(_status_badge(row)),
        rx.table.cell(row["last"]),
        rx.table.cell(row["secret"]),
        rx.table.cell(_actions(row)),
        id="webhook-" + row["id"],
    )


def _attempt_row(a: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(a["event"]),
        rx.table.cell(a["attempt"]),
        rx.table.cell(
            rx.badge(
                a["status"],
                color_scheme=rx.match(
                    a["status"], ("success", "green"), ("pending", "gray"), ("skipped", "gray"), "red"
                ),
            )
        ),
        rx.table.cell(a["http"]),
        rx.table.cell(a["latency"]),
        rx.table.cell(a["error"]),
        rx.table.cell(a["at"]),
    )


def _log() -> rx.Component:
    return rx.cond(
        WebhooksState.log_for != "",
        rx.card(
            rx.vstack(
                rx.text("Deliveries to ", rx.code(WebhooksState.log_url), weight="bold"),
                data_table(
                    ("Event", "Attempt", "Status", "HTTP", "Latency", "Error", "At"),
                    WebhooksState.log_rows,
                    _attempt_row,
                    element_id="delivery-log",
                ),
                rx.cond(WebhooksState.log_rows.length() == 0, rx.text("No deliveries yet.", size="2")),
                spacing="2",
            ),
            width="100%",
        ),
    )


def _body() -> rx.Component:
    return rx.vstack(
        rx.cond(
            WebhooksState.created_secret != "",
            secret_reveal(
                "Signing secret for " + WebhooksState.created_url,
                WebhooksState.created_secret,
                WebhooksState.dismiss_secret,
                element_id="webhook-secret",
                note="Copy it into your receiver now: it is not shown again (rotate it if lost).",
            ),
        ),
        _create_form(),
        data_table(
            ("URL", "Events", "Status", "Last delivery", "Secret", ""),
            WebhooksState.rows,
            _webhook_row,
            element_id="webhooks",
        ),
        _log(),
        width="100%",
        spacing="4",
    )


webhooks_page = page_layout("Webhooks", _body)
