"""The manual's recipes kept true (docs/adding-a-feature.md): "Adding a source" and "Adding a
metric" each list the files a new one is written in, as a short list of paths; their worked
examples (Datadog's source, time to mitigate) are named in exactly those product files and no
other, so a list of kinds or of metrics kept anywhere else fails here."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "adding-a-feature.md"
# The product: what warroom runs and says (its applied migrations are history).
PRODUCT = ("bot", "commands", "templates")
HISTORY = REPO / "bot" / "store" / "migrations" / "versions"
# A list's line: "- `path`: what it holds".
_LISTED = re.compile(r"^- `(?P<path>[^`]+)`", re.M)


def section(title: str) -> str:
    """The page's section whose heading starts with ``title``, to the next heading."""
    text = PAGE.read_text()
    start = text.index(f"\n## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def listed(title: str, kind: str = "") -> set[Path]:
    """The files a recipe lists, ``<kind>`` filled in and ``<language>`` each language's."""
    paths: set[Path] = set()
    for match in _LISTED.finditer(section(title)):
        written = match["path"].replace("<kind>", kind)
        if "<language>" in written:
            head, _, tail = written.partition("<language>")
            paths |= {path.relative_to(REPO) for path in (REPO / head).glob(f"*{tail}")}
        else:
            paths.add(Path(written))
    return paths


def named(word: str) -> set[Path]:
    """The product's files that name ``word`` (as a whole word, in any case)."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])", re.I)
    found = set()
    for top in PRODUCT:
        for path in (REPO / top).rglob("*"):
            if path.is_dir() or HISTORY in path.parents or path.suffix == ".pyc":
                continue
            if pattern.search(path.read_text(errors="replace")):
                found.add(path.relative_to(REPO))
    return found


def test_each_recipe_lists_files_that_exist() -> None:
    for title, kind in (("Adding a source", "datadog"), ("Adding a metric", "")):
        paths = listed(title, kind)
        assert len(paths) >= 3, f"{title}: no list of files found"
        missing = sorted(str(path) for path in paths if not (REPO / path).exists())
        assert missing == [], f"{title} lists files that do not exist: {missing}"


def test_a_source_is_named_only_in_the_files_adding_a_source_lists() -> None:
    """Datadog's kind, in its folder, its registry line and its words alone: no list of kinds
    (the command line's choices, the integrations' paths, the importers' tables) names it."""
    assert named("datadog") == listed("Adding a source", "datadog")


def test_a_metric_is_named_only_in_the_files_adding_a_metric_lists() -> None:
    """Time to mitigate's key, in its row and its words alone: no surface keeps a list of the
    metrics it shows, or their names, of its own."""
    assert named("time_to_mitigate") == listed("Adding a metric")
