"""``make eval``: the trust pipeline measured on the labelled corpus (``corpus.jsonl``).

Per category and kind it prints the leak rate (sensitive values still present after scrubbing),
the over-redaction rate (benign tokens removed), injection recall and false-positive rate, and
the cost of scrubbing + screening per 2 KB item. ``tests/unit/test_trust_eval.py`` asserts the
floors (``FLOORS``) so a regression fails the build.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from hivemind_api.trust.injection import screen
from hivemind_api.trust.scrubber import scrub
from tests.trust_eval import independent, measure

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
        kind = (
            case["category"],
            case["subcategory"].rsplit("_", 1)[0] if case["category"] == "secret" else case["subcategory"],
        )
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
        "by_kind": {
            f"{c}/{k}": {
                "cases": t.cases,
                "values": t.values,
                "leaked": t.leaked,
                "keep": t.keep,
                "removed": t.removed,
            }
            for (c, k), t in sorted(by_kind.items())
        },
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
    return measure.cost_per_2kb([case["text"] for case in cases])[0]


def print_own(r: dict[str, object]) -> None:
    print(f"Development corpus: {r['cases']} cases written alongside the screens ({CORPUS.name})\n")
    print(f"{'category/kind':34} {'cases':>5} {'values':>6} {'leaked':>6} {'keep':>5} {'removed':>7}")
    for name, k in r["by_kind"].items():  # type: ignore[union-attr]
        print(f"{name:34} {k['cases']:>5} {k['values']:>6} {k['leaked']:>6} {k['keep']:>5} {k['removed']:>7}")
    print()
    for key in FLOORS:
        print(f"{key:32} {r[key]:8.4f}")
    print(f"{'over_redaction_rate':32} {r['over_redaction_rate']:8.4f}")


def _fmt(value: float | None, pct: bool = True) -> str:
    if value is None:
        return "-"
    return f"{value * 100:.1f}%" if pct else f"{value:.2f}"


def _row_figures(t: measure.Tally, family: str) -> str:
    r = measure.rates(t, family)
    parts = []
    if family in ("secret", "pii"):
        parts.append(f"leak {_fmt(r[family + '_leak_rate'])} of {t.values}")
    if t.names:
        parts.append(f"names scrubbed {_fmt(r['name_scrub_rate'])} of {t.names}")
    if t.positives:
        parts.append(f"recall {_fmt(r['injection_recall'])} of {t.positives}")
    if t.negatives:  # benign texts, and personal-data and secret texts, none of which is an attack
        parts.append(f"false pos {_fmt(r['false_positive_rate'])} of {t.negatives}")
    if t.keep:
        parts.append(f"over-redaction {_fmt(r['over_redaction_rate'])} of {t.keep}")
    return "; ".join(parts)


def print_independent(report: measure.Report, out_dir: Path) -> None:
    print(
        "\nIndependent set (tests/trust_eval/independent.py): packaged data sets, Faker, gitleaks' catalogue"
    )
    print("dev may be read case by case; heldout is never tuned on (only its figures are printed)\n")
    print(f"{'summary':24} {'dev':>10} {'heldout':>10}   target")
    dev, held = report.summary("dev"), report.summary("heldout")
    for metric, (op, target) in measure.TARGETS.items():
        pct = not metric.endswith("ms_per_2kb")
        ok = "ok" if measure.meets(metric, held[metric]) else "MISSED"
        print(
            f"{metric:24} {_fmt(dev[metric], pct):>10} {_fmt(held[metric], pct):>10}   {op} "
            f"{_fmt(target, pct)}  {ok}"
        )
    dev_w, held_w = (
        report.worker_ms_per_2kb.get("dev", (0, 0)),
        report.worker_ms_per_2kb.get("heldout", (0, 0)),
    )
    print(
        f"{'worker models ms/2KB':24} {dev_w[0]:10.2f} {held_w[0]:10.2f}   (median; p95 {held_w[1]:.2f}; "
        "benign texts; in the worker, not the request path)"
    )
    for title, table in (("family / kind", report.by_kind), ("family / language", report.by_language)):
        print(f"\n{title:34} {'dev':56} heldout")
        keys = sorted({(f, k) for (_, f, k) in table})
        for family, key in keys:
            d = table.get(("dev", family, key), measure.Tally())
            h = table.get(("heldout", family, key), measure.Tally())
            print(f"{family + '/' + key:34} {_row_figures(d, family):56} {_row_figures(h, family)}")
    out_dir.mkdir(exist_ok=True)
    problems = out_dir / "dev-problems.txt"
    problems.write_text("\n".join(report.problems("dev")) + "\n")
    print(
        f"\n{len(report.problems('dev'))} dev problems written to {problems} (heldout problems are not shown)"
    )


def main() -> None:
    print_own(evaluate())
    cases = independent.build()
    print_independent(measure.evaluate(cases), Path(".hivemind-eval"))


if __name__ == "__main__":
    main()
