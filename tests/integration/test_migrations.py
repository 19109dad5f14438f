"""The schema, migrated from empty, on the embedded server and on an external one."""

from __future__ import annotations

import psycopg
import pytest

from hivemind_api.db.migrate import current_revision, head_revision, migrate


@pytest.fixture(scope="module")
def fresh_url(target) -> str:
    return target.create_database()


def test_migrates_from_empty_and_is_idempotent(fresh_url: str) -> None:
    assert current_revision(fresh_url) is None
    before, after = migrate(fresh_url)
    assert (before, after) == (None, head_revision())
    assert head_revision() == "0006"
    assert migrate(fresh_url) == (head_revision(), head_revision())


def _conn(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True)


def test_all_spec_tables_exist(fresh_url: str) -> None:
    migrate(fresh_url)
    with _conn(fresh_url) as c:
        tables = {r[0] for r in c.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {
        "orgs",
        "users",
        "memberships",
        "user_sessions",
        "api_keys",
        "contributions",
        "knowledge_items",
        "signals",
        "auto_approve_rules",
        "webhook_endpoints",
        "webhook_deliveries",
        "events",
        "audit_log",
        "deployment_config",
    } <= tables


def test_pgvector_supports_iterative_scans(fresh_url: str) -> None:
    migrate(fresh_url)
    with _conn(fresh_url) as c:
        version = c.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()[0]
        assert tuple(int(p) for p in version.split(".")[:2]) >= (0, 8)
        c.execute("SET hnsw.iterative_scan = relaxed_order")  # fails on pgvector < 0.8


def test_indexes_and_timestamps(fresh_url: str) -> None:
    migrate(fresh_url)
    with _conn(fresh_url) as c:
        indexes = dict(
            c.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'knowledge_items'"
            ).fetchall()
        )
        naive = c.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type = 'timestamp without time zone'"
        ).fetchall()
        generated = c.execute(
            "SELECT is_generated FROM information_schema.columns "
            "WHERE table_name = 'knowledge_items' AND column_name = 'search_tsv'"
        ).fetchone()[0]
    assert (
        "hnsw" in indexes["ix_knowledge_embedding_hnsw"]
        and "vector_cosine_ops" in indexes["ix_knowledge_embedding_hnsw"]
    )
    assert "gin" in indexes["ix_knowledge_search_tsv"]
    assert "WHERE ((deleted_at IS NULL) AND (expired_at IS NULL))" in indexes["uq_knowledge_live_hash"]
    assert naive == []
    assert generated == "ALWAYS"


def _seed_org(c: psycopg.Connection, slug: str) -> str:
    return str(
        c.execute("INSERT INTO orgs (slug, name) VALUES (%s, %s) RETURNING id", (slug, slug)).fetchone()[0]
    )


def _item(c: psycopg.Connection, org: str, h: str, **extra: object) -> str:
    cols = {
        "org_id": org,
        "source_agent_id": "a",
        "category": "bug_fix",
        "content_hash": h,
        "contributed_at": "2026-01-01T00:00:00Z",
        "title": "t",
        "content": "some content",
        **extra,
    }
    names = ", ".join(cols)
    marks = ", ".join(["%s"] * len(cols))
    return str(
        c.execute(
            f"INSERT INTO knowledge_items ({names}) VALUES ({marks}) RETURNING id", list(cols.values())
        ).fetchone()[0]
    )


def test_constraints_make_illegal_states_unrepresentable(fresh_url: str) -> None:
    migrate(fresh_url)
    h = "a" * 64
    with _conn(fresh_url) as c:
        org = _seed_org(c, "constraints")
        first = _item(c, org, h)
        with pytest.raises(psycopg.errors.UniqueViolation):  # one live item per (org, hash)
            _item(c, org, h)
        c.execute("UPDATE knowledge_items SET deleted_at = now() WHERE id = %s", (first,))
        _item(c, org, h)  # a deleted copy no longer blocks it
        with pytest.raises(psycopg.errors.CheckViolation):
            _item(c, org, "b" * 64, category="not_a_category")
        with pytest.raises(psycopg.errors.CheckViolation):
            _item(c, org, "c" * 64, confidence=1.5)
        with pytest.raises(psycopg.errors.CheckViolation):  # superseded implies expired
            _item(c, org, "d" * 64, superseded_by=first)
        with pytest.raises(psycopg.errors.CheckViolation):
            c.execute("INSERT INTO orgs (slug, name) VALUES ('Bad Slug', 'x')")
        c.execute(
            "INSERT INTO api_keys (org_id, agent_id, key_prefix, key_hash) VALUES (%s, 'a', 'hm_aaaaaaaaa', %s)",
            (org, "e" * 64),
        )
        with pytest.raises(psycopg.errors.UniqueViolation):  # unique key hash
            c.execute(
                "INSERT INTO api_keys (org_id, agent_id, key_prefix, key_hash) VALUES (%s, 'b', 'hm_bbbbbbbbb', %s)",
                (org, "e" * 64),
            )
        with pytest.raises(psycopg.errors.CheckViolation):  # past 'processing' needs scrubbed content
            c.execute(
                "INSERT INTO contributions (org_id, source_agent_id, category, status) VALUES (%s, 'a', 'config', 'pending')",
                (org,),
            )


def test_full_text_column_is_generated(fresh_url: str) -> None:
    migrate(fresh_url)
    with _conn(fresh_url) as c:
        org = _seed_org(c, "fts")
        _item(
            c,
            org,
            "f" * 64,
            title="Fix asyncpg pool reset",
            content="RESET ALL drops hnsw.ef_search settings",
        )
        hits = c.execute(
            "SELECT count(*) FROM knowledge_items WHERE search_tsv @@ plainto_tsquery('english', 'settings dropped')"
        ).fetchone()[0]
    assert hits == 1


def test_0004_backfills_when_public_items_entered_the_commons(target) -> None:
    url = target.create_database()
    migrate(url, "0003")
    with _conn(url) as c:
        org = c.execute("INSERT INTO orgs (slug, name) VALUES ('m4', 'M4') RETURNING id").fetchone()[0]

        def item(title: str, public: bool) -> str:
            return c.execute(
                "INSERT INTO knowledge_items (org_id, source_agent_id, category, content_hash, contributed_at, title, "
                "content, is_public, approved_at) VALUES (%s, 'a', 'general', %s, now(), %s, 'c', %s, "
                "now() - interval '5 days') RETURNING id",
                (org, title * 64, title, public),
            ).fetchone()[0]

        approved_public, published_later, private = item("a", True), item("b", True), item("c", False)
        c.execute(
            "INSERT INTO events (type, org_id, is_public, knowledge_item_id, created_at) "
            "VALUES ('knowledge.published', %s, true, %s, now() - interval '1 day')",
            (org, published_later),
        )
    assert migrate(url, "0004") == ("0003", "0004")
    with _conn(url) as c:
        since = dict(
            c.execute("SELECT id, published_at > now() - interval '2 days' FROM knowledge_items").fetchall()
        )
        nulls = c.execute("SELECT id FROM knowledge_items WHERE published_at IS NULL").fetchall()
        cursor = c.execute(
            "SELECT value FROM deployment_config WHERE key = 'webhook_dispatch_cursor'"
        ).fetchone()[0]
        last_event = c.execute("SELECT max(id) FROM events").fetchone()[0]
    assert (
        since[approved_public] is False and since[published_later] is True
    )  # approved_at vs the publish event
    assert nulls == [(private,)]
    assert int(cursor) == last_event  # webhooks start from the events after the upgrade


def test_0005_leaves_every_existing_item_to_be_rescreened(target) -> None:
    url = target.create_database()
    migrate(url, "0004")
    with _conn(url) as c:
        org = c.execute("INSERT INTO orgs (slug, name) VALUES ('m5', 'M5') RETURNING id").fetchone()[0]
        item = c.execute(
            "INSERT INTO knowledge_items (org_id, source_agent_id, category, content_hash, contributed_at, title, "
            "content) VALUES (%s, 'a', 'general', %s, now(), 't', 'c') RETURNING id",
            (org, "5" * 64),
        ).fetchone()[0]
        with pytest.raises(psycopg.errors.CheckViolation):  # 0004 knows no quarantine event
            c.execute("INSERT INTO events (type, org_id) VALUES ('knowledge.quarantined', %s)", (org,))
    assert migrate(url, "0005") == ("0004", "0005")
    with _conn(url) as c:
        row = c.execute(
            "SELECT screen_version, quarantined_at, quarantine_evidence FROM knowledge_items WHERE id = %s",
            (item,),
        ).fetchone()
        assert row == (None, None, {})  # passed by no recorded screens: the worker re-screens it
        for kind in ("knowledge.quarantined", "knowledge.released", "knowledge.purged"):
            c.execute("INSERT INTO events (type, org_id) VALUES (%s, %s)", (kind, org))
        with pytest.raises(psycopg.errors.CheckViolation):
            c.execute("INSERT INTO events (type, org_id) VALUES ('knowledge.exploded', %s)", (org,))


def test_0006_keeps_each_agents_latest_vote_and_dates_every_item(target) -> None:
    url = target.create_database()
    migrate(url, "0005")
    with _conn(url) as c:
        org = c.execute("INSERT INTO orgs (slug, name) VALUES ('m6', 'M6') RETURNING id").fetchone()[0]
        other = c.execute("INSERT INTO orgs (slug, name) VALUES ('m6b', 'M6b') RETURNING id").fetchone()[0]
        item = c.execute(
            "INSERT INTO knowledge_items (org_id, source_agent_id, category, content_hash, contributed_at, title, "
            "content, approved_at) VALUES (%s, 'author', 'general', %s, now(), 't', 'c', now() - interval '3 days') "
            "RETURNING id",
            (org, "6" * 64),
        ).fetchone()[0]
        # Before 0006 an agent could vote once per run: three runs, the last one "did_not_help".
        for run, kind, age in (
            ("r1", "outcome_solved", 3),
            ("r2", "outcome_solved", 2),
            ("r3", "outcome_not_helpful", 1),
        ):
            c.execute(
                "INSERT INTO signals (knowledge_item_id, kind, org_id, agent_id, run_id, created_at) "
                "VALUES (%s, %s, %s, 'stuffer', %s, now() - make_interval(days => %s))",
                (item, kind, other, run, age),
            )
        c.execute(
            "INSERT INTO signals (knowledge_item_id, kind, org_id, agent_id, by_own_org) "
            "VALUES (%s, 'outcome_solved', %s, 'author', true)",
            (item, org),
        )
    assert migrate(url) == ("0005", "0006")
    with _conn(url) as c:
        votes = c.execute(
            "SELECT agent_id, outcome, counted, by_own_org FROM outcome_votes ORDER BY agent_id"
        ).fetchall()
        assert votes == [("author", "solved", False, True), ("stuffer", "did_not_help", True, False)]
        valid, ranges = c.execute(
            "SELECT valid_at = approved_at, (SELECT count(*) FROM item_ranges r WHERE r.knowledge_item_id = k.id "
            "AND r.version_range IS NULL AND r.valid_from = k.approved_at) FROM knowledge_items k"
        ).fetchone()
        assert valid and ranges == 1
        c.execute("INSERT INTO events (type, org_id) VALUES ('knowledge.narrowed', %s)", (org,))
        # History: every report stays a signal, and an agent may now report again.
        c.execute(
            "INSERT INTO signals (knowledge_item_id, kind, org_id, agent_id, run_id) "
            "VALUES (%s, 'outcome_outdated', %s, 'stuffer', 'r3')",
            (item, other),
        )
