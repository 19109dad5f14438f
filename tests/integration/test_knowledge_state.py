"""The knowledge browser's handlers: hybrid search as the org's agents see the commons, no
retrievals recorded for browsing, item provenance and use, publishing by curators only."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from hivemind_api.accounts.orgs import create_org
from hivemind_api.db.engine import session_scope
from hivemind_app.pages.knowledge import KnowledgeState
from tests.integration.dashboard import signed_in
from tests.utils.factories import insert_item


def _item(url: str, org_id: uuid.UUID, content: str, *, public: bool) -> str:
    return insert_item(url, org_id, content=content, public=public, embed=True, intact=True)


@pytest.fixture
async def orgs(db):
    async with session_scope() as s:
        mine = await create_org(s, "kb-" + uuid.uuid4().hex[:8])
        other = await create_org(s, mine.slug + "-o")
    return mine, other


async def test_search_shows_what_the_orgs_agents_see_and_records_nothing(orgs, database_url) -> None:
    mine, other = orgs
    own = _item(
        database_url,
        mine.id,
        "Use ripgrep's --glob to skip node_modules when searching big repos.",
        public=False,
    )
    theirs_public = _item(
        database_url,
        other.id,
        "ripgrep respects .gitignore; pass --no-ignore to search ignored files.",
        public=True,
    )
    theirs_private = _item(
        database_url, other.id, "Our ripgrep wrapper lives in tools/rg.sh and adds --hidden.", public=False
    )
    viewer = await signed_in(KnowledgeState, mine, "viewer")
    await viewer.set_query("ripgrep ignore files search")
    ids = {r["id"] for r in viewer.results}
    assert own in ids and theirs_public in ids and theirs_private not in ids
    await viewer.open(theirs_public)
    assert viewer.item["org"] == other.slug and viewer.item["integrity"] == "verified"
    assert "not found" in str(await viewer.open(theirs_private))
    with psycopg.connect(database_url) as c:
        assert (
            c.execute(
                "SELECT count(*) FROM signals WHERE knowledge_item_id = ANY(%s::uuid[])",
                ([own, theirs_public],),
            ).fetchone()[0]
            == 0
        )
    await viewer.set_category_filter("config")
    assert viewer.results == []


async def test_curators_publish_their_own_items_only(orgs, database_url) -> None:
    mine, other = orgs
    own = _item(
        database_url, mine.id, "Pin Terraform providers with a lock file committed to the repo.", public=False
    )
    theirs = _item(
        database_url, other.id, "Terraform lock files record provider checksums per platform.", public=True
    )
    viewer = await signed_in(KnowledgeState, mine, "viewer")
    await viewer.open(own)
    assert "Only curators" in str(await viewer.set_public(True))
    curator = await signed_in(KnowledgeState, mine, "curator")
    await curator.open(own)
    assert "published" in str(await curator.set_public(True)).lower()
    assert curator.item["public"] == "public" and any("knowledge.published" in e for e in curator.item_events)
    with psycopg.connect(database_url) as c:
        actor = c.execute(
            "SELECT actor_label FROM audit_log WHERE target_id = %s AND action = 'knowledge.published'",
            (own,),
        ).fetchone()[0]
    assert actor == f"curator-{mine.slug}@example.com"
    await curator.open(theirs)
    assert "not found" in str(await curator.set_public(False))
    with psycopg.connect(database_url) as c:
        assert (
            c.execute("SELECT is_public FROM knowledge_items WHERE id = %s", (theirs,)).fetchone()[0] is True
        )


async def test_invalidate_by_curators_and_delete_by_admins(orgs, database_url) -> None:
    mine, _other = orgs
    stale = _item(
        database_url,
        mine.id,
        "Docker Desktop 4.2 needs the legacy VPN kit for corporate proxies.",
        public=False,
    )
    gone = _item(
        database_url,
        mine.id,
        "Our old CI used Jenkins agents on bare metal with a shared Maven cache.",
        public=False,
    )
    viewer = await signed_in(KnowledgeState, mine, "viewer")
    await viewer.open(stale)
    assert "Only curators" in str(await viewer.invalidate())
    curator = await signed_in(KnowledgeState, mine, "curator")
    await curator.open(stale)
    assert "Invalidated" in str(await curator.invalidate())
    assert "already invalidated" in str(await curator.invalidate())
    await curator.set_query("docker desktop vpn corporate proxy")
    assert stale not in {r["id"] for r in curator.results}
    await curator.open(stale)  # still readable, for the record
    assert curator.item["id"] == stale
    await curator.open(gone)
    assert "Only admins" in str(await curator.delete())
    admin = await signed_in(KnowledgeState, mine, "admin")
    await admin.open(gone)
    assert "Deleted" in str(await admin.delete())
    assert "not found" in str(await admin.open(gone))
    with psycopg.connect(database_url) as c:
        actions = dict(
            c.execute(
                "SELECT action, actor_label FROM audit_log WHERE target_id = ANY(%s)", ([stale, gone],)
            ).fetchall()
        )
    assert actions == {
        "knowledge.invalidated": f"curator-{mine.slug}@example.com",
        "knowledge.deleted": f"admin-{mine.slug}@example.com",
    }


async def test_a_forged_category_is_refused_and_changes_nothing(orgs, database_url) -> None:
    mine, _ = orgs
    own = _item(
        database_url, mine.id, "Use `pip download` to prefetch wheels for an offline install.", public=False
    )
    viewer = await signed_in(KnowledgeState, mine, "viewer")
    await viewer.set_query("prefetch wheels offline install")
    assert "invalid category" in str(await viewer.set_category_filter("nonsense"))
    assert viewer.category == "all" and own in {r["id"] for r in viewer.results}


async def test_item_shows_quality_parts_versions_history_and_curators_mark_it(orgs, database_url) -> None:
    mine, other = orgs
    own = _item(database_url, mine.id, "Set statement_timeout per role to stop runaway reports.", public=True)
    with psycopg.connect(database_url, autocommit=True) as c:
        c.execute(
            "UPDATE knowledge_items SET framework = 'postgresql', version_range = '>=12,<17' WHERE id = %s",
            (own,),
        )
        c.execute(
            "INSERT INTO item_revisions (knowledge_item_id, kind, title, content, actor_label) "
            "VALUES (%s, 'agent', 't', 'Set statement_timeout per role.', 'agent:agent-k')",
            (own,),
        )
    viewer = await signed_in(KnowledgeState, other, "curator")  # another org's curator
    await viewer.open(own)
    assert viewer.item["versions"] == "postgresql >=12,<17"
    assert {"usefulness", "popularity", "freshness", "penalty"} <= set(viewer.item)
    assert float(viewer.item["freshness"]) == pytest.approx(1.0, abs=0.01)
    assert viewer.item["votes_own"] == "none" and viewer.item["mark"] == ""
    assert [(r["kind"], r["content"]) for r in viewer.revisions] == [
        ("as contributed", "Set statement_timeout per role.")
    ]
    viewer.set_mark_reason("superseded by pg 17 defaults")
    assert "not found" in str(await viewer.mark())  # not theirs to mark
    curator = await signed_in(KnowledgeState, mine, "curator")
    await curator.open(own)
    before = float(curator.item["quality"])
    curator.set_mark_choice("outdated")
    assert "reason" in str(await curator.mark())  # a reason is required
    curator.set_mark_reason("PostgreSQL 17 sets it per database")
    assert "Marked outdated" in str(await curator.mark())
    assert curator.item["mark"] == "outdated: PostgreSQL 17 sets it per database"
    assert float(curator.item["penalty"]) == pytest.approx(0.3)
    parts = {k: float(curator.item[k]) for k in ("usefulness", "popularity", "freshness", "penalty")}
    assert float(curator.item["quality"]) == pytest.approx(
        0.6 * parts["usefulness"] + 0.15 * parts["popularity"] + 0.25 * parts["freshness"] - 0.3, abs=0.011
    )
    assert float(curator.item["quality"]) < before
    assert "Mark cleared" in str(await curator.mark(True))
    assert curator.item["mark"] == "" and float(curator.item["penalty"]) == 0.0
    member = await signed_in(KnowledgeState, mine, "viewer")
    await member.open(own)
    member.set_mark_reason("x")
    assert "Only curators" in str(await member.mark())
