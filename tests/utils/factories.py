"""Rows inserted directly, for tests that need the database in a given state without going
through the pipeline (the pipeline has its own tests)."""

from __future__ import annotations

import uuid

import psycopg

from hivemind_api.infra import embeddings
from hivemind_api.knowledge.text import content_hash


def insert_item(
    database_url: str,
    org_id: uuid.UUID | str,
    *,
    content: str = "c",
    title: str | None = None,
    category: str = "tooling",
    agent: str = "agent-k",
    public: bool = False,
    published_days_ago: int = 0,
    embed: bool = False,
    intact: bool = False,
) -> str:
    """A knowledge item approved now (public ones published ``published_days_ago`` days ago),
    embedded by the real model when ``embed`` (search needs it). Its content hash is the real one
    when ``intact`` (integrity checks pass), else a random one (so equal contents may coexist).
    Returns its id."""
    vector = str(embeddings.embed([content])[0]) if embed else None
    with psycopg.connect(database_url, autocommit=True) as c:
        row = c.execute(
            "INSERT INTO knowledge_items (org_id, source_agent_id, category, content_hash, contributed_at, title, "
            "content, is_public, approved_at, published_at, embedding, embedding_model) "
            "VALUES (%s, %s, %s, %s, now(), %s, %s, %s, now(), "
            "CASE WHEN %s THEN now() - make_interval(days => %s) END, %s::vector, %s) RETURNING id",
            (
                org_id,
                agent,
                category,
                content_hash(content) if intact else uuid.uuid4().hex * 2,
                title if title is not None else content[:60],
                content,
                public,
                public,
                published_days_ago,
                vector,
                "test" if embed else None,
            ),
        ).fetchone()
    assert row is not None
    return str(row[0])
