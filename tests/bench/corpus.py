"""Realistic, reproducible knowledge items and queries for the benchmark.

Items combine real frameworks, symptoms, causes and fixes into short bug-fix/workaround notes
(the shape agents contribute). Queries paraphrase an item's symptom, as an agent would ask.
They are embedded by the real model: random vectors make HNSW numbers meaningless.
"""

from __future__ import annotations

import random

FRAMEWORKS = [
    ("django", "python", "5.1"),
    ("fastapi", "python", "0.115"),
    ("flask", "python", "3.0"),
    ("pandas", "python", "2.2"),
    ("numpy", "python", "2.1"),
    ("sqlalchemy", "python", "2.0"),
    ("celery", "python", "5.4"),
    ("pytest", "python", "8.3"),
    ("react", "javascript", "18"),
    ("nextjs", "typescript", "14"),
    ("vue", "javascript", "3.4"),
    ("express", "javascript", "4.19"),
    ("nodejs", "javascript", "20"),
    ("vite", "javascript", "5"),
    ("webpack", "javascript", "5"),
    ("typescript", "typescript", "5.5"),
    ("spring-boot", "java", "3.3"),
    ("hibernate", "java", "6.5"),
    ("gradle", "java", "8.9"),
    ("maven", "java", "3.9"),
    ("rails", "ruby", "7.2"),
    ("laravel", "php", "11"),
    ("dotnet", "csharp", "8"),
    ("tokio", "rust", "1.40"),
    ("actix", "rust", "4"),
    ("gin", "go", "1.10"),
    ("kubernetes", None, "1.31"),
    ("docker", None, "27"),
    ("terraform", None, "1.9"),
    ("postgres", None, "16"),
    ("redis", None, "7.4"),
    ("nginx", None, "1.27"),
    ("kafka", None, "3.8"),
    ("elasticsearch", None, "8.15"),
    ("airflow", "python", "2.10"),
    ("pytorch", "python", "2.4"),
]
SYMPTOMS = [
    "requests time out after exactly 30 seconds",
    "memory grows until the process is killed",
    "the first request after deploy takes several seconds",
    "tests pass locally but fail in CI",
    "the build fails with a cryptic module resolution error",
    "connections are refused under load",
    "timestamps are shifted by one hour",
    "unicode characters are garbled in the output",
    "a background job runs twice",
    "the container exits immediately with code 137",
    "CPU stays at 100 percent while idle",
    "logs are missing from the console",
    "uploads larger than 1 MB are rejected",
    "the cache never invalidates after an update",
    "a migration locks the table for minutes",
    "authentication works in development but not in production",
    "environment variables are not picked up",
    "the health check fails during startup",
    "responses are cut off behind the reverse proxy",
    "file watchers stop noticing changes",
    "DNS lookups fail intermittently",
    "a deadlock appears under concurrent writes",
    "the query planner ignores the index",
    "TLS handshakes fail with certificate errors",
    "pagination returns duplicate rows",
    "websocket connections drop every minute",
    "dependency installation hangs forever",
    "the scheduler skips runs after a restart",
    "floating point totals are off by a cent",
    "hot reload restarts the server in a loop",
]
CAUSES = [
    "a default timeout in the HTTP client",
    "an unbounded in-memory cache",
    "lazy imports on the first request",
    "a different locale in the CI image",
    "a stale lockfile",
    "the connection pool being too small",
    "the server running in UTC while the client uses local time",
    "a missing encoding declaration",
    "two workers both picking up the same scheduled task",
    "the memory limit of the container",
    "a busy-wait loop in a polling thread",
    "output buffering in the runtime",
    "the default body size limit",
    "cache keys that ignore the version",
    "a non-concurrent index build",
    "cookies marked Secure on plain HTTP",
    "the process reading its config before the env file is loaded",
    "a liveness probe that fires too early",
    "proxy buffering",
    "inotify watch limits",
    "a resolver that caches negative answers",
    "lock ordering that differs between code paths",
    "an implicit type cast on the filtered column",
    "a missing CA bundle",
    "ordering by a non-unique column",
    "an idle timeout on the load balancer",
    "a registry mirror that is unreachable",
    "schedules kept only in memory",
    "binary floating point for money",
    "the watcher also watching the data directory",
]
FIXES = [
    "set the timeout explicitly and retry with backoff",
    "bound the cache with an LRU policy and a max size",
    "warm up imports at startup",
    "pin the locale and timezone in the CI image",
    "regenerate the lockfile and commit it",
    "raise the pool size and reuse connections",
    "store timestamps as timezone-aware UTC",
    "declare UTF-8 explicitly",
    "take a database advisory lock before running the job",
    "raise the memory limit or process data in chunks",
    "replace polling with a blocking wait",
    "disable buffering with an environment flag",
    "raise the body size limit in the proxy",
    "include the release version in cache keys",
    "build the index concurrently",
    "mark cookies Secure only behind HTTPS",
    "load the env file before reading settings",
    "add a startup probe with a longer threshold",
    "turn proxy buffering off for that path",
    "raise fs.inotify.max_user_watches",
    "lower the negative cache TTL",
    "always acquire locks in the same order",
    "cast the parameter to the column type",
    "install the ca-certificates package",
    "add the primary key as a tiebreaker",
    "send keepalive pings more often than the idle timeout",
    "point the installer at a reachable registry",
    "persist schedules in the database",
    "use integer cents or a decimal type",
    "exclude the data directory from the watcher",
]
QUERY_FORMS = [
    "{fw}: {symptom}",
    "why does {fw} show this: {symptom}",
    "{symptom} with {fw}, how to fix",
    "how do I stop {fw} when {symptom}",
    "{fw} {version} {symptom}",
]


def items(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        fw, lang, version = rng.choice(FRAMEWORKS)
        s, c, f = rng.randrange(len(SYMPTOMS)), rng.randrange(len(CAUSES)), rng.randrange(len(FIXES))
        content = (
            f"{fw} {version}: {SYMPTOMS[s]}. The cause was {CAUSES[c]}. "
            f"Fix: {FIXES[f]}. Verified on {fw} {version} (note {i})."
        )
        out.append(
            {
                "content": content,
                "framework": fw,
                "language": lang,
                "version": version,
                "category": rng.choice(["bug_fix", "workaround", "config", "tooling"]),
                "symptom": s,
            }
        )
    return out


def queries(corpus: list[dict], n: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        item = rng.choice(corpus)
        out.append(
            rng.choice(QUERY_FORMS).format(
                fw=item["framework"], version=item["version"], symptom=SYMPTOMS[item["symptom"]]
            )
        )
    return out


def long_texts(n: int, seed: int = 13) -> list[str]:
    """~200-word contributions for the pipeline-throughput measurement."""
    rng = random.Random(seed)
    texts = []
    for i in range(n):
        parts = []
        while sum(len(p.split()) for p in parts) < 190:
            fw, _, version = rng.choice(FRAMEWORKS)
            parts.append(
                f"With {fw} {version}, {rng.choice(SYMPTOMS)} because of {rng.choice(CAUSES)}; "
                f"we fixed it when we decided to {rng.choice(FIXES)}."
            )
        texts.append(f"Incident write-up {i}. " + " ".join(parts))
    return texts
