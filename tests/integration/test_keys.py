"""API keys: format, hashing, verification, metering and revocation."""

from __future__ import annotations

import base64
import uuid

import pytest
import sqlalchemy as sa

from hivemind_api.accounts import keys, orgs
from hivemind_api.db.engine import session_scope
from hivemind_api.errors import Conflict, InvalidInput, NotFound


@pytest.fixture
async def org_slug(db) -> str:
    slug = "keys-" + uuid.uuid4().hex[:8]
    async with session_scope() as s:
        await orgs.create_org(s, slug)
    return slug


def test_key_format_is_hm_plus_32_random_bytes() -> None:
    raw = keys.generate_key()
    assert raw.startswith("hm_")
    assert len(base64.urlsafe_b64decode(raw[3:] + "=")) == 32
    assert keys.generate_key() != raw
    assert keys.hash_key(raw) == keys.hash_key(raw) and len(keys.hash_key(raw)) == 64


async def test_only_prefix_and_hash_are_stored(org_slug: str) -> None:
    async with session_scope() as s:
        info, raw = await keys.create_api_key(s, org_slug, "claude-1", role="curator", name="laptop")
    assert info.key_prefix == raw[:12] and info.role == "curator"
    async with session_scope() as s:
        row = (
            (await s.exec(sa.text("SELECT * FROM api_keys WHERE id = :i"), params={"i": info.id}))
            .mappings()
            .one()
        )
    stored = " ".join(str(v) for v in row.values())
    assert raw not in stored and raw[12:] not in stored
    assert row["key_hash"] == keys.hash_key(raw)


async def test_authenticate_meters_and_revocation_is_immediate(org_slug: str) -> None:
    async with session_scope() as s:
        info, raw = await keys.create_api_key(s, org_slug, "agent-meter")
    for expected in (1, 2):
        async with session_scope() as s:
            p = await keys.authenticate_key(s, raw)
        assert p is not None and p.org_slug == org_slug and p.agent_id == "agent-meter"
        assert p.role == "contributor" and p.request_count == expected
    async with session_scope() as s:
        assert await keys.authenticate_key(s, raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None
        assert await keys.authenticate_key(s, "") is None
        assert await keys.authenticate_key(s, "not-a-key") is None
        listed = await keys.list_api_keys(s, org_slug)
    assert listed[0].last_used_at is not None and listed[0].request_count == 2
    async with session_scope() as s:
        revoked = await keys.revoke_api_key(s, info.key_prefix)
    assert revoked.revoked_at is not None
    async with session_scope() as s:
        assert await keys.authenticate_key(s, raw) is None
    with pytest.raises(Conflict, match="already revoked"):
        async with session_scope() as s:
            await keys.revoke_api_key(s, info.key_prefix)


async def test_billing_period_resets_the_counter(org_slug: str) -> None:
    async with session_scope() as s:
        info, raw = await keys.create_api_key(s, org_slug, "agent-billing")
        await s.exec(
            sa.text(
                "UPDATE api_keys SET request_count = 41, billing_period_start = now() - interval '31 days' WHERE id = :i"
            ),
            params={"i": info.id},
        )
    async with session_scope() as s:
        p = await keys.authenticate_key(s, raw)
    assert p is not None and p.request_count == 1


@pytest.mark.parametrize(
    ("agent", "role", "error"),
    [
        ("", "contributor", InvalidInput),
        ("has space", "contributor", InvalidInput),
        ("ok-agent", "root", InvalidInput),
    ],
)
async def test_create_rejects_bad_input(org_slug: str, agent: str, role: str, error: type) -> None:
    with pytest.raises(error):
        async with session_scope() as s:
            await keys.create_api_key(s, org_slug, agent, role=role)


async def test_unknown_org_and_unknown_prefix(org_slug: str) -> None:
    with pytest.raises(NotFound):
        async with session_scope() as s:
            await keys.create_api_key(s, "no-such-org", "agent")
    with pytest.raises(NotFound):
        async with session_scope() as s:
            await keys.revoke_api_key(s, "hm_zzzzzzzzz")
    with pytest.raises(InvalidInput):
        async with session_scope() as s:
            await keys.revoke_api_key(s, "abc")


async def test_revoke_scoped_to_org_cannot_touch_other_orgs(org_slug: str) -> None:
    other = "other-" + uuid.uuid4().hex[:8]
    async with session_scope() as s:
        other_org = await orgs.create_org(s, other)
        info, _ = await keys.create_api_key(s, org_slug, "agent-x")
    with pytest.raises(NotFound):
        async with session_scope() as s:
            await keys.revoke_api_key(s, info.key_prefix, org_id=other_org.id)


async def test_key_actions_are_audited(org_slug: str) -> None:
    async with session_scope() as s:
        info, _ = await keys.create_api_key(s, org_slug, "agent-audit")
        await keys.revoke_api_key(s, info.key_prefix)
    async with session_scope() as s:
        actions = (
            (
                await s.exec(
                    sa.text("SELECT action FROM audit_log WHERE target_id = :p ORDER BY id"),
                    params={"p": info.key_prefix},
                )
            )
            .scalars()
            .all()
        )
    assert actions == ["key.created", "key.revoked"]
