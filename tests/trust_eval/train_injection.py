"""``make train-injection``: trains the injection classifier on the *development* split only.

Positives and negatives are every row of the packaged data sets (``sources.py``) whose seed falls
in the dev split (``independent.split_of``, the same rule the evaluation uses), plus the benign
texts of the own development corpus and dev-split package documentation as hard negatives. The
held-out split is never read here. Thresholds are chosen on out-of-fold scores of the dev rows:
``flag_at`` keeps at most 0.3 % of benign dev texts flagged (a text by its highest window),
``block_at`` at most 0.1 %.

Writes ``hivemind_api/trust/models/injection_ngrams.npz`` (non-zero weights as float16).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from hivemind_api.trust import classifier
from tests.trust_eval import independent, sources

CHAR_FEATURES, WORD_FEATURES = 2**19, 2**18
C = 16.0  # chosen on out-of-fold dev scores (4, 16, 64 tried; words 1-2 and 1-3 tried)
OUT = Path(classifier.__file__).with_name("models") / classifier.MODEL_FILE
OWN_CORPUS = Path(__file__).with_name("corpus.jsonl")


def training_rows() -> list[tuple[str, int, str]]:
    """(text, label, seed) of every dev-split row; held-out seeds are skipped."""
    rows: list[tuple[str, int, str]] = []
    for loader in (sources.neuralchemy, sources.slabs, sources.yanismiraoui, sources.bastion):
        for r in loader():
            seed = f"{r.source}:{r.key}"
            if independent.split_of(seed) == "dev":
                rows.append((r.text, int(r.injection), seed))
    for text in independent.technical_paragraphs(independent._Builder()):  # noqa: SLF001 - shared paragraph source
        seed = "doc:" + hashlib.sha1(text.encode()).hexdigest()
        if independent.split_of(seed) == "dev":
            rows += [(w, 0, seed) for w in classifier.windows(text)]
    for line in OWN_CORPUS.read_text().splitlines():
        case = json.loads(line)
        if not case["injection"]:
            rows += [(w, 0, "own:" + case["id"]) for w in classifier.windows(case["text"])]
    return rows


def _fit(x, y):  # noqa: ANN001, ANN202
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, class_weight="balanced", max_iter=2000, solver="liblinear")
    model.fit(x, y)
    return model


def main() -> None:
    from sklearn.model_selection import GroupKFold

    rows = training_rows()
    texts = [t for t, _, _ in rows]
    y = np.array([label for _, label, _ in rows])
    groups = [seed for _, _, seed in rows]
    x = classifier.Vectorizer(CHAR_FEATURES, WORD_FEATURES).transform(texts)
    oof = np.zeros(len(rows))
    for train, test in GroupKFold(n_splits=5).split(x, y, groups):
        oof[test] = _fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    # A benign text is flagged when its highest window is: thresholds are set on texts, not windows.
    per_text: dict[str, float] = {}
    for score, label, seed in zip(oof, y, groups, strict=True):
        if label == 0:
            per_text[seed] = max(per_text.get(seed, 0.0), float(score))
    benign = np.sort(np.array(list(per_text.values())))
    flag_at = float(benign[int(len(benign) * 0.997)])
    block_at = max(float(benign[int(len(benign) * 0.999)]), flag_at)
    recall_flag = float((oof[y == 1] >= flag_at).mean())
    recall_block = float((oof[y == 1] >= block_at).mean())
    model = _fit(x, y)
    weights = model.coef_[0].astype(np.float32)
    index = np.flatnonzero(np.abs(weights) > 1e-4).astype(np.int32)
    version = hashlib.sha256(weights.tobytes()).hexdigest()[:12]
    OUT.parent.mkdir(exist_ok=True)
    np.savez_compressed(OUT, index=index, value=weights[index].astype(np.float16), bias=float(model.intercept_[0]),
                        flag_at=flag_at, block_at=block_at, char_features=CHAR_FEATURES,
                        word_features=WORD_FEATURES, version=version)
    print(f"{len(rows)} dev rows ({int(y.sum())} injections); out-of-fold: flag_at {flag_at:.3f} "
          f"(recall {recall_flag:.3f}), block_at {block_at:.3f} (recall {recall_block:.3f}); "
          f"{len(index)} weights -> {OUT} ({OUT.stat().st_size // 1024} KB), version {version}")


if __name__ == "__main__":
    main()
