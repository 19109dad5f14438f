"""Who may do what with an API key (SPEC §4, §8)."""

from __future__ import annotations

from hivemind_api.accounts.keys import KeyPrincipal
from hivemind_api.errors import Forbidden

WRITE_ROLES = ("contributor", "curator")


def require_curator(principal: KeyPrincipal) -> None:
    if principal.role != "curator":
        raise Forbidden("this action needs a curator key")


def require_writer(principal: KeyPrincipal) -> None:
    if principal.role not in WRITE_ROLES:
        raise Forbidden("this key is read-only (role reader)")
