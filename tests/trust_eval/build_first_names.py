"""``make first-names``: distil the first-name lexicon the name screen reads.

The census list the ``names`` package ships knows American first names only, so a note that
mentions "Tapio", "Wout" or "Jakob" kept them. ``names-dataset`` (Apache-2.0, first names seen on
a social network in 105 countries, with each name's rank per country) is 55 MB and needs about
1 GB to load, too much for the app; this script keeps the names ranked in the top
``MAX_RANK`` of any country and writes them to ``hivemind_api/trust/models/first_names.txt``,
which is committed (rerun it only to change the rules below).

Left out, because a bare capitalised word in a technical note is a name only when nothing else
explains it: names that are also common English words (``wordfreq`` Zipf >= ``MAX_ZIPF``: "Can",
"Bay"), names shorter than three letters, abbreviations without a vowel, and names with spaces.
Nothing here looks at the evaluation set; its names come from Faker, an unrelated source.
"""

from __future__ import annotations

import gzip
import importlib.util
import pickle
import re
from pathlib import Path

from wordfreq import zipf_frequency

# Chosen on the dev split: 1000 first names and 300 surnames per country missed "Tygo", "Kuzia",
# "Simi" and "Alphons"; 2500 and 2000 took dev names from 94.3 to 95.0 % with over-redaction
# unchanged (0.4 %), for 6 MB more memory and about a second more to load. Below the old ranks
# (``COMMON_RANK``, ``COMMON_SURNAME_RANK``) a name must also not be a common word of a large
# European language (Zipf >= ``OTHER_ZIPF`` in any of ``OTHER_LANGUAGES``: "Corso" is Italian
# for a street), since such a word turns up in technical text as a word.
MAX_RANK = 2500
COMMON_RANK, COMMON_SURNAME_RANK = 1000, 300
OTHER_LANGUAGES = ("de", "fr", "es", "it", "pt", "nl")
OTHER_ZIPF = 3.5
MAX_ZIPF = 3.5
OUT = Path(__file__).resolve().parents[2] / "hivemind_api" / "trust" / "models" / "first_names.txt"
_WORD = re.compile(r"[^\W\d_]{3,}(?:-[^\W\d_]{2,})?")
_VOWEL = re.compile(r"[aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿąęėįųůőűœ]", re.IGNORECASE)


def _common_elsewhere(name: str) -> bool:
    return any(zipf_frequency(name.lower(), lang) >= OTHER_ZIPF for lang in OTHER_LANGUAGES)


def keep(name: str, ranks: dict[str, int]) -> bool:
    return (
        bool(ranks)
        and min(ranks.values()) <= MAX_RANK
        and (min(ranks.values()) <= COMMON_RANK or not _common_elsewhere(name))
        and bool(_WORD.fullmatch(name))
        and bool(_VOWEL.search(name))
        and name[0].isupper()
        and zipf_frequency(name.lower(), "en") < MAX_ZIPF
    )


MAX_SURNAME_RANK = 2000
MAX_SURNAME_ZIPF = 3.0
SURNAMES_OUT = OUT.with_name("surnames.txt")


def keep_surname(name: str, ranks: dict[str, int]) -> bool:
    return (
        bool(ranks)
        and min(ranks.values()) <= MAX_SURNAME_RANK
        and (min(ranks.values()) <= COMMON_SURNAME_RANK or not _common_elsewhere(name))
        and len(name) >= 4
        and bool(_WORD.fullmatch(name))
        and bool(_VOWEL.search(name))
        and name[0].isupper()
        and zipf_frequency(name.lower(), "en") < MAX_SURNAME_ZIPF
    )


def main() -> None:
    # Found, not imported: the package's module wants pycountry, which nothing else needs.
    spec = importlib.util.find_spec("names_dataset")
    assert spec and spec.submodule_search_locations, "pip install --no-deps names-dataset==3.3.1"
    source = Path(next(iter(spec.submodule_search_locations))) / "v3" / "first_names.pkl.gz"
    with gzip.open(source) as f:
        table = pickle.load(f)
    kept = sorted({name.lower() for name, info in table.items() if keep(name, info["rank"])})
    header = (
        f"# names-dataset 3.3.1 first names, rank <= {MAX_RANK} in a country, English Zipf < {MAX_ZIPF}\n"
    )
    OUT.write_text(header + "\n".join(kept) + "\n")
    print(f"{len(kept)} first names -> {OUT}")
    with gzip.open(source.with_name("last_names.pkl.gz")) as f:
        table = pickle.load(f)
    kept = sorted({name.lower() for name, info in table.items() if keep_surname(name, info["rank"])})
    header = f"# names-dataset 3.3.1 last names, rank <= {MAX_SURNAME_RANK} in a country, English Zipf < {MAX_SURNAME_ZIPF}\n"
    SURNAMES_OUT.write_text(header + "\n".join(kept) + "\n")
    print(f"{len(kept)} surnames -> {SURNAMES_OUT}")


if __name__ == "__main__":
    main()
