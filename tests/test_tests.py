"""The suite keeps its own shape: the running bot a test gets is built in one place
(``warroom``, started by ``warroom_with``, both in tests/conftest.py), a module saying
only the settings it needs (``warroom_settings``)."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
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
