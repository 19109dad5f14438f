"""The ONNX encoder against the model's published vectors and against sentence-transformers' encode.

The reference values for "This is an example sentence" are the ones two independent public
references print for sentence-transformers/all-MiniLM-L6-v2; if the export, tokenisation,
pooling or normalisation were wrong, these would not match.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from hivemind_api.infra import embeddings
from hivemind_api.infra.model_export import ExportFailed, ensure_onnx_model, load_model, verify

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
    source = embeddings.model_source()
    target = tmp_path / "minilm"
    assert ensure_onnx_model(source, target) == target
    mtime = (target / "model.onnx").stat().st_mtime_ns
    assert ensure_onnx_model(source, target) == target
    assert (target / "model.onnx").stat().st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == ["minilm", "minilm.lock"]  # no leftovers


def test_a_wrong_export_is_refused(tmp_path: Path) -> None:
    """An ONNX graph that computes something else (here: one weight matrix scaled) fails
    verification instead of silently writing different vectors into the index."""
    import onnx
    from onnx import numpy_helper

    artifacts = embeddings.get_model_artifacts()
    broken = tmp_path / "broken"
    shutil.copytree(artifacts, broken)
    model = onnx.load(str(broken / "model.onnx"))
    weight = next(
        i for i in model.graph.initializer if len(i.dims) == 2 and i.data_type == onnx.TensorProto.FLOAT
    )
    weight.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(weight) * 1.5, weight.name))
    onnx.save(model, str(broken / "model.onnx"))
    with pytest.raises(ExportFailed):
        verify(load_model(embeddings.model_source()), broken)


def test_the_fast_path_gives_sentence_transformers_own_vectors() -> None:
    """sentence-transformers is the source of truth: ONNX Runtime's vectors are its ``encode``'s."""
    texts = [
        "How do I fix a segfault",
        "  Leading and trailing spaces  ",
        "UPPER CASE: ImportError: cannot import name 'soft_unicode' from 'markupsafe'",
        "Les index HNSW de pgvector acceptent ef_search ; réglez-le par requête.",
        "接続がタイムアウトしました。max_connections を増やしてください。",
        "ошибка: relation does not exist — выполните миграции",
        "word " * 400,
        "x",
    ]
    reference = load_model(embeddings.model_source()).encode(texts, normalize_embeddings=True)
    ours = np.array(embeddings.embed(texts, batch_size=3))
    assert np.abs(ours - reference).max() < 1e-5
    each = np.array(embeddings.embed_many(texts))
    assert np.abs(each - reference).max() < 1e-5


def test_the_model_is_described_by_sentence_transformers() -> None:
    spec = embeddings.describe_model()
    assert spec.modules == ["Transformer(BertModel)", "Pooling(mean)", "Normalize"]
    assert (spec.dimension, spec.max_seq_length, spec.normalized) == (384, 256, True)
    assert spec.input_names == ["input_ids", "token_type_ids", "attention_mask"]


def test_the_default_models_identity_is_unchanged() -> None:
    """Databases pinned before the model went through sentence-transformers keep their pin:
    the same name and the sha256 of the same weights file."""
    identity = embeddings.model_identity()
    digest = hashlib.sha256((embeddings.model_source() / "model.safetensors").read_bytes()).hexdigest()
    assert (identity.name, identity.revision) == ("sentence-transformers/all-MiniLM-L6-v2", digest)


def _saved_model(tmp_path: Path, *modules_after_transformer: str, max_seq_length: int = 64) -> Path:
    """A sentence-transformers model saved to a directory: the packaged transformer with another
    pooling and head, as a user would configure one by path."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Dense, Normalize, Pooling, Transformer

    transformer = Transformer(str(embeddings.model_source()), max_seq_length=max_seq_length)
    chain: list = [transformer]
    for name in modules_after_transformer:
        if name.startswith("Pooling:"):
            chain.append(Pooling(transformer.get_embedding_dimension(), pooling_mode=name.split(":")[1]))
        elif name.startswith("Dense:"):
            chain.append(Dense(384, int(name.split(":")[1])))
        elif name == "Normalize":
            chain.append(Normalize())
    path = tmp_path / "custom-model"
    SentenceTransformer(modules=chain, device="cpu").save(str(path))
    return path


def test_any_sentence_transformers_model_configured_by_path(tmp_path: Path, monkeypatch) -> None:
    """A model with CLS pooling, no Normalize and 64 tokens, given by path: exported from its own
    modules, its vectors are its ``encode``'s (made unit length), not the default model's."""
    path = _saved_model(tmp_path, "Pooling:cls")
    monkeypatch.setenv("HIVEMIND_EMBEDDING_MODEL", str(path))
    monkeypatch.setenv("HIVEMIND_MODEL_CACHE_DIR", str(tmp_path / "cache"))
    _reset(monkeypatch)
    spec = embeddings.describe_model()
    assert spec.modules == ["Transformer(BertModel)", "Pooling(cls)"] and spec.max_seq_length == 64
    assert not spec.normalized
    assert embeddings.model_identity().name == str(path)
    texts = ["How do I fix a segfault", "pool exhausted " * 100]
    reference = load_model(path).encode(texts, normalize_embeddings=True)
    ours = np.array(embeddings.embed(texts))
    assert np.abs(ours - reference).max() < 1e-5
    default = load_model(embeddings.model_source(embeddings.DEFAULT_MODEL)).encode(texts)
    assert np.abs(ours - default).max() > 0.05  # really another model


def test_a_model_of_another_dimension_or_missing_is_refused(tmp_path: Path, monkeypatch) -> None:
    path = _saved_model(tmp_path, "Pooling:mean", "Dense:256", "Normalize")
    monkeypatch.setenv("HIVEMIND_EMBEDDING_MODEL", str(path))
    monkeypatch.setenv("HIVEMIND_MODEL_CACHE_DIR", str(tmp_path / "cache"))
    _reset(monkeypatch)
    with pytest.raises(embeddings.ModelUnavailable, match="256-dim"):
        embeddings.get_model()
    monkeypatch.setenv("HIVEMIND_EMBEDDING_MODEL", "acme/not-a-cached-model")
    _reset(monkeypatch)
    with pytest.raises(embeddings.ModelUnavailable, match="never downloads"):
        embeddings.model_identity()


def _reset(monkeypatch) -> None:
    """Forget the process's settings and model so the next call reads the environment."""
    from hivemind_api.config import get_settings

    get_settings.cache_clear()
    embeddings.model_identity.cache_clear()
    monkeypatch.setattr(embeddings, "_model", None)


@pytest.fixture(autouse=True)
def _restore_model():
    yield
    from hivemind_api.config import get_settings

    get_settings.cache_clear()
    embeddings.model_identity.cache_clear()


def test_throughput_runs_give_the_same_vectors_in_order_on_parallel_single_thread_runs() -> None:
    """The worker's ``encode_each``: one text per run, two runs at once, each on one thread."""
    import threading

    from hivemind_api.infra.onnx_encoder import OnnxEncoder

    texts = [
        f"note {i}: " + "raise the pool size and reuse connections " * (1 + 7 * (i % 3)) for i in range(9)
    ]
    encoder = OnnxEncoder(embeddings.get_model_artifacts(), threads=1)
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


def test_hivemind_model_describes_the_configured_model(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    hivemind = str(Path(sys.executable).with_name("hivemind"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIVEMIND_")}
    shown = subprocess.run([hivemind, "model"], env=env, capture_output=True, text=True, timeout=300)
    assert shown.returncode == 0, shown.stderr
    assert "Transformer(BertModel) -> Pooling(mean) -> Normalize" in shown.stdout
    assert embeddings.model_identity().model_id in shown.stdout
    env["HIVEMIND_EMBEDDING_MODEL"] = str(tmp_path / "nowhere")
    missing = subprocess.run([hivemind, "model"], env=env, capture_output=True, text=True, timeout=300)
    assert missing.returncode == 1 and "never downloads" in missing.stderr
