"""Sliding-window rate limits per key and per org, through the real server and Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.integration.agent_stack import AgentStack, start_stack, stop_stack
from tests.integration.test_mcp import call

TIGHT = {
    "HIVEMIND_RATE_LIMIT_CONTRIBUTIONS_PER_KEY": "3/minute",
    "HIVEMIND_RATE_LIMIT_CONTRIBUTIONS_PER_ORG": "5/minute",
    "HIVEMIND_RATE_LIMIT_REQUESTS_PER_KEY": "12/minute",
    "HIVEMIND_RATE_LIMIT_REQUESTS_PER_ORG": "1000/minute",
}


@pytest.fixture(scope="module")
def limited(external_target, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentStack]:
    running = start_stack(external_target, tmp_path_factory.mktemp("limited"), TIGHT)
    yield running
    stop_stack(running)


def _post(stack: AgentStack, who: str, n: int):
    with stack.client(who) as c:
        return c.post(
            "/api/v1/knowledge",
            json={
                "content": f"Tip {n}: set PIP_NO_CACHE_DIR=1 in slim images to keep layers small ({time.time()}).",
                "category": "tooling",
            },
        )


def test_contributions_per_key_then_per_org(limited: AgentStack) -> None:
    assert [_post(limited, "a", i).status_code for i in range(3)] == [202, 202, 202]
    refused = _post(limited, "a", 4)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "per key" in refused.json()["detail"]
    # Another key of the same org still has its own window, until the org's is full (5/minute).
    assert [_post(limited, "a2", i).status_code for i in range(3)] == [202, 202, 429]
    assert "per org" in _post(limited, "a_curator", 9).json()["detail"]
    # Other orgs are not affected, and the refusals stored nothing.
    assert _post(limited, "b", 1).status_code == 202
    assert (
        limited.sql("SELECT count(*) FROM contributions WHERE org_id = %s", (limited.org_ids["acme"],))[0][0]
        == 5
    )


def test_requests_per_key_and_over_mcp(limited: AgentStack) -> None:
    with limited.client("b_curator") as c:
        codes = [c.get("/api/v1/keys/me").status_code for _ in range(14)]
    assert codes[:12] == [200] * 12 and codes[12:] == [429, 429]
    result = call(limited, "b_curator", "list_knowledge", {})
    assert result.is_error and "rate limit" in result.content[0].text


def test_searches_over_the_key_limit_are_refused_over_rest_and_mcp(limited: AgentStack) -> None:
    """From its second search on, a key's query is embedded while its limits are checked: the
    13th search must still be refused, and so must the next ones, without results."""
    key = limited.add_key("beta", "searcher", "contributor")
    with limited.client(key) as c:
        codes = [c.get("/api/v1/knowledge/search", params={"query": "slim images"}) for _ in range(14)]
    assert [r.status_code for r in codes] == [200] * 12 + [429, 429]
    assert all("results" not in r.json() for r in codes[12:])
    result = call(limited, key, "search_knowledge", {"query": "slim images"})
    assert result.is_error and "rate limit" in result.content[0].text
