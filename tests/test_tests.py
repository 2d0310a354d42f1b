"""The suite keeps its own shape: the running bot a test gets is built in one place
(``warroom``, started by ``warroom_with``, both in tests/conftest.py), a module saying
only the settings it needs (``warroom_settings``)."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
BOT = TESTS.parent / "bot"
# The layers whose folders are split by domain (bot/flows/escalation/, bot/record/escalation/...).
BY_DOMAIN = ("flows", "record", "web")
# The layers' test folders, which keep what crosses domains (tests/flows/test_lanes.py).
LAYER_TESTS = ("flows", "record", "commands", "slack")
HOME = TESTS / "conftest.py"
# A function named warroom, or a fixture given that name by its decorator.
DEFINED = re.compile(r"^\s*(?:async\s+)?def\s+warroom\s*\(|name\s*=\s*[\"']warroom[\"']", re.M)


def test_warroom_is_defined_in_tests_conftest_alone() -> None:
    elsewhere = sorted(
        path.relative_to(TESTS.parent).as_posix()
        for path in TESTS.rglob("*.py")
        if path != HOME and DEFINED.search(path.read_text())
    )
    assert elsewhere == [], (
        "`warroom` is defined once, in tests/conftest.py: a module says its bot's settings in a "
        "`warroom_settings` fixture, or a test starts its own with `await warroom_with(...)` "
        f"(tests/conftest.py). Defined again in: {elsewhere}"
    )
    assert len(DEFINED.findall(HOME.read_text())) == 1


def domains() -> set[str]:
    """The domains of bot/: the packages inside the layers split by domain."""
    return {
        path.parent.name
        for layer in BY_DOMAIN
        for path in (BOT / layer).glob("*/__init__.py")
        if path.parent.name not in ("api",)
    }


def test_each_domain_of_bot_has_its_tests_folder() -> None:
    missing = sorted(name for name in domains() if not (TESTS / name / "__init__.py").exists())
    assert missing == [], f"add tests/<domain>/ (an __init__.py saying what it tests): {missing}"


def test_no_domains_tests_stay_in_a_layers_folder() -> None:
    """A module named for a domain (test_escalation.py, test_follow_ups.py, test_incident_*)
    goes to that domain's folder."""
    prefixes = domains() | {name.rstrip("s") for name in domains()}
    astray = sorted(
        path.relative_to(TESTS.parent).as_posix()
        for layer in LAYER_TESTS
        for path in (TESTS / layer).glob("test_*.py")
        if any(path.stem == f"test_{p}" or path.stem.startswith(f"test_{p}_") for p in prefixes)
    )
    assert astray == [], f"move into tests/<domain>/: {astray}"
