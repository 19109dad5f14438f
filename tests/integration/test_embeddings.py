"""The ONNX encoder against the model's published vectors and against the PyTorch forward pass.

The reference values for "This is an example sentence" are the ones two independent public
references print for sentence-transformers/all-MiniLM-L6-v2; if the export, tokenisation,
pooling or normalisation were wrong, these would not match.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hivemind_api.infra import embeddings
from hivemind_api.infra.model_export import ExportFailed, _verify, ensure_onnx_model

REFERENCE = [0.0676569, 0.0634960, 0.0487131, 0.0793050, 0.0374481, 0.0026528]


def test_matches_the_published_vector() -> None:
    vector = np.array(embeddings.embed(["This is an example sentence"])[0])
    assert vector.shape == (384,)
    assert np.allclose(vector[:6], REFERENCE, atol=1e-6)
    assert abs(np.linalg.norm(vector) - 1) < 1e-5


def test_similar_meanings_are_close_and_unrelated_ones_far() -> None:
    segfault, crash, pasta = np.array(
        embeddings.embed(
            ["How do I fix a segfault", "crash with segmentation fault", "best pasta recipe with tomatoes"]
        )
    )
    assert segfault @ crash == pytest.approx(0.6656, abs=1e-3)
    assert segfault @ pasta < 0.15


def test_batching_and_order_do_not_change_vectors() -> None:
    texts = ["short", "a much longer text about PostgreSQL connection pools " * 20, "medium length text here"]
    together = np.array(embeddings.embed(texts, batch_size=2))
    alone = np.array([embeddings.embed([t])[0] for t in texts])
    assert np.abs(together - alone).max() < 1e-5


def test_long_texts_are_truncated_like_the_model_was_trained() -> None:
    base = "word " * 300  # beyond 256 tokens: whatever follows is cut off
    a, b = np.array(embeddings.embed([base, base + "completely different tail about cooking pasta"]))
    assert np.abs(a - b).max() < 1e-6


def test_export_is_verified_and_reused(tmp_path: Path) -> None:
    weights = embeddings._model_dir()
    target = tmp_path / "model.onnx"
    assert ensure_onnx_model(weights, target) == target
    mtime = target.stat().st_mtime_ns
    assert ensure_onnx_model(weights, target) == target and target.stat().st_mtime_ns == mtime
    assert not list(tmp_path.glob("*.tmp"))


def test_a_wrong_export_is_refused(tmp_path: Path) -> None:
    """An ONNX graph that computes something else (here: one weight matrix scaled) fails
    verification instead of silently writing different vectors into the index."""
    import onnx
    from onnx import numpy_helper

    embeddings.get_model()  # ensures the cached export exists
    model = onnx.load(str(embeddings._onnx_file(embeddings.model_identity())))
    weight = next(
        i for i in model.graph.initializer if len(i.dims) == 2 and i.data_type == onnx.TensorProto.FLOAT
    )
    weight.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(weight) * 1.5, weight.name))
    broken = tmp_path / "broken.onnx"
    onnx.save(model, str(broken))
    with pytest.raises(ExportFailed):
        _verify(embeddings._model_dir(), broken)


def test_throughput_runs_give_the_same_vectors_in_order_on_parallel_single_thread_runs() -> None:
    """The worker's ``encode_each``: one text per run, two runs at once, each on one thread."""
    import threading

    from hivemind_api.infra.onnx_encoder import OnnxEncoder

    texts = [
        f"note {i}: " + "raise the pool size and reuse connections " * (1 + 7 * (i % 3)) for i in range(9)
    ]
    encoder = OnnxEncoder(embeddings._model_dir(), embeddings.get_model_file(), threads=1)
    assert encoder.threads == 1
    runs: list[tuple[int, int]] = []
    real_encode = encoder.encode

    def encode(batch: list[str], batch_size: int = 32):
        runs.append((threading.get_ident(), len(batch)))
        return real_encode(batch, batch_size)

    encoder.encode = encode  # type: ignore[method-assign]
    each = encoder.encode_each(texts, streams=2)
    assert np.abs(each - np.array(embeddings.embed(texts))).max() < 1e-5
    assert {n for _, n in runs} == {1} and len(runs) == len(texts)
    assert len({t for t, _ in runs}) == 2 and threading.get_ident() not in {t for t, _ in runs}


def test_workers_run_the_model_single_threaded_side_by_side_and_the_backend_on_every_core(
    monkeypatch,
) -> None:
    import os
    from types import SimpleNamespace

    settings = SimpleNamespace(model_threads=None, model_streams=None)
    monkeypatch.setattr(embeddings, "get_settings", lambda: settings)
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    monkeypatch.setattr(embeddings, "_mode", "latency")
    assert embeddings.model_threads() is None and embeddings.model_streams() == 1
    monkeypatch.setattr(embeddings, "_mode", "throughput")
    assert embeddings.model_threads() == 1 and embeddings.model_streams() == 4
    settings.model_threads = 2
    assert embeddings.model_streams() == 2
    settings.model_streams = 3
    assert embeddings.model_streams() == 3
