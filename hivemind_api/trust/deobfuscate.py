"""Readings of a text an attacker hopes the screen will not make, but an agent reading it might.

The injection screen runs its rules and its classifier on every reading here, not only on the
text as written:

* **skeleton**: each character folded to the ASCII letter it is confusable with (Unicode TR39's
  confusables data, shipped by ``confusable-homoglyphs``): Cyrillic ``іgnоrе`` reads ``ignore``;
* **leet**: digits and symbols inside words read as the letters they stand for (``1gn0r3``);
* **joined**: words spelled out letter by letter (``i g n o r e``, ``i.g.n.o.r.e``) joined again;
* **decoded layers**: base64, base32, base85 (and ascii85), hex, eight-bit binary, decimal character codes, URL escapes, HTML
  entities and rot13 (by its function words, or because a line reads as common words of one of
  six languages only once decoded), each decoded and decoded
  again (three layers at most), so ``base64(urlencode(payload))`` is read as ``payload``.

``encoded_prose`` says whether an encoding hides sentences: technical text carries tokens,
digests and escaped URLs in base64, hex, URL escapes or HTML entities, rarely whole sentences, and
an agent that decodes them reads the sentences. The screen flags such a text for a curator. (Not
for base32 and base85: their decoded text is screened like any reading, but a sentence in them is
not flagged by itself; a tool's output that gives a backup code in base32 was, on dev.)

Each reading is produced only when the text shows the sign of it (a confusable character, a
digit inside a word, runs of single letters, a blob, an escape), so ordinary prose costs one pass
of a few regular expressions.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import html
import json
import re
import urllib.parse
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

MAX_LAYERS = 3
_BLOB_B64 = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{24,}={0,2}(?![A-Za-z0-9+/=])")
_BLOB_HEX = re.compile(r"\b(?:[0-9a-fA-F]{2}){12,}\b")
# Base32 (RFC 4648: upper-case letters and 2-7) and base85 (Python's b85 alphabet, and Adobe's
# ascii85 between "<~" and "~>"): whitespace-delimited runs; a run that is not one decodes to
# bytes that are not printable text and is dropped.
_BLOB_B32 = re.compile(r"(?<![A-Za-z0-9])[A-Z2-7]{24,}={0,6}(?![A-Za-z0-9=])")
_BLOB_B85 = re.compile(r"(?<!\S)[0-9A-Za-z!#$%&()*+\-;<=>?@^_`{|}~]{30,}(?!\S)")
_BLOB_A85 = re.compile(r"<~[!-u\s]{20,}~>")
_URL_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
# Eight-bit groups ("01001001 01100111 …") and decimal character codes ("80, 87, 78, 69, 68").
_BINARY_RUN = re.compile(r"\b[01]{8}(?:[ ,]+[01]{8}){5,}\b")
_CODES_RUN = re.compile(r"\b\d{2,3}(?:\s*[,;]\s*\d{2,3}|\s+\d{2,3}){4,}\b")
_HTML_ENTITY = re.compile(r"&(?:#\d{2,7}|#x[0-9A-Fa-f]{2,6}|[A-Za-z]{2,8});")
# A word of letters in any alphabet ("35pecífic45", "d3") with digits or symbols standing for some.
_LEET_WORD = re.compile(r"\b(?=\w*[^\W\d_])(?=[\w@$!|€]*[0-9@$!|€])[\w@$!|€]{2,}")
# A lone digit among leet words is a one-letter word ("3 3xecute": "e execute").
_LEET_LONE = re.compile(r"(?<!\S)[013457](?!\S)")
_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "8": "b",
        "9": "g",
        "@": "a",
        "$": "s",
        "!": "i",
        "|": "l",
        "€": "e",
    }
)
_SPELLED = re.compile(r"(?<!\S)(?:\w[ .\-_*]){3,}\w(?!\S)")
# Function words under rot13: English (the, and, you, of, to, is, your, all, with, this, that),
# German (der, die, und, ist, nicht, mit, sie, wie), French (que, est, pour, les, des, vous),
# Spanish and Portuguese (que, del, los, las, por, para, com, uma), Italian (che, per, della).
_ROT13_SIGN = re.compile(
    r"\b(?:gur|naq|lbh|bs|gb|vf|lbhe|nyy|jvgu|guvf|gung|qre|qvr|haq|vfg|avpug|zvg|fvr|jvr|dhr|rfg|cbhe|yrf|qrf|"
    r"ibhf|qry|ybf|ynf|cbe|cnen|pbz|hzn|pur|cre|qryyn)\b",
    re.I,
)  # (not "har", "han", "vy": Swedish words)


ROT13_LANGUAGES = ("en", "de", "fr", "es", "it", "pt")


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """The 20,000 commonest words of each language rot13 is checked for (wordfreq's small lists,
    which hold 30,000 words or more each at a tenth of the full lists' memory)."""
    from wordfreq import top_n_list

    return frozenset(w for lang in ROT13_LANGUAGES for w in top_n_list(lang, 20000, wordlist="small"))


def _known_share(text: str) -> tuple[float, int]:
    words = [w.lower() for w in _PROSE_WORD.findall(text)]
    return sum(w in _common_words() for w in words) / max(len(words), 1), len(words)


@lru_cache(maxsize=32)  # readings and encoded_prose both ask, for the same text, in one screen
def rot13_lines(text: str) -> tuple[str, ...]:
    """Lines of four or more words that read as words of a common language only under rot13
    (most of their words common once decoded, few before): rot13 prose with too few function
    words for ``_ROT13_SIGN``."""
    out = []
    for line in text.splitlines():
        # the line, or what follows a label ("Payload (for the parser): Olcnffn yn ghn …"), whose
        # plain words would otherwise outweigh the encoded ones; the encoded text may hold a colon
        # of its own ("…: Grkg: \"Cyrnfr …: 'V unir …'\"")
        for part in dict.fromkeys((line, line.partition(": ")[2], line.rpartition(": ")[2])):
            share, n = _known_share(part)
            if n >= 4 and share <= 0.4:
                decoded = codecs.decode(part, "rot13")
                if _known_share(decoded)[0] >= 0.75:
                    out.append(decoded)
                    break
    return tuple(out)


@dataclass(frozen=True)
class Reading:
    where: str  # skeleton | skeleton_leet | leet | joined | decoded_{base64,hex,binary,codes} | url_decoded | html_decoded | rot13
    text: str


@lru_cache(maxsize=1)
def _skeleton_table() -> dict[int, str]:
    """Non-ASCII characters confusable with one ASCII letter or digit, mapped to it."""
    data = json.loads(
        resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    )
    table: dict[int, str] = {}
    for char, entries in data.items():
        if len(char) != 1 or ord(char) < 128:
            continue
        ascii_forms = [e["c"] for e in entries if len(e["c"]) == 1 and e["c"].isascii() and e["c"].isalnum()]
        letters = [c for c in ascii_forms if c.isalpha()]
        if letters or ascii_forms:
            table[ord(char)] = (letters or ascii_forms)[0]
    return table


def skeleton(text: str) -> str:
    return text.translate(_skeleton_table())


def _printable(value: str) -> bool:
    return bool(value) and sum(c.isprintable() or c.isspace() for c in value) / len(value) > 0.95


def _wordy(value: str) -> bool:
    """Mostly letters and spaces: a word or sentence rather than noise from a list of numbers."""
    return len(value) >= 5 and sum(c.isalpha() or c == " " for c in value) >= 0.8 * len(value)


def _decode_once(text: str) -> list[Reading]:
    out: list[Reading] = []
    for m in _BLOB_B64.finditer(text):
        blob = m.group()
        try:
            value = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=False).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if _printable(value):
            out.append(Reading("decoded_base64", value))
    for m in _BLOB_B32.finditer(text):
        blob = m.group().rstrip("=")
        try:
            value = base64.b32decode(blob + "=" * (-len(blob) % 8)).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if _printable(value) and _wordy(value):
            out.append(Reading("decoded_base32", value))
    for pattern, decode in ((_BLOB_B85, base64.b85decode), (_BLOB_A85, _a85decode)):
        for m in pattern.finditer(text):
            try:
                value = decode(m.group()).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                continue
            if _printable(value) and _wordy(value):
                out.append(Reading("decoded_base85", value))
    for m in _BLOB_HEX.finditer(text):
        try:
            value = bytes.fromhex(m.group()).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            continue
        if _printable(value):
            out.append(Reading("decoded_hex", value))
    for m in _BINARY_RUN.finditer(text):
        value = "".join(chr(int(b, 2)) for b in re.findall(r"[01]{8}", m.group()))
        if _wordy(value):
            out.append(Reading("decoded_binary", value))
    for m in _CODES_RUN.finditer(text):
        codes = [int(n) for n in re.findall(r"\d+", m.group())]
        if all(32 <= c < 127 for c in codes):
            value = "".join(map(chr, codes))
            if _wordy(value):
                out.append(Reading("decoded_codes", value))
    if len(_URL_ESCAPE.findall(text)) >= 3:
        out.append(Reading("url_decoded", urllib.parse.unquote_plus(text)))
    if len(_HTML_ENTITY.findall(text)) >= 3:
        out.append(Reading("html_decoded", html.unescape(text)))
    return out


def _a85decode(blob: str) -> bytes:
    return base64.a85decode(blob, adobe=True, ignorechars=b" \t\r\n")


def _leet(text: str) -> str | None:
    """``text`` with digits and symbols inside words read as letters, or None if there are none."""
    if not _LEET_WORD.search(text):
        return None
    leet, words = _LEET_WORD.subn(lambda m: m.group().translate(_LEET), text)
    if words >= 3:
        leet = _LEET_LONE.sub(lambda m: m.group().translate(_LEET), leet)
    return leet if leet != text else None


def readings(text: str) -> list[Reading]:
    """Every other reading of ``text`` (not the text itself), decoded layers included."""
    out: list[Reading] = []
    table = _skeleton_table()
    if any(ord(c) in table for c in text if ord(c) >= 128):
        folded = skeleton(text)
        out.append(Reading("skeleton", folded))
        # homoglyphs and leetspeak mixed ("rеv€al y0ur sy5tеm pr0mpt"): neither reading alone is clean
        if (both := _leet(folded)) is not None:
            out.append(Reading("skeleton_leet", both))
    if (leet := _leet(text)) is not None:
        out.append(Reading("leet", leet))
    if _SPELLED.search(text):
        out.append(Reading("joined", _SPELLED.sub(lambda m: re.sub(r"[ .\-_*]", "", m.group()), text)))
    if len(_ROT13_SIGN.findall(text)) >= 2:
        out.append(Reading("rot13", codecs.decode(text, "rot13")))
    elif lines := rot13_lines(text):
        out.append(Reading("rot13", "\n".join(lines)))
    frontier, seen = [text], {text}
    for _ in range(MAX_LAYERS):
        next_frontier = []
        for body in frontier:
            for reading in _decode_once(body):
                if reading.text not in seen:
                    seen.add(reading.text)
                    out.append(reading)
                    next_frontier.append(reading.text)
        frontier = next_frontier
    return out


# Whitespace-free runs with several URL escapes; runs of HTML entities. A run is only tried from
# its first character (the lookbehind): tried from every character, a 2 KB run without escapes
# cost 40 ms of backtracking.
_URL_RUN = re.compile(r"(?<![^\s\"'<>`])[^\s\"'<>`]*(?:%[0-9A-Fa-f]{2}[^\s\"'<>`]*){3,}")
_ENTITY_RUN = re.compile(r"(?:&(?:#\d{2,7}|#x[0-9A-Fa-f]{2,6}|[A-Za-z]{2,8});[^&\n]{0,3}){6,}")
_PROSE_WORD = re.compile(r"[^\W\d_]{2,}")


def is_prose(value: str, min_words: int = 6) -> bool:
    """Sentences rather than a token: several words, which make up most of the characters."""
    words = _PROSE_WORD.findall(value)
    letters = sum(1 for c in value if not c.isspace())
    return len(words) >= min_words and sum(map(len, words)) >= 0.6 * max(letters, 1)


def encoded_prose(text: str, found: list[Reading]) -> Reading | None:
    """The first sentence-like text hidden in an encoding (see the module's docstring); ``found``
    is ``readings(text)``."""
    bodies = [text] + [
        r.text for r in found if r.where in ("decoded_base64", "decoded_hex", "decoded_binary")
    ]
    for body in bodies:
        if body is not text and is_prose(body):
            return Reading("encoded", body)
        for m in _URL_RUN.finditer(body):
            # each part of a URL on its own: a search query's words are not a sentence
            for part in re.split(r"[?&=#/:]", m.group()):
                decoded = urllib.parse.unquote_plus(part)
                if is_prose(decoded, min_words=7):
                    return Reading("url_decoded", decoded)
        for m in _ENTITY_RUN.finditer(body):
            decoded = html.unescape(m.group())
            if is_prose(decoded):
                return Reading("html_decoded", decoded)
    if len({w.lower() for w in _ROT13_SIGN.findall(text)}) >= 2:
        decoded = codecs.decode(text, "rot13")
        if is_prose(decoded, min_words=5):
            return Reading("rot13", decoded)
    for decoded in rot13_lines(text):
        if is_prose(decoded, min_words=5):
            return Reading("rot13", decoded)
    return None
