"""Small text helpers: titles and previews for lists and summaries."""

from __future__ import annotations

import hashlib
import re

# Leading heading/quote/list markers, backticks and bold/italic asterisks. Underscores stay:
# in technical text they are mostly part of names (ef_search, __init__).
_MD_NOISE = re.compile(r"^[#>\-*+\s]+|`+|\*+")


def content_hash(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()


def make_title(content: str, limit: int = 80) -> str:
    """The first meaningful line, without markdown decoration, cut at a word near ``limit``."""
    in_fence = False
    for raw in content.splitlines():
        line = raw.strip()
        if line.startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence or not line:
            continue
        line = _MD_NOISE.sub("", line).strip()
        if line:
            break
    else:
        line = " ".join(content.split())
    if len(line) <= limit:
        return line
    cut = line[:limit].rsplit(" ", 1)[0] or line[:limit]
    return cut.rstrip(",.;: ") + "…"


def preview(content: str, limit: int) -> str:
    flat = " ".join(content.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
