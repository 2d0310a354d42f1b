"""commands/incident/start.py: what /incident start reads from its words."""

from __future__ import annotations

import pytest

from bot.basics.errors import UsageError
from commands.incident.start import parse_start


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("Checkout down", ("SEV3", "Checkout down", False)),
        ("sev1 Checkout   down", ("SEV1", "Checkout down", False)),
        ("SEV4 minor", ("SEV4", "minor", False)),
        ("sev9 is a title", ("SEV3", "sev9 is a title", False)),
        ("--private sev1 Payroll export leaked", ("SEV1", "Payroll export leaked", True)),
        ("sev2 --PRIVATE Payroll", ("SEV2", "Payroll", True)),
        ("Private API is down", ("SEV3", "Private API is down", False)),
    ],
)
def test_start_arguments(args: str, expected: tuple[str, str, bool]) -> None:
    asked = parse_start(args, "SEV3")
    assert (asked.severity, asked.title, asked.private) == expected


@pytest.mark.parametrize("args", ["", "   ", "sev2", "--private", "x" * 201])
def test_start_without_a_usable_title_is_a_usage_error(args: str) -> None:
    with pytest.raises(UsageError):
        parse_start(args, "SEV3")


def test_start_may_name_a_service_among_its_options() -> None:
    asked = parse_start("--service Checkout sev2 --private Checkout is slow", "SEV3")
    assert (asked.service, asked.severity, asked.private) == ("checkout", "SEV2", True)
    assert asked.title == "Checkout is slow"
    assert parse_start("--service=search Search down", "SEV3").service == "search"
    with pytest.raises(UsageError, match="Name the service after --service"):
        parse_start("--service", "SEV3")
