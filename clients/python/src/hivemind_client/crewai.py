"""CrewAI integration (``pip install "hivemind-client[crewai]"``): search, contribute and
report-outcome tools for a crew's agents, sharing the texts and schemas of the LangChain tools."""

from __future__ import annotations

from typing import Any

from crewai.tools import BaseTool
from pydantic import ConfigDict

from hivemind_client import _agent_tools as shared
from hivemind_client.client import HiveMind


class _HiveMindTool(BaseTool):
    client: Any  # a HiveMind (typed loosely: CrewAI's model must not validate the client)
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
    """The three tools sharing one client (from ``$HIVEMIND_URL``/``$HIVEMIND_API_KEY`` by default)."""
    client = client or HiveMind()
    return [
        HiveMindSearchTool(client=client),
        HiveMindContributeTool(client=client),
        HiveMindOutcomeTool(client=client),
    ]
