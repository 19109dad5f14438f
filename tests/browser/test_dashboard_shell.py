"""First run, sign-in, the home page's real counts and sign-out, in a real browser."""

from __future__ import annotations

import re
import subprocess
import sys

import psycopg
import pytest
from playwright.sync_api import Page, expect

TIMEOUT = 30_000
ADMIN = ("admin@acme.example", "admin-password-1")


def _sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#sign-in").click()


def _fill_setup(page: Page, *, agent_id: str, confirm: str = ADMIN[1]) -> None:
    page.locator("#org_name").fill("Acme Research")
    page.locator("#org_slug").fill("acme")
    page.locator("#email").fill(ADMIN[0])
    page.locator("#password").fill(ADMIN[1])
    page.locator("#password_confirm").fill(confirm)
    page.locator("#agent_id").fill(agent_id)
    page.locator("#create-admin").click()


@pytest.fixture(scope="module", autouse=True)
def fresh_install(cli) -> None:
    """First run needs a database without accounts, whichever browser tests ran before this
    module: empty every org and account (the other modules recreate theirs as they need them)."""
    with psycopg.connect(cli.env["HIVEMIND_DATABASE_URL"], autocommit=True) as c:
        c.execute("TRUNCATE orgs, users CASCADE")


def test_first_run_bad_input_is_refused_and_changes_nothing(harness, cli, page: Page) -> None:
    base = harness.frontend_url.rstrip("/")
    page.goto(base + "/setup")
    _fill_setup(page, agent_id="claude-first", confirm="something-else")
    expect(page.locator("#setup-error")).to_have_text("The two passwords differ.", timeout=TIMEOUT)
    _fill_setup(page, agent_id="not a valid agent")
    expect(page.locator("#setup-error")).to_contain_text("invalid agent id", timeout=TIMEOUT)
    expect(page).to_have_url(re.compile(r"/setup$"))
    # The admin and org were rolled back with the key: the org does not exist.
    r = subprocess.run(
        [sys.executable, "-m", "hivemind_api.cli", "key", "list", "--org", "acme"],
        env=cli.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1 and "unknown org 'acme'" in r.stderr


def test_first_run_creates_admin_org_and_first_agent_key(harness, cli, page: Page) -> None:
    base = harness.frontend_url.rstrip("/")
    page.goto(base + "/")
    expect(page).to_have_url(re.compile(r"/setup$"), timeout=TIMEOUT)  # no account yet
    _fill_setup(page, agent_id="claude-first")
    expect(page).to_have_url(re.compile(r"/$"), timeout=TIMEOUT)
    expect(page.locator("#header-org")).to_have_text("Acme Research", timeout=TIMEOUT)
    expect(page.locator("#header-user")).to_have_text(ADMIN[0])
    expect(page.locator("#header-role")).to_have_text("admin")
    expect(page.locator("#stat-members")).to_have_text("1")
    expect(page.locator("#stat-keys")).to_have_text("1")
    raw_key = page.locator("#first-key").inner_text()
    assert raw_key.startswith("hm_") and len(raw_key) == 46
    listed = cli("key", "list", "--org", "acme").stdout  # the shown key is the stored one
    assert raw_key[:12] in listed and "claude-first" in listed and raw_key not in listed
    page.locator("#first-key-done").click()
    expect(page.locator("#first-key")).to_have_count(0)


def test_setup_is_closed_once_an_account_exists(harness, page: Page) -> None:
    page.goto(harness.frontend_url.rstrip("/") + "/setup")
    expect(page).to_have_url(re.compile(r"/login$"), timeout=TIMEOUT)


def test_signed_out_visitor_is_sent_to_login(harness, page: Page) -> None:
    page.goto(harness.frontend_url.rstrip("/") + "/")
    expect(page).to_have_url(re.compile(r"/login$"), timeout=TIMEOUT)
    expect(page.locator("#header-user")).to_have_count(0)


def test_wrong_password_is_refused(harness, page: Page) -> None:
    _sign_in(page, harness.frontend_url.rstrip("/"), ADMIN[0], "not-the-password")
    expect(page.locator("#login-error")).to_have_text("Wrong email or password.", timeout=TIMEOUT)
    expect(page).to_have_url(re.compile(r"/login$"))


def test_login_shows_home_with_real_counts_then_logout(harness, cli, page: Page) -> None:
    cli("key", "create", "--org", "acme", "--agent", "agent-1")
    cli("key", "create", "--org", "acme", "--agent", "agent-2")
    cli(
        "user",
        "create",
        "viewer@acme.example",
        "--org",
        "acme",
        "--role",
        "viewer",
        "--password-stdin",
        stdin="viewer-password-1\n",
    )
    base = harness.frontend_url.rstrip("/")
    _sign_in(page, base, *ADMIN)
    expect(page).to_have_url(re.compile(r"/$"), timeout=TIMEOUT)
    expect(page.locator("#stat-keys")).to_have_text("3", timeout=TIMEOUT)
    expect(page.locator("#stat-members")).to_have_text("2")
    expect(page.locator("#stat-pending")).to_have_text("0")
    expect(page.locator("#hint-no-keys")).to_have_count(0)
    page.screenshot(path=str(harness.app_path / "test-results" / "home.png"), full_page=True)

    page.locator("#logout").click()
    expect(page).to_have_url(re.compile(r"/login$"), timeout=TIMEOUT)
    page.goto(base + "/")  # the session is gone on the server, not just in the browser
    expect(page).to_have_url(re.compile(r"/login$"), timeout=TIMEOUT)


def test_viewer_signs_in_with_viewer_role(harness, page: Page) -> None:
    _sign_in(page, harness.frontend_url.rstrip("/"), "viewer@acme.example", "viewer-password-1")
    expect(page.locator("#header-role")).to_have_text("viewer", timeout=TIMEOUT)
    expect(page.locator("#header-org")).to_have_text("Acme Research")
