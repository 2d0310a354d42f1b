"""Operator files in YAML (policies, routes, schedules, types, workflows): read once, errors
named."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import yaml


def read_yaml(path: Path, error: type[ValueError]) -> Any:
    """The parsed document at ``path``; ``error`` says why it could not be read."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as problem:
        raise error(f"cannot read {path}: {problem.strerror}") from None
    except yaml.YAMLError as problem:
        raise error(f"{path} is not valid YAML: {problem}") from None


def unknown_keys(
    where: str, body: Mapping[Any, Any], known: Collection[str], *, hint: str | None = None
) -> str | None:
    """The problem of the keys of ``body`` that are not ``known`` (a typo, a key of another
    version), named with what it takes instead; None when every key is known."""
    unknown = sorted(str(key) for key in body if key not in known)
    if not unknown:
        return None
    takes = hint or f"known: {', '.join(known)}"
    return f"{where}: unknown key(s) {', '.join(unknown)} ({takes})"
