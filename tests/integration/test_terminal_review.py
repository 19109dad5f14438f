"""``hivemind review --org``, driven through a pseudo-terminal as a curator would: every key, what
the screen shows for each contribution, what ends up in the database, and the summary."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.integration.agent_stack import AgentStack
from tests.utils.pty_session import PtySession
from tests.utils.suspicious import flagged_not_blocked

REPO = Path(__file__).resolve().parents[2]
HIVEMIND = str(Path(sys.executable).with_name("hivemind"))


def _env(stack: AgentStack) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIVEMIND_")}
    env.update(HIVEMIND_DATABASE_URL=stack.database_url, HIVEMIND_REDIS_URL=stack.redis_url, NO_COLOR="1")
    return env


def _status(stack: AgentStack, cid: str) -> tuple:
    return stack.sql(
        "SELECT c.status, c.rejection_reason, k.category, k.is_public FROM contributions c "
        "LEFT JOIN knowledge_items k ON k.id = c.knowledge_item_id WHERE c.id = %s",
        (cid,),
    )[0]


def test_a_curator_reviews_the_queue_with_single_keys(stack: AgentStack) -> None:
    tag = uuid.uuid4().hex[:6]
    existing = stack.add_item(
        "b",
        f"Gunicorn {tag}: workers killed by the OOM killer under load; lower max_requests and set "
        "max_requests_jitter so each worker recycles before its memory grows too large.",
    )
    texts = [
        f"Gunicorn {tag}: workers killed by the OOM killer under load; lower max_requests and set "
        "max_requests_jitter so workers recycle before memory grows. Ask marta.kowalska@northwind-labs.io for the dashboards.",
        f"Nginx {tag}: a 413 on uploads means client_max_body_size is too small; raise it in the server block.",
        flagged_not_blocked(
            "Set `worker_prefetch_multiplier=1` so one slow Celery task does not hold back the others.\n\n"
        ),
        f"Redis {tag}: OOM command not allowed means maxmemory was reached; set an eviction policy.",
        f"Postgres {tag}: too many connections; put PgBouncer in transaction mode in front of the app.",
        f"Docker {tag}: no space left on device; prune build cache with docker builder prune.",
    ]
    cids = [stack.contribute("b", t, category="bug_fix") for t in texts]
    assert [stack.wait_processed(c) for c in cids] == ["pending"] * len(cids)

    term = PtySession([HIVEMIND, "review", "--org", "beta"], _env(stack), REPO)
    try:
        first = term.expect(r"\[q\] quit", timeout=120)
        assert "1/6" in first and f"Gunicorn {tag}" in first and "EMAIL: 1" in first
        assert "marta.kowalska@northwind-labs.io" not in first  # the stored text is the scrubbed one
        assert existing in first and "cosine" in first  # the similar item, with its score
        assert "Pre-screen" in first and "/100" in first and "agent agent-b" in first
        term.key("a")
        second = term.expect(r"\[q\] quit")
        assert "approved as private" in second and "2/6" in second and f"Nginx {tag}" in second
        term.key("p")
        third = term.expect(r"\[q\] quit")
        assert "approved as public" in third and "3/6" in third
        assert "flagged for review" in third and "injection_suspected" in third
        term.key("c")
        term.expect(r"empty to cancel\)")
        term.line("3")
        term.expect(r"every org\? \[y/N\]")
        term.line("y")
        fourth = term.expect(r"\[q\] quit")
        assert "approved as domain_expertise, public" in fourth and "4/6" in fourth
        term.key("r")
        term.expect(r"Reason")
        term.line("covered by the runbook")
        fifth = term.expect(r"\[q\] quit")
        assert "rejected" in fifth and "5/6" in fifth
        term.key("x")
        term.expect(r"'x' is not a choice")
        term.expect(r"\[q\] quit")
        term.key("s")
        term.expect(r"6/6.*\n(.*\n)*.*\[q\] quit")
        term.key("q")
        summary = term.expect(r"still pending\D+\d+")
        assert term.wait() == 0
    finally:
        term.close()
    figures = {
        label: int(line.split()[-2] if line.split()[-1] == "│" else line.split()[-1])
        for line in summary.splitlines()
        for label in (
            "approved (private)",
            "approved (public)",
            "recategorised",
            "rejected",
            "skipped",
            "still pending",
        )
        if label in line
    }
    assert figures == {
        "approved (private)": 1,
        "approved (public)": 2,
        "recategorised": 1,
        "rejected": 1,
        "skipped": 1,
        "still pending": 2,
    }
    assert _status(stack, cids[0]) == ("approved", None, "bug_fix", False)
    assert _status(stack, cids[1]) == ("approved", None, "bug_fix", True)
    assert _status(stack, cids[2]) == ("approved", None, "domain_expertise", True)
    assert _status(stack, cids[3]) == ("rejected", "covered by the runbook", None, None)
    assert _status(stack, cids[4])[0] == _status(stack, cids[5])[0] == "pending"
    audit = stack.sql(
        "SELECT action, details->>'category', details->>'agent_category' FROM audit_log "
        "WHERE actor_label = 'cli' AND target_id = ANY(%s) ORDER BY id",
        ([str(c) for c in cids],),
    )
    assert audit == [
        ("contribution.approved", None, None),
        ("contribution.approved", None, None),
        ("contribution.approved", "domain_expertise", "bug_fix"),
        ("contribution.rejected", None, None),
    ]


def test_review_refuses_without_a_terminal_or_an_org(stack: AgentStack) -> None:
    piped = subprocess.run(
        [HIVEMIND, "review", "--org", "beta"],
        env=_env(stack),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert piped.returncode == 2 and "interactive terminal" in piped.stderr
    term = PtySession([HIVEMIND, "review", "--org", "no-such-org"], _env(stack), REPO)
    try:
        assert term.wait(120) == 1
        assert "no-such-org" in term.output
    finally:
        term.close()


@pytest.mark.parametrize(
    "body", [{"category": "not-a-category"}, {"category": "tooling", "is_public": "maybe"}]
)
def test_approve_with_a_bad_category_changes_nothing(stack: AgentStack, body: dict) -> None:
    cid = stack.contribute(
        "a", f"Celery {uuid.uuid4().hex[:6]}: set visibility_timeout above your longest ETA."
    )
    assert stack.wait_processed(cid) == "pending"
    with stack.client("a_curator") as c:
        r = c.post(f"/api/v1/contributions/{cid}/approve", json=body)
    assert r.status_code in (400, 422), r.text
    assert _status(stack, cid)[0] == "pending"


def test_approve_under_another_category_over_rest(stack: AgentStack) -> None:
    cid = stack.contribute(
        "a", f"Vite {uuid.uuid4().hex[:6]}: set server.hmr.clientPort behind a reverse proxy."
    )
    assert stack.wait_processed(cid) == "pending"
    with stack.client("a_curator") as c:
        r = c.post(f"/api/v1/contributions/{cid}/approve", json={"category": "config"})
    assert r.status_code == 200, r.text
    assert _status(stack, cid) == ("approved", None, "config", False)
