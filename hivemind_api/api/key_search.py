"""Search for the holder of an API key, the way REST and MCP both serve it.

The query is embedded while the key is verified and metered (``principal_overlapping``): the
embedding takes longer than both checks together and needs neither. The search and its
retrieval signals are one statement, so it runs on an autocommitted session.
"""

from __future__ import annotations

from collections.abc import Mapping

from hivemind_api.accounts.caller import Caller
from hivemind_api.api.auth import principal_overlapping
from hivemind_api.db.engine import session_scope
from hivemind_api.infra.ratelimit import Limiter
from hivemind_api.knowledge.search import SearchFilters, SearchResult, embed_search_text, search


async def search_with_key(
    headers: Mapping[str, str],
    query: str,
    filters: SearchFilters,
    *,
    limit: int,
    cursor: str | None,
    include_content: bool,
    limiter: Limiter,
    run_id: str | None = None,
) -> tuple[Caller, SearchResult]:
    who, vector = await principal_overlapping(headers, lambda: embed_search_text(query), limiter)
    async with session_scope(autocommit=True) as session:
        result = await search(
            session,
            who,
            query,
            vector,
            filters=filters,
            limit=limit,
            cursor=cursor,
            include_content=include_content,
            run_id=run_id,
        )
    return who, result
