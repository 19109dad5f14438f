"""Which screens passed a text: recorded on every contribution and item.

``SCREEN_VERSION`` changes whenever what the screens decide can change: ``SCREENS_REVISION`` is
raised by hand with any change to a rule or detector in ``hivemind_api/trust/``; the injection
classifier's and the worker's semantic head's weights contribute their own hashes, and the name
model its package's version. A start with a new version makes the worker re-screen every live
item (``knowledge/rescreen.py``).
"""

from __future__ import annotations

from functools import lru_cache

from hivemind_api.trust import classifier, name_model, semantic

SCREENS_REVISION = "2026-12-07.33"


@lru_cache(maxsize=1)
def screen_version() -> str:
    return f"{SCREENS_REVISION}+{classifier.load().version}+{semantic.load().version}+{name_model.model_version()}"
