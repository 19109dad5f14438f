"""Re-embed every stored vector with this process's model, then pin that model.

Run after changing the embedding model (``hivemind reembed``). Until then the app refuses to
start, because mixing two models' vectors in one index silently returns wrong neighbours.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import sqlalchemy as sa

from hivemind_api.db.engine import session_scope
from hivemind_api.infra import embeddings

_TABLES = ("knowledge_items", "contributions")


@dataclass(frozen=True)
class ReembedReport:
    knowledge_items: int
    contributions: int
    model_id: str


async def reembed_all(batch_size: int = 64) -> ReembedReport:
    identity = await asyncio.to_thread(embeddings.model_identity)
    counts = {}
    for table in _TABLES:
        done, last_id = 0, None
        while True:
            async with session_scope() as session:
                rows = (
                    await session.execute(
                        sa.text(
                            f"SELECT id, content FROM {table} WHERE content IS NOT NULL "
                            f"AND (CAST(:last AS uuid) IS NULL OR id > :last) ORDER BY id LIMIT :n"
                        ),
                        params={"last": last_id, "n": batch_size},
                    )
                ).all()
                if not rows:
                    break
                vectors = await asyncio.to_thread(embeddings.embed_many, [r.content for r in rows])
                for row, vector in zip(rows, vectors, strict=True):
                    await session.execute(
                        sa.text(
                            f"UPDATE {table} SET embedding = CAST(:v AS vector), embedding_model = :m WHERE id = :id"
                        ),
                        params={"v": str(vector), "m": identity.model_id, "id": row.id},
                    )
            done += len(rows)
            last_id = rows[-1].id
        counts[table] = done
    async with session_scope() as session:
        await embeddings.pin_model(session, identity)
    return ReembedReport(counts["knowledge_items"], counts["contributions"], identity.model_id)
