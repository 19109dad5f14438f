"""Approving with ``supersedes`` retires the old item only when the approval commits."""

from __future__ import annotations

from tests.integration.agent_stack import AgentStack

OLD = "Celery beat loses its schedule on restart unless celerybeat-schedule lives on a persistent volume."
NEW = (
    "Celery beat loses its schedule on restart unless celerybeat-schedule lives on a persistent volume; "
    "with django-celery-beat the schedule lives in the database and survives restarts."
)


def _approve(stack: AgentStack, who: str, cid: str, **body: object):
    with stack.client(who) as c:
        return c.post(f"/api/v1/contributions/{cid}/approve", json=body)


def test_supersede_retires_the_old_item_with_the_approval(stack: AgentStack) -> None:
    old = stack.add_item("a", OLD)
    cid = stack.contribute("a", NEW)
    assert stack.wait_processed(cid) == "pending"
    r = _approve(stack, "a_curator", cid, supersedes=old)
    assert r.status_code == 200, r.text
    new = r.json()["item_id"]
    expired, superseded_by = stack.sql(
        "SELECT expired_at IS NOT NULL, superseded_by FROM knowledge_items WHERE id = %s", (old,)
    )[0]
    assert expired and str(superseded_by) == new
    assert (
        stack.sql(
            "SELECT summary->>'superseded_by' FROM events WHERE type = 'knowledge.superseded' "
            "AND knowledge_item_id = %s",
            (old,),
        )[0][0]
        == new
    )
    with stack.client("a") as c:
        ids = {
            h["id"]
            for h in c.get("/api/v1/knowledge/search", params={"query": "celery beat schedule lost"}).json()[
                "results"
            ]
        }
    assert new in ids and old not in ids


def test_a_failed_supersede_rolls_the_approval_back(stack: AgentStack) -> None:
    theirs = stack.add_item("b", "Beta's note: raise vm.max_map_count to 262144 for Elasticsearch in Docker.")
    cid = stack.contribute("a", "Raise vm.max_map_count to 262144 on the host for Elasticsearch containers.")
    assert stack.wait_processed(cid) == "pending"
    for target, code in ((theirs, 404), ("not-a-uuid", 400)):
        r = _approve(stack, "a_curator", cid, supersedes=target)
        assert r.status_code == code, r.text
        assert stack.sql("SELECT status FROM contributions WHERE id = %s", (cid,))[0][0] == "pending"
    assert stack.sql("SELECT expired_at FROM knowledge_items WHERE id = %s", (theirs,))[0][0] is None
    gone = stack.add_item("a", "Set `vm.overcommit_memory=1` for Redis to avoid background save failures.")
    first = stack.contribute(
        "a", "Redis needs vm.overcommit_memory=1, or BGSAVE can fail under memory pressure."
    )
    second = stack.contribute(
        "a", "Redis: vm.overcommit_memory=1 avoids fork failures of BGSAVE and AOF rewrites."
    )
    for c in (first, second):
        assert stack.wait_processed(c) == "pending"
    assert _approve(stack, "a_curator", first, supersedes=gone).status_code == 200
    again = _approve(stack, "a_curator", second, supersedes=gone)
    assert again.status_code == 409 and "already superseded" in again.json()["detail"]
    assert stack.sql("SELECT status FROM contributions WHERE id = %s", (second,))[0][0] == "pending"
