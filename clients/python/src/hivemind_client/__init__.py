"""Python client for HiveMind: ``HiveMind`` (blocking) and ``AsyncHiveMind`` (asyncio), typed
results, retries on 429/503, a live event stream that resumes where it left off, and webhook
verification. Framework integrations: ``hivemind_client.langchain``, ``hivemind_client.crewai``."""

from hivemind_client._version import __version__
from hivemind_client.client import AsyncHiveMind, HiveMind
from hivemind_client.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ConnectionFailed,
    HiveMindError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServiceUnavailableError,
    ValidationError,
    WebhookVerificationError,
)
from hivemind_client.models import Event
from hivemind_client.webhooks import verify_webhook

__all__ = [
    "APIError",
    "AsyncHiveMind",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "ConnectionFailed",
    "Event",
    "HiveMind",
    "HiveMindError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServiceUnavailableError",
    "ValidationError",
    "WebhookVerificationError",
    "__version__",
    "verify_webhook",
]
