"""What the browser tests share: the first-run accounts, signing in, and an agent that contributes
through the REST API while a page watches (``cli`` and ``harness`` are fixtures of conftest)."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import httpx
import psycopg
from playwright.sync_api import Page, expect

TIMEOUT = 30_000
ADMIN = ("admin@acme.example", "admin-password-1")
VIEWER = ("viewer@acme.example", "viewer-password-1")


def ensure_accounts(cli) -> None:
    """The shell tests create acme and its admin at first run; create them if this runs alone."""

    def run(*args: str, stdin: str | None = None) -> None:
        subprocess.run(
            [sys.executable, "-m", "hivemind_api.cli", *args],
            env=cli.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    run("org", "create", "acme", "--name", "Acme Research")
    run(
        "user",
        "create",
        ADMIN[0],
        "--org",
        "acme",
        "--role",
        "admin",
        "--password-stdin",
        stdin=ADMIN[1] + "\n",
    )
    run(
        "user",
        "create",
        VIEWER[0],
        "--org",
        "acme",
        "--role",
        "viewer",
        "--password-stdin",
        stdin=VIEWER[1] + "\n",
    )


def agent_key(cli) -> str:
    return cli(
        "key", "create", "--org", "acme", "--agent", "review-agent-" + str(time.time_ns())
    ).stdout.splitlines()[-1]


def api_url() -> str:
    from reflex.config import get_config

    return get_config().api_url.rstrip("/")


def contribute(key: str, content: str) -> str:
    r = httpx.post(
        api_url() + "/api/v1/knowledge",
        headers={"X-API-Key": key},
        json={"content": content, "category": "bug_fix"},
        timeout=60,
    )
    assert r.status_code == 202, r.text
    return r.json()["contribution_id"]


def wait_status(cli, cid: str, timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    with psycopg.connect(cli.env["HIVEMIND_DATABASE_URL"], autocommit=True) as c:
        while True:
            status = c.execute("SELECT status FROM contributions WHERE id = %s", (cid,)).fetchone()[0]
            if status != "processing" or time.monotonic() > deadline:
                return status
            time.sleep(0.3)


def sign_in(page: Page, base: str, who: tuple[str, str]) -> None:
    page.goto(f"{base}/login")
    page.locator("#email").fill(who[0])
    page.locator("#password").fill(who[1])
    page.locator("#sign-in").click()
    expect(page).to_have_url(re.compile(r"/$"), timeout=TIMEOUT)
