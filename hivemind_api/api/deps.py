"""FastAPI dependencies."""

from __future__ import annotations

from fastapi import Request

from hivemind_api.accounts.keys import KeyPrincipal
from hivemind_api.api.auth import principal_from_headers
from hivemind_api.knowledge.access import require_curator
from hivemind_api.knowledge.review import Reviewer


async def principal(request: Request) -> KeyPrincipal:
    return await principal_from_headers(request.headers)


def curator(who: KeyPrincipal) -> Reviewer:
    """A curator key acting on its org's queue or items (403 for any other role)."""
    require_curator(who)
    return Reviewer(org_id=who.org_id, label=f"agent:{who.agent_id}", key_id=who.key_id)
