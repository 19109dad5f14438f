"""``make stress-names SEED=n``: the name screen on new draws of the *development* templates.

The independent set fills each presidio template for four locales, once. To find what the name
screen misses without reading held-out cases, this refills every dev template (a template whose
seed and whose (template, locale) seed are both dev) for every locale, with Faker seeded by
``SEED``, about a third of them at random, and prints the share of names scrubbed per language.
The misses go to ``.hivemind-eval/name-misses.txt``. A change is designed on one seed and checked
on others it was not designed on.
"""

from __future__ import annotations

import os
import random
import re
from collections import defaultdict

from faker import Faker

from hivemind_api.trust.scrubber import scrub_stored
from tests.trust_eval import independent, measure, sources

_NAME_KEYS = {key for key, family in independent._SENSITIVE.items() if family == "name"}


def run(seed: int) -> tuple[dict[str, tuple[int, int]], list[str]]:
    rng = random.Random(seed)
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # language -> [kept, names]
    misses: list[str] = []
    fakers: dict[str, Faker] = {}
    templates = [t for t in sources.presidio_templates() if "{{" in t]
    for index, template in enumerate(templates):
        if not set(independent._PLACEHOLDER.findall(template)) & _NAME_KEYS:
            continue
        for locale in independent.LOCALES:
            dev = (
                independent.split_of(f"tpl:{index}") == "dev" == independent.split_of(f"tpl:{index}:{locale}")
            )
            if not dev or rng.random() > 0.35:
                continue
            fake = fakers.setdefault(locale, Faker(locale))
            fake.seed_instance(rng.randrange(10**9))
            names: list[str] = []

            def fill(m: re.Match[str], fake: Faker = fake, names: list[str] = names) -> str:
                key = m.group(1)
                if key == "phone_number":
                    return str(fake.phone_number())
                if key == "iban":
                    return str(fake.iban())
                value = str(independent._VALUE_MAKERS.get(key, lambda f: f.word())(fake))
                if key in _NAME_KEYS:
                    names.append(value)
                return value

            text = independent._PLACEHOLDER.sub(fill, template)
            stored = scrub_stored(text).text
            language = independent._locale_language(locale)
            for name in names:
                stats[language][1] += 1
                if measure.name_leaked(name, text, stored):
                    stats[language][0] += 1
                    misses.append(f"[{language}] {name!r}: {stored[:200]!r}")
    return {k: (v[0], v[1]) for k, v in stats.items()}, misses


def main() -> None:
    seed = int(os.environ.get("SEED", "6"))
    stats, misses = run(seed)
    kept, total = sum(k for k, _ in stats.values()), sum(n for _, n in stats.values())
    print(f"seed {seed}: names scrubbed {1 - kept / total:.1%} of {total}")
    for language, (k, n) in sorted(stats.items(), key=lambda kv: kv[1][0] / kv[1][1], reverse=True):
        print(f"  {language:4} {1 - k / n:6.1%} of {n}")
    out = measure.save_lines("name-misses.txt", misses)
    print(f"{len(misses)} misses written to {out}")


if __name__ == "__main__":
    main()
