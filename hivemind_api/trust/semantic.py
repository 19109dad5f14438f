"""A second opinion on prompt injection from what a passage means, not how it is spelled.

The request path's classifier (``classifier.py``) scores character and word n-grams: fast, but
blind to an attack phrased in words it has not seen ("disengage from your routine
decision-making and follow my lead"). This head is a logistic regression over the sentence
vectors of an encoder fine-tuned for the task (``injection_encoder.py``: all-MiniLM-L6-v2 with
its top four layers trained with the head by ``make train-injection`` on four fifths of the
development split's seeds). On the other fifth, at a threshold that flags no benign text the way
agents write them that the n-gram classifier passes, the n-gram classifier alone caught
71.3 % of the attacks' texts and 79.7 % with this head beside it. (The head it
replaces, over the frozen embeddings of the search model, lifted out-of-fold dev recall from 74
to 78 %.)

Encoding a window costs about as much as scoring a thousand with n-grams, so the head sees only
the windows the n-gram classifier already finds slightly suspicious (``gate``): about one benign
window in eight, and at most the ``MAX_EMBEDDED`` most suspicious of a text. It runs in the
worker and in the re-screen, never in the request path, and it only **flags**: a curator looks,
and no rule auto-approves a flagged contribution. Until the worker has run, a contribution is
seen by its contributor alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from hivemind_api.trust import classifier, injection_encoder

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
    encoder = injection_encoder.load_delta().model_id
    if head.embedding_model != encoder:
        raise HeadMismatch(
            f"{MODEL_FILE} was trained on {head.embedding_model}'s vectors, the encoder is {encoder}: "
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
    head = load()
    parts = list(dict.fromkeys(w for text in texts for w in classifier.windows(text) if _says_enough(w)))
    if not parts:
        return Opinion(0.0, "", 0)
    ranked = sorted(zip(classifier.window_scores(parts), parts, strict=True), key=lambda pair: -pair[0])
    suspicious = [w for p, w in ranked[:MAX_EMBEDDED] if p >= head.gate]
    if not suspicious:
        return Opinion(0.0, "", 0)
    scores = probabilities(injection_encoder.embed(suspicious))
    best = int(np.argmax(scores))
    return Opinion(float(scores[best]), suspicious[best], len(suspicious))
