"""API keys in the dashboard: create one, use it against the REST API, revoke it, see 401."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from tests.browser.helpers import ADMIN, TIMEOUT, VIEWER, api_url, ensure_accounts, sign_in


def test_create_use_and_revoke_a_key(harness, cli, page: Page) -> None:
    ensure_accounts(cli)
    base = harness.frontend_url.rstrip("/")
    sign_in(page, base, ADMIN)
    page.goto(base + "/settings/keys")
    page.locator("#new-agent").fill("ui-made-agent")
    page.locator("#new-name").fill("made in the browser")
    page.locator("#create-key").click()
    raw = page.locator("#created-key").inner_text(timeout=TIMEOUT)
    assert raw.startswith("hm_") and len(raw) == 46
    me = httpx.get(api_url() + "/api/v1/keys/me", headers={"X-API-Key": raw}, timeout=30)
    assert me.status_code == 200 and me.json()["agent_id"] == "ui-made-agent"
    prefix = raw[:12]
    expect(page.locator(f"#status-{prefix}")).to_have_text("active")
    page.locator(f"#revoke-{prefix}").click()
    page.locator("#confirm").click()
    expect(page.locator(f"#status-{prefix}")).to_have_text(re.compile(r"^revoked "), timeout=TIMEOUT)
    assert httpx.get(api_url() + "/api/v1/keys/me", headers={"X-API-Key": raw}, timeout=30).status_code == 401
    page.reload()
    expect(page.locator(f"#key-{prefix}")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator("#created-key")).to_have_count(0)  # shown once


def test_a_viewer_cannot_create_or_revoke(harness, cli, page: Page) -> None:
    ensure_accounts(cli)
    base = harness.frontend_url.rstrip("/")
    sign_in(page, base, VIEWER)
    page.goto(base + "/settings/keys")
    expect(page.locator("#keys")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator("#create-key")).to_have_count(0)
    expect(page.locator("[id^=revoke-]")).to_have_count(0)
