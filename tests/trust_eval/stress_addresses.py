"""``make stress-addresses SEED=n``: the address screen on new Faker addresses of every locale.

The independent set holds about 170 addresses. This draws 25 new ones per locale (Faker seeded by
``SEED`` and the locale, so no draw repeats the set's), writes each into one of five contexts
(inline in a sentence, after a cue, alone, as a multi-line billing block) and prints the share
leaked per locale, by the evaluation's own measure (``measure.leaked``: any piece of 4+ letters
or digits of the address that survives). The misses go to ``.hivemind-eval/address-misses.txt``.
"""

from __future__ import annotations

import os
import random
from collections import Counter

from hivemind_api.trust.scrubber import scrub_stored
from tests.trust_eval import independent, measure

PER_LOCALE = 25
TEMPLATES = (
    "Please ship it to {a} by Friday.",
    "I live at {a}",
    "{a}",
    "Billing address:\n{a}\n",
    "The parcel went to {a}, and came back.",
)


def run(seed: int) -> tuple[Counter[str], Counter[str], list[str]]:
    from faker import Faker

    counts: Counter[str] = Counter()
    leaks: Counter[str] = Counter()
    misses: list[str] = []
    for locale in independent.LOCALES:
        fake = Faker(locale)
        fake.seed_instance(seed * 1000 + sum(map(ord, locale)))
        rng = random.Random(f"{seed}:{locale}")
        for _ in range(PER_LOCALE):
            template = rng.choice(TEMPLATES)
            raw = fake.address()
            value = raw if template.startswith("Billing") else raw.replace("\n", ", ")
            text = template.format(a=value)
            stored = scrub_stored(text).text
            counts[locale] += 1
            if measure.leaked(value, text, stored, 4):
                leaks[locale] += 1
                misses.append(f"[{locale}] {value!r} -> {stored!r}")
    return counts, leaks, misses


def main() -> None:
    seed = int(os.environ.get("SEED", "5"))
    counts, leaks, misses = run(seed)
    total, leaked = sum(counts.values()), sum(leaks.values())
    print(f"seed {seed}: {leaked} of {total} addresses leaked ({100 * leaked / total:.1f} %)")
    for locale in independent.LOCALES:
        print(f"  {locale:6} {leaks[locale]:3} of {counts[locale]}")
    out = measure.save_lines("address-misses.txt", misses)
    print(f"misses written to {out}")


if __name__ == "__main__":
    main()
