"""Curator password hashing with Argon2id (argon2-cffi, the reference implementation's binding)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hivemind_api.errors import InvalidInput

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 8


@cache
def _dummy_hash() -> str:
    """Verifying against this keeps "unknown email" as slow as "wrong password" (no user
    enumeration). Made on first use, not at import: an Argon2 hash costs about 0.1 s, which every
    process importing this module (each CLI command, worker and backend) would otherwise pay."""
    return _hasher.hash("not-a-real-password")


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 1024:
        raise InvalidInput("password must be at most 1024 characters")


def hash_password(password: str) -> str:
    validate_password(password)
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
