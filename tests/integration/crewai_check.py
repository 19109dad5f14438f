"""Run inside the CrewAI virtualenv (.venv-crewai) by test_sdk_crewai.py: invokes the SDK's CrewAI
tools the way a crew's agent does (``tool.run``) against a running server, no LLM, and prints what
each returned as JSON. Imports nothing from the HiveMind server or its tests."""

from __future__ import annotations

import json
import os
import sys

from crewai.tools import BaseTool

from hivemind_client import HiveMind
from hivemind_client.crewai import hivemind_tools


def main() -> None:
    client = HiveMind(os.environ["HIVEMIND_URL"], os.environ["HIVEMIND_API_KEY"])
    search, contribute, outcome = hivemind_tools(client)
    assert all(isinstance(t, BaseTool) for t in (search, contribute, outcome))
    result = {
        "names": [t.name for t in (search, contribute, outcome)],
        "search": search.run(query=os.environ["QUERY"], limit=5),
        "contribute": contribute.run(content=os.environ["CONTENT"], category="tooling"),
        "outcome": outcome.run(item_id=os.environ["ITEM_ID"], outcome="solved"),
    }
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
