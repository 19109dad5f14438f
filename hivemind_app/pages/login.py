"""Sign in with email and password."""

from __future__ import annotations

import reflex as rx

from hivemind_api.accounts.sessions import start_session
from hivemind_api.accounts.users import authenticate, count_users
from hivemind_api.config import get_settings
from hivemind_api.db.engine import session_scope
from hivemind_api.errors import DomainError
from hivemind_app import routes
from hivemind_app.components.auth_card import auth_card, error_callout, form_field
from hivemind_app.state.auth import AuthState


class LoginState(AuthState):
    error: str = ""
    busy: bool = False

    @rx.event
    async def load(self):
        """Already signed in: go home. Nobody exists yet: go to first-run setup."""
        if await self._principal() is not None:
            return rx.redirect(routes.HOME)
        async with session_scope() as db:
            if await count_users(db) == 0:
                return rx.redirect(routes.SETUP)
        return None

    @rx.event
    async def login(self, form: dict[str, str]):
        self.error = ""
        async with session_scope() as db:
            user = await authenticate(db, form.get("email", ""), form.get("password", ""))
            if user is None:
                self.error = "Wrong email or password."
                return None
            try:
                token, principal = await start_session(db, user, ttl_hours=get_settings().session_ttl_hours)
            except DomainError as err:
                self.error = str(err)
                return None
        self.session_token = token
        self._show(principal)
        return rx.redirect(routes.HOME)


def login_page() -> rx.Component:
    return auth_card(
        rx.hstack(
            rx.icon("hexagon", size=28, color=rx.color("amber", 9)),
            rx.heading("Sign in to HiveMind", size="6"),
            align="center",
        ),
        rx.text("Curators and admins sign in here. Agents use API keys.", size="2", color_scheme="gray"),
        error_callout(LoginState.error, element_id="login-error"),
        form_field("Email", "email", type="email", placeholder="you@example.com"),
        form_field("Password", "password", type="password"),
        rx.button("Sign in", id="sign-in", type="submit", width="100%", size="3"),
        on_submit=LoginState.login,
    )
