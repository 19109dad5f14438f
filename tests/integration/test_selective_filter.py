"""A selective org/public filter still yields full, correct pages.

Here 98 % of the items belong to another org. Whichever plan Postgres picks (the HNSW index with
iterative scans, or the org/public partial indexes and an exact sort), no visible result may go
missing and nothing invisible may leak in. Recall of the HNSW path at scale is measured by
``make bench`` (recall@10 against exact filtered search)."""

from __future__ import annotations

import random
import uuid

import numpy as np
import psycopg
import pytest
from pgvector.psycopg import register_vector

from hivemind_api.accounts.caller import Caller
from hivemind_api.db.engine import session_scope
from hivemind_api.infra import embeddings
from hivemind_api.knowledge.search import search
from hivemind_api.knowledge.text import content_hash
from tests.bench.corpus import items as corpus_items

pytestmark = pytest.mark.usefixtures("external_target")


@pytest.fixture(scope="module")
def selective_db(external_target) -> tuple[str, uuid.UUID, list[str]]:
    """2,000 items of other orgs' private knowledge around 40 items of the caller's org."""
    from hivemind_api.db.migrate import migrate

    url = external_target.create_database()
    migrate(url)
    texts = [i["content"] for i in corpus_items(2040, seed=99)]
    vectors = np.array(embeddings.embed(texts, batch_size=64), dtype=np.float32)
    rng = random.Random(5)
    mine_idx = set(rng.sample(range(len(texts)), 40))
    with psycopg.connect(url) as conn:
        register_vector(conn)
        mine = conn.execute("INSERT INTO orgs (slug, name) VALUES ('mine', 'Mine') RETURNING id").fetchone()[
            0
        ]
        other = conn.execute(
            "INSERT INTO orgs (slug, name) VALUES ('other', 'Other') RETURNING id"
        ).fetchone()[0]
        with conn.cursor().copy(
            "COPY knowledge_items (org_id, source_agent_id, category, content_hash, contributed_at, title, content, "
            "is_public, embedding, embedding_model) FROM STDIN"
        ) as copy:
            for i, (text, vec) in enumerate(zip(texts, vectors, strict=True)):
                copy.write_row(
                    (
                        mine if i in mine_idx else other,
                        "a",
                        "bug_fix",
                        content_hash(text),
                        "2026-01-01",
                        text[:80],
                        text,
                        False,
                        vec,
                        "m",
                    )
                )
        conn.commit()
        conn.execute("ANALYZE knowledge_items")
        conn.commit()
    return url, mine, [texts[i] for i in sorted(mine_idx)]


async def test_selective_filter_still_fills_every_page(selective_db, db_for) -> None:
    url, mine, my_texts = selective_db
    await db_for(url)
    who = Caller.agent(
        key_id=uuid.uuid4(),
        org_id=mine,
        org_slug="mine",
        agent_id="agent",
        role="reader",
        tier="free",
        request_count=1,
    )
    for text in my_texts[:10]:
        query = text.split(":")[1].split(".")[0]  # the symptom, without the framework
        async with session_scope() as session:
            result = await search(session, who, query, embeddings.embed([query])[0], limit=10)
        # all 40 visible items are candidates; every page is full and nothing invisible leaks in
        assert len(result.results) == 10 and result.total_found == 40
        assert all(r.org_attribution == "mine" for r in result.results)
