"""The analytics page shows real figures and follows the live feed: a public approval made
through REST moves the commons count without a reload."""

from __future__ import annotations

import re
import time

import httpx
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    ADMIN,
    TIMEOUT,
    api_url,
    contribute,
    ensure_accounts,
    sign_in,
    wait_status,
)


def test_analytics_updates_with_the_live_feed(harness, cli, page: Page) -> None:
    ensure_accounts(cli)
    base = harness.frontend_url.rstrip("/")
    sign_in(page, base, ADMIN)
    page.goto(base + "/analytics")
    total = page.locator("#an-total")
    expect(total).to_have_text(re.compile(r"^\d+$"), timeout=TIMEOUT)
    before = int(total.inner_text())
    expect(page.locator("#growth-chart")).to_be_visible()
    expect(page.locator("#agents-table")).to_be_visible()

    agent = cli(
        "key", "create", "--org", "acme", "--agent", f"an-agent-{time.time_ns()}"
    ).stdout.splitlines()[-1]
    curator = cli(
        "key", "create", "--org", "acme", "--agent", f"an-cur-{time.time_ns()}", "--role", "curator"
    ).stdout.splitlines()[-1]
    cid = contribute(
        agent, "Analytics check: set PYTHONDONTWRITEBYTECODE=1 in CI images so layers stay cacheable."
    )
    assert wait_status(cli, cid) == "pending"
    r = httpx.post(
        f"{api_url()}/api/v1/contributions/{cid}/approve",
        headers={"X-API-Key": curator},
        json={"is_public": True},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    expect(total).to_have_text(str(before + 1), timeout=5_000)  # no reload
    expect(page.locator("#agents-table")).to_contain_text("an-agent-")  # the new agent's row, live too
