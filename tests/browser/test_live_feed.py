"""The live feeds: an approval made through REST shows in every open tab within 2 s, without a
reload; private events reach only the org's own members."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import httpx
from playwright.sync_api import Browser, expect

from tests.browser.helpers import (
    ADMIN,
    TIMEOUT,
    api_url,
    contribute,
    ensure_accounts,
    sign_in,
    wait_status,
)

BETA_ADMIN = ("admin@beta.example", "beta-password-1")


def _key(cli, org: str, role: str) -> str:
    return cli(
        "key", "create", "--org", org, "--agent", f"feed-{role}-{time.time_ns()}", "--role", role
    ).stdout.splitlines()[-1]


def _approve(key: str, cid: str, public: bool) -> None:
    r = httpx.post(
        f"{api_url()}/api/v1/contributions/{cid}/approve",
        headers={"X-API-Key": key},
        json={"is_public": public},
        timeout=30,
    )
    assert r.status_code == 200, r.text


def test_approvals_reach_every_tab_within_two_seconds(harness, cli, browser: Browser) -> None:
    ensure_accounts(cli)
    subprocess.run(
        [sys.executable, "-m", "hivemind_api.cli", "org", "create", "beta", "--name", "Beta Labs"],
        env=cli.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "hivemind_api.cli",
            "user",
            "create",
            BETA_ADMIN[0],
            "--org",
            "beta",
            "--role",
            "admin",
            "--password-stdin",
        ],
        env=cli.env,
        input=BETA_ADMIN[1] + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    agent, curator = _key(cli, "acme", "contributor"), _key(cli, "acme", "curator")
    tag = uuid.uuid4().hex[:6]
    public_cid = contribute(
        agent,
        f"Feed check {tag}: public tip, set HISTCONTROL=ignoreboth to keep secrets "
        "typed with a leading space out of bash history.",
    )
    private_cid = contribute(
        agent,
        f"Feed check {tag}: private tip, our staging cluster needs the VPN profile "
        "'staging-eu' before kubectl works.",
    )
    for cid in (public_cid, private_cid):
        assert wait_status(cli, cid) == "pending"

    base = harness.frontend_url.rstrip("/")
    tabs = []
    for who in (ADMIN, ADMIN, BETA_ADMIN):
        page = browser.new_context().new_page()
        sign_in(page, base, who)
        expect(page.locator("#feed-public")).to_be_visible(timeout=TIMEOUT)
        tabs.append(page)
    acme_1, acme_2, beta = tabs
    time.sleep(1)  # every tab has joined its feeds

    _approve(curator, public_cid, public=True)
    for page in tabs:
        expect(page.locator("#feed-public")).to_contain_text(f"Feed check {tag}: public tip", timeout=2_000)
    for page in (acme_1, acme_2):
        expect(page.locator("#feed-org")).to_contain_text(f"Feed check {tag}: public tip", timeout=2_000)

    _approve(curator, private_cid, public=False)
    for page in (acme_1, acme_2):
        expect(page.locator("#feed-org")).to_contain_text(f"Feed check {tag}: private tip", timeout=2_000)
    time.sleep(1)
    for locator in (beta.locator("#feed-org"), beta.locator("#feed-public"), acme_1.locator("#feed-public")):
        expect(locator).not_to_contain_text(f"Feed check {tag}: private tip")
    expect(beta.locator("#feed-org")).not_to_contain_text(f"Feed check {tag}")
