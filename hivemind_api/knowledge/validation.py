"""What a contribution may contain. Violations are InvalidInput: a 4xx, and nothing is stored."""

from __future__ import annotations

from dataclasses import dataclass, field

from hivemind_api.errors import InvalidInput, UnstorableText
from hivemind_api.knowledge.versions import parse_range
from hivemind_api.vocab import CATEGORIES

MIN_CONTENT, MAX_CONTENT = 10, 20_000
MAX_TAGS, MAX_TAG_LENGTH = 20, 50
MAX_META_LENGTH = 100
MAX_RUN_ID_LENGTH = 200


@dataclass(frozen=True)
class ContributionInput:
    content: str
    category: str
    confidence: float = 0.8
    framework: str | None = None
    language: str | None = None
    version: str | None = None
    tags: list[str] = field(default_factory=list)
    run_id: str | None = None
    version_range: str | None = None  # PEP 440 specifiers for `framework`, e.g. ">=4.2,<5"


def validate_category(category: str | None) -> str | None:
    if category is not None and category not in CATEGORIES:
        raise InvalidInput(f"invalid category {category!r}: use one of {', '.join(CATEGORIES)}")
    return category


def _clean_optional(name: str, value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > limit:
        raise InvalidInput(f"{name} must be at most {limit} characters")
    return value or None


def validate_contribution(data: ContributionInput) -> ContributionInput:
    # First: the screens and the model must never see text the database would refuse anyway.
    # (The category needs no check: anything outside the vocabulary is refused below.)
    for name in ("content", "framework", "language", "version", "run_id", "version_range"):
        UnstorableText.check(name, getattr(data, name))
    for tag in data.tags or []:
        UnstorableText.check("a tag", tag)
    content = (data.content or "").strip()
    if len(content) < MIN_CONTENT:
        raise InvalidInput(f"content is too short (minimum {MIN_CONTENT} characters)")
    if len(content) > MAX_CONTENT:
        raise InvalidInput(f"content is too long (maximum {MAX_CONTENT} characters)")
    validate_category(data.category)
    if not isinstance(data.confidence, (int, float)) or not 0.0 <= float(data.confidence) <= 1.0:
        raise InvalidInput("confidence must be between 0 and 1")
    tags = [t.strip() for t in (data.tags or []) if t and t.strip()]
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"at most {MAX_TAGS} tags")
    if any(len(t) > MAX_TAG_LENGTH for t in tags):
        raise InvalidInput(f"tags must be at most {MAX_TAG_LENGTH} characters")
    return ContributionInput(
        content=content,
        category=data.category,
        confidence=float(data.confidence),
        framework=_clean_optional("framework", data.framework, MAX_META_LENGTH),
        language=_clean_optional("language", data.language, MAX_META_LENGTH),
        version=_clean_optional("version", data.version, MAX_META_LENGTH),
        tags=list(dict.fromkeys(tags)),
        run_id=_clean_optional("run_id", data.run_id, MAX_RUN_ID_LENGTH),
        version_range=canonical_range(data.version_range),
    )


def canonical_range(text: str | None) -> str | None:
    """A valid range in its canonical form (``>=4.2,<5``), ``None`` for none, else InvalidInput."""
    parsed = parse_range(text)
    return None if parsed is None else parsed.text
