"""RQ job functions. Jobs take plain arguments and talk to the database themselves."""

from __future__ import annotations

import os


def ping(token: str) -> dict[str, object]:
    """Round-trip probe: proves a live worker picks up and finishes jobs."""
    return {"token": token, "worker_pid": os.getpid()}
