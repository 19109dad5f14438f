"""``uvicorn --factory tests.integration.serve:asgi``: the real Reflex backend (our FastAPI routes,
MCP, lifespan with the HiveMind runtime) as its own server process for HTTP-level tests."""

import os


def asgi():
    os.environ.setdefault("REFLEX_SKIP_COMPILE", "true")
    from hivemind_app.hivemind_app import app

    return app()
