"""Hybrid search on a seeded corpus of realistic items, through the real server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.agent_stack import AgentStack

# (key, public, category, framework, content)
CORPUS = {
    "pool_reset": (
        "a",
        False,
        "bug_fix",
        "asyncpg",
        "asyncpg's pool runs RESET ALL when a connection is released, so a `SET hnsw.ef_search` done in the pool's init callback is silently lost. Use the setup= callback or SET LOCAL inside the transaction.",
    ),
    "oom_137": (
        "b",
        True,
        "workaround",
        "docker",
        "A Docker container exits immediately with code 137 when the process is killed for exceeding its memory limit (OOM killer). Raise the limit with --memory or run fewer parallel workers.",
    ),
    "window_ssr": (
        "a",
        False,
        "bug_fix",
        "nextjs",
        "Next.js throws 'window is not defined' during server-side rendering. Move browser-only code into useEffect or load the component with dynamic import and ssr: false.",
    ),
    "startup_probe": (
        "b",
        True,
        "config",
        "kubernetes",
        "Kubernetes pods stuck in CrashLoopBackOff because the liveness probe fails while the application is still starting. Add a startupProbe with a generous failureThreshold.",
    ),
    "pip_managed": (
        "a",
        True,
        "workaround",
        "pip",
        "pip install fails with 'externally-managed-environment' on Debian 12. Create a virtualenv with python3 -m venv instead of passing --break-system-packages.",
    ),
    "reflog": (
        "a",
        False,
        "tooling",
        "git",
        "After a rebase rewrote history and commits seem lost, find them with git reflog and restore the branch with git reset --hard HEAD@{n}.",
    ),
    "strict_mode": (
        "b",
        True,
        "bug_fix",
        "react",
        "In development React StrictMode mounts components twice, so useEffect runs two times. Make effects idempotent and return a cleanup function instead of disabling StrictMode.",
    ),
    "cold_start": (
        "a",
        False,
        "config",
        "aws-lambda",
        "AWS Lambda cold starts are slow when heavy imports and SDK clients are created inside the handler. Move them to module level and enable provisioned concurrency for latency-sensitive functions.",
    ),
    "nginx_413": (
        "b",
        False,
        "config",
        "nginx",
        "Nginx answers 413 Request Entity Too Large for uploads above 1 MB. Raise client_max_body_size in the server or location block and reload nginx.",
    ),
    "gdpr_72h": (
        "a",
        True,
        "regulatory_rule",
        None,
        "Under GDPR Article 33 a personal data breach must be notified to the supervisory authority within 72 hours after becoming aware of it.",
    ),
    "go_map": (
        "b",
        True,
        "bug_fix",
        "go",
        "Go programs crash with 'fatal error: concurrent map writes' when several goroutines write to the same map. Protect it with a sync.Mutex or use sync.Map.",
    ),
    "ca_certs": (
        "a",
        False,
        "workaround",
        "docker",
        "curl fails with 'SSL certificate problem: unable to get local issuer certificate' in a slim Docker image because the ca-certificates package is missing. Install ca-certificates in the Dockerfile.",
    ),
    "vite_host": (
        "b",
        False,
        "config",
        "vite",
        "The Vite dev server is not reachable from other machines on the network because it listens on localhost only. Start it with --host to listen on all interfaces.",
    ),
    "detached": (
        "a",
        False,
        "bug_fix",
        "sqlalchemy",
        "SQLAlchemy raises DetachedInstanceError when a lazy relationship is accessed after the session closed. Load it eagerly with selectinload or keep objects usable with expire_on_commit=False.",
    ),
    "stripe_fee": (
        "b",
        True,
        "pricing_data",
        "stripe",
        "Stripe's standard fee for European cards in the EU is 1.5% + €0.25 per successful charge; international cards cost 3.25% + €0.25.",
    ),
    "tf_lock": (
        "a",
        True,
        "tooling",
        "terraform",
        "Terraform state stays locked after a CI job was killed mid-apply. Run terraform force-unlock with the lock ID shown in the error message.",
    ),
}
# A paraphrase an agent might type -> the item it should find first (as acme's agent).
PARAPHRASES = {
    "connection pool forgets my ef_search setting": "pool_reset",
    "container killed with exit code 137 out of memory": "oom_137",
    "window undefined error when rendering on the server": "window_ssr",
    "pod keeps restarting because the health check runs before startup finished": "startup_probe",
    "cannot pip install packages into Debian's system python": "pip_managed",
    "get my commits back after a bad rebase": "reflog",
    "effect hook fires twice in dev mode": "strict_mode",
    "lambda function is slow on its first invocation": "cold_start",
    "how long do we have to report a leak of personal data to the regulator": "gdpr_72h",
    "goroutines writing the same map crash the program": "go_map",
    "TLS verification error inside a minimal container image": "ca_certs",
    "accessing a relationship after the session is closed raises an error": "detached",
    "what does Stripe charge for a European card payment": "stripe_fee",
    "unlock terraform state after an interrupted pipeline": "tf_lock",
}
VISIBLE_TO_ACME = {name for name, (key, public, *_) in CORPUS.items() if key == "a" or public}


@pytest.fixture(scope="module")
def corpus(stack: AgentStack) -> dict[str, str]:
    ids = {}
    for name, (key, public, category, framework, content) in CORPUS.items():
        extra = {"framework": framework} if framework else {}
        ids[name] = stack.add_item(key, content, public=public, category=category, **extra)
    return ids


def _search(stack: AgentStack, who: str, **params: object) -> dict:
    with stack.client(who) as c:
        r = c.get("/api/v1/knowledge/search", params=params)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize(("query", "expected"), sorted(PARAPHRASES.items()))
def test_paraphrased_query_ranks_the_right_item_first(stack, corpus, query: str, expected: str) -> None:
    results = _search(stack, "a", query=query, limit=5)["results"]
    assert results and results[0]["id"] == corpus[expected], [r["title"] for r in results]
    assert 0.0 <= results[-1]["relevance_score"] <= results[0]["relevance_score"] <= 1.0


def test_only_own_org_and_public_items_are_visible(stack, corpus) -> None:
    seen = {r["id"] for r in _search(stack, "a", query="configuration error fix", limit=50)["results"]}
    by_id = {v: k for k, v in corpus.items()}
    names = {by_id[i] for i in seen if i in by_id}
    assert names == VISIBLE_TO_ACME  # a small corpus: every visible item is a candidate
    private_beta = corpus["nginx_413"]
    assert private_beta not in {
        r["id"] for r in _search(stack, "a", query="nginx 413 upload too large")["results"]
    }
    assert _search(stack, "b", query="nginx 413 upload too large")["results"][0]["id"] == private_beta


@pytest.mark.parametrize(
    ("field", "value"), [("category", "bug_fix"), ("category", "config"), ("framework", "docker")]
)
def test_filters_are_exact(stack, corpus, field: str, value: str) -> None:
    body = _search(stack, "a", query="problem fix", limit=50, **{field: value})
    index = {"category": 2, "framework": 3}[field]
    expected = {corpus[n] for n in VISIBLE_TO_ACME if CORPUS[n][index] == value}
    assert {r["id"] for r in body["results"]} == expected and body["total_found"] == len(expected)
    assert all(r["category"] == value for r in body["results"]) if field == "category" else True


def test_paging_is_exact(stack, corpus) -> None:
    everything = _search(stack, "a", query="error when running", limit=50)
    paged, cursor = [], None
    while True:
        page = _search(
            stack, "a", query="error when running", limit=3, **({"cursor": cursor} if cursor else {})
        )
        assert page["total_found"] == everything["total_found"]
        paged += [r["id"] for r in page["results"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert paged == [r["id"] for r in everything["results"]]
    assert len(set(paged)) == len(paged) == everything["total_found"]


def test_content_only_when_asked(stack, corpus) -> None:
    bare = _search(stack, "a", query="terraform lock")["results"][0]
    full = _search(stack, "a", query="terraform lock", include_content=True)["results"][0]
    assert bare["content"] is None and full["content"] == CORPUS["tf_lock"][4]
    assert set(full) >= {
        "id",
        "title",
        "category",
        "confidence",
        "org_attribution",
        "relevance_score",
        "quality_score",
        "is_public",
    }


def test_private_and_public_copies_are_one_result(stack, corpus) -> None:
    text = "Homebrew on Apple silicon installs into /opt/homebrew; add eval $(/opt/homebrew/bin/brew shellenv) to your shell profile."
    mine = stack.add_item("a", text, category="tooling")
    theirs = stack.add_item("b", text, public=True, category="tooling")
    results = _search(stack, "a", query="homebrew not found on apple silicon mac", limit=50)["results"]
    copies = [r["id"] for r in results if r["id"] in (mine, theirs)]
    assert copies == [mine]  # the caller's own copy, once


def test_expired_invalid_and_future_items_are_excluded_unless_asked_for_a_time(stack, corpus) -> None:
    old = stack.add_item(
        "a",
        "Celery beat schedules are lost on restart unless the schedule file is on a persistent volume.",
        category="config",
    )
    query = "celery beat schedule lost after restart"
    assert _search(stack, "a", query=query)["results"][0]["id"] == old
    stack.sql("UPDATE knowledge_items SET expired_at = now() WHERE id = %s", (old,))
    assert old not in {r["id"] for r in _search(stack, "a", query=query, limit=50)["results"]}
    stack.sql(
        "UPDATE knowledge_items SET expired_at = NULL, valid_at = now() - interval '2 minutes', "
        "invalid_at = now() - interval '1 minute' WHERE id = %s",
        (old,),
    )
    assert old not in {r["id"] for r in _search(stack, "a", query=query, limit=50)["results"]}
    stack.sql(
        "UPDATE knowledge_items SET invalid_at = NULL, valid_at = now() + interval '1 day' WHERE id = %s",
        (old,),
    )
    assert old not in {r["id"] for r in _search(stack, "a", query=query, limit=50)["results"]}
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    assert _search(stack, "a", query=query, at_time=tomorrow)["results"][0]["id"] == old


def test_every_served_result_records_a_retrieval(stack, corpus) -> None:
    item = corpus["pip_managed"]  # acme's public item
    before = dict(
        stack.sql(
            "SELECT by_own_org, count(*) FROM signals WHERE knowledge_item_id = %s AND kind = 'retrieval' GROUP BY 1",
            (item,),
        )
    )
    _search(stack, "a", query="pip externally managed environment", limit=1)
    _search(stack, "b", query="pip externally managed environment", limit=1)
    with stack.client("b") as c:
        assert c.get(f"/api/v1/knowledge/{item}").status_code == 200
    after = dict(
        stack.sql(
            "SELECT by_own_org, count(*) FROM signals WHERE knowledge_item_id = %s AND kind = 'retrieval' GROUP BY 1",
            (item,),
        )
    )
    assert after.get(True, 0) - before.get(True, 0) == 1 and after.get(False, 0) - before.get(False, 0) == 2
    agents = {
        a
        for (a,) in stack.sql(
            "SELECT DISTINCT agent_id FROM signals WHERE knowledge_item_id = %s AND kind = 'retrieval'",
            (item,),
        )
    }
    assert {"agent-a", "agent-b"} <= agents


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"query": ""}, 422),
        ({"query": "x", "limit": 0}, 422),
        ({"query": "x", "limit": 51}, 422),
        ({"query": "x", "category": "architecture"}, 400),
        ({"query": "x", "cursor": "%%%"}, 400),
        ({"query": "x", "at_time": "yesterday"}, 422),
        ({}, 422),
    ],
)
def test_bad_search_input(stack, params: dict, status: int) -> None:
    with stack.client("a") as c:
        assert c.get("/api/v1/knowledge/search", params=params).status_code == status
