"""Side by side in one process: the embedding fast path as it is against an earlier version of
it, given as the path of its ``onnx_encoder.py`` and ONNX file (``python -m
tests.bench.embed_paths OLD_ENCODER.py OLD_MODEL.onnx``). Rounds alternate so the machine's
drift hits both alike; prints the ratios new/old."""

from __future__ import annotations

import importlib.util
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from hivemind_api.infra import embeddings
from hivemind_api.infra.onnx_encoder import OnnxEncoder


def _old(encoder_file: str, onnx_file: str, threads: int | None):
    spec = importlib.util.spec_from_file_location("old_onnx_encoder", encoder_file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.OnnxEncoder(embeddings.model_source(), Path(onnx_file), threads=threads)


def main() -> None:
    old_file, old_onnx = sys.argv[1], sys.argv[2]
    queries = [f"how do I fix error {i} in the connection pool of service {i % 7}" for i in range(200)]
    texts = [
        (f"note {i}: " + "raise the pool size, reuse connections and set timeouts " * 25) for i in range(48)
    ]
    latency = {"new": OnnxEncoder(embeddings.get_model_artifacts()), "old": _old(old_file, old_onnx, None)}
    single = {
        "new": OnnxEncoder(embeddings.get_model_artifacts(), threads=1),
        "old": _old(old_file, old_onnx, 1),
    }
    assert np.abs(latency["new"].encode(texts[:4]) - latency["old"].encode(texts[:4])).max() < 1e-5
    per_query: dict[str, list[float]] = {"new": [], "old": []}
    per_text: dict[str, list[float]] = {"new": [], "old": []}
    for _ in range(5):
        for name in ("old", "new"):
            start = time.perf_counter()
            for q in queries:
                latency[name].encode([q])
            per_query[name].append((time.perf_counter() - start) / len(queries) * 1000)
            start = time.perf_counter()
            single[name].encode_each(texts, 2)
            per_text[name].append((time.perf_counter() - start) / len(texts) * 1000)
    for label, figures in (
        ("query embedding, ms", per_query),
        ("pipeline embedding per 200-word text, ms", per_text),
    ):
        old, new = statistics.median(figures["old"]), statistics.median(figures["new"])
        print(f"{label}: old {old:.2f}  new {new:.2f}  new/old {new / old:.3f}")


if __name__ == "__main__":
    main()
