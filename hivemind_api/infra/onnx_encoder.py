"""Sentence embeddings with ONNX Runtime: tokenize, run the transformer, mean-pool, normalise.

This is what sentence-transformers does for all-MiniLM-L6-v2 (``[Transformer, Pooling(mean),
Normalize]``, inputs truncated at the model's ``max_seq_length`` of 256 tokens), without
importing torch: the backend loads in well under a second and a single query costs a few
milliseconds. The tokenizer is the model package's own ``tokenizer.json``.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from hivemind_api.vocab import EMBEDDING_DIM


class OnnxEncoder:
    """Thread-safe: ONNX Runtime sessions and HF tokenizers may be called from several threads."""

    def __init__(self, weights_dir: Path, onnx_file: Path, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        config = json.loads((weights_dir / "sentence_bert_config.json").read_text())
        self.max_tokens = int(config.get("max_seq_length", 256))
        self._tokenizer = Tokenizer.from_file(str(weights_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(self.max_tokens)
        self._tokenizer.enable_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or 0  # 0: one per core
        options.inter_op_num_threads = 1
        # ORT's pool threads otherwise spin for a while after each run, burning the cores that
        # Postgres needs for the very query the embedding was made for.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self._pools: dict[int, ThreadPoolExecutor] = {}  # by stream count
        self._pools_lock = threading.Lock()

    @property
    def threads(self) -> int:
        """ONNX Runtime's intra-op threads (0: one per core)."""
        threads: int = self._session.get_session_options().intra_op_num_threads
        return threads

    def tokenize(self, texts: list[str]) -> dict[str, np.ndarray]:
        encoded = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}

    @staticmethod
    def pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Mean over real tokens, then unit length (what makes cosine a dot product)."""
        weights = mask[..., None].astype(np.float32)
        summed = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        unit: np.ndarray = summed / np.maximum(np.linalg.norm(summed, axis=1, keepdims=True), 1e-12)
        return unit

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Unit vectors, one row per text, in input order.

        Texts are batched by length so short ones are not padded to the longest of the lot.
        """
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), EMBEDDING_DIM), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            batch = self.tokenize([texts[i] for i in chunk])
            (hidden,) = self._session.run(["last_hidden_state"], batch)
            out[chunk] = self.pool(hidden, batch["attention_mask"])
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
