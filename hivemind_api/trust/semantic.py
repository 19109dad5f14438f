"""A second opinion on prompt injection from what a passage means, not how it is spelled.

The request path's classifier (``classifier.py``) scores character and word n-grams: fast, but
blind to an attack phrased in words it has not seen ("disengage from your routine
decision-making and follow my lead"). This head is a logistic regression over the sentence
embeddings the worker already computes with (all-MiniLM-L6-v2, ``embeddings.py``), trained by
``make train-injection`` on the same development split, on the windows past the gate below (the
only ones it ever sees). Measured on out-of-fold dev scores, the n-gram classifier alone caught
74 % of injection windows' texts at 0.3 % of benign texts flagged; with this head beside it,
78 %, the head flagging 0.1 % more. (On held-out texts the head's share of false flags is larger:
out-of-fold scores flatter it; ``make eval`` reports the total.)

Embedding a window costs about as much as scoring a thousand with n-grams, so the head sees only
the windows the n-gram classifier already finds slightly suspicious (``gate``): about one benign
window in eight, with the same recall on dev as embedding every window, and at most the
``MAX_EMBEDDED`` most suspicious of a text. It runs in the worker and
in the re-screen, never in the request path, and it only **flags**: a curator looks, and no rule
auto-approves a flagged contribution. Until the worker has run, a contribution is seen by its
contributor alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from hivemind_api.trust import classifier

MODEL_FILE = "injection_semantic.npz"
MAX_EMBEDDED = 8  # windows per text at most, the most suspicious first: bounds the cost of a text of attacks


class HeadMismatch(RuntimeError):
    """The head was trained on another embedding model's vectors: its scores would mean nothing."""


@dataclass(frozen=True)
class Head:
    weights: np.ndarray  # one per embedding dimension
    bias: float
    flag_at: float  # probability at which a window flags its text
    gate: float  # n-gram probability a window needs before it is embedded at all
    embedding_model: str  # model_id of the vectors it was trained on
    version: str


@lru_cache(maxsize=1)
def load() -> Head:
    from hivemind_api.infra import embeddings

    with resources.files("hivemind_api.trust").joinpath("models", MODEL_FILE).open("rb") as f:
        data = np.load(f)
        head = Head(
            data["weights"].astype(np.float32),
            float(data["bias"]),
            float(data["flag_at"]),
            float(data["gate"]),
            str(data["embedding_model"]),
            str(data["version"]),
        )
    installed = embeddings.model_identity().model_id
    if head.embedding_model != installed:
        raise HeadMismatch(
            f"{MODEL_FILE} was trained on {head.embedding_model}, the installed model is {installed}: "
            "run `make train-injection`"
        )
    return head


def probabilities(vectors: np.ndarray) -> np.ndarray:
    """Probability of injection for each embedded window."""
    head = load()
    scores: np.ndarray = 1.0 / (1.0 + np.exp(-(vectors @ head.weights + head.bias)))
    return scores


@dataclass(frozen=True)
class Opinion:
    probability: float
    window: str  # the window that decided (evidence for the curator)
    embedded: int  # windows that passed the gate (its cost)

    @property
    def flags(self) -> bool:
        return self.probability >= load().flag_at


MIN_WORDS = 4


def _says_enough(window: str) -> bool:
    """A window of a few words ("burst d15a31 one", the tail of a text) means too little for the
    head: its embedding lands anywhere, and such scraps flagged 2 % of one benign test text's
    variants. An attack says what to do in more words than that; shorter ones are the rules' and
    the n-gram classifier's."""
    return len(re.findall(r"\w+", window)) >= MIN_WORDS


def opinion(texts: list[str]) -> Opinion:
    """The head's highest probability over the windows of ``texts`` (readings of one text) that
    pass the n-gram gate; windows below the gate count as benign."""
    from hivemind_api.infra import embeddings

    head = load()
    parts = list(dict.fromkeys(w for text in texts for w in classifier.windows(text) if _says_enough(w)))
    if not parts:
        return Opinion(0.0, "", 0)
    ranked = sorted(zip(classifier.window_scores(parts), parts, strict=True), key=lambda pair: -pair[0])
    suspicious = [w for p, w in ranked[:MAX_EMBEDDED] if p >= head.gate]
    if not suspicious:
        return Opinion(0.0, "", 0)
    scores = probabilities(np.asarray(embeddings.embed(suspicious), dtype=np.float32))
    best = int(np.argmax(scores))
    return Opinion(float(scores[best]), suspicious[best], len(suspicious))
