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
text would be diluted by a whole-text score) and its score is the highest window's. Scoring 2 KB
takes about a millisecond, so it runs in the request path with the rules.
"""

from __future__ import annotations

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


def window_scores(texts: list[str]) -> np.ndarray:
    """Probability of injection for each of ``texts`` (already windows)."""
    model = load()
    matrix = _vectorizer().transform(texts)
    logits = matrix @ model.weights + model.bias
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
