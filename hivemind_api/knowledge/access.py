"""Who may do what with the commons: the checks every use case starts with."""

from __future__ import annotations

from hivemind_api.accounts.caller import Caller
from hivemind_api.errors import Forbidden


def require_curator(caller: Caller) -> None:
    if not caller.can_curate:
        raise Forbidden("this action needs a curator key")


def require_writer(caller: Caller) -> None:
    if not caller.can_write:
        raise Forbidden("this key is read-only (role reader)")
