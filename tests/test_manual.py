"""The manual is a MkDocs site made from docs/, and the README its short front door: the site
builds with ``--strict`` (no broken link or anchor, no page outside the navigation), and every
link of the README resolves."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
# "At most about 300 lines": what a newcomer reads before the manual.
FRONT_DOOR_LINES = 300


def test_the_manual_builds_strict(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(tmp_path)],
        cwd=REPO,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    assert (tmp_path / "paging" / "index.html").exists()


def navigation_files(entries: object) -> set[str]:
    """Every page file the navigation names, however deep."""
    if isinstance(entries, str):
        return {entries}
    if isinstance(entries, list):
        return set().union(*(navigation_files(each) for each in entries))
    if isinstance(entries, dict):
        return set().union(*(navigation_files(each) for each in entries.values()))
    return set()


def test_every_page_of_docs_is_in_the_navigation() -> None:
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text().split("\nnav:", 1)[0])
    assert config["strict"] is True
    nav = yaml.safe_load("nav:" + (REPO / "mkdocs.yml").read_text().split("\nnav:", 1)[1])
    pages = {str(p.relative_to(REPO / "docs")) for p in (REPO / "docs").rglob("*.md")}
    assert pages == navigation_files(nav["nav"])


def test_the_readme_is_a_short_front_door() -> None:
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) <= FRONT_DOOR_LINES
    for needed in ("## Set-up: two commands", "## The manual", "## Where things live"):
        assert needed in readme


def test_every_link_of_the_readme_resolves() -> None:
    readme = (REPO / "README.md").read_text()
    targets = re.findall(r"\]\(([^)\s]+)\)", readme) + re.findall(r'src="([^"]+)"', readme)
    local = [t for t in targets if "://" not in t and not t.startswith("#")]
    assert local, "the README links to the manual's pages"
    for target in local:
        assert (REPO / target.split("#")[0]).exists(), target


# A path as the manual writes it: `bot/…`, `templates/…`; placeholders (<code>, {source}) aside.
PATH = re.compile(r"`((?:bot|commands|templates|tests|bench|deploy|scripts|emulator)/[^`\s]*)`")


def test_every_path_the_manual_names_exists() -> None:
    """Moving a module moves its name in the manual too."""
    pages = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
    missing = [
        f"{page.relative_to(REPO)}: {path}"
        for page in pages
        for path in PATH.findall(page.read_text())
        if not re.search(r"[<>{}*]", path) and not (REPO / path.rstrip(".,:;")).exists()
    ]
    assert missing == []
