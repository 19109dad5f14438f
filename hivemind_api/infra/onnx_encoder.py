"""Sentence embeddings with ONNX Runtime: tokenize, run the exported model, done.

The graph (``model_export``) is sentence-transformers' whole module chain, token ids in and
the sentence embedding out, so pooling and normalisation are the library's, not re-written
here. What stays here is what ``encode`` does around the model, as its ``spec.json`` records it:
the default prompt, lower-casing, truncation at ``max_seq_length``, padding, and unit length for
models whose chain does not end in ``Normalize`` (HiveMind stores unit vectors, so cosine is a
dot product). No torch: the backend loads in well under a second and a single query costs a
few milliseconds.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from hivemind_api.infra.model_export import ONNX_FILE, TOKENIZER_FILE, ModelSpec


class OnnxEncoder:
    """Thread-safe: ONNX Runtime sessions and HF tokenizers may be called from several threads."""

    def __init__(self, artifacts: Path, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.spec = ModelSpec.load(artifacts)
        self.dimension = self.spec.dimension
        self._tokenizer = Tokenizer.from_file(str(artifacts / TOKENIZER_FILE))
        self._tokenizer.enable_truncation(self.spec.max_seq_length)
        self._tokenizer.enable_padding(pad_id=self.spec.pad_token_id, pad_token=self.spec.pad_token)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or 0  # 0: one per core
        options.inter_op_num_threads = 1
        # ORT's pool threads otherwise spin for a while after each run, burning the cores that
        # Postgres needs for the very query the embedding was made for.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(artifacts / ONNX_FILE), options, providers=["CPUExecutionProvider"]
        )
        self._pools: dict[int, ThreadPoolExecutor] = {}  # by stream count
        self._pools_lock = threading.Lock()

    @property
    def threads(self) -> int:
        """ONNX Runtime's intra-op threads (0: one per core)."""
        threads: int = self._session.get_session_options().intra_op_num_threads
        return threads

    def tokenize(self, texts: list[str]) -> dict[str, np.ndarray]:
        spec = self.spec
        texts = [spec.prompt + t for t in texts] if spec.prompt else texts
        encoded = self._tokenizer.encode_batch([t.lower() for t in texts] if spec.do_lower_case else texts)
        tensors = {
            "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
        }
        return {name: tensors[name] for name in spec.input_names}

    def _run(self, texts: list[str]) -> np.ndarray:
        (vectors,) = self._session.run(["sentence_embedding"], self.tokenize(texts))
        if self.spec.normalized:
            return np.asarray(vectors, dtype=np.float32)
        unit: np.ndarray = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return unit.astype(np.float32)

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Unit vectors, one row per text, in input order.

        Texts are batched by length so short ones are not padded to the longest of the lot.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            out[chunk] = self._run([texts[i] for i in chunk])
        return out

    def encode_each(self, texts: list[str], streams: int) -> np.ndarray:
        """Unit vectors like ``encode``, for throughput: one text per run, ``streams`` runs at once.

        On CPU a run of one 256-token text keeps its activations in cache, where a batch of 16
        does not; and single-threaded runs side by side skip ONNX Runtime's per-operator hand-offs
        between threads. With one intra-op thread per run, two streams on two cores embed ~25 %
        more 200-word texts per second than one run on two threads (docs/benchmarks.md).
        The model releases the GIL, so the streams are threads of this process.
        """
        if streams <= 1 or len(texts) <= 1:
            return self.encode(texts, batch_size=1)
        with self._pools_lock:
            pool = self._pools.get(streams)
            if pool is None:
                pool = self._pools[streams] = ThreadPoolExecutor(streams, thread_name_prefix="embed")
        return np.concatenate(list(pool.map(lambda t: self.encode([t], batch_size=1), texts)))
