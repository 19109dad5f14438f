"""What the domain runs on: the embedding model (``embeddings``, its ONNX fast path and export),
RQ queueing helpers (``jobs``), Redis rate limits, the services a process uses (embedded or
external) and process utilities."""
