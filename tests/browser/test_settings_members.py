"""Members in the dashboard: an admin adds a person, who signs in with the one-time password and
replaces it; the admin changes their role and removes them, which ends their access."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import ADMIN, TIMEOUT, VIEWER, ensure_accounts, sign_in


def test_add_sign_in_change_password_and_remove_a_member(harness, cli, page: Page, browser: Browser) -> None:
    ensure_accounts(cli)
    base = harness.frontend_url.rstrip("/")
    sign_in(page, base, ADMIN)
    page.goto(base + "/settings/members")
    page.locator("#new-email").fill("newcomer@acme.example")
    page.locator("#add-member").click()
    one_time = page.locator("#one-time-password").inner_text(timeout=TIMEOUT)
    assert len(one_time) >= 12
    row = page.locator("#members tr", has_text="newcomer@acme.example")
    expect(row).to_contain_text("viewer")

    newcomer = browser.new_context().new_page()
    sign_in(newcomer, base, ("newcomer@acme.example", one_time))
    newcomer.goto(base + "/settings/members")
    expect(newcomer.locator("#add-member")).to_have_count(0)  # a viewer manages nobody
    newcomer.locator("#current_password").fill(one_time)
    newcomer.locator("#new_password").fill("my-own-password-9")
    newcomer.locator("#new_password_confirm").fill("my-own-password-9")
    newcomer.locator("#change-password").click()
    expect(newcomer.get_by_text("Password changed")).to_be_visible(timeout=TIMEOUT)

    again = browser.new_context().new_page()
    sign_in(again, base, ("newcomer@acme.example", "my-own-password-9"))

    user_id = row.get_attribute("id").removeprefix("member-")
    page.locator(f"#role-{user_id}").click()
    page.get_by_role("option", name="curator").click()
    expect(page.get_by_text("newcomer@acme.example is now curator")).to_be_visible(timeout=TIMEOUT)
    page.locator(f"#remove-{user_id}").click()
    page.locator("#confirm").click()
    expect(page.locator(f"#member-{user_id}")).to_have_count(0, timeout=TIMEOUT)
    again.goto(base + "/settings/members")  # the removed member's session no longer works
    expect(again).to_have_url(re.compile(r"/login"), timeout=TIMEOUT)


def test_a_viewer_cannot_add_or_remove_members(harness, cli, page: Page) -> None:
    ensure_accounts(cli)
    base = harness.frontend_url.rstrip("/")
    sign_in(page, base, VIEWER)
    page.goto(base + "/settings/members")
    expect(page.locator("#members")).to_contain_text(ADMIN[0], timeout=TIMEOUT)
    expect(page.locator("#add-member")).to_have_count(0)
    expect(page.locator("[id^=remove-]")).to_have_count(0)
