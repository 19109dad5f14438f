"""Who may do what with an API key (SPEC §4, §8), and the dashboard member's equivalent."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from hivemind_api.accounts.keys import KeyPrincipal
from hivemind_api.errors import Forbidden


@dataclass(frozen=True)
class OrgViewer:
    """A dashboard member reading the commons as their org's agents see it.

    It has the fields the knowledge functions read from a ``KeyPrincipal``; its reads record
    no retrieval (usage is what agents retrieve), and its writes are audited under the member's
    name. ``role`` is ``curator`` for the org's curators and admins, ``reader`` otherwise.
    """

    org_id: uuid.UUID
    org_slug: str
    label: str
    user_id: uuid.UUID | None = None
    role: str = "reader"
    agent_id: str = ""
    key_id: None = None

WRITE_ROLES = ("contributor", "curator")


def require_curator(principal: KeyPrincipal) -> None:
    if principal.role != "curator":
        raise Forbidden("this action needs a curator key")


def require_writer(principal: KeyPrincipal) -> None:
    if principal.role not in WRITE_ROLES:
        raise Forbidden("this key is read-only (role reader)")
