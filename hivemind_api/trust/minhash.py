"""Near-duplicate text by MinHash over word shingles (datasketch), with LSH bands for lookup.

Cosine similarity of embeddings finds texts that *mean* the same; MinHash finds texts that
*say* the same with a few words changed (a re-post with a new version number, one agent's
output copied by another). The signature (128 permutations over 3-word shingles) is stored with
the contribution, and its 16 bands of 8 values go into ``minhash_bands``: two texts with
Jaccard similarity 0.8 share at least one band with probability > 0.99, so candidates come from
an index lookup rather than a scan, in every worker and after every restart.
"""

from __future__ import annotations

import hashlib
import re
import struct

from datasketch import MinHash

NUM_PERM = 128
BANDS, ROWS = 16, 8
SHINGLE = 3
SEED = 1
NEAR_DUPLICATE_JACCARD = 0.8
_WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str) -> set[bytes]:
    words = _WORD.findall(text.lower())
    if len(words) < SHINGLE:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + SHINGLE]).encode() for i in range(len(words) - SHINGLE + 1)}


def signature(text: str) -> list[int]:
    m = MinHash(num_perm=NUM_PERM, seed=SEED)
    m.update_batch(list(shingles(text)))
    return [int(v) for v in m.hashvalues]


def bands(sig: list[int]) -> list[tuple[int, int]]:
    """(band number, signed 64-bit hash of the band's values) for the LSH index."""
    out = []
    for b in range(BANDS):
        chunk = struct.pack(f"<{ROWS}Q", *sig[b * ROWS : (b + 1) * ROWS])
        out.append((b, struct.unpack("<q", hashlib.blake2b(chunk, digest_size=8).digest())[0]))
    return out


def jaccard(a: list[int], b: list[int]) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets."""
    if not a or not b or len(a) != len(b):
        return 0.0
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)
