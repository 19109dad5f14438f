"""LangChain integration (``pip install "hivemind-client[langchain]"``).

``HiveMindRetriever`` is a ``BaseRetriever``: each result is a ``Document`` with the item's
content and its id, quality, provenance and integrity in the metadata. ``hivemind_tools()``
gives the search, contribute and outcome tools for an agent.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.tools import BaseTool
from pydantic import ConfigDict, PrivateAttr, SecretStr

from hivemind_client import _agent_tools as shared
from hivemind_client.client import AsyncHiveMind, HiveMind
from hivemind_client.models import SearchHit


def to_document(hit: SearchHit, base_url: str) -> Document:
    return Document(
        page_content=hit.content or hit.title,
        metadata={
            "id": hit.id,
            "title": hit.title,
            "category": hit.category,
            "quality": hit.quality_score,
            "relevance": hit.relevance_score,
            "confidence": hit.confidence,
            "org_attribution": hit.org_attribution,
            "is_public": hit.is_public,
            "integrity_verified": hit.integrity_verified,
            "source": f"{base_url}/api/v1/knowledge/{hit.id}",
        },
    )


class HiveMindRetriever(BaseRetriever):
    """Retrieves HiveMind items for a query (your org's and the public commons')."""

    base_url: str | None = None  # default: $HIVEMIND_URL, else http://localhost:8000
    api_key: SecretStr | None = None  # default: $HIVEMIND_API_KEY
    k: int = 5
    category: str | None = None
    framework: str | None = None
    language: str | None = None
    version: str | None = None
    run_id: str | None = None  # groups this run's retrievals (and outcomes) on the server
    model_config = ConfigDict(arbitrary_types_allowed=True)
    _client: HiveMind | None = PrivateAttr(default=None)

    def _filters(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "framework": self.framework,
            "language": self.language,
            "version": self.version,
            "limit": self.k,
            "include_content": True,
            "run_id": self.run_id,
        }

    def _key(self) -> str | None:
        return self.api_key.get_secret_value() if self.api_key is not None else None

    def _sync(self) -> HiveMind:
        if self._client is None:
            self._client = HiveMind(self.base_url, self._key())
        return self._client

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        client = self._sync()
        page = client.search(query, **self._filters())
        return [to_document(hit, client.base_url) for hit in page.results]

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun
    ) -> list[Document]:
        async with AsyncHiveMind(self.base_url, self._key()) as client:
            page = await client.search(query, **self._filters())
        return [to_document(hit, client.base_url) for hit in page.results]


class _HiveMindTool(BaseTool):
    client: HiveMind
    model_config = ConfigDict(arbitrary_types_allowed=True)


class HiveMindSearchTool(_HiveMindTool):
    name: str = "hivemind_search"
    description: str = shared.SEARCH_DESCRIPTION
    args_schema: type[shared.SearchArgs] = shared.SearchArgs

    def _run(self, query: str, category: str | None = None, limit: int = 5) -> str:
        return shared.run_search(self.client, shared.SearchArgs(query=query, category=category, limit=limit))


class HiveMindContributeTool(_HiveMindTool):
    name: str = "hivemind_contribute"
    description: str = shared.CONTRIBUTE_DESCRIPTION
    args_schema: type[shared.ContributeArgs] = shared.ContributeArgs

    def _run(
        self, content: str, category: str, framework: str | None = None, version: str | None = None
    ) -> str:
        args = shared.ContributeArgs(content=content, category=category, framework=framework, version=version)
        return shared.run_contribute(self.client, args)


class HiveMindOutcomeTool(_HiveMindTool):
    name: str = "hivemind_report_outcome"
    description: str = shared.OUTCOME_DESCRIPTION
    args_schema: type[shared.OutcomeArgs] = shared.OutcomeArgs

    def _run(self, item_id: str, outcome: str, version: str | None = None) -> str:
        return shared.run_outcome(
            self.client, shared.OutcomeArgs(item_id=item_id, outcome=outcome, version=version)
        )


def hivemind_tools(client: HiveMind | None = None) -> list[BaseTool]:
    """Search, contribute and report-outcome tools sharing one client (from the environment by default)."""
    client = client or HiveMind()
    return [
        HiveMindSearchTool(client=client),
        HiveMindContributeTool(client=client),
        HiveMindOutcomeTool(client=client),
    ]
