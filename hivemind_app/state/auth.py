"""Who is signed in. The browser keeps only an opaque session token; every check goes back to
the database through ``hivemind_api.accounts.sessions``, so revocation is immediate and a forged
event from a browser cannot act as someone else."""

from __future__ import annotations

import reflex as rx

from hivemind_api.accounts.sessions import SessionPrincipal, end_session, resolve_session
from hivemind_api.accounts.users import count_users
from hivemind_api.db.engine import session_scope
from hivemind_app import routes


class AuthState(rx.State):
    session_token: str = rx.LocalStorage(name="hm_session")
    user_email: str = ""
    org_name: str = ""
    org_slug: str = ""
    role: str = ""

    @rx.var
    def is_signed_in(self) -> bool:
        return self.user_email != ""

    async def _principal(self) -> SessionPrincipal | None:
        """Resolve the session on the server; every guarded handler starts here."""
        async with session_scope() as db:
            return await resolve_session(db, self.session_token)

    async def _signed_in(self) -> SessionPrincipal | None:
        """Resolve the session and show who is signed in: every page's on_load starts here
        (``None``: return ``AuthState.require_session`` to send the visitor on)."""
        principal = await self._principal()
        self._show(principal)
        return principal

    async def _with_role(self, *roles: str) -> SessionPrincipal | None:
        """The signed-in member if their role is one of ``roles``: the server-side check every
        mutating handler makes, whatever the browser showed."""
        principal = await self._principal()
        return principal if principal is not None and principal.role in roles else None

    def _show(self, principal: SessionPrincipal | None) -> None:
        self.user_email = principal.user.email if principal else ""
        self.org_name = principal.org.name if principal else ""
        self.org_slug = principal.org.slug if principal else ""
        self.role = principal.role if principal else ""

    @rx.event
    async def require_session(self):
        """on_load of every signed-in page: go to first-run setup or login when needed."""
        principal = await self._principal()
        self._show(principal)
        if principal is not None:
            return None
        async with session_scope() as db:
            first_run = await count_users(db) == 0
        return rx.redirect(routes.SETUP if first_run else routes.LOGIN)

    @rx.event
    async def logout(self):
        async with session_scope() as db:
            await end_session(db, self.session_token)
        self.session_token = ""
        self._show(None)
        return rx.redirect(routes.LOGIN)
