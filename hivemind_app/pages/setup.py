"""First run: create the first organisation and its admin, only while no account exists."""

from __future__ import annotations

import reflex as rx

from hivemind_api.accounts.caller import Caller
from hivemind_api.accounts.keys import create_api_key
from hivemind_api.accounts.sessions import start_session
from hivemind_api.accounts.users import bootstrap_first_admin, count_users
from hivemind_api.config import get_settings
from hivemind_api.db.engine import session_scope
from hivemind_api.errors import DomainError
from hivemind_app import routes
from hivemind_app.components.auth_card import auth_card, error_callout, form_field
from hivemind_app.state.auth import AuthState
from hivemind_app.state.first_key import FirstKeyState


class SetupState(AuthState):
    error: str = ""

    @rx.event
    async def load(self):
        async with session_scope() as db:
            if await count_users(db) > 0:
                return rx.redirect(routes.LOGIN)
        return None

    @rx.event
    async def create_admin(self, form: dict[str, str]):
        self.error = ""
        if form.get("password", "") != form.get("password_confirm", ""):
            self.error = "The two passwords differ."
            return None
        try:
            async with session_scope() as db:
                membership = await bootstrap_first_admin(
                    db,
                    email=form.get("email", ""),
                    password=form.get("password", ""),
                    org_slug=form.get("org_slug", "").strip(),
                    org_name=form.get("org_name", "").strip() or None,
                )
                agent_id = form.get("agent_id", "").strip()
                raw_key = ""
                if agent_id:
                    _, raw_key = await create_api_key(
                        db,
                        membership.org.slug,
                        agent_id,
                        role="contributor",
                        name="first-run",
                        by=Caller.member(
                            user_id=membership.user.id,
                            email=membership.user.email,
                            org_id=membership.org.id,
                            org_slug=membership.org.slug,
                            role=membership.role,
                        ),
                    )
                token, principal = await start_session(
                    db, membership.user, ttl_hours=get_settings().session_ttl_hours, org_id=membership.org.id
                )
        except DomainError as err:
            self.error = str(err)
            return None
        first = await self.get_state(FirstKeyState)
        first.key, first.agent = raw_key, agent_id
        self.session_token = token
        self._show(principal)
        return [rx.redirect(routes.HOME), rx.toast.success(f"Welcome! {principal.org.name} is ready.")]


def setup_page() -> rx.Component:
    return auth_card(
        rx.heading("Set up HiveMind", size="6"),
        rx.text(
            "Create your organisation and its first admin. You can add curators and agent keys afterwards.",
            size="2",
            color_scheme="gray",
        ),
        error_callout(SetupState.error, element_id="setup-error"),
        form_field("Organisation name", "org_name", placeholder="Acme Research"),
        form_field("Organisation slug", "org_slug", placeholder="acme", pattern="[a-z0-9][a-z0-9-]*"),
        form_field("Admin email", "email", type="email", placeholder="you@example.com"),
        form_field("Password (8+ characters)", "password", type="password"),
        form_field("Repeat password", "password_confirm", type="password"),
        form_field(
            "First agent id (optional: creates its API key)",
            "agent_id",
            required=False,
            placeholder="claude-code-laptop",
        ),
        rx.button("Create organisation and admin", id="create-admin", type="submit", width="100%", size="3"),
        on_submit=SetupState.create_admin,
        width="30em",
    )
