"""Settings read from ``HIVEMIND_*`` environment variables.

Only the settings that change behaviour live here; each is documented in the README. Reading
happens lazily (``get_settings()``) so tests and the CLI can change the environment first.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process-wide configuration. Unset URLs mean "use the embedded default"."""

    model_config = SettingsConfigDict(env_prefix="HIVEMIND_", extra="ignore")

    data_dir: Path = Field(default=Path(".hivemind"))
    # Where the ONNX export of the embedding model is kept (derived from the installed weights
    # once, ~90 MB); shared by every deployment on the machine.
    model_cache_dir: Path = Field(default=Path("~/.cache/hivemind"))
    # The sentence-transformers embedding model: the packaged default's name, a directory with a
    # saved model, or a name in the local Hugging Face cache (never downloaded). Changing it on a
    # database with vectors needs `hivemind reembed`; the index stores 384-dim vectors.
    embedding_model: str = "sentence-transformers/all-MiniLM-L6-v2"
    database_url: str | None = None
    redis_url: str | None = None
    # RQ workers the app itself starts and supervises. None: one when Redis is embedded, none
    # when an external Redis is configured (production runs `hivemind worker` separately).
    workers: int | None = None
    # ONNX Runtime threads per run of the embedding model. Unset: one per core in the backend (a
    # query's latency), one in a worker, which instead runs `model_streams` texts side by side
    # (throughput: two one-thread runs embed ~25 % more per second than one run on two threads).
    model_threads: int | None = Field(default=None, ge=1, le=64)
    # Texts a worker embeds at once. Unset: the cores divided by model_threads. Several workers
    # on one machine: set this so workers × streams × threads ≈ cores.
    model_streams: int | None = Field(default=None, ge=1, le=64)
    # Backend processes `hivemind run --prod` starts (granian workers). Unset: one per core.
    backend_workers: int | None = Field(default=None, ge=1, le=64)
    # The address browsers use, e.g. "https://hivemind.example.com" behind a proxy. The dashboard
    # is built to open its websocket there; unset, it opens it on the backend's own port.
    public_url: str | None = Field(default=None, pattern=r"^https?://[^/\s]+/?$")
    # An RQ worker refreshes its heartbeat about every (ttl - 15) s; /health calls a worker
    # dead when its last heartbeat is older than this.
    worker_ttl: int = 20
    # Each backend checks this often for work a lost job or a restarted Redis left behind:
    # contributions in `processing` for longer than `stuck_after_seconds` get a new drain, and
    # webhook deliveries whose job vanished are queued again.
    recovery_interval_seconds: float = Field(default=30.0, gt=0)
    stuck_after_seconds: int = Field(default=60, ge=1)
    session_ttl_hours: int = 12
    # Quality (knowledge/quality.py): freshness halves every this many days since an item was
    # approved or last confirmed by a "solved" from another agent.
    quality_half_life_days: float = Field(default=90.0, gt=0)
    # How many votes' worth the agents of one org can move another org's item (each direction).
    quality_org_vote_cap: float = Field(default=3.0, gt=0)
    # Every item is rescored this often (freshness decays, retrievals add popularity); outcomes
    # rescore their item at once.
    rescore_interval_seconds: float = Field(default=600.0, gt=0)
    # Distinct orgs reporting an item outdated at one version before its range is cut below it.
    outdated_orgs_to_narrow: int = Field(default=3, ge=1)
    queue_name: str = "default"
    # Host header values the MCP endpoint accepts (DNS-rebinding protection), comma-separated,
    # e.g. "hivemind.example.com,localhost:*". Unset: any host (every call needs an API key).
    mcp_allowed_hosts: str | None = None
    # Sliding-window limits ("N/second|minute|hour"), per API key and per org, in Redis.
    rate_limit_requests_per_key: str = "1200/minute"
    rate_limit_requests_per_org: str = "12000/minute"
    rate_limit_contributions_per_key: str = "60/minute"
    rate_limit_contributions_per_org: str = "600/minute"
    # SSE: a `ping` event this often (proxies close streams that stay silent, often after 30 s+).
    sse_ping_seconds: float = Field(default=15.0, gt=0, le=25)
    # Webhook targets on private, loopback or link-local addresses are refused unless set (SSRF).
    webhook_allow_private: bool = False
    # Seconds before each retry of a failed webhook delivery; len + 1 attempts in all
    # (default: 5 attempts over about an hour).
    webhook_backoff_seconds: str = "60,240,900,2400"
    webhook_timeout_seconds: float = 10.0
    # Consecutive failed attempts after which an endpoint is disabled.
    webhook_max_failures: int = 10

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def uses_embedded_postgres(self) -> bool:
        return not self.database_url

    @property
    def uses_embedded_redis(self) -> bool:
        return not self.redis_url

    @property
    def resolved_backend_workers(self) -> int:
        return self.backend_workers or os.cpu_count() or 1

    @property
    def supervised_workers(self) -> int:
        if self.workers is not None:
            return max(0, self.workers)
        return 1 if self.uses_embedded_redis else 0


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests and the CLI change the environment at run time)."""
    get_settings.cache_clear()
