"""What warroom is: the package's version and the commit it was built from.

The version is the installed package's (pyproject.toml's, released by a ``v<version>`` tag).
The commit is read, in this order, from the git checkout the package runs from (an editable
install: the files under ``.git``, no ``git`` process), then from the file the image's build
writes (``<environment>/warroom-commit``, the Dockerfile's ``REVISION``), else ``unknown``.
Both are read once per process: they do not change while it runs.
"""

from __future__ import annotations

import re
import sys
from functools import cache
from importlib import metadata
from pathlib import Path

PACKAGE = "warroom"
UNKNOWN = "unknown"
# Written by the Dockerfile's last stage into the virtual environment it copies.
BUILD_COMMIT_FILE = "warroom-commit"
_COMMIT = re.compile(r"[0-9a-f]{40}")


@cache
def package_version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return f"0+{UNKNOWN}"


@cache
def source_commit() -> str:
    """The full commit id, or ``unknown``."""
    checkout = Path(__file__).resolve().parents[2]
    return _git_head(checkout) or _built_commit(Path(sys.prefix)) or UNKNOWN


def version_line() -> str:
    """``warroom 0.2.0 (commit 4431ff5)``: what ``--version`` prints."""
    commit = source_commit()
    return f"{PACKAGE} {package_version()} (commit {commit[:7] if commit != UNKNOWN else commit})"


def _git_dir(checkout: Path) -> Path | None:
    dot_git = checkout / ".git"
    if dot_git.is_dir():
        return dot_git
    if dot_git.is_file():  # a worktree: "gitdir: <path>"
        text = dot_git.read_text(encoding="utf-8").strip()
        if text.startswith("gitdir:"):
            return (checkout / text.removeprefix("gitdir:").strip()).resolve()
    return None


def _git_head(checkout: Path) -> str | None:
    git_dir = _git_dir(checkout)
    if git_dir is None:
        return None
    try:
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
        if _COMMIT.fullmatch(head):  # a detached HEAD
            return head
        ref = head.removeprefix("ref:").strip()
        return _ref(git_dir, ref) or _ref(_common_dir(git_dir), ref)
    except OSError:
        return None


def _common_dir(git_dir: Path) -> Path:
    """A worktree's refs live in the main repository's git directory."""
    common = git_dir / "commondir"
    if common.is_file():
        return (git_dir / common.read_text(encoding="utf-8").strip()).resolve()
    return git_dir


def _ref(git_dir: Path, ref: str) -> str | None:
    loose = git_dir / ref
    if loose.is_file():
        value = loose.read_text(encoding="utf-8").strip()
        return value if _COMMIT.fullmatch(value) else None
    packed = git_dir / "packed-refs"
    if packed.is_file():
        for line in packed.read_text(encoding="utf-8").splitlines():
            commit, _, name = line.partition(" ")
            if name == ref and _COMMIT.fullmatch(commit):
                return commit
    return None


def _built_commit(prefix: Path) -> str | None:
    try:
        value = (prefix / BUILD_COMMIT_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return value if _COMMIT.fullmatch(value) else None
