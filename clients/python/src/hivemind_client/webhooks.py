"""Verifying a webhook delivery before trusting its body.

HiveMind signs each delivery with the endpoint's secret: ``X-HiveMind-Signature`` is
``sha256=`` + HMAC-SHA256(secret, ``"{timestamp}." + body``) in hex, and ``X-HiveMind-Timestamp``
the Unix time it was signed. A receiver checks both (the timestamp bounds replays) and then
deduplicates by ``X-HiveMind-Delivery``, which stays the same on every retry of one delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping

from hivemind_client.errors import WebhookVerificationError
from hivemind_client.models import Event

SIGNATURE = "x-hivemind-signature"
TIMESTAMP = "x-hivemind-timestamp"


def verify_webhook(
    secret: str,
    headers: Mapping[str, str],
    body: bytes | str,
    tolerance: float = 300,
    *,
    now: float | None = None,
) -> Event:
    """The delivery's event, if its signature matches and it was signed within ``tolerance``
    seconds of ``now``; raises ``WebhookVerificationError`` otherwise. Pass the raw body exactly
    as received (before any JSON parsing) and the request's headers (any case)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    signature, timestamp = lowered.get(SIGNATURE), lowered.get(TIMESTAMP)
    if not signature or not timestamp:
        raise WebhookVerificationError("missing X-HiveMind-Signature or X-HiveMind-Timestamp")
    try:
        signed_at = int(timestamp)
    except ValueError:
        raise WebhookVerificationError("X-HiveMind-Timestamp is not a Unix time") from None
    if abs((time.time() if now is None else now) - signed_at) > tolerance:
        raise WebhookVerificationError("the delivery was signed too long ago (or in the future)")
    raw = body.encode() if isinstance(body, str) else body
    expected = (
        "sha256=" + hmac.new(secret.encode(), f"{signed_at}.".encode() + raw, hashlib.sha256).hexdigest()
    )
    if not hmac.compare_digest(expected, signature.strip()):
        raise WebhookVerificationError("the signature does not match this secret and body")
    try:
        return Event.model_validate(json.loads(raw))
    except ValueError as err:
        raise WebhookVerificationError(f"the signed body is not an event: {err}") from None
