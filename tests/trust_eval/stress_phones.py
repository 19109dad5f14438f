"""``make stress-phones SEED=n``: the phone screen on Faker's phone formats in every evaluated locale.

Faker writes each locale's numbers the way its people do (national trunk prefixes, groupings,
mobile ranges), so it is a catalogue of real formats written by someone else. Each number goes into
one of a few everyday sentences, some with a word that announces a number and some without, and
the share that survives ``scrub_stored`` is printed per locale. A bare national number with no
cue ("66299447") is as likely a count or an id; those misses are expected. The misses go to
``.hivemind-eval/phone-misses.txt``. A change is designed on one seed and checked on others.
"""

from __future__ import annotations

import os
import random
from collections import defaultdict

from faker import Faker

from hivemind_api.trust.scrubber import scrub_stored
from tests.trust_eval import independent, measure

FRAMES = (
    "Call me at {p} tomorrow.",
    "Phone: {p}",
    "{p}",
    "You can reach the office on {p} or by mail.",
    "tel {p}, ask for the desk",
    "Kontakt {p}",
)
PER_LOCALE = 60


def run(seed: int) -> tuple[dict[str, tuple[int, int]], list[str]]:
    rng = random.Random(seed)
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # locale -> [leaked, numbers]
    misses: list[str] = []
    for locale in independent.LOCALES:
        fake = Faker(locale)
        fake.seed_instance(seed)
        for _ in range(PER_LOCALE):
            number = str(fake.phone_number())
            text = rng.choice(FRAMES).format(p=number)
            stored = scrub_stored(text).text
            stats[locale][1] += 1
            if measure.leaked(number, text, stored, 4):
                stats[locale][0] += 1
                misses.append(f"[{locale}] {number!r}: {stored!r}")
    return {k: (v[0], v[1]) for k, v in stats.items()}, misses


def main() -> None:
    seed = int(os.environ.get("SEED", "5"))
    stats, misses = run(seed)
    leaked, total = sum(k for k, _ in stats.values()), sum(n for _, n in stats.values())
    print(f"seed {seed}: phone numbers leaked {leaked} of {total}")
    for locale, (k, n) in sorted(stats.items(), key=lambda kv: kv[1][0], reverse=True):
        if k:
            print(f"  {locale:6} {k} of {n}")
    out = measure.save_lines("phone-misses.txt", misses)
    print(f"{len(misses)} misses written to {out}")


if __name__ == "__main__":
    main()
