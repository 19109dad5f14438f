"""Secret detection: detect-secrets' detectors plus what they miss.

detect-secrets (Yelp) supplies the vendor token formats (AWS, GitHub, GitLab, Slack, Stripe,
Twilio, SendGrid, PyPI, npm, JWT, …) and its keyword detector (``password = "…"``). Its regexes
sometimes match only a prefix of a token (GitHub's reports ``ghp``) or stop early (JWT), so every
match is grown to the whole token. Added here: whole PEM private-key blocks (the earlier
implementation removed only the header line and left the key), credentials inside connection
strings and URLs, current token formats detect-secrets does not know yet, and high-entropy
values assigned to secret-like names. Documented example values (AWS's ``…EXAMPLE`` keys) and
obvious placeholders (``<your-token>``, ``${TOKEN}``, ``xxxx``) are ordinary text and stay.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from hivemind_api.trust.prefilter import LARGE_SET_MEMORY, Prefilter
from hivemind_api.trust.spans import Span, extend_token

_PEM = re.compile(
    r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END \1PRIVATE KEY(?: BLOCK)?-----|\Z)",
    re.DOTALL,
)
# Current formats that detect-secrets 1.5 does not cover (or covers only in an old shape).
_EXTRA_TOKENS = [
    re.compile(p)
    for p in (
        r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{20,}",  # OpenAI project / service keys
        r"\bsk-ant-[A-Za-z0-9_\-]{20,}",  # Anthropic
        r"\bsk-[A-Za-z0-9]{32,}\b",  # OpenAI legacy
        r"\b[rsp]k_(?:test|live)_[A-Za-z0-9]{16,}",  # Stripe, test keys included
        r"\bgithub_pat_[A-Za-z0-9_]{40,}",  # GitHub fine-grained
        r"\bAIza[0-9A-Za-z\-_]{35}",  # Google API key
        r"\bhf_[A-Za-z0-9]{30,}",  # Hugging Face
        r"\bnpm_[A-Za-z0-9]{36}",  # npm automation token
        r"\bdckr_pat_[A-Za-z0-9_\-]{20,}",  # Docker Hub
        r"\bglpat-[A-Za-z0-9_\-]{20,}",  # GitLab
        r"\bxox[abposr]-[A-Za-z0-9-]{10,}",  # Slack, any shape
        r"\bya29\.[A-Za-z0-9_\-]{20,}",  # Google OAuth access token
        r"\bAKIA[0-9A-Z]{16}\b",
        r"\bhm_[A-Za-z0-9_\-]{20,}",  # our own API keys
        r"\bapi_org_[A-Za-z0-9]{30,}",  # Hugging Face organisation tokens
    )
]
# gitleaks' catalogue, distilled (``models/secret_prefixes.tsv``, ``make secret-prefixes``): a
# vendor's fixed prefix ("glsa_", "dop_v1_", "pplx-") before random characters.
_CATALOGUE_REST = r"[A-Za-z0-9_\-.~+/=]"


@lru_cache(maxsize=1)
def catalogue_prefixes() -> dict[str, int]:
    """Each prefix and the least number of characters its catalogue rule wants after it."""
    from importlib import resources

    out: dict[str, int] = {}
    text = resources.files("hivemind_api.trust").joinpath("models", "secret_prefixes.tsv").read_text("utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            prefix, rest, _rule = line.split("\t")
            if not prefix.startswith("-"):  # PEM blocks have their own pattern
                out[prefix] = int(rest)
    return out


@lru_cache(maxsize=1)
def _catalogue() -> re.Pattern[str]:
    alternatives = "|".join(re.escape(p) for p in sorted(catalogue_prefixes(), key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9_\-.])(?P<prefix>{alternatives})(?P<rest>{_CATALOGUE_REST}{{8,}})")


def _catalogue_tokens(text: str) -> list[Span]:
    """A catalogue prefix followed by enough characters (at least its rule's least, up to 20: a
    trailing delimiter may count in the rule's width) with a random-looking run in them: eight
    letters and digits mixed, or letters whose case flips at random ("glffct-vRLWwRtsVKVblZecfPDj"),
    or, cut by separators, a digit beside letters whose case flips three times or more
    ("glffct-_fbcccdqfKZMmkA-Qk0W"); "key-value-store-for-v2" and "sm_HelloWorldService" are words."""
    spans = []
    for m in _catalogue().finditer(text):
        rest = m.group("rest").rstrip(".=-_")
        wanted = max(8, min(catalogue_prefixes()[m.group("prefix")] - 2, 20))
        runs = re.findall(r"[A-Za-z0-9]{8,}", rest)
        core = _alphanumerics(rest)
        random_run = any(
            (re.search(r"\d", run) and re.search(r"[A-Za-z]", run)) or _random_case(run) for run in runs
        ) or (any(c.isdigit() for c in core) and _case_flips(core) >= 3)
        if len(rest) >= wanted and random_run:
            start, end = extend_token(text, m.start(), m.start("rest") + len(rest))
            if not is_placeholder(text[start:end]):
                spans.append(Span(start, end, "SECRET"))
    return spans


# scheme://user:password@host: the password (and the user name, which is often a person's).
# The password runs to the last "@" before the host, so it may hold an "@" of its own
# ("mongodb://ann:@9QbbQHu#@db.example.com:27017"), as people write it unencoded.
_URL_CREDENTIALS = re.compile(
    r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://([^\s:/@]+):([^\s/]+)@(?=[A-Za-z0-9\[][^\s@/]*(?:[/?#\s`'\")]|$))"
)
# KEY=value / key: "value" / "key": "value" with a secret-like name (or a bare "key" holding a
# random-looking value). A quoted value runs to its closing quote, punctuation included
# ("sk_)Lp-9y$DQ…"); an unquoted one to the next space, quote or separator. The name starts where a
# name-like run starts: without the look-behind, finditer would retry the name at every letter of
# every word, and prose would cost ~1 ms per KB (the leftmost match is the same either way).
_ASSIGNMENT = re.compile(
    r"""(?ix)
    (?<![A-Za-z0-9_.\-])(?P<name>[A-Za-z0-9_.\-]*(?:passw(?:or)?d|passwd|pwd|pass(?![a-z])|secret|token|api[_\-]?key|apikey|access[_\-]?key|
        private[_\-]?key|client[_\-]?secret|auth|credential|signing[_\-]?key|encryption[_\-]?key|
        (?-i:_KEY)(?![A-Za-z0-9_.\-]))[A-Za-z0-9_.\-]*|key(?![A-Za-z0-9_.\-]))
    ["']?(?P<op>[ \t]*(?::=|=>|=|:)[ \t]*|\s+(?:is|was|is\s+set\s+to)\s+)
    (?P<quote>["'`])?(?P<value>(?(quote)(?:(?!(?P=quote))\S){6,200}|[^\s"'`,;)]{6,}))(?(quote)(?P=quote))
    """
)
_PLACEHOLDER_VALUE = re.compile(
    r"""(?ix)
    ^(?:example|sample|dummy|placeholder|redacted|your[_\-]|my[_\-]?secret[_\-]?here|changeme$|test(?:ing)?$)|
    EXAMPLE(?:KEY)?$|^<.*>$|^\$\{.*\}$|^\$[A-Z_]+$|^\{\{.*\}\}$|^%\(.*\)s$|^x{4,}$|^\*{3,}$|^\.{3,}$|
    ^(?:os\.environ|process\.env|os\.getenv|getenv|settings\.|config\.|env\(|secrets\.|vault:)|\[SECRET\]|
    ^(?:true|false|none|null|undefined|required|optional|string|str|int|bytes)$
    """
)


def _entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def is_placeholder(value: str) -> bool:
    stripped = value.strip("\"'`")
    return bool(_PLACEHOLDER_VALUE.search(stripped)) or len(set(stripped)) <= 2


@lru_cache(maxsize=1)
def _library_patterns() -> list[re.Pattern[str]]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    patterns: list[re.Pattern[str]] = []
    plugin_classes: list[Any] = list(get_mapping_from_secret_type_to_class().values())
    for cls in plugin_classes:
        plugin = cls()
        # Public IPs are personal data, handled with the other personal data; the rest are secrets.
        if isinstance(plugin, RegexBasedDetector) and cls.__name__ != "IPPublicDetector":
            patterns.extend(plugin.denylist)
    return patterns


def _value_span(match: re.Match[str]) -> tuple[int, int]:
    """The secret inside a match: its longest capture group of 8+ characters, else the match."""
    groups = [i for i in range(1, (match.re.groups or 0) + 1) if match.group(i) and len(match.group(i)) >= 8]
    if groups:
        best = max(groups, key=lambda i: len(match.group(i)))
        return match.start(best), match.end(best)
    start, end = match.span()
    text = match.string
    while start < end and text[start] in " \t\r\n\"'=:":
        start += 1
    while end > start and text[end - 1] in " \t\r\n\"'":
        end -= 1
    return start, end


@lru_cache(maxsize=1)
def _prefilter() -> Prefilter:
    """Every secret pattern, in the order their spans are reported."""
    return Prefilter(
        [
            _PEM,
            *_library_patterns(),
            *_EXTRA_TOKENS,
            _catalogue(),
            _URL_CREDENTIALS,
            _ASSIGNMENT,
            _SPOKEN,
            _CLI_FLAG,
        ],
        memory=LARGE_SET_MEMORY,
    )


# A credential announced in prose or a header, whatever its alphabet: "the password is …",
# "password: …", "Bearer …". The value runs to the next space (passwords hold any punctuation);
# a sentence's closing punctuation is not part of it. It does not start with a quote (a quoted
# value is a literal, found as one), but a backtick inside it is the password's own
# ("sk_L(w`mtD{Xgw…"), unless nothing but punctuation follows (a code span closing: "`abc12`.")
# or a colon precedes it (a reST role: "pass :class:`Foo`").
_SPOKEN = re.compile(
    r"(?i)\b(?:(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[ _-]?key|credential)s?\s*(?:is|was|:|=)\s*(?:now\s+)?"
    r"|bearer\s+|basic\s+)(?P<value>[^\s\"'`]{6,}(?:(?<!:)`[^\s\"'`]*[A-Za-z0-9][^\s\"'`]*)*)"
)
# A credential on a command line: --password X, --token=X, mysql's -p'X' / -pX.
_CLI_FLAG = re.compile(
    r"(?:--(?:password|passwd|pass|token|secret|api-key|apikey|auth-token|access-token)[= ]"
    r"|(?<![\w-])-p(?=['\"]|[^\s'\"]{6,}))(?P<quote>['\"]?)(?P<value>[^\s'\"]{6,}|(?<=['\"])[^'\"\n]{4,}(?=['\"]))"
)


# A long run of token characters: the shape of any API key, whatever its vendor.
_TOKEN_RUN = re.compile(r"(?<![A-Za-z0-9_\-+/.%])[A-Za-z0-9][A-Za-z0-9_\-+/.%]{13,}={0,2}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_KEYWORD_NEAR = re.compile(r"(?i)(?:key|token|secret|passw|pwd|auth|bearer|credential|api)")
_WORDY_SEGMENT = re.compile(r"[A-Za-z]{2,}")
# What announces a hex run or a UUID as a digest or an identifier rather than a credential.
_DIGEST_OR_ID_NEAR = re.compile(
    r"(?i)(?:commit|sha|digest|checksum|hash|md5|crc|etag|revision|\brev\b|\bref\b|\bid\b|ids\b|_id\b|uuid|guid|"
    r"build|fingerprint|object|blob|tree|version|release|tag|trace|span|request|correlation|session|transaction|"
    r"order|invoice|record|row|message|event|job|task|run|device|instance|container|image|volume|snapshot|"
    r"\bsum\b|merged|cherry|bisect|git|pr\b|pull|patch|fix|landed|revert|introduced|nonce|example|sample|"
    r"e\.g\.|for instance|such as)"
)


def _id_named_before(text: str, start: int) -> bool:
    """A digest or an identifier named on the same line, at most 80 characters before ``start``."""
    line_start = text.rfind("\n", 0, start) + 1
    return bool(_DIGEST_OR_ID_NEAR.search(text, max(line_start, start - 80), start))


def _random_token(token: str, keyword_near: bool, id_near: bool = True) -> bool:
    """Random-looking enough to be a credential, and not one of the long tokens technical text is
    full of: commit SHAs and digests (hex), UUIDs, versions, file names, dotted or dashed words."""
    core = token.rstrip("=.")
    if re.search(r"%[0-9A-Fa-f]{2}", core) and not keyword_near:  # URL-escaped text, not a key
        return False
    if _UUID.fullmatch(core):  # request and trace ids are UUIDs; some vendors' keys are too
        return keyword_near or not id_near
    if "://" in core or re.search(r"\.(?:py|js|ts|json|ya?ml|toml|txt|md|html|whl|tar|gz|so|dll)\b", core):
        return False
    if core.isdigit():  # a long bare number is a credential only where one is expected
        return keyword_near and len(core) >= 12
    if _HEX.fullmatch(core):  # a digest or an id when announced as one, else a key's shape; 40
        # digits are a git commit's SHA, which technical text names without announcing it
        return len(core) >= 20 and (keyword_near or (len(core) >= 24 and len(core) != 40 and not id_near))
    prefixed = _PREFIXED_HEX.fullmatch(core)  # a vendor's prefix before a hex key ("dapi73771e7f…")
    if (
        prefixed
        and not _HEX.fullmatch(prefixed.group("prefix"))
        and not _DIGEST_PREFIX.match(prefixed.group("prefix"))
        and not prefixed.group("hex").isdigit()
    ):
        return keyword_near or not id_near
    digits, letters = sum(c.isdigit() for c in core), sum(c.isalpha() for c in core)
    if _camel_case(max(re.split(r"[\-_./+]", core), key=len)):
        return False  # its longest part: a key's vendor prefix is made of words ("bedrock-api-key-…")
    if digits < 2 and core.isalnum() and _random_case(core):
        return True
    if digits < 2 or letters < 4:
        return False
    # Random text switches between letters and digits often ("wo3g10k0u78j5h": 8 times); names
    # with a number in them rarely do ("manylinux2014_x86_64": 3 times).
    switches = _digit_switches(core)
    if len(core) < 20 and (switches < 4 or not core.isalnum()):
        return False
    if switches < (2 if keyword_near else 4):
        return False
    # dotted, dashed and slashed words ("x86_64-linux-gnu", "com.example.app.v2"): a word per segment
    segments = [seg for seg in re.split(r"[\-_./+]", core) if seg]
    longest = max(segments, key=len)
    if len(longest) < 12 and not keyword_near:
        return False
    if all(_WORDY_SEGMENT.fullmatch(seg) or seg.isdigit() or len(seg) <= 3 for seg in segments):
        return False
    # the random segments together: a key cut by dashes into short runs is as random as one run
    random_part = "".join(seg for seg in segments if not _WORDY_SEGMENT.fullmatch(seg))
    return max(_entropy(longest), _entropy(random_part)) >= (3.0 if keyword_near else 3.5)


def _camel_case(token: str) -> bool:
    """Both cases, and half its letters or more in words: capitalised pieces English knows at all
    (Zipf 1, "Async", "Iterator", "Strided") or common words of any case. A class or model name
    ("AsyncIteratorByteStream", "Wav2Vec2PreTrainedModel", "MLKEM1024P384PublicKey"), not a key:
    a random mix of cases cuts into pieces such as "Pzy" or "Xgcez", which are no words.
    It holds beside a key word too ("tokenizer", "api" are all over such code). On 33 MB of
    site-packages code, 628 tokens were taken for keys before, 195 after; no stress value more
    leaked."""
    if not (any(c.isupper() for c in token) and any(c.islower() for c in token)):
        return False
    return _mostly_words(
        token,
        lambda piece: len(piece) >= 3 and _zipf(piece) >= (1.0 if _CAPITALISED.fullmatch(piece) else 2.5),
    )


def _zipf(piece: str) -> float:
    from wordfreq import zipf_frequency

    return float(zipf_frequency(piece.lower(), "en"))


def _mostly_words(token: str, is_word: Callable[[str], bool]) -> bool:
    """Half the letters of ``token`` or more in its camelCase pieces (``_CASE_PIECE``) that
    ``is_word`` accepts: the test behind class names, identifiers and random case alike."""
    wordy = sum(len(piece) for piece in _CASE_PIECE.findall(token) if is_word(piece))
    return wordy * 2 >= sum(c.isalpha() for c in token)


def _digit_switches(token: str) -> int:
    """How often a letter or digit is followed by the other kind ("wo3g10k0u78j5h": 8 times)."""
    return sum(
        1 for a, b in itertools.pairwise(token) if a.isdigit() != b.isdigit() and a.isalnum() and b.isalnum()
    )


_NOT_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]")


def _alphanumerics(value: str) -> str:
    """``value``'s ASCII letters and digits alone: what the randomness tests count on."""
    return _NOT_ALPHANUMERIC.sub("", value)


def _case_flips(token: str) -> int:
    """How often a letter is followed by a letter of the other case."""
    return sum(
        1 for a, b in itertools.pairwise(token) if a.isalpha() and b.isalpha() and a.isupper() != b.isupper()
    )


_CAPITALISED = re.compile(r"[A-Z][a-z]+")
_DIGEST_PREFIX = re.compile(r"(?i)sha|md\d|crc|rev|id|hash|git|blake|xxh|v\d|commit")
_PREFIXED_HEX = re.compile(r"(?P<prefix>[A-Za-z]{2,6}[_\-]?)(?P<hex>[0-9a-f]{24,}|[0-9A-F]{24,})")
# camelCase and acronyms cut into the pieces a word is made of ("HTTPSConnectionPool")
_CASE_PIECE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def _random_case(token: str) -> bool:
    """Letters whose case flips at random ("suuUmsFFsLc5Ql"), not words in camelCase or acronyms:
    at least 12 characters, six flips, and fewer than half the letters in pieces that are words."""
    if len(token) < 12:
        return False
    if _case_flips(token) < 6:
        return False
    return not _mostly_words(
        token, lambda piece: len(piece) >= 3 and not piece.isdigit() and _zipf(piece) >= 2.5
    )


# Where a value is put to use as a credential, with no word naming it one: entered into a settings
# surface or a store of secrets ("after pasting … into the settings page", "switched to … in the
# dashboard", "I put … in the .env", "saved … in the password manager"), or handed first to an API
# client's constructor (`Client("…")`). There a value counts as announced, and
# shorter random values go too ("xt1yvosanunihj", "de416d0e:4f5ff5ad", "ysxmdB7I><q$z"), unless a digest
# or an id is named before it ("pasted the commit SHA … into the form") or it is made of words,
# versions and numbers ("gpt-4o-mini", "us-east-1", "localhost:6379").
_PUT_TO_USE = re.compile(  # the lookahead skips at once the words that start no verb here
    r"(?i)(?<!\w)(?=[pestcuds])(?:past(?:e|ed|ing)|enter(?:ed|ing)?|typ(?:e|ed|ing)|put(?:ting)?|"
    r"sav(?:e|ed|ing)|stor(?:e|ed|ing)|drop(?:ped|ping)?|configur(?:e|ed|ing)|"
    r"(?:set|setting|switch(?:ed|ing)?|chang(?:e|ed|ing)|updat(?:e|ed|ing))(?:\s+it)?\s+to)"
    r"\s+(?P<value>[^\s\"'`][^\s\"']{7,1999}?)"
    r"(?=\s+(?:in|into|on|under)\s+(?:the\s+|my\s+|our\s+|its\s+|your\s+|a\s+)?(?:[\w-]+\s+)?"
    r"(?:settings?|config(?:uration)?|dashboard|console|portal|admin|panel|env|environment|vault|ui|"
    r"\.env|secrets?|keychain|keyring|(?:secrets?|password)\s+manager|1password)(?!\w))"
)
_CLIENT_ARGUMENT = re.compile(r"(?:Client|API|Api|SDK|Sdk)\(\s*(?P<q>[\"'])(?P<value>[^\"'\n]{8,2000})(?P=q)")
_USE_SEGMENT = re.compile(r"[^\-_.:/+=|]+")


def _put_to_use(text: str) -> list[Span]:
    spans = []
    for m in itertools.chain(_PUT_TO_USE.finditer(text), _CLIENT_ARGUMENT.finditer(text)):
        if not _id_named_before(text, m.start("value")) and _random_in_use(m.group("value")):
            spans.append(Span(m.start("value"), m.end("value"), "SECRET"))
    return spans


def _random_in_use(value: str) -> bool:
    """Random enough for a credential where one is put to use: a key's or a password's shape, a
    number of 15 digits or more (not a timestamp), a piece of eight characters or more that
    switches between letters and digits or flips case at random, and is not made of words, or
    punctuation between letters whose case flips at random (">NKwmS+Grw"). Never a name with a
    number, each piece switching between letters and digits and flipping case at most once."""
    if "://" in value or value[0] in "/~." or is_placeholder(value):
        return False
    if value.isdigit():
        return len(value) >= 15
    if not any(c in _PASSWORD_PUNCTUATION for c in value) and all(
        _digit_switches(seg) <= 1 and _case_flips(seg) <= 1 for seg in _USE_SEGMENT.findall(value)
    ):
        return False  # names with a number: "manylinux2014_x86_64", "cp311-abi3", "arm64-apple-darwin23"
    if _random_token(value, keyword_near=True) or _password_shaped(value, min_length=8):
        return True
    return _random_piece(value) or _punctuated_random_case(value)


def _is_word_in(piece: str) -> Callable[[str], bool]:
    """The word test for the pieces of ``piece``: three letters or more and frequent; in a piece
    of hex digits four letters or more, as "afc" and "ada" in "710afc26" and "c8ada351" are
    where the alphabet has only six letters."""
    shortest = 4 if _HEX.fullmatch(piece) and not piece.isalpha() else 3
    return lambda word: len(word) >= shortest and not word.isdigit() and _zipf(word) >= 2.5


def _random_piece(value: str) -> bool:
    """A piece of eight characters or more between separators that switches between letters and
    digits or flips case at random and is not made of words ("o8evaupeeprjwg", "sud64ctHdiokPD",
    "710afc26"; not "manylinux2014", "MyAppProd")."""
    return any(
        len(piece) >= 8
        and not piece.isdigit()
        and (
            _digit_switches(piece) >= 2
            or _case_flips(piece) >= 4
            or (_case_flips(piece) == 3 and not _wordy(piece))  # "cGRpSTZJ", not "TritonBundler"
        )
        and not _mostly_words(piece, _is_word_in(piece))
        for piece in _USE_SEGMENT.findall(value)
    )


def _punctuated_random_case(value: str) -> bool:
    """Eight characters or more with punctuation inside, whose letters flip case three times or more
    and are not words or two-letter acronyms in camelCase (">NKwmS+Grw"; not "My-App+Prod",
    "iOS-Dev+QA", "en_US.UTF-8")."""
    core = _alphanumerics(value)
    is_word = _is_word_in(core)
    return (
        len(value) >= 8
        and len(core) < len(value)
        and _case_flips(core) >= 3
        and not _mostly_words(core, lambda piece: (len(piece) == 2 and piece.isupper()) or is_word(piece))
    )


def _high_entropy(text: str) -> list[Span]:
    spans = []
    for m in _TOKEN_RUN.finditer(text):
        token = m.group().rstrip(".")
        near = bool(_KEYWORD_NEAR.search(text, max(0, m.start() - 40), m.start()))
        id_near = _id_named_before(text, m.start())
        if not is_placeholder(token) and _random_token(token, near, id_near):
            spans.append(Span(m.start(), m.start() + len(token), "SECRET"))
    for m in _EQUALS_RUN.finditer(text):
        token = m.group().rstrip(".")
        if _random_with_equals(token):
            spans.append(Span(m.start(), m.start() + len(token), "SECRET"))
    return spans


# A token with "=" inside, as vendors whose alphabet has it write them ("x12rw9w3ppbk=xwuc4vdhj6-_=gpda38"):
# not NAME=value (its head is a word or an identifier) and random in its letters and digits.
_EQUALS_RUN = re.compile(r"(?<![A-Za-z0-9_\-+/.%=])[A-Za-z0-9_\-+/.%]*[A-Za-z0-9]=[A-Za-z0-9_\-+/.%=]{6,}")


def _random_with_equals(token: str) -> bool:
    head, tail = token.split("=", 1)
    if len(token) < 20 or re.fullmatch(r"[A-Za-z_][A-Za-z_.\-]*", head) or "://" in token:
        return False
    if _DIGEST_PREFIX.match(head) or _HEX.fullmatch(tail):  # "md5=9f86d0…": a digest named
        return False
    core = _alphanumerics(token)
    digits, letters = sum(c.isdigit() for c in core), sum(c.isalpha() for c in core)
    return (
        len(core) >= 16
        and _digit_switches(core) >= 6
        and digits >= 3
        and letters >= 8
        and _entropy(core) >= 3.6
    )


# A password's shape: printable ASCII with punctuation a token's alphabet does not have
# ("sk_%fq-;k/:O}A**%c$GUB!WWkLM_n:l", "lu_WSpD^_jb8cT8c0;K}bgL…"). Vendors whose keys allow any
# character, and passwords pasted without a word announcing them, have no other handle. A quoted
# literal runs to its closing quote; a bare one starts after a space or an opening bracket.
_QUOTED_LITERAL = re.compile(r"""(?P<q>["'`])(?P<value>[^\s"'`]{12,200})(?P=q)""")
_BARE_LITERAL = re.compile(r"""(?<![^\s(\[{,=:])(?P<value>[^\s"'`]{12,200})""")
_PASSWORD_PUNCTUATION = frozenset("!#$%&()*,:;<>?@[]^{|}~\\")
# What code, URLs, escapes and formats look like, though they are as punctuated as a password:
# regex classes and groups, printf and format fields, shell and template substitutions, calls,
# keyword arguments, paths (Windows' too) and file names, URL-encoded text and \x escapes, IPv6
# groups, data: URIs, operators, arithmetic, regex classes, LaTeX, advisory ids, Windows' %VARS%,
# digests ("app@sha256:9f86…"), and phone numbers in a list (seven digits in a row).
_NOT_A_PASSWORD = re.compile(
    r"""://|^data:|\\[dswbntx]|\[[a-z0-9]-|\(\?|%[a-zA-Z][-:/ T.,]%[a-zA-Z]|%[0-9A-Fa-f]{2}.*%[0-9A-Fa-f]{2}|\{[\w:.\-]*\}|\$\{|\$\(|[a-z_]{3}\(|=["']|"""
    r"""^[-/~.]|^\w+=|<\w+>|&&|\|\||->|=>|::|\*\*/|^[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{0,4}){2,}|"""
    r"""\\[A-Za-z]\w+\\|\.[a-z]{2,4}$|\d{7}|"""
    r"""\d\.\d+[*/)]|[*/(]\d+\.\d|\)\*\*|\*\(|[A-Za-z0-9]-[A-Za-z0-9]\]|\][+*?{]|\[:\w+:\]|\\u[0-9A-Fa-f]{4}|"""
    r"""\\[a-z]{3,}|[\^_]\{|//|>>|<<|\*\*\d|#L\d+$|^\(?GHSA-|"""
    r"""[A-Za-z_]\w{3,}\(|%[A-Z_]{3,}%|#\w{3,}#|(?:sha|md|blake)\d*:"""
)


def _password_shaped(value: str, min_length: int = 12) -> bool:
    """Letters, digits and password punctuation mixed at random: ``min_length`` characters or more, three
    character classes (two of them twice), letters and digits that alternate or flip case, no
    piece of code or format, and nearly as much entropy as its length allows."""
    if len(value) < min_length or not value.isascii() or not value.isprintable() or is_placeholder(value):
        return False
    lower, upper = sum(c.islower() for c in value), sum(c.isupper() for c in value)
    digits = sum(c.isdigit() for c in value)
    symbols = len(value) - lower - upper - digits
    punctuation = sum(c in _PASSWORD_PUNCTUATION for c in value)
    classes = (lower, upper, digits, symbols)
    if not punctuation or sum(n > 0 for n in classes) < 3 or sum(n >= 2 for n in classes) < 2:
        return False
    if not (punctuation >= 2 or (lower and upper and digits)) or _NOT_A_PASSWORD.search(value):
        return False
    if _wordy(value):
        return False
    core = _alphanumerics(value)
    return _digit_switches(core) + _case_flips(core) + punctuation >= 5 and _entropy(value) >= min(
        3.6, math.log2(len(value)) - 0.35
    )


# Three lower-case letters in a row, after a capital or not, are rare in a random mix of both
# cases, digits and punctuation, and are how identifiers are spelt ("Callable", "ndcg").
_WORD_SHAPED = re.compile(r"[A-Z]?[a-z]{3,}")


def _wordy(value: str) -> bool:
    """Half its letters or more in pieces that are English words or shaped like identifiers' parts:
    code ("NotRequired[Optional[str]]", "Callable[[Unpack[PosArgsT]]") and formats, not a password."""
    return _mostly_words(
        value,
        lambda piece: (
            bool(_WORD_SHAPED.fullmatch(piece))
            or (len(piece) >= 3 and piece.isalpha() and _zipf(piece) >= 2.5)
        ),
    )


def _password_literals(text: str) -> list[Span]:
    """Password-shaped quoted literals anywhere, and bare ones on a line of prose: on a line of
    code (brackets, braces, "=" or ";" beside the token) a bare run of symbols is an expression."""
    spans = []
    for pattern in (_QUOTED_LITERAL, _BARE_LITERAL):
        for m in pattern.finditer(text):
            value = m.group("value").rstrip(".,;:!?)")  # a sentence's closing punctuation
            if not _password_shaped(value):
                continue
            if pattern is _BARE_LITERAL and _CODE_LINE.search(_line_without(text, m.start(), m.end())):
                continue
            spans.append(Span(m.start("value"), m.start("value") + len(value), "SECRET"))
    for m in _ENV_LINE.finditer(text):
        if _env_password(m.group("value")):
            spans.append(Span(m.start("value"), m.end("value"), "SECRET"))
    return spans


_CODE_LINE = re.compile(r"[=;{}\[\]()]")


def _env_password(value: str) -> bool:
    """What an env line naming a credential holds when it holds one: a value random as one put to
    use is (``_random_in_use``), or eight characters or more of two kinds (lower case, upper case,
    digits) with a password's punctuation, no reference to another variable, no URL, no code or
    format ("d&3)UHye@W", "Summer2024!"; not "TOKEN_TTL=3600", "KEY_PATH=/etc/…",
    "API_KEY=${API_KEY:-x}")."""
    if _random_in_use(value):
        return True
    if len(value) < 8 or _REFERENCE.match(value) or "://" in value:
        return False
    kinds = sum(any(test(c) for c in value) for test in (str.islower, str.isupper, str.isdigit))
    return kinds >= 2 and any(c in _PASSWORD_PUNCTUATION for c in value) and not _NOT_A_PASSWORD.search(value)


# A line of an env file that names a credential: its value runs to the end of the line, whatever it
# holds (")c{SXE#Cm…", "cnB@)U:fdZ:=}%e…", ")y4gKUAgS8Z"), where the assignment pattern stops at a
# bracket or a quote and a bare literal beside "=" is taken for code.
_ENV_LINE = re.compile(
    r"(?m)^[ \t]*(?:export[ \t]+)?[A-Z0-9_]*(?:KEY|TOKEN|SECRET|PASS|PWD|AUTH|CREDENTIAL)[A-Z0-9_]*="
    r"(?P<value>[^\s\"'`]\S*)[ \t]*$"
)


def _line_without(text: str, start: int, end: int) -> str:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    return text[line_start:start] + text[end : line_end if line_end >= 0 else len(text)]


# The rest of a token glued to a secret already replaced ("[SECRET]0o26=zdf-mpaf3t9c"): a token
# with an "=" or a "_" inside was cut there, and its tail is as secret as its head. Both patterns
# take the placeholder in, so that the token becomes one "[SECRET]". A backslash before a token
# character is part of it: JSON may escape a key's "/" ("…Yc1\/Cav40…"), and that cuts the run.
_AFTER_SECRET = re.compile(r"\[SECRET\](?:[A-Za-z0-9_\-+/=]|\\(?=[A-Za-z0-9_\-+/=]))+")
# Its head likewise ("dnkey-lcijfl-y02=[SECRET]"): a token cut at its "=" before the random part.
# A key pair glued by a "|" or ":" ("737729031135730|[SECRET]") loses its head the same way, and
# goes as one secret when both halves were found ("[SECRET]|[SECRET]").
_BEFORE_SECRET = re.compile(
    r"(?<![A-Za-z0-9_\-+/=])=?[A-Za-z0-9_\-+/]*\d[A-Za-z0-9_\-+/]*(?:=|(?<=\d)[|:])\[SECRET\]"
    r"|\[SECRET\][|:]\[SECRET\]"
)


def detect(text: str) -> list[Span]:
    spans: list[Span] = _high_entropy(text) + _password_literals(text) + _put_to_use(text)
    if "[SECRET]" in text:
        spans += [
            Span(m.start(), m.end(), "SECRET")
            for m in _AFTER_SECRET.finditer(text)
            if any(c.isdigit() for c in m.group())
        ]  # not a word ("[SECRET]-based")
        spans += [Span(m.start(), m.end(), "SECRET") for m in _BEFORE_SECRET.finditer(text)]
    for pattern in _prefilter().candidates(text):  # the patterns that can match at all: usually none
        if pattern is _PEM:
            spans += [Span(m.start(), m.end(), "SECRET") for m in _PEM.finditer(text)]
        elif pattern is _URL_CREDENTIALS:
            spans += _url_credentials(text)
        elif pattern is _ASSIGNMENT:
            spans += _assignments(text)
        elif pattern is _catalogue():
            spans += _catalogue_tokens(text)
        elif pattern is _SPOKEN or pattern is _CLI_FLAG:
            spans += _announced(pattern, text)
        else:
            spans += _tokens(pattern, text)
    return spans


def _tokens(pattern: re.Pattern[str], text: str) -> list[Span]:
    spans = []
    for match in pattern.finditer(text):
        start, end = _value_span(match)
        start, end = extend_token(text, start, end)
        if text.startswith("//", start):
            continue  # a URL's "//user:p@" (a library's basic-auth match whose password is short)
        if end - start >= 8 and not is_placeholder(text[start:end]):
            spans.append(Span(start, end, "SECRET"))
    return spans


def _url_credentials(text: str) -> list[Span]:
    spans = []
    for match in _URL_CREDENTIALS.finditer(text):
        user, password = match.group(1), match.group(2)
        if not is_placeholder(password):
            spans.append(Span(match.start(2), match.end(2), "SECRET"))
            if not is_placeholder(user) and user.lower() not in _SERVICE_USERS:
                spans.append(Span(match.start(1), match.end(1), "NAME"))
    return spans


def _assignments(text: str) -> list[Span]:
    spans = []
    for match in _ASSIGNMENT.finditer(text):
        value, quoted = match.group("value"), bool(match.group("quote"))
        if is_placeholder(value) or value.startswith("[") or _is_path(value):
            continue
        env_style = match.group("name").isupper() and "=" in match.group("op")
        if env_style and _DESCRIPTOR_NAME.search(match.group("name")) and not _random_in_use(value):
            continue  # "AUTH_PROVIDER=github", "AUTH_URL=https://…", "TOKEN_TYPE=bearer"
        if not quoted and "(" in value and not _env_line_value(match, text):
            continue  # a call ("token = get_token(", "TOKEN=os.getenv('X')")
        if match.group("name").lower() == "key" and not _random_key_value(value, quoted):
            continue  # a bare "key" names dictionary keys and headers too ("key: 'Content-Type'")
        if _looks_like_secret_value(value, quoted=quoted, env_style=env_style):
            end = match.end("value")
            if env_style and not match.group("quote"):  # NAME=value: the value runs to the next space
                while end < len(text) and not text[end].isspace():
                    end += 1
            while end - 1 > match.start("value") and text[end - 1] == ".":
                end -= 1  # "the password is hunter22." ends a sentence
            spans.append(Span(match.start("value"), end, "SECRET"))
    return spans


# An env name that ends by saying what about a credential it sets, not the credential: its value
# is a setting ("AUTH_PROVIDER=github", "PASSWORD_HASHER=argon2", "API_KEY_HEADER=X-Api-Key")
# unless it is random as a credential is.
_DESCRIPTOR_NAME = re.compile(
    r"_(?:TYPE|MODE|PROVIDER|BACKEND|METHOD|HEADER|HASHER|ALGORITHM|ALG|ISSUER|AUDIENCE|SCOPES?|URL|URI|"
    r"HOST|PORT|PATH|FILE|DIR|ENABLED|TTL|EXPIRY|EXPIRES|LIFETIME|LENGTH|STRATEGY|SCHEME|FORMAT|DRIVER|"
    r"ENDPOINT|DOMAIN|REALM|REGION|VERSION|LOCATION|ROLE|USER|USERNAME|CLASS|MODULE|PREFIX|NAME)$"
)


def _env_line_value(match: re.Match[str], text: str) -> bool:
    """``NAME=value`` as an env file writes it (a capitalised name, a bare "=", no call in the
    value, no shell substitution "$(…"): a password there may hold a "(" of its own
    ("sk_L(ZZ~vR&mf;B…")."""
    if not match.group("name").isupper() or match.group("op") != "=":
        return False
    rest = _NON_SPACE_RUN.match(text, match.start("value"))
    return rest is not None and ")" not in rest.group() and not rest.group().startswith("$(")


_NON_SPACE_RUN = re.compile(r"\S*")


def _random_key_value(value: str, quoted: bool) -> bool:
    """What a bare ``key`` holds when it holds a credential: a token-shaped random value, a
    password-shaped one, or a short quoted mix of letters and digits that flips between them or
    between cases at random ("NE5YVWlPaU", "MlpYSWlPaU", "7722059c:f7ae0c88") and has no
    word-like piece (hex digits are no words, though "add" and "dda" look like some), or a quoted
    random piece ("o8evaupeeprjwg")."""
    if _random_token(value, keyword_near=True) or _password_shaped(value):
        return True
    if quoted and not _DIGEST_PREFIX.match(value) and _random_piece(value):
        return True
    core = _alphanumerics(value)
    if not quoted or len(value) < 8 or _DIGEST_PREFIX.match(value) or _entropy(value) < 3.0:
        return False
    if not _HEX.fullmatch(core) and _wordy(value):
        return False
    if any(c.isdigit() for c in core):
        return _digit_switches(core) + _case_flips(core) >= 4
    return _case_flips(core) >= 5


# Where a credential is named, a reference to one is not one: a variable ("$DB_PASSWORD",
# "$env:DB_PASSWORD", "${X:-y}", "%DB_PASS%", "%(password)s"), a command's output ("$(cat …"), a
# template ("{{", "{token}", "<your-token>") or a redaction ("[REDACTED]"). A password may start
# with "$", "%", "[" or "{" all the same ("$!eryKCs@81", "%4MViaF($9", "$(Edqs&j!2", "$GLBOBvf1":
# no variable is named in mixed case).
_REFERENCE = re.compile(
    r"\$\([a-z][\w\-./]*$|\$\{\w|\{\{|\$(?:env:)?(?:[A-Z][A-Z0-9_]*|[a-z][a-z0-9_]*)$|%\(\w+\)[sdr]$|"
    r"%[A-Za-z_]\w*%$|<[^<>]*>$|\[[^\[\]]*\]$|\{[^{}]*\}$"
)


def _announced(pattern: re.Pattern[str], text: str) -> list[Span]:
    spans = []
    for m in pattern.finditer(text):
        start, end = m.start("value"), m.end("value")
        while end - 1 > start and text[end - 1] in ".,;:!?)":
            end -= 1  # "the password is hunter22." ends a sentence
        value = text[start:end]
        if (
            len(value) < 6
            or is_placeholder(value)
            or _REFERENCE.match(value)
            or (value.startswith(("[", "{", "<")) and not _random_in_use(value))  # "[0]**2", "{error"
            or _is_path(value)
        ):
            continue
        if re.fullmatch(r"[a-z]+(?:[_\-][a-z]+)*", value):  # "the token is invalid", "password: required"
            continue
        spans.append(Span(start, end, "SECRET"))
    return spans


# Role and service accounts in connection strings are not people.
_SERVICE_USERS = {
    "postgres",
    "root",
    "admin",
    "user",
    "username",
    "app",
    "application",
    "service",
    "guest",
    "default",
    "redis",
    "mysql",
    "mongo",
    "mongodb",
    "rabbitmq",
    "elastic",
    "sa",
    "dbuser",
    "readonly",
    "replicator",
}


def _is_path(value: str) -> bool:
    """``password_file: /run/secrets/db`` names where a secret is, not the secret."""
    return bool(re.match(r"(?:~|\.{1,2})?/[\w.\-]+/|[A-Za-z]:\\", value))


def _looks_like_secret_value(value: str, quoted: bool, env_style: bool) -> bool:
    """A value assigned to a secret-like name: random-looking, any quoted literal password, or
    anything in an env file (``DB_PASSWORD=hunter``). Plain words in prose or schemas
    (``token: string``, ``the token is invalid``) are not."""
    if env_style:
        return True
    if re.fullmatch(r"[0-9.]+|v?\d+(?:\.\d+)+|[a-z]+(?:[_\-][a-z]+)*", value):
        return quoted and len(value) >= 8 and not re.fullmatch(r"[a-z_\-]+", value)
    return _entropy(value) >= 3.0 or (quoted and len(value) >= 8)
