"""A learned prompt-injection score: character and word n-grams and a logistic regression.

The rule engine is precise but only knows the phrasings someone wrote down; attacks in other
words or other languages pass it. This model was trained (``make train-injection``) on the
*development* split of four public injection data sets (neuralchemy, S-Labs, yanismiraoui,
bastioncorpus: six languages) with maintainers' package documentation as hard negatives, so
that technical prose that says "ignore", "override" or "system prompt" stays benign. Character
n-grams (2 to 5, within word boundaries) need no tokenizer or vocabulary and cope with inflection
and any script; word unigrams and bigrams add the phrasing ("your instructions", "you are").
Both hash into fixed feature spaces: the model is one weight vector. (Measured on out-of-fold
dev scores at the same false-positive rate: characters alone caught 60 % of injections,
characters and words 73 %.)

A text is scored in windows of a few sentences (a single attack sentence in a long technical
text would be diluted by a whole-text score) and its score is the highest window's. It runs in the
request path with the rules, so scoring does not go through scikit-learn's vectorizer, which is
the reference used in training: ``window_scores`` computes the same hashed features itself, with
each word's character n-grams hashed once and remembered (char_wb n-grams never cross a space,
and the readings of one text and its overlapping windows repeat the same words). A unit test holds
the two to the same probabilities.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

MODEL_FILE = "injection_ngrams.npz"
WINDOW_CHARS = 320
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+|\n+")


@dataclass(frozen=True)
class Model:
    weights: np.ndarray  # float32, one per hashed feature
    bias: float
    flag_at: float  # probability at which a text is flagged for a curator
    block_at: float  # probability at which a text is blocked
    char_features: int
    word_features: int
    version: str


class Vectorizer:
    """Hashed character 2-5-grams beside hashed word 1-2-grams, each L2-normalised."""

    def __init__(self, char_features: int, word_features: int) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        self.chars = HashingVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 5),
            n_features=char_features,
            alternate_sign=False,
            norm="l2",
            lowercase=True,
            dtype=np.float32,
        )
        self.words = HashingVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            n_features=word_features,
            alternate_sign=False,
            norm="l2",
            lowercase=True,
            dtype=np.float32,
            token_pattern=r"(?u)\b\w+\b",
        )

    def transform(self, texts: list[str]) -> Any:  # a scipy CSR matrix (scipy ships no types)
        import scipy.sparse as sp

        return sp.hstack([self.chars.transform(texts), self.words.transform(texts)]).tocsr()


def windows(text: str, size: int = WINDOW_CHARS) -> list[str]:
    """Consecutive groups of sentences of about ``size`` characters (a long sentence is cut), and
    each paragraph of a long text on its own, so an attack paragraph is not diluted by its
    neighbours."""
    out: list[str] = []
    if len(text) > size:
        out += [p.strip() for p in re.split(r"\n\s*\n", text) if 20 <= len(p.strip()) <= size]
    current = ""
    for sentence in _SENTENCE.split(text):
        sentence = sentence.strip()
        if not sentence:
            continue
        while len(sentence) > size:
            out.append(sentence[:size])
            sentence = sentence[size // 2 :] if len(sentence) > size * 1.5 else sentence[size:]
        if current and len(current) + len(sentence) + 1 > size:
            out.append(current)
            current = ""
        current = f"{current} {sentence}".strip()
    if current:
        out.append(current)
    return out or [text[:size]]


@lru_cache(maxsize=1)
def load() -> Model:
    with resources.files("hivemind_api.trust").joinpath("models", MODEL_FILE).open("rb") as f:
        data = np.load(f)
        chars, words = int(data["char_features"]), int(data["word_features"])
        weights = np.zeros(chars + words, dtype=np.float32)
        weights[data["index"]] = data["value"].astype(np.float32)
        return Model(
            weights,
            float(data["bias"]),
            float(data["flag_at"]),
            float(data["block_at"]),
            chars,
            words,
            str(data["version"]),
        )


@lru_cache(maxsize=1)
def _vectorizer() -> Vectorizer:
    model = load()
    return Vectorizer(model.char_features, model.word_features)


def reference_scores(texts: list[str]) -> np.ndarray:
    """Probability of injection for each window, through scikit-learn's vectorizer (as trained)."""
    model = load()
    matrix = _vectorizer().transform(texts)
    logits = matrix @ model.weights + model.bias
    probabilities: np.ndarray = 1.0 / (1.0 + np.exp(-logits))
    return probabilities


_TOKEN = re.compile(r"(?u)\b\w+\b")  # the word analyzer's token pattern


_C1, _C2 = np.uint32(0xCC9E2D51), np.uint32(0x1B873593)


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def murmurhash3(features: list[str]) -> np.ndarray:
    """Signed 32-bit MurmurHash3 (x86, seed 0) of each feature's UTF-8 bytes, for all of them at
    once: the hash scikit-learn's FeatureHasher gives a feature, without a Python call per n-gram.
    A lone surrogate, which UTF-8 cannot carry and scikit-learn refuses, is hashed as its
    surrogate-escaped bytes instead of failing."""
    data = [f.encode("utf-8", "surrogatepass") for f in features]
    lengths = np.fromiter(map(len, data), dtype=np.int64, count=len(data))
    width = (int(lengths.max(initial=0)) // 4 + 1) * 4
    blocks = np.frombuffer(b"".join(d.ljust(width, b"\0") for d in data), dtype="<u4").reshape(len(data), -1)
    return _murmur(blocks, lengths)


def _murmur(blocks: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """MurmurHash3 of byte strings given as little-endian 32-bit blocks (zero after the end) and
    their lengths in bytes."""
    full_blocks, tail = lengths // 4, lengths % 4
    h = np.zeros(len(lengths), dtype=np.uint32)
    with np.errstate(over="ignore"):
        for j in range(blocks.shape[1]):
            k = _rotl(blocks[:, j] * _C1, 15) * _C2  # the tail's bytes are followed by zeros
            mixed = _rotl(h ^ k, 13) * np.uint32(5) + np.uint32(0xE6546B64)
            h = np.where(full_blocks > j, mixed, np.where((full_blocks == j) & (tail > 0), h ^ k, h))
        h ^= lengths.astype(np.uint32)
        h ^= h >> np.uint32(16)
        h *= np.uint32(0x85EBCA6B)
        h ^= h >> np.uint32(13)
        h *= np.uint32(0xC2B2AE35)
        h ^= h >> np.uint32(16)
    return h.view(np.int32).astype(np.int64)


def _ascii_char_hashes(words: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The hashes of the char_wb 2-5-grams of ASCII words, and the word each belongs to, cut
    from one buffer with array arithmetic (one byte per character: a gram is a slice)."""
    padded = [f" {w} " for w in words]
    sizes = np.fromiter(map(len, padded), dtype=np.int64, count=len(padded))
    buffer = np.frombuffer("".join(padded).encode("ascii") + b"\0" * 8, dtype=np.uint8)
    offsets = np.cumsum(sizes) - sizes
    starts, lengths, owners = [], [], []
    for n in range(2, 6):  # n-grams of every word at least n long (a padded word has 3 or more)
        chosen = np.flatnonzero(sizes >= n)
        count = sizes[chosen] - n + 1
        first_of_word = np.cumsum(count) - count
        within = np.arange(int(count.sum())) - np.repeat(first_of_word, count)
        starts.append(np.repeat(offsets[chosen], count) + within)
        lengths.append(np.full(len(within), n, dtype=np.int64))
        owners.append(np.repeat(chosen, count))
    start, length = np.concatenate(starts), np.concatenate(lengths)
    columns = np.arange(8)
    grams = np.where(columns < length[:, None], buffer[start[:, None] + columns], 0).astype(np.uint8)
    return _murmur(np.ascontiguousarray(grams).view("<u4"), length), np.concatenate(owners)


def _columns_of(h: np.ndarray, n_features: int) -> np.ndarray:
    """The columns scikit-learn's FeatureHasher gives hashes: the absolute hash modulo the width
    (and its own column for -2**31, whose absolute value does not fit)."""
    return np.where(h == -(2**31), (2**31 - 1 - (n_features - 1)) % n_features, np.abs(h) % n_features)


def _buckets(features: list[str], n_features: int) -> np.ndarray:
    return _columns_of(murmurhash3(features), n_features)


def _char_grams(word: str) -> list[str]:
    """A lower-cased word's character 2-5-grams, padded by a space on each side (scikit-learn's
    ``char_wb``: a word shorter than n counts once)."""
    padded = f" {word} "
    grams = []
    for n in range(2, 6):
        grams += [padded[i : i + n] for i in range(max(1, len(padded) - n + 1))]
        if len(padded) <= n:
            break
    return grams


CACHE_SIZE = 1 << 17  # words and word n-grams remembered; emptied when full


class _Columns:
    """Each word's character columns and each word n-gram's column, hashed in one batch for all
    the new ones of a call and remembered (a text's readings and windows repeat its words)."""

    def __init__(self) -> None:
        self.chars: dict[str, np.ndarray] = {}
        self.words: dict[str, int] = {}

    def char_columns(self, words: set[str]) -> dict[str, np.ndarray]:
        new = [w for w in words if w not in self.chars]
        if new:
            if len(self.chars) + len(new) > CACHE_SIZE:
                self.chars.clear()
            n_features = load().char_features
            ascii_words = [w for w in new if w.isascii()]
            if ascii_words:
                hashes, owner = _ascii_char_hashes(ascii_words)
                flat = _columns_of(hashes, n_features)[np.argsort(owner, kind="stable")]
                ends = np.cumsum(np.bincount(owner, minlength=len(ascii_words)))
                self.chars.update(zip(ascii_words, np.split(flat, ends[:-1]), strict=True))
            other = [w for w in new if not w.isascii()]
            if other:
                grams = [_char_grams(w) for w in other]
                flat = _buckets([g for gs in grams for g in gs], n_features)
                ends = np.cumsum([len(gs) for gs in grams])
                self.chars.update(zip(other, np.split(flat, ends[:-1]), strict=True))
        return self.chars

    def word_columns(self, grams: set[str]) -> dict[str, int]:
        new = [g for g in grams if g not in self.words]
        if new:
            if len(self.words) + len(new) > CACHE_SIZE:
                self.words.clear()
            model = load()
            columns = _buckets(new, model.word_features) + model.char_features
            self.words.update(zip(new, columns.tolist(), strict=True))
        return self.words


_COLUMNS = _Columns()


def window_scores(texts: list[str]) -> np.ndarray:
    """Probability of injection for each of ``texts`` (already windows)."""
    model = load()
    if not texts:
        return np.empty(0)
    # Every (window, column) pair of every window at once; the character and the word columns of
    # a window are normalised apart, so each window is two rows: 2i (characters), 2i + 1 (words).
    lowered = [text.lower() for text in texts]
    split = [text.split() for text in lowered]
    tokens = [_TOKEN.findall(text) for text in lowered]
    grams = [ts + [f"{a} {b}" for a, b in itertools.pairwise(ts)] for ts in tokens]
    char_columns = _COLUMNS.char_columns({w for words in split for w in words})
    word_columns = _COLUMNS.word_columns({g for gs in grams for g in gs})
    rows, columns = [], []
    for i in range(len(texts)):
        chars = [char_columns[w] for w in split[i]]
        words = np.fromiter((word_columns[g] for g in grams[i]), dtype=np.int64, count=len(grams[i]))
        for part, row in ((np.concatenate(chars) if chars else words[:0], 2 * i), (words, 2 * i + 1)):
            columns.append(part)
            rows.append(np.full(len(part), row, dtype=np.int64))
    width = model.char_features + model.word_features
    keys, counts = np.unique(np.concatenate(rows) * width + np.concatenate(columns), return_counts=True)
    row_of, column_of = np.divmod(keys, width)
    dots = np.bincount(row_of, weights=counts * model.weights[column_of], minlength=2 * len(texts))
    norms = np.sqrt(np.bincount(row_of, weights=counts.astype(np.float64) ** 2, minlength=2 * len(texts)))
    parts = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)
    logits = parts[0::2] + parts[1::2] + model.bias
    probabilities: np.ndarray = 1.0 / (1.0 + np.exp(-logits))
    return probabilities


@dataclass(frozen=True)
class Score:
    probability: float
    window: str  # the highest-scoring window (evidence for the curator)


def score(texts: list[str]) -> Score:
    """The highest window score over every window of every text (the readings of one text)."""
    # Readings of a text mostly repeat it, and a short paragraph is also a window: score each once.
    parts = list(dict.fromkeys(w for text in texts for w in windows(text)))
    if not parts:
        return Score(0.0, "")
    probabilities = window_scores(parts)
    best = int(np.argmax(probabilities))
    return Score(float(probabilities[best]), parts[best])
