"""Run the real Reflex backend (our FastAPI routes + lifespan) in-process for HTTP tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from starlette.testclient import TestClient

from hivemind_api.config import reset_settings

_asgi = None


def _asgi_app():
    """Reflex builds its ASGI app once per process (the mounted FastAPI app can't be re-wrapped)."""
    global _asgi
    if _asgi is None:
        from hivemind_app.hivemind_app import app

        _asgi = app()
    return _asgi


@contextmanager
def backend(env: dict[str, str]) -> Iterator[TestClient]:
    """Start the backend with exactly ``env``'s HIVEMIND_* settings; stop it (and its runtime) after."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("HIVEMIND_")}
    for key in saved:
        del os.environ[key]
    os.environ.update({k: v for k, v in env.items() if k.startswith("HIVEMIND_")})
    os.environ["REFLEX_SKIP_COMPILE"] = "true"
    reset_settings()
    try:
        with TestClient(_asgi_app()) as client:
            yield client
    finally:
        for key in [k for k in os.environ if k.startswith("HIVEMIND_")]:
            del os.environ[key]
        os.environ.update(saved)
        reset_settings()
