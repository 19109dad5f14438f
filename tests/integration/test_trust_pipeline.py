"""The worker's trust stages through the real stack: near-duplicates (MinHash, persisted LSH
bands), the pre-screen score, bursts across agents, and auto-approve rules."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.agent_stack import AgentStack
from tests.utils.suspicious import flagged_not_blocked

BASE = (
    "When Celery workers run inside Kubernetes pods, a SIGTERM during a long task loses the task unless "
    "acks_late is enabled and the visibility timeout is longer than the longest task. Set "
    "task_acks_late=True and task_reject_on_worker_lost=True, raise the broker visibility_timeout to twice the "
    "longest task, and give the pod a terminationGracePeriodSeconds that covers a task's run time. "
    "Without these, the broker thinks the message was delivered and nobody retries it after the pod dies. "
    "{tag}"
)


_NEAR_COPY = (
    "Pip resolves build dependencies in an isolated environment, so a package whose setup.py imports "
    "numpy fails with ModuleNotFoundError even when numpy is installed. Declare numpy under "
    "[build-system] requires in pyproject.toml, or pass --no-build-isolation after installing the build "
    "dependencies yourself; pin setuptools below 70 if setup.py still imports pkg_resources. Seen {tag}."
)


def _text(tag: str) -> str:
    return BASE.format(tag=tag)


def _row(stack: AgentStack, cid: str) -> dict:
    cols = ("status", "similar_items", "prescreen_score", "prescreen_reasons", "flags", "minhash")
    values = stack.sql(f"SELECT {', '.join(cols)} FROM contributions WHERE id = %s", (cid,))[0]
    return dict(zip(cols, values, strict=True))


def test_every_processed_contribution_has_a_prescreen_with_reasons(stack: AgentStack) -> None:
    cid = stack.contribute(
        "a", "## Fix\n\n1. Run `pip install -U pip`\n2. Retry the build.\n\n" + _text("prescreen")
    )
    assert stack.wait_processed(cid) == "pending"
    row = _row(stack, cid)
    assert 0 <= row["prescreen_score"] <= 100 and len(row["minhash"]) == 128
    factors = {r["factor"] for r in row["prescreen_reasons"]}
    assert {"length", "structure", "code", "agent_history"} <= factors
    assert row["prescreen_score"] == 50 + sum(r["points"] for r in row["prescreen_reasons"])


def test_near_duplicate_by_minhash_is_linked_and_lowers_the_score(stack: AgentStack) -> None:
    original = stack.add_item("a", _text("Checked with Celery 5.3 on GKE."))
    cid = stack.contribute("a2", _text("Checked with Celery 5.4 on EKS."))  # a re-post: two words differ
    assert stack.wait_processed(cid) == "pending"
    row = _row(stack, cid)
    match = next(s for s in row["similar_items"] if s["id"] == original)
    assert match["near_duplicate"] and match["jaccard"] >= 0.8
    assert any(r["factor"] == "near_duplicate" and r["points"] < 0 for r in row["prescreen_reasons"])
    unrelated = stack.contribute(
        "a2",
        "Homebrew on Apple Silicon lives in /opt/homebrew; add its bin to PATH in "
        "~/.zprofile, not ~/.bashrc, because macOS starts zsh as a login shell.",
    )
    assert stack.wait_processed(unrelated) == "pending"
    assert not any(s["near_duplicate"] for s in _row(stack, unrelated)["similar_items"])


def test_near_identical_posts_from_several_agents_are_flagged_as_a_burst(stack: AgentStack) -> None:
    tag = uuid.uuid4().hex[:6]
    first = stack.contribute("a", _text(f"burst {tag} one"))
    second = stack.contribute("a2", _text(f"burst {tag} two"))
    for cid in (first, second):
        stack.wait_processed(cid)
    assert _row(stack, second)["flags"] == []  # one other agent is not yet a burst
    third = stack.contribute("b", _text(f"burst {tag} three"))
    assert stack.wait_processed(third) == "pending"
    row = _row(stack, third)
    assert row["flags"] == ["burst"]
    assert any(r["factor"] == "burst" for r in row["prescreen_reasons"])


@pytest.fixture
def tooling_rule(stack: AgentStack):
    def add(min_score: int | None = None) -> None:
        stack.sql(
            "INSERT INTO auto_approve_rules (org_id, category, min_prescreen_score) VALUES (%s, 'tooling', %s)",
            (stack.org_ids["acme"], min_score),
        )

    yield add
    stack.sql("DELETE FROM auto_approve_rules")


def test_auto_approve_rule_approves_through_the_normal_path(stack: AgentStack, tooling_rule) -> None:
    tooling_rule()
    cid = stack.contribute(
        "a",
        "Use `uv pip compile --generate-hashes` to pin hashes; pip then refuses a "
        "tampered wheel at install time.",
        category="tooling",
    )
    assert stack.wait_processed(cid) == "approved"
    item_id, reviewer = stack.sql(
        "SELECT knowledge_item_id, reviewed_by FROM contributions WHERE id = %s", (cid,)
    )[0]
    assert item_id is not None and reviewer is None
    assert (
        stack.sql(
            "SELECT count(*) FROM events WHERE type = 'knowledge.approved' AND knowledge_item_id = %s",
            (item_id,),
        )[0][0]
        == 1
    )
    actor = stack.sql(
        "SELECT actor_label FROM audit_log WHERE target_id = %s AND action = 'contribution.approved'", (cid,)
    )
    assert actor and actor[0][0].startswith("auto-approve rule tooling")
    beta = stack.contribute(
        "b",
        "Use `uv pip compile --generate-hashes` to pin hashes in beta's repo too, so a tampered wheel fails.",
        category="tooling",
    )
    assert stack.wait_processed(beta) == "pending"  # the rule is acme's, not beta's
    other = stack.contribute(
        "a",
        "Set `PYTHONDONTWRITEBYTECODE=1` in CI images to keep layers small and reproducible.",
        category="config",
    )
    assert stack.wait_processed(other) == "pending"  # the rule covers one category


def test_auto_approve_respects_the_minimum_score_and_near_duplicates(stack: AgentStack, tooling_rule) -> None:
    tooling_rule(min_score=95)
    cid = stack.contribute(
        "a",
        "Pin `setuptools<70` when building old packages that still import pkg_resources from setup.py.",
        category="tooling",
    )
    assert stack.wait_processed(cid) == "pending"
    # Its own text (not BASE, which other tests post from several agents: a burst flag would keep
    # the copy pending whatever its similarity). The rule's minimum keeps the original pending for
    # the curator; with the minimum gone, only its being a near-duplicate holds the copy back.
    tag = uuid.uuid4().hex[:6]
    original = stack.add_item("a", _NEAR_COPY.format(tag=f"{tag} original"), category="tooling")
    stack.sql("UPDATE auto_approve_rules SET min_prescreen_score = NULL")
    dup = stack.contribute("a", _NEAR_COPY.format(tag=f"{tag} copy"), category="tooling")
    assert stack.wait_processed(dup) == "pending"
    row = _row(stack, dup)
    assert row["flags"] == []
    assert any(s["id"] == original and s["near_duplicate"] for s in row["similar_items"])


def test_a_contribution_the_screen_flags_waits_for_a_curator_whatever_the_rules(
    stack: AgentStack, tooling_rule
) -> None:
    """Suspicious below the blocking threshold: stored and queued, marked for the curator with its
    evidence, and never auto-approved (an auto-approve rule covers its category)."""
    text = flagged_not_blocked(
        "Set `task_acks_late=True` so a SIGTERM in a Kubernetes pod does not lose a running Celery task.\n\n"
    )
    tooling_rule()
    cid = stack.contribute("a", text, category="tooling")
    assert stack.wait_processed(cid) == "pending"
    row = _row(stack, cid)
    assert "injection_suspected" in row["flags"]
    stored = stack.sql("SELECT injection_verdict FROM contributions WHERE id = %s", (cid,))[0][0]
    assert stored["flagged"] and any(
        m["rule"] == "learned_classifier" and m["severity"] == "flag" for m in stored["matches"]
    )
    clean = stack.contribute(
        "a",
        "Use `pip install --require-hashes -r requirements.txt` in CI so a changed wheel fails the build.",
        category="tooling",
    )
    assert stack.wait_processed(clean) == "approved"  # the same rule approves what the screen passed


def test_the_workers_second_opinion_flags_what_the_request_path_passed(
    stack: AgentStack, tooling_rule
) -> None:
    """A paraphrased override the rules and the n-gram classifier pass: the worker's semantic head
    flags it before anyone but its contributor sees it, and no auto-approve rule approves it."""
    from tests.unit.test_semantic_head import _caught_by_head_only

    text = _caught_by_head_only()
    tooling_rule()
    cid = stack.contribute("a", text, category="tooling")
    assert stack.wait_processed(cid) == "pending"
    assert "injection_suspected" in _row(stack, cid)["flags"]
    stored = stack.sql("SELECT injection_verdict FROM contributions WHERE id = %s", (cid,))[0][0]
    assert stored["flagged"] and "semantic_classifier" in stored["rules"]
    assert any(m["rule"] == "semantic_classifier" and m["excerpt"] in text for m in stored["matches"])
