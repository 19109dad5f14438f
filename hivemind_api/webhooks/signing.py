"""The signature every delivery carries: ``X-HiveMind-Signature: sha256=HMAC(secret, timestamp + "." + body)``.

Signing the timestamp with the body lets a receiver refuse replays of an old delivery (compare
``X-HiveMind-Timestamp`` with its clock) as well as forged ones.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """What a receiver does (constant-time comparison)."""
    return hmac.compare_digest(signature(secret, timestamp, body), header)
