"""``hivemind review --org SLUG``: the review queue in a terminal, for CLI-first curators.

One pending contribution at a time, oldest first: its text rendered as Markdown, the pre-screen
score and reasons, what was redacted, the injection evidence and the three most similar items.
A key decides: approve (private or public), change the category and approve, reject with a
reason, skip, or quit; a summary closes the session. Decisions go through the same use cases as
the dashboard (``knowledge.review``), each in its own transaction, so a decision is kept even if
the session is interrupted later, and a contribution another curator decided meanwhile is
reported and passed over.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console, Group
from rich.markdown import Markdown
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from hivemind_api.accounts import orgs
from hivemind_api.accounts.caller import Caller
from hivemind_api.db.engine import session_scope
from hivemind_api.errors import Conflict, DomainError
from hivemind_api.knowledge import review
from hivemind_api.vocab import CATEGORIES, ContributionStatus

SIMILAR_SHOWN = 3
KEYS = "[a] approve  [p] approve public  [c] change category & approve  [r] reject  [s] skip  [q] quit"


@dataclass
class Summary:
    approved_private: int = 0
    approved_public: int = 0
    recategorised: int = 0
    rejected: int = 0
    skipped: int = 0
    taken_by_others: int = 0
    remaining: int = 0


@dataclass(frozen=True)
class Terminal:
    """How the session talks to its curator: a console to print on, one key, one line."""

    console: Console
    read_key: Callable[[], str]
    ask: Callable[[str], str]


def render(console: Console, d: review.ContributionDetail, position: str) -> None:
    evidence = Table.grid(padding=(0, 2))
    evidence.add_column(style="bold", no_wrap=True)
    evidence.add_column()
    score = "not scored yet" if d.prescreen_score is None else f"{d.prescreen_score}/100"
    evidence.add_row("Pre-screen", "\n".join([score, *d.reason_lines()]))
    evidence.add_row("Redacted", "\n".join(d.redaction_lines()) or "nothing")
    verdict = d.injection_verdict
    injection = "flagged for review" if verdict.get("flagged") else "no injection found"
    evidence.add_row("Injection", "\n".join([injection, *d.rule_lines()]))
    if d.flags:
        evidence.add_row("Flags", ", ".join(d.flags))
    similar = d.similar()[:SIMILAR_SHOWN]
    lines = [
        f"{s.score}  {s.title}  ({'your org' if s.own_org else 'public'}"
        f"{', near-duplicate' if s.near_duplicate else ''})  {s.id}"
        for s in similar
    ]
    evidence.add_row("Similar", "\n".join(lines) or "none")
    console.print(
        Panel(
            Group(Markdown(d.content), "", evidence),
            title=f"{position}  {d.title}",
            subtitle=f"{d.meta_line()} · {d.id}",
            title_align="left",
            subtitle_align="left",
        )
    )


def _choose_category(term: Terminal, current: str) -> str | None:
    listed = "  ".join(f"{n}) {c}" for n, c in enumerate(CATEGORIES, 1))
    term.console.print(f"Categories: {listed}")
    while True:
        answer = term.ask(
            f"New category for this contribution (now {current}; number or name, empty to cancel)"
        ).strip()
        if not answer:
            return None
        if answer.isdigit() and 1 <= int(answer) <= len(CATEGORIES):
            return CATEGORIES[int(answer) - 1]
        if answer in CATEGORIES:
            return answer
        term.console.print(f"[red]No category {escape(answer)!r}[/red]")


async def _decide(term: Terminal, curator: Caller, d: review.ContributionDetail, summary: Summary) -> bool:
    """Ask until the curator decides on ``d``; False when they quit."""
    cid = str(d.id)
    while True:
        term.console.print(escape(KEYS))
        key = term.read_key().lower()
        try:
            if key in ("a", "p", "c"):
                category, public = None, key == "p"
                if key == "c":
                    category = _choose_category(term, d.category)
                    if category is None:
                        continue
                    public = term.ask("Share it with every org? [y/N]").strip().lower() in ("y", "yes")
                async with session_scope() as s:
                    item = await review.approve(s, curator, cid, is_public=public, category=category)
                summary.approved_public += public
                summary.approved_private += not public
                summary.recategorised += category is not None
                shown = f"{category}, " if category else ""
                term.console.print(f"approved as {shown}{'public' if public else 'private'}, item {item.id}")
                return True
            if key == "r":
                reason = term.ask("Reason (the agent sees it; empty for none)")
                async with session_scope() as s:
                    await review.reject(s, curator, cid, reason=reason)
                summary.rejected += 1
                term.console.print("rejected")
                return True
            if key == "s":
                summary.skipped += 1
                return True
            if key in ("q", "\x03", "\x04"):  # q, Ctrl-C, Ctrl-D
                return False
            term.console.print(f"[red]{escape(repr(key))} is not a choice[/red]")
        except Conflict as err:
            summary.taken_by_others += 1
            term.console.print(f"[yellow]Someone else decided first: {escape(str(err))}[/yellow]")
            return True
        except DomainError as err:
            term.console.print(f"[red]{escape(str(err))}[/red]")


async def review_queue(org_slug: str, limit: int, term: Terminal) -> Summary:
    """Walk the org's pending contributions, oldest first, at most ``limit`` of them."""
    async with session_scope() as s:
        org = await orgs.get_org(s, org_slug)
        page = await review.list_pending(s, org.id, limit=limit, sort="oldest")
    curator = Caller.system(org_id=org.id, org_slug=org.slug, name="cli")
    summary = Summary()
    if not page.items:
        term.console.print(f"Nothing waits for review in {org.slug}.")
    for n, row in enumerate(page.items, 1):
        async with session_scope() as s:
            detail = await review.get_contribution(s, org.id, str(row.id))
        if detail.status != ContributionStatus.PENDING:
            summary.taken_by_others += 1
            continue
        render(term.console, detail, f"{n}/{len(page.items)}")
        if not await _decide(term, curator, detail, summary):
            break
    async with session_scope() as s:
        summary.remaining = (await review.list_pending(s, org.id, limit=1)).total
    print_summary(term.console, summary)
    return summary


def print_summary(console: Console, summary: Summary) -> None:
    table = Table(title="Review session", show_header=False)
    table.add_row("approved (private)", str(summary.approved_private))
    table.add_row("approved (public)", str(summary.approved_public))
    table.add_row("of which recategorised", str(summary.recategorised))
    table.add_row("rejected", str(summary.rejected))
    table.add_row("skipped", str(summary.skipped))
    if summary.taken_by_others:
        table.add_row("decided by someone else", str(summary.taken_by_others))
    table.add_row("still pending", str(summary.remaining))
    console.print(table)
