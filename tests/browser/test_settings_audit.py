"""The audit log page: an admin reads what happened, filters it; a viewer is refused."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

from tests.browser.helpers import ADMIN, TIMEOUT, VIEWER, ensure_accounts, sign_in


def test_an_admin_reads_and_filters_the_audit_log(harness, cli, page: Page) -> None:
    ensure_accounts(cli)
    agent = f"audited-{time.time_ns()}"
    made = cli("key", "create", "--org", "acme", "--agent", agent)
    assert made.returncode == 0, made.stderr
    base = harness.frontend_url.rstrip("/")
    sign_in(page, base, ADMIN)
    page.goto(base + "/settings/audit")
    table = page.locator("#audit")
    expect(table).to_contain_text("key.created", timeout=TIMEOUT)
    expect(table).to_contain_text(agent)
    page.locator("#audit-action").fill("member.")
    page.locator("#audit-filter").click()
    expect(table).not_to_contain_text("key.created", timeout=TIMEOUT)
    expect(table).to_contain_text("member.added")
    page.locator("#audit-action").fill("no.such.action")
    page.locator("#audit-filter").click()
    expect(page.locator("#audit-empty")).to_be_visible(timeout=TIMEOUT)


def test_a_viewer_is_refused(harness, cli, page: Page) -> None:
    ensure_accounts(cli)
    base = harness.frontend_url.rstrip("/")
    sign_in(page, base, VIEWER)
    page.goto(base + "/settings/audit")
    expect(page.locator("#audit-error")).to_contain_text("Only admins", timeout=TIMEOUT)
    expect(page.locator("#audit-filter")).to_have_count(0)
    expect(page.locator("#audit tbody tr")).to_have_count(0)
