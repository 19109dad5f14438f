"""``make stress-secrets SEED=n``: the secret screen on new values of the *development* formats.

The independent set writes each gitleaks rule's value into three of its contexts, once. This
writes a new random value of every dev rule (a rule whose seed is dev) into every context
template, with the value generator seeded by ``SEED``, and prints the leaks per context; the
leaked values go to ``.hivemind-eval/secret-leaks.txt``. Then it writes 1,000 new Faker passwords with
punctuation into the independent set's password templates, seeded likewise. Set ``PYTHONHASHSEED`` to compare two
builds on the same values (the catalogue's order follows it).
"""

from __future__ import annotations

import os
import random
import re
from collections import Counter

from hivemind_api.trust.scrubber import scrub_stored
from tests.trust_eval import independent, measure, sources


def run(seed: int) -> tuple[Counter[tuple[str, str]], list[str]]:
    builder = independent._Builder()
    builder.rng = random.Random(seed)
    counts: Counter[tuple[str, str]] = Counter()
    leaks: list[str] = []
    for rule in sources.gitleaks_rules():
        regex, rule_id = rule.get("regex"), rule["id"]
        if not regex or independent.split_of(f"gitleaks:{rule_id}") != "dev":
            continue
        name = (rule.get("keywords") or [rule_id.split("-")[0]])[0]
        for where, templates in independent._SECRET_CONTEXTS.items():
            for template in templates:
                value = independent._xeger_group(builder, regex, int(rule.get("secretGroup", 0)))
                if not value:
                    break
                text = template.format(v=value, name=name, NAME=re.sub(r"\W", "_", name).upper() + "_KEY")
                stored = scrub_stored(text).text
                counts[where, "values"] += 1
                if measure.leaked(value, text, stored, 6):
                    counts[where, "leaked"] += 1
                    leaks.append(f"[{where}] {rule_id} {value!r}: {stored[:200]!r}")
    return counts, leaks


PASSWORDS = 1000


def run_passwords(seed: int) -> list[str]:
    """``PASSWORDS`` new Faker passwords with punctuation (the independent set's generator, 9 to 18
    characters) in the independent set's password templates: the ones that leaked."""
    from faker import Faker

    rng, fake = random.Random(seed), Faker()
    fake.seed_instance(seed)
    leaks = []
    for _ in range(PASSWORDS):
        password = fake.password(length=rng.randint(9, 18), special_chars=True)
        text = rng.choice(independent.PASSWORD_TEMPLATES).format(p=password)
        if measure.leaked(password, text, stored := scrub_stored(text).text, 6):
            leaks.append(f"[password] {password!r}: {stored[:200]!r}")
    return leaks


def main() -> None:
    seed = int(os.environ.get("SEED", "12"))
    counts, leaks = run(seed)
    print(
        f"seed {seed}: {len(leaks)} of {sum(v for (_, k), v in counts.items() if k == 'values')} values leaked"
    )
    for where in independent._SECRET_CONTEXTS:
        print(f"  {where:14} {counts[where, 'leaked']:3} of {counts[where, 'values']}")
    password_leaks = run_passwords(seed)
    print(f"  {'passwords':14} {len(password_leaks):3} of {PASSWORDS} (Faker's, in the password templates)")
    out = measure.save_lines("secret-leaks.txt", leaks + password_leaks)
    print(f"leaks written to {out}")


if __name__ == "__main__":
    main()
