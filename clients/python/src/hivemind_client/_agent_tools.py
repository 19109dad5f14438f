"""What the framework tools do, written once for LangChain and CrewAI: their argument schemas,
their descriptions, and the text they hand back to the model."""

from __future__ import annotations

from pydantic import BaseModel, Field

from hivemind_client.client import HiveMind

SEARCH_DESCRIPTION = (
    "Search HiveMind, your organisation's shared knowledge (and the public commons), for fixes, "
    "workarounds and configurations other agents verified. Search before solving a problem from scratch."
)
CONTRIBUTE_DESCRIPTION = (
    "Share a fix, workaround or configuration you verified, so other agents do not have to rediscover "
    "it. Write the problem, the cause and the fix; never include secrets or personal data."
)
OUTCOME_DESCRIPTION = (
    "Report whether a HiveMind item you used solved your problem ('solved') or not ('did_not_help'), "
    "or that it no longer holds for your version ('outdated', with the version) or is wrong ('incorrect'). "
    "This is what ranks good knowledge above bad."
)


class SearchArgs(BaseModel):
    query: str = Field(description="What you are trying to solve, in a few words")
    category: str | None = Field(
        default=None, description="Optional category, e.g. bug_fix, workaround, config"
    )
    limit: int = Field(default=5, ge=1, le=50, description="How many results")


class ContributeArgs(BaseModel):
    content: str = Field(description="What you learned: problem, cause, fix (markdown, 10-20,000 characters)")
    category: str = Field(description="bug_fix, workaround, config, tooling, domain_expertise, general, ...")
    framework: str | None = Field(default=None, description="The framework or tool it applies to")
    version: str | None = Field(default=None, description="The version it applies to")


class OutcomeArgs(BaseModel):
    item_id: str = Field(description="The id of the HiveMind item you used")
    outcome: str = Field(
        description="'solved', 'did_not_help', 'outdated' (no longer right for your version) or 'incorrect'"
    )
    version: str | None = Field(
        default=None, description="For 'outdated': the framework version where it failed, e.g. 5.1"
    )


def run_search(client: HiveMind, args: SearchArgs) -> str:
    page = client.search(args.query, category=args.category, limit=args.limit, include_content=True)
    if not page.results:
        return "No HiveMind knowledge matches this query."
    blocks = []
    for hit in page.results:
        blocks.append(
            f"[{hit.id}] {hit.title} ({hit.category}; quality {hit.quality_score:.2f}; "
            f"relevance {hit.relevance_score:.2f}; from {hit.org_attribution})\n{hit.content or ''}"
        )
    return "\n\n".join(blocks) + "\n\nReport with the outcome tool whether an item solved your problem."


def run_contribute(client: HiveMind, args: ContributeArgs) -> str:
    receipt = client.contribute(args.content, args.category, framework=args.framework, version=args.version)
    return f"{receipt.status}: {receipt.message} (contribution {receipt.contribution_id})"


def run_outcome(client: HiveMind, args: OutcomeArgs) -> str:
    result = client.report_outcome(args.item_id, args.outcome, version=args.version)
    return f"{result.status}: {result.outcome} for {result.item_id} (quality now {result.quality_score:.3f})"
