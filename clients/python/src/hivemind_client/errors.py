"""Exceptions: one class per kind of refusal, each carrying the server's ``detail``."""

from __future__ import annotations

from typing import Any

import httpx


class HiveMindError(Exception):
    """Base class of everything this client raises."""


class APIError(HiveMindError):
    """The server answered with an error status. ``detail`` is its JSON ``detail`` (a message,
    or for 422 the list of what was wrong), ``status_code`` the HTTP status."""

    def __init__(self, status_code: int, detail: Any, response: httpx.Response | None = None) -> None:
        self.status_code = status_code
        self.detail = detail
        self.response = response
        super().__init__(f"{status_code}: {detail}")


class BadRequestError(APIError):
    """400: the request was understood but its values are not acceptable."""


class AuthenticationError(APIError):
    """401: no key, an unknown key or a revoked key."""


class PermissionDeniedError(APIError):
    """403: the key's role may not do this (a reader contributing, a contributor approving)."""


class NotFoundError(APIError):
    """404: missing, or outside your org and not public (the server does not tell them apart)."""


class ConflictError(APIError):
    """409: the state does not allow it (approving twice, releasing an item not quarantined)."""


class ValidationError(APIError):
    """413 or 422: the body or parameters are malformed or out of range."""


class RateLimitError(APIError):
    """429 after the client's retries ran out; ``retry_after`` is the server's advice in seconds."""

    def __init__(
        self,
        status_code: int,
        detail: Any,
        response: httpx.Response | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status_code, detail, response)
        self.retry_after = retry_after


class ServiceUnavailableError(APIError):
    """503 after the client's retries ran out (the database, queue or model is not reachable)."""


class ConnectionFailed(HiveMindError):
    """The server could not be reached (after retries)."""


class WebhookVerificationError(HiveMindError):
    """A webhook's signature or timestamp did not verify: do not trust its body."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: ValidationError,
    422: ValidationError,
    429: RateLimitError,
    503: ServiceUnavailableError,
}


def _detail(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        return response.text or response.reason_phrase
    return body.get("detail", body) if isinstance(body, dict) else body


def error_for(response: httpx.Response, retry_after: float | None = None) -> APIError:
    """The exception for an error response."""
    cls = _BY_STATUS.get(response.status_code, APIError)
    if cls is RateLimitError:
        return RateLimitError(response.status_code, _detail(response), response, retry_after)
    return cls(response.status_code, _detail(response), response)
