"""Scrub personal data and secrets out of a contribution before anything stores it.

All detectors run over the whole text, prose and code alike; each replaces only the sensitive
token with a typed placeholder, so code keeps its shape and stays useful. A second pass runs over
the output (a value revealed by the first replacement, or split across two detections, is
caught there). Content that is mostly placeholders carries no knowledge and is refused.

The report keeps entity kinds and counts, never the values.

The request path runs the rules (``scrub``); the worker then runs a name model over their
output (``add_model_names``) before anyone but the contributor sees the text. ``scrub_stored``
is both, as the commons finally stores a text (the evaluation and the re-screen use it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hivemind_api.trust import identity, name_model, names, personal, secrets
from hivemind_api.trust.spans import PLACEHOLDER_RE, Span, apply, count_kinds, placeholder_share, resolve

MAX_PLACEHOLDER_SHARE = 0.5
_DETECTORS = (secrets.detect, personal.detect, identity.detect, names.detect)


@dataclass(frozen=True)
class ScrubResult:
    text: str
    entities: dict[str, int]
    placeholder_share: float
    passes: int
    report: dict[str, object] = field(default_factory=dict)

    @property
    def mostly_placeholders(self) -> bool:
        return self.placeholder_share > MAX_PLACEHOLDER_SHARE


def find(text: str) -> list[Span]:
    """Every sensitive span in ``text``, overlaps resolved; placeholders themselves are not news."""
    spans = [span for detect in _DETECTORS for span in detect(text)]
    return resolve([s for s in spans if not PLACEHOLDER_RE.fullmatch(text[s.start : s.end])])


def scrub(text: str, max_passes: int = 3) -> ScrubResult:
    entities: dict[str, int] = {}
    passes = 0
    while passes < max_passes:
        spans = find(text)
        passes += 1
        if not spans:
            break
        for kind, n in count_kinds(spans).items():
            entities[kind] = entities.get(kind, 0) + n
        text = apply(text, spans)
    share = placeholder_share(text)
    report = {
        "entities": entities,
        "total": sum(entities.values()),
        "placeholder_share": round(share, 3),
        "passes": passes,
    }
    return ScrubResult(text, entities, share, passes, report)


def add_model_names(text: str, report: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The worker's half: names the model finds in an already scrubbed text, and the report
    with them counted (``model_names`` says how many the model alone found)."""
    spans = resolve([s for s in name_model.detect(text) if not PLACEHOLDER_RE.search(text[s.start : s.end])])
    if not spans:
        return text, report
    text = apply(text, spans)
    beside = resolve(names.beside_names(text))  # surnames and list members next to the model's names
    text = apply(text, beside) if beside else text
    entities = dict(report.get("entities", {}))
    entities["NAME"] = int(entities.get("NAME", 0)) + len(spans) + len(beside)
    report = {
        **report,
        "entities": entities,
        "total": sum(entities.values()),
        "model_names": len(spans) + len(beside),
        "placeholder_share": round(placeholder_share(text), 3),
    }
    return text, report


def scrub_stored(text: str) -> ScrubResult:
    """The rules, then the name model: the text as the commons stores it."""
    first = scrub(text)
    scrubbed, report = add_model_names(first.text, first.report)
    if scrubbed == first.text:
        return first
    entities = dict(report["entities"])
    share = placeholder_share(scrubbed)
    return ScrubResult(scrubbed, entities, share, first.passes, report)
