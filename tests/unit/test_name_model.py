"""The worker's name model (``trust/name_model.py``): what it adds to the rules, and the filters
that keep products, commands and identifiers out of its ``PERSON`` guesses."""

from __future__ import annotations

import pytest

from hivemind_api.trust import name_model
from hivemind_api.trust.scrubber import scrub, scrub_stored


def _names(text: str) -> list[str]:
    return [text[s.start : s.end] for s in name_model.detect(text)]


def test_a_name_without_any_cue_is_found() -> None:
    text = "Quetzalli looked at the failing migration before the release."
    assert "Quetzalli" in scrub(text).text  # no cue the rules know
    assert _names(text) == ["Quetzalli"]


@pytest.mark.parametrize(
    "text",
    [
        "Run Celery with --pool=solo when debugging on Windows.",
        "PyTorch and JSON both appear here, as does SQLAlchemy.",
        "Start Granian behind nginx: pip install granian, then point it at the ASGI app.",
        "zqgpbijplhajeh Celery workers in Kubernetes lose a running task on SIGTERM.",
        "Set Bearer: to the token, then call Api(url) again.",
    ],
)
def test_products_commands_and_identifiers_are_not_people(text: str) -> None:
    assert _names(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "| Argument | Type | Description |\n| -------- | ---- | ----------- |\n| `path` | str | Where Lindqvist put it |",
        "## Getting Started with Lindqvist\n\nInstall it first.",
        "Restricting Lindqvist\n---------------------\n\nSee below.",
        "Keys are provided in dot notation, like `a.b.c`.",
        "Schedule job to run at 9:15, October 1st.",
        "Find models served by the inference provider, then pick one.",
    ],
)
def test_table_cells_headings_and_ordinary_words_are_not_people(text: str) -> None:
    assert _names(text) == []


def test_a_person_is_still_found_beside_a_table_or_a_heading() -> None:
    text = "## Notes\n\n| a | b |\n\nQuetzalli, can you look at the failing migration before the release?"
    assert _names(text) == ["Quetzalli"]


def test_code_lines_without_a_capital_cost_nothing_and_offsets_hold_across_lines() -> None:
    text = "pip install -U celery\ncelery -A proj worker\nThanks, Oluwaseun Adebayo hit this as well."
    spans = name_model.detect(text)
    assert [text[s.start : s.end] for s in spans] == ["Oluwaseun Adebayo"]


def test_the_stored_text_counts_what_the_model_removed() -> None:
    # a name no list knows: the rules leave it, the model removes it
    result = scrub_stored("Quetzalli Tlapoyawa hit this too: the pool recycles connections every 30 minutes.")
    assert result.text.startswith("[NAME] hit this too")
    assert result.entities == {"NAME": 1} and result.report["model_names"] == 1


def test_placeholders_are_left_alone() -> None:
    assert scrub_stored("[NAME] and [EMAIL] reported it.").text == "[NAME] and [EMAIL] reported it."


def test_the_model_is_part_of_the_screens_version() -> None:
    from hivemind_api.trust.version import screen_version

    assert name_model.model_version() in screen_version()


def test_a_known_first_name_the_model_calls_an_organisation_is_still_a_name() -> None:
    assert _names("The fix from Karin Olsen works on every replica.") == ["Karin Olsen"]


def test_sentences_that_cannot_hold_a_capitalised_name_are_not_given_to_the_model() -> None:
    text = (
        "With spring-boot 3.3, the container exits with code 137. If you see it, raise the limit.\n"
        "pip install -U celery\nQuetzalli, can you check the limit?"
    )
    assert [sentence.strip() for _, sentence in name_model._candidates(text)] == [
        "Quetzalli, can you check the limit?"
    ]
