"""Export a sentence-transformers model to ONNX once, verify it against the model's own
``encode``, and cache it with the description the fast path runs from.

sentence-transformers is the source of truth for the embedding model: it loads the model (by
name from the local Hugging Face cache, or by path), and its module chain (``Transformer``,
``Pooling`` in whichever mode, ``Dense``, ``Normalize``, …) is exported as one ONNX graph from
token ids to the sentence embedding. Nothing about pooling or normalisation is re-implemented
here, so any sentence-transformers model whose modules trace works, not one model.

Why ONNX at all: PyTorch costs 7–8 s to import and ~14 ms per single-query embedding on this
class of machine; ONNX Runtime runs the same graph in 2–8 ms and loads in under a second.
sentence-transformers' own ONNX backend needs optimum-onnx, whose only release for this
transformers (0.1.0) fails to import with transformers 5.24, so the export is done here with
``torch.onnx.export`` over the library's model.

The export is refused unless the ONNX Runtime vectors match ``SentenceTransformer.encode`` on
probe texts to ``TOLERANCE``: the stored vectors of a deployment must not depend on which runtime
produced them. Backend and worker may start at once, so the export runs under a file lock and
lands with an atomic rename of its directory.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

TOLERANCE = 1e-4
PROBES = (
    "This is an example sentence",
    "How do I fix a segfault in a C extension?",
    "pgvector HNSW index with iterative scan keeps filtered results complete " * 40,
    "Die Verbindung zum Server wurde unerwartet GESCHLOSSEN, überprüfen Sie pg_hba.conf",
    "a",
)
SPEC_FILE = "spec.json"
ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"


class ExportFailed(RuntimeError):
    """The model cannot be exported, or the export does not reproduce its vectors."""


@dataclass(frozen=True)
class ModelSpec:
    """The model as sentence-transformers describes it: what the fast path needs to reproduce
    ``encode`` without torch (tokenizer settings, the graph's inputs, the output's properties)."""

    modules: list[str]  # the module chain, e.g. ["Transformer(BertModel)", "Pooling(mean)", "Normalize"]
    dimension: int
    max_seq_length: int
    input_names: list[str]
    pad_token: str
    pad_token_id: int
    do_lower_case: bool
    prompt: str  # the default prompt ``encode`` puts before every text ("" if none)
    normalized: bool  # the graph's output is already unit length

    def save(self, directory: Path) -> None:
        (directory / SPEC_FILE).write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, directory: Path) -> ModelSpec:
        return cls(**json.loads((directory / SPEC_FILE).read_text()))


def _module_label(module: Any) -> str:
    name = type(module).__name__
    if name == "Transformer":
        return f"Transformer({type(module.auto_model).__name__})"
    if name == "Pooling":
        mode = module.pooling_mode
        return f"Pooling({mode if isinstance(mode, str) else '+'.join(mode)})"
    if name == "Dense":
        return f"Dense({module.in_features}->{module.out_features})"
    return name


def load_model(source: Path) -> Any:
    """The model through sentence-transformers (imports torch: only for export and tests)."""
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    # Eager attention traces to a graph that is correct for every batch size and length.
    return SentenceTransformer(
        str(source), device="cpu", local_files_only=True, model_kwargs={"attn_implementation": "eager"}
    ).eval()


def describe(model: Any) -> ModelSpec:
    tokenizer = model.tokenizer
    if tokenizer is None or not getattr(tokenizer, "is_fast", False):
        raise ExportFailed("the model needs a fast (Rust) tokenizer for the ONNX path")
    prompt = model.prompts.get(model.default_prompt_name, "") if model.default_prompt_name else ""
    modules = list(model)
    return ModelSpec(
        modules=[_module_label(m) for m in modules],
        dimension=int(model.get_embedding_dimension()),
        max_seq_length=int(model.max_seq_length),
        input_names=list(tokenizer.model_input_names),
        pad_token=str(tokenizer.pad_token),
        pad_token_id=int(tokenizer.pad_token_id),
        do_lower_case=bool(getattr(modules[0], "do_lower_case", False)),
        prompt=prompt,
        normalized=type(modules[-1]).__name__ == "Normalize",
    )


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_onnx_model(source: Path, target: Path) -> Path:
    """Return ``target``, a directory with the model's ONNX graph, tokenizer and spec, exporting
    it from the model at ``source`` first if it is missing."""
    if (target / SPEC_FILE).exists():
        return target
    with file_lock(target.with_name(target.name + ".lock")):
        if (target / SPEC_FILE).exists():  # another process exported it while we waited
            return target
        tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=target.name + ".tmp"))
        try:
            model = load_model(source)
            spec = describe(model)
            model.tokenizer.backend_tokenizer.save(str(tmp / TOKENIZER_FILE))
            _export(model, spec, tmp / ONNX_FILE)
            spec.save(tmp)
            verify(model, tmp)
            tmp.chmod(0o755)
            shutil.rmtree(target, ignore_errors=True)  # a partial directory of an older layout
            tmp.rename(target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _export(model: Any, spec: ModelSpec, out: Path) -> None:
    import warnings

    import torch

    names = spec.input_names

    class SentenceEmbedding(torch.nn.Module):
        """The whole module chain, from the tokenizer's tensors to ``sentence_embedding``."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            embedding: torch.Tensor = self.model(dict(zip(names, inputs, strict=True)))["sentence_embedding"]
            return embedding

    sample = torch.ones(2, 8, dtype=torch.long)
    dynamic: dict[str, dict[int, str]] = {n: {0: "batch", 1: "tokens"} for n in names}
    dynamic["sentence_embedding"] = {0: "batch"}
    inputs = tuple(torch.zeros_like(sample) if n == "token_type_ids" else sample for n in names)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # tracer chatter about Python bools in the attention code
            torch.onnx.export(
                SentenceEmbedding(),
                inputs,
                str(out),
                input_names=names,
                output_names=["sentence_embedding"],
                dynamic_axes=dynamic,
                opset_version=17,
                dynamo=False,
            )
    except Exception as err:  # a module that does not trace: say which model and why
        raise ExportFailed(f"{' -> '.join(spec.modules)} does not export to ONNX: {err}") from err


def verify(model: Any, artifacts: Path) -> None:
    """Refuse an export whose vectors differ from ``model.encode`` (unit length, as stored)."""
    from hivemind_api.infra.onnx_encoder import OnnxEncoder

    expected = model.encode(list(PROBES), convert_to_numpy=True, normalize_embeddings=True)
    got = OnnxEncoder(artifacts, threads=1).encode(list(PROBES))
    worst = float(np.abs(expected - got).max())
    if not worst <= TOLERANCE:
        raise ExportFailed(f"ONNX export differs from sentence-transformers' encode by {worst:.2e}")
