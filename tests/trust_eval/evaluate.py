"""``make eval``: the trust pipeline measured on the labelled corpus (``corpus.jsonl``).

Per category and kind it prints the leak rate (sensitive values still present after scrubbing),
the over-redaction rate (benign tokens removed), injection recall and false-positive rate, and
the cost of scrubbing + screening per 2 KB item. ``tests/unit/test_trust_eval.py`` asserts the
floors (``FLOORS``) so a regression fails the build.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from hivemind_api.trust.injection import screen
from hivemind_api.trust.scrubber import scrub

CORPUS = Path(__file__).with_name("corpus.jsonl")
FLOORS = {
    "secret_leak_rate": 0.0,
    "pii_leak_rate": 0.0,
    "name_scrub_rate": 0.95,
    "injection_recall": 0.95,
    "injection_false_positive_rate": 0.01,
    "ms_per_2kb": 20.0,
}


@dataclass
class Tally:
    values: int = 0
    leaked: int = 0
    keep: int = 0
    removed: int = 0
    cases: int = 0
    examples: list[str] = field(default_factory=list)


def load() -> list[dict]:
    return [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]


def evaluate(cases: list[dict] | None = None) -> dict[str, object]:
    cases = cases if cases is not None else load()
    by_kind: dict[tuple[str, str], Tally] = defaultdict(Tally)
    inj = {"tp": 0, "fn": 0, "fp": 0, "tn": 0}
    misses: list[str] = []
    for case in cases:
        scrubbed = scrub(case["text"]).text
        verdict = screen(case["text"])
        kind = (case["category"], case["subcategory"].rsplit("_", 1)[0] if case["category"] == "secret" else case["subcategory"])
        t = by_kind[kind]
        t.cases += 1
        for value in case["sensitive"]:
            t.values += 1
            if value in scrubbed:
                t.leaked += 1
                t.examples.append(f"{case['id']}: leaked {value!r}")
        for token in case["keep"]:
            t.keep += 1
            if token not in scrubbed:
                t.removed += 1
                t.examples.append(f"{case['id']}: removed {token!r} -> {scrubbed[:160]!r}")
        if case["injection"]:
            inj["tp" if verdict.blocked else "fn"] += 1
            if not verdict.blocked:
                misses.append(f"{case['id']}: injection not blocked")
        else:
            inj["fp" if verdict.blocked else "tn"] += 1
            if verdict.blocked:
                misses.append(f"{case['id']}: false positive {[m.rule for m in verdict.matches]}")

    def rate(category: str, num: str, den: str) -> float:
        tallies = [t for (c, _), t in by_kind.items() if c == category]
        total = sum(getattr(t, den) for t in tallies)
        return sum(getattr(t, num) for t in tallies) / total if total else 0.0

    keep_total = sum(t.keep for t in by_kind.values())
    return {
        "cases": len(cases),
        "by_kind": {f"{c}/{k}": {"cases": t.cases, "values": t.values, "leaked": t.leaked, "keep": t.keep,
                                 "removed": t.removed} for (c, k), t in sorted(by_kind.items())},
        "secret_leak_rate": rate("secret", "leaked", "values"),
        "pii_leak_rate": rate("pii", "leaked", "values"),
        "name_scrub_rate": 1 - rate("name", "leaked", "values"),
        "over_redaction_rate": sum(t.removed for t in by_kind.values()) / keep_total if keep_total else 0.0,
        "injection_recall": inj["tp"] / max(1, inj["tp"] + inj["fn"]),
        "injection_false_positive_rate": inj["fp"] / max(1, inj["fp"] + inj["tn"]),
        "ms_per_2kb": cost_per_2kb(cases),
        "problems": [e for t in by_kind.values() for e in t.examples] + misses,
    }


def cost_per_2kb(cases: list[dict]) -> float:
    """Median milliseconds to scrub and screen a ~2 KB item made of corpus texts."""
    items, current = [], ""
    for case in cases:
        current += case["text"] + "\n\n"
        if len(current) >= 2048:
            items.append(current[:2048])
            current = ""
    for item in items:  # RE2 builds its automaton's states on first sight; a running server has them
        scrub(item)
        screen(item)
    times = []
    for item in items:
        start = time.perf_counter()
        scrub(item)
        screen(item)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    r = evaluate()
    print(f"Trust pipeline on {r['cases']} labelled cases ({CORPUS.name})\n")
    print(f"{'category/kind':34} {'cases':>5} {'values':>6} {'leaked':>6} {'keep':>5} {'removed':>7}")
    for name, k in r["by_kind"].items():
        print(f"{name:34} {k['cases']:>5} {k['values']:>6} {k['leaked']:>6} {k['keep']:>5} {k['removed']:>7}")
    print()
    for key, floor in FLOORS.items():
        value = r[key]
        ok = value <= floor if key.endswith(("rate", "kb")) and key != "name_scrub_rate" else value >= floor
        print(f"{key:32} {value:8.4f}   target {'<=' if key.endswith(('leak_rate', 'positive_rate', 'kb')) else '>='} {floor}  {'ok' if ok else 'MISSED'}")
    print(f"{'over_redaction_rate':32} {r['over_redaction_rate']:8.4f}")
    if r["problems"]:
        print("\nproblems:")
        for p in r["problems"]:
            print("  " + p)


if __name__ == "__main__":
    main()
