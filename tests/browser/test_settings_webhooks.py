"""Webhooks in the dashboard: add one (the secret shown once), see a signed delivery in the log,
and see why a failing endpoint was disabled; a viewer reads but cannot change anything."""

from __future__ import annotations

import hashlib
import hmac
import time

import httpx
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    ADMIN,
    TIMEOUT,
    VIEWER,
    api_url,
    contribute,
    ensure_accounts,
    sign_in,
    wait_status,
)
from tests.integration.webhook_receiver import Receiver


def _approve(cli, text: str) -> None:
    agent = cli(
        "key", "create", "--org", "acme", "--agent", f"wh-agent-{time.time_ns()}"
    ).stdout.splitlines()[-1]
    curator = cli(
        "key", "create", "--org", "acme", "--agent", f"wh-cur-{time.time_ns()}", "--role", "curator"
    ).stdout.splitlines()[-1]
    cid = contribute(agent, text)
    assert wait_status(cli, cid) == "pending"
    r = httpx.post(
        f"{api_url()}/api/v1/contributions/{cid}/approve",
        headers={"X-API-Key": curator},
        json={"is_public": False},
        timeout=30,
    )
    assert r.status_code == 200, r.text


def _add(page: Page, url: str, *types: str) -> str:
    page.locator("#new-webhook-url").fill(url)
    for t in types:
        page.locator("#type-" + t.replace(".", "-")).click()
    page.locator("#create-webhook").click()
    return page.locator("#webhook-secret").inner_text(timeout=TIMEOUT)


def test_add_a_webhook_and_watch_its_deliveries(harness, cli, page: Page) -> None:
    ensure_accounts(cli)
    receiver = Receiver()
    try:
        base = harness.frontend_url.rstrip("/")
        sign_in(page, base, ADMIN)
        page.goto(base + "/settings/webhooks")
        secret = _add(page, receiver.base_url + "/ok", "knowledge.approved")
        assert secret.startswith("whsec_")
        row = page.locator("#webhooks tr", has_text=receiver.base_url + "/ok")
        expect(row).to_contain_text("knowledge.approved")
        webhook_id = row.get_attribute("id").removeprefix("webhook-")
        page.locator("#webhook-secret-done").click()
        expect(page.locator("#webhook-secret")).to_have_count(0)

        _approve(
            cli,
            "Webhook page check: pin pip's resolver with --use-deprecated only while migrating old lockfiles.",
        )
        [got] = receiver.wait_for("/ok", 1)
        expected = hmac.new(
            secret.encode(), got.headers["x-hivemind-timestamp"].encode() + b"." + got.body, hashlib.sha256
        ).hexdigest()
        assert got.headers["x-hivemind-signature"] == "sha256=" + expected
        time.sleep(0.5)  # the attempt's row is written just after the receiver answers
        page.locator(f"#log-{webhook_id}").click()
        log = page.locator("#delivery-log")
        expect(log).to_contain_text("knowledge.approved", timeout=TIMEOUT)
        expect(log).to_contain_text("success")
        expect(log).to_contain_text("200")

        receiver.answer("/broken", always=500)
        _add(page, receiver.base_url + "/broken")  # every event type
        broken = page.locator("#webhooks tr", has_text=receiver.base_url + "/broken")
        broken_id = broken.get_attribute("id").removeprefix("webhook-")
        _approve(
            cli, "Webhook page check: a failing receiver gets disabled after ten failed attempts in a row."
        )
        receiver.wait_for("/broken", 10, timeout=90)
        deadline = time.monotonic() + 30
        while "disabled" not in page.locator(f"#webhook-status-{broken_id}").inner_text():
            assert time.monotonic() < deadline, "the disabled state never showed"
            page.reload()
            expect(page.locator("#webhooks")).to_be_visible(timeout=TIMEOUT)
        expect(page.locator(f"#webhook-reason-{broken_id}")).to_contain_text(
            "10 consecutive failed deliveries"
        )
        expect(page.locator(f"#webhook-reason-{broken_id}")).to_contain_text("HTTP 500")
        page.locator(f"#resume-{broken_id}").click()
        expect(page.locator(f"#webhook-status-{broken_id}")).to_have_text("active", timeout=TIMEOUT)
        page.locator(f"#delete-webhook-{broken_id}").click()
        page.locator("#cancel").click()  # asked first: cancelling keeps it
        expect(page.locator(f"#webhook-{broken_id}")).to_have_count(1)
        page.locator(f"#delete-webhook-{broken_id}").click()
        page.locator("#confirm").click()
        expect(page.locator(f"#webhook-{broken_id}")).to_have_count(0, timeout=TIMEOUT)
    finally:
        receiver.close()


def test_a_viewer_reads_webhooks_without_actions(harness, cli, page: Page) -> None:
    ensure_accounts(cli)
    base = harness.frontend_url.rstrip("/")
    sign_in(page, base, VIEWER)
    page.goto(base + "/settings/webhooks")
    expect(page.locator("#webhooks")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator("#create-webhook")).to_have_count(0)
    expect(page.locator("[id^=pause-], [id^=resume-], [id^=rotate-], [id^=delete-webhook-]")).to_have_count(0)
