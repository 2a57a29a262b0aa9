"""Cited lines of the seed texts: from ../shared/seeds when present, else from policies/data/texts."""

import re
from functools import cache
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "policies" / "data"
SEEDS = REPO.parent / "shared" / "seeds"
PREFIX = {
    "000": "000_9414012352f280a1.txt",
    "001": "001_2b902a7bc69c622f.txt",
    "002": "002_825c26a752f1153b.txt",
    "003": "003_32cd36ea271cae91.txt",
    "004": "004_4a9d8095225401d2.txt",
}


@cache
def _documents() -> list[dict]:
    return yaml.safe_load((DATA / "documents.yaml").read_text(encoding="utf-8"))


def line(seed: str, number: int) -> str:
    """Line `number` (1-based) of seed file `seed` ("003" or the full name)."""
    name = PREFIX.get(seed, seed)
    if (SEEDS / name).exists():
        return (SEEDS / name).read_text(encoding="utf-8").split("\n")[number - 1]
    for doc in _documents():
        first, last = (int(x) for x in str(doc["source_lines"]).split("-"))
        if doc["source_seed"] == name and first <= number <= last:
            text = (DATA / "texts" / f"{doc['code']}.txt").read_text(encoding="utf-8").split("\n")
            return text[number - first]
    raise LookupError(f"{name} L{number} is in no document's text")


def cited(cite: str) -> str:
    """The text of a citation such as "000 L102-113" or "003 L299, L303", whitespace removed.

    The seeds break sentences across lines (and PDF extraction left spaces inside numbers), so the
    lines are joined and every blank dropped: "最高补\\n\\n助5000 万元" reads "最高补助5000万元".
    """
    seed = cite.split()[0]
    parts = []
    for first, last in re.findall(r"L(\d+)(?:-(\d+))?", cite):
        for number in range(int(first), int(last or first) + 1):
            parts.append(line(seed, number))
    return re.sub(r"\s+", "", "".join(parts))
