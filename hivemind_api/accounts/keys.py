"""Agent API keys: ``hm_`` + 32 random bytes (URL-safe base64), shown once, stored as a hash.

A SHA-256 digest is enough here (no slow KDF): the key carries 256 bits of entropy, so there
is nothing to brute-force, and every request must verify it cheaply. The first 12 characters
are kept in clear as a unique, non-secret handle for listing and revoking.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api import audit
from hivemind_api.accounts.caller import Caller, require_admin
from hivemind_api.accounts.orgs import get_org
from hivemind_api.db.models import ApiKey, db_now
from hivemind_api.errors import Conflict, InvalidInput, NotFound
from hivemind_api.vocab import KEY_ROLES

KEY_PREFIX = "hm_"
PREFIX_LENGTH = 12
AGENT_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@/+-]{0,199}$")


@dataclass(frozen=True)
class ApiKeyInfo:
    id: uuid.UUID
    org_id: uuid.UUID
    agent_id: str
    name: str | None
    role: str
    key_prefix: str
    tier: str
    request_count: int
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, k: ApiKey) -> ApiKeyInfo:
        return cls(
            id=k.id,
            org_id=k.org_id,
            agent_id=k.agent_id,
            name=k.name,
            role=k.role,
            key_prefix=k.key_prefix,
            tier=k.tier,
            request_count=k.request_count,
            created_at=k.created_at,
            last_used_at=k.last_used_at,
            revoked_at=k.revoked_at,
        )


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def validate_agent_id(agent_id: str) -> str:
    if not AGENT_ID_RE.match(agent_id or ""):
        raise InvalidInput(
            f"invalid agent id {agent_id!r}: 1-200 characters of letters, digits and ._:@/+- "
            "starting with a letter or digit"
        )
    return agent_id


def validate_key_role(role: str) -> str:
    if role not in KEY_ROLES:
        raise InvalidInput(f"invalid key role {role!r}: use one of {', '.join(KEY_ROLES)}")
    return role


async def create_api_key(
    session: AsyncSession,
    org_slug: str,
    agent_id: str,
    *,
    role: str = "contributor",
    name: str | None = None,
    by: Caller | None = None,
) -> tuple[ApiKeyInfo, str]:
    """Issue a key; returns its record and the raw key, which is never retrievable again.
    ``by``: the admin acting (the operator's CLI passes none)."""
    require_admin(by, "manage its API keys")
    validate_agent_id(agent_id)
    validate_key_role(role)
    if name is not None and len(name) > 200:
        raise InvalidInput("key name must be at most 200 characters")
    org = await get_org(session, org_slug)
    for _ in range(5):  # a prefix collision is astronomically rare; retry rather than fail
        raw = generate_key()
        key = ApiKey(
            org_id=org.id,
            agent_id=agent_id,
            name=name or None,
            role=role,
            key_prefix=raw[:PREFIX_LENGTH],
            key_hash=hash_key(raw),
        )
        try:
            async with session.begin_nested():
                session.add(key)
                await session.flush()
            break
        except IntegrityError:
            continue
    else:  # pragma: no cover
        raise Conflict("could not allocate a unique key prefix; try again")
    await session.refresh(key)
    await audit.record(
        session,
        by=by,
        actor="cli",
        action="key.created",
        org_id=org.id,
        target_type="api_key",
        target_id=key.key_prefix,
        details={"agent_id": agent_id, "role": role, "name": name},
    )
    return ApiKeyInfo.of(key), raw


async def list_api_keys(session: AsyncSession, org_slug: str) -> list[ApiKeyInfo]:
    org = await get_org(session, org_slug)
    rows = (
        await session.exec(
            select(ApiKey).where(ApiKey.org_id == org.id).order_by(col(ApiKey.created_at).desc())
        )
    ).all()
    return [ApiKeyInfo.of(k) for k in rows]


async def revoke_api_key(
    session: AsyncSession,
    prefix: str,
    *,
    org_id: uuid.UUID | None = None,
    by: Caller | None = None,
) -> ApiKeyInfo:
    """Revoke by prefix (the whole raw key works too). ``org_id`` scopes it to one org; ``by``:
    the admin acting (the operator's CLI passes none)."""
    require_admin(by, "manage its API keys")
    prefix = (prefix or "").strip()[:PREFIX_LENGTH]
    if len(prefix) < PREFIX_LENGTH or not prefix.startswith(KEY_PREFIX):
        raise InvalidInput(f"a key prefix is the first {PREFIX_LENGTH} characters, starting with hm_")
    query = select(ApiKey).where(ApiKey.key_prefix == prefix).with_for_update()
    if org_id is not None:
        query = query.where(ApiKey.org_id == org_id)
    key = (await session.exec(query)).first()
    if key is None:
        raise NotFound(f"no key with prefix {prefix}")
    if key.revoked_at is not None:
        raise Conflict(f"key {prefix} is already revoked")
    key.revoked_at = db_now()
    session.add(key)
    await audit.record(
        session,
        by=by,
        actor="cli",
        action="key.revoked",
        org_id=key.org_id,
        target_type="api_key",
        target_id=prefix,
        details={"agent_id": key.agent_id},
    )
    await session.flush()
    await session.refresh(key)
    return ApiKeyInfo.of(key)


_AUTH_SQL = sa.text(
    """
    UPDATE api_keys AS k SET
        request_count = CASE WHEN now() >= k.billing_period_start
                                 + make_interval(days => k.billing_period_reset_days)
                             THEN 1 ELSE k.request_count + 1 END,
        billing_period_start = CASE WHEN now() >= k.billing_period_start
                                        + make_interval(days => k.billing_period_reset_days)
                                    THEN now() ELSE k.billing_period_start END,
        last_used_at = now()
    FROM orgs AS o
    WHERE k.key_hash = :key_hash AND k.revoked_at IS NULL AND o.id = k.org_id
    RETURNING k.id, k.org_id, o.slug, k.agent_id, k.role, k.tier, k.request_count
    """
)


async def authenticate_key(session: AsyncSession, raw_key: str | None) -> Caller | None:
    """Verify a presented key and meter the request, in one statement. None if invalid or revoked."""
    if not raw_key or not raw_key.startswith(KEY_PREFIX) or len(raw_key) > 200:
        return None
    row = (await session.execute(_AUTH_SQL, params={"key_hash": hash_key(raw_key)})).first()
    if row is None:
        return None
    return Caller.agent(
        key_id=row[0],
        org_id=row[1],
        org_slug=row[2],
        agent_id=row[3],
        role=row[4],
        tier=row[5],
        request_count=row[6],
    )
