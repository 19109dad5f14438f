"""Parsing caller input into typed values, for every use case: a bad value is InvalidInput (a
4xx naming what was wrong), never an exception from deep inside a query."""

from __future__ import annotations

import uuid

from hivemind_api.errors import InvalidInput


def parse_uuid(value: str, what: str = "id") -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (ValueError, AttributeError, TypeError):
        raise InvalidInput(f"invalid {what}: {value!r} is not a UUID") from None
