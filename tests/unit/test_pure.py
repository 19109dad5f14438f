"""Pure logic: URL forms, settings defaults, validators."""

from __future__ import annotations

import pytest

from hivemind_api.accounts.keys import validate_agent_id, validate_key_role
from hivemind_api.accounts.orgs import validate_slug
from hivemind_api.accounts.passwords import hash_password, verify_password
from hivemind_api.accounts.users import normalize_email
from hivemind_api.config import Settings
from hivemind_api.db.urls import async_url, libpq_url, sync_url
from hivemind_api.errors import InvalidInput


@pytest.mark.parametrize(
    "given",
    [
        "postgresql://postgres:@/postgres?host=/tmp/x/pg",
        "postgres://postgres:@/postgres?host=/tmp/x/pg",
        "postgresql+psycopg2://postgres:@/postgres?host=/tmp/x/pg",
    ],
)
def test_url_forms(given: str) -> None:
    assert async_url(given) == "postgresql+asyncpg://postgres:@/postgres?host=/tmp/x/pg"
    assert sync_url(given) == "postgresql+psycopg://postgres:@/postgres?host=/tmp/x/pg"
    assert libpq_url(given) == "postgresql://postgres:@/postgres?host=/tmp/x/pg"


def test_url_rejects_other_schemes() -> None:
    with pytest.raises(ValueError):
        async_url("mysql://x@y/z")


def test_supervised_workers_default_follows_redis_mode() -> None:
    assert Settings(redis_url=None).supervised_workers == 1
    assert Settings(redis_url="redis://127.0.0.1:6379/0").supervised_workers == 0
    assert Settings(redis_url="redis://h/0", workers=3).supervised_workers == 3
    assert Settings(database_url=None).uses_embedded_postgres
    assert not Settings(database_url="postgresql://h/db").uses_embedded_postgres


def test_prod_environment_shares_state_and_points_the_dashboard_at_the_public_address() -> None:
    from hivemind_api.launcher import prod_environment

    servers = {"redis_url": "redis://cache:6379/0", "database_url": "postgresql://db/hm"}
    env = prod_environment(Settings(**servers, backend_workers=3), {"PATH": "/bin"})
    assert env["REFLEX_STATE_MANAGER_MODE"] == "redis" and env["REFLEX_REDIS_URL"] == "redis://cache:6379/0"
    assert env["GRANIAN_WORKERS"] == "3" and env["PATH"] == "/bin"
    assert "REFLEX_API_URL" not in env  # then Reflex points it at the backend's own port
    behind = prod_environment(Settings(**servers, public_url="https://hivemind.example.com/"), {})
    assert behind["REFLEX_API_URL"] == "https://hivemind.example.com"
    for wrong in ("hivemind.example.com", "https://h.example.com/sub/path", "ftp://h"):
        with pytest.raises(ValueError):
            Settings(**servers, public_url=wrong)


@pytest.mark.parametrize("slug", ["acme", "a", "acme-research", "a1-b2"])
def test_valid_slugs(slug: str) -> None:
    assert validate_slug(slug) == slug


@pytest.mark.parametrize("slug", ["", "Acme", "-acme", "acme-", "acme research", "a" * 64, "acme_r"])
def test_invalid_slugs(slug: str) -> None:
    with pytest.raises(InvalidInput):
        validate_slug(slug)


def test_agent_ids_and_roles() -> None:
    assert validate_agent_id("claude-code@laptop:7") == "claude-code@laptop:7"
    for bad in ("", " x", "x y", "-x", "x" * 201):
        with pytest.raises(InvalidInput):
            validate_agent_id(bad)
    with pytest.raises(InvalidInput):
        validate_key_role("admin")


def test_emails_are_normalised() -> None:
    assert normalize_email("  Alice@Example.COM ") == "alice@example.com"
    with pytest.raises(InvalidInput):
        normalize_email("alice@")


def test_password_hash_roundtrip_and_rules() -> None:
    h = hash_password("correct horse")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "correct horse") and not verify_password(h, "correct horsE")
    assert not verify_password(None, "anything")
    assert not verify_password("garbage", "anything")
    with pytest.raises(InvalidInput):
        hash_password("short")
