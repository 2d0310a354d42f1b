"""``warroom import pagerduty`` run as a team runs it, in a process of its own, against the fake
PagerDuty REST API (``emulator/pagerduty_rest.py``, from PagerDuty's OpenAPI description and
its example objects) on 127.0.0.1: the files it writes pass ``warroom oncall check``,
``--compare`` finds no disagreement over eight weeks that cross the clock changes of New York,
Europe and Sydney, the report says what was carried how, and each failure is one line."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import Settings
from emulator.pagerduty_account import Account, documented_account
from emulator.pagerduty_rest import FakePagerDutyRest
from tests.oncall.importing.running import Ran, warroom_cli


def spring_year() -> int:
    """The next year whose 22 February is ahead: its eight weeks from then cross the clock
    changes of 14 March (New York), 28 March (Europe) and 4 April (Sydney)."""
    today = datetime.now(UTC).date()
    return today.year if today < date(today.year, 2, 22) else today.year + 1


YEAR = spring_year()
COMPARE_FROM = f"{YEAR}-02-22 00:00 UTC"


def users_map(account: Account, path: Path) -> Path:
    path.write_text(
        "".join(f"{user['email']},U0PD{n:04d}\n" for n, user in enumerate(account.users))
    )
    return path


async def run_import(
    fake: FakePagerDutyRest,
    tmp_path: Path,
    *args: str,
    token: str | None = None,
    database_url: str | None = None,
) -> Ran:
    """``warroom import pagerduty --out tmp/out`` against the fake."""
    command = (
        "import",
        "pagerduty",
        "--out",
        str(tmp_path / "out"),
        "--api-url",
        fake.root,
        "--token",
        token or fake.token,
        "--users-map",
        str(users_map(fake.account, tmp_path / "users.csv")),
        *args,
    )
    env = {"DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'warroom.db'}"}
    return await warroom_cli(*command, env=env)


def report_section(tmp_path: Path, title: str) -> str:
    text = (tmp_path / "out" / "import-report.md").read_text()
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def written(tmp_path: Path, name: str) -> Any:
    return yaml.safe_load((tmp_path / "out" / name).read_text())


async def test_the_documented_account_compares_clean_over_both_clock_changes(
    tmp_path: Path, database_url: str
) -> None:
    account = documented_account(YEAR)
    async with FakePagerDutyRest(account) as fake:
        done = await run_import(
            fake,
            tmp_path,
            "--compare",
            "56",
            "--compare-from",
            COMPARE_FROM,
            database_url=database_url,
        )
    assert done.code == 3, done.err  # a round-robin level, a team
    assert done.out.splitlines()[-1] == "no disagreement"
    checked = await warroom_cli("oncall", "check", str(tmp_path / "out" / "schedules.yaml"))
    assert checked.code == 0, checked.out + checked.err
    schedules = written(tmp_path, "schedules.yaml")["schedules"]
    nights = schedules["daily-engineering-rotation"]["layers"][1]
    assert nights["restrictions"] == [
        {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "19:00", "to": "07:00"}
    ]
    assert schedules["platform-36h"]["layers"][0]["rotation"] == "36h"
    policies = written(tmp_path, "policies.yaml")["policies"]
    assert policies["engineering-escalation-policy"]["repeat"] == 2

    # The files load together (every policy's schedule is there), and the override is
    # warroom's now: Rosa Diaz (the users map's U0PD0006) on call across the clock change.
    environment = {
        "WARROOM_ONCALL_SCHEDULES": str(tmp_path / "out" / "schedules.yaml"),
        "WARROOM_ESCALATION_POLICIES": str(tmp_path / "out" / "policies.yaml"),
    }
    settings = Settings.from_env(environment)
    policy = settings.escalation.policies.get("engineering-escalation-policy")
    assert policy is not None and [lv.timeout for lv in policy.levels][-1] is not None
    override = account.overrides["PI7DH85"][0]
    during = datetime.fromisoformat(override["start"]) + timedelta(days=1)
    who = await warroom_cli(
        "oncall",
        "who",
        "daily-engineering-rotation",
        "--at",
        f"{during.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
        "--json",
        env={"DATABASE_URL": database_url, **environment},
    )
    assert who.code == 0, who.err
    assert [row["user"] for row in json.loads(who.out)] == ["U0PD0006"]


async def test_the_report_says_what_was_carried_how(tmp_path: Path) -> None:
    async with FakePagerDutyRest(documented_account(YEAR)) as fake:
        done = await run_import(fake, tmp_path, "--dry-run")
    assert done.code == 3, done.err
    not_carried = report_section(tmp_path, "Not carried")
    assert "| team | Engineering | PQ9K7I8 |" in not_carried
    approximate = report_section(tmp_path, "Carried approximately")
    assert "Engineering Escalation Policy" in approximate and "round robin" in approximate
    exact = report_section(tmp_path, "Carried exactly")
    for name in ("Weeknights", "Weekends", "Sydney", "London", "New York", "Platform 36h"):
        assert name in exact
    assert "Rosa Diaz" in exact  # the override


async def test_a_second_run_writes_the_same_files(tmp_path: Path) -> None:
    async with FakePagerDutyRest(documented_account(YEAR)) as fake:
        first = await run_import(fake, tmp_path)
        files = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
        second = await run_import(fake, tmp_path, "--force")
    assert (first.code, second.code) == (3, 3), second.err
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == files


def exact_account() -> Account:
    """The follow-the-sun schedule and its policy alone: all of it carried exactly."""
    account = documented_account(YEAR)
    account.teams = []
    account.schedules = [s for s in account.schedules if s["id"] == "PFTS001"]
    account.overrides = {}
    account.escalation_policies = [p for p in account.escalation_policies if p["id"] == "PSUNEP1"]
    # Its service pages that policy and has no integration; nobody's push rule to leave out.
    account.services = [s for s in account.services if s["id"] == "PSVC002"]
    account.notification_rules, account.contact_methods = {}, {}
    return account


async def test_an_account_carried_exactly_exits_0(tmp_path: Path) -> None:
    async with FakePagerDutyRest(exact_account()) as fake:
        done = await run_import(fake, tmp_path, "--compare", "56", "--compare-from", COMPARE_FROM)
    assert done.code == 0, done.out + done.err
    assert done.out.splitlines()[-1] == "no disagreement"


async def test_twelve_hour_turns_are_approximate_and_compare_shows_the_hour(
    tmp_path: Path,
) -> None:
    """PagerDuty counts 12 elapsed hours from 08:00 EST; warroom hands over at 08:00 and 20:00
    on New York's clock: from 14 March the two disagree from 08:00 to 09:00 and 20:00 to 21:00
    EDT (12:00 and 00:00 UTC), and nowhere else."""
    account = exact_account()
    halves = account.schedules[0]
    halves.update(id="PHALVES", name="Halves", time_zone="America/New_York")
    halves["schedule_layers"] = [
        {
            "id": "PHALF01",
            "name": "Halves",
            "start": f"{YEAR - 1}-12-07T08:00:00-05:00",
            "end": None,
            "rotation_virtual_start": f"{YEAR - 1}-12-07T08:00:00-05:00",
            "rotation_turn_length_seconds": 43_200,
            "users": [
                {"user": {"id": uid, "type": "user_reference"}}
                for uid in ("PNYC001", "PEYSGVF", "PT23IWX")
            ],
            "restrictions": [],
        }
    ]
    account.escalation_policies = []
    async with FakePagerDutyRest(account) as fake:
        done = await run_import(fake, tmp_path, "--compare", "56", "--compare-from", COMPARE_FROM)
    assert done.code == 3, done.err
    assert "an hour apart" in report_section(tmp_path, "Carried approximately")
    lines = [line for line in done.out.splitlines() if " halves vendor=" in line]
    assert lines, done.out
    instants = [datetime.fromisoformat(line.split()[0]) for line in lines]
    assert min(instants) >= datetime(YEAR, 3, 14, 7, tzinfo=UTC)
    assert {at.hour for at in instants} == {0, 12}


@pytest.mark.parametrize("mishap", ["token", "5xx", "garbage"])
async def test_each_failure_is_one_line_and_exit_1(tmp_path: Path, mishap: str) -> None:
    async with FakePagerDutyRest(documented_account(YEAR)) as fake:
        if mishap == "5xx":
            fake.fail(500)
        if mishap == "garbage":
            fake.answer_garbage()
        done = await run_import(fake, tmp_path, token="wrong-token" if mishap == "token" else None)
    assert done.code == 1
    [line] = done.err.splitlines()
    assert line.startswith("warroom: import: PagerDuty ")
    assert "wrong-token" not in line
    assert not (tmp_path / "out").exists()


async def test_a_rate_limit_is_waited_out(tmp_path: Path) -> None:
    async with FakePagerDutyRest(exact_account()) as fake:
        fake.rate_limit(times=2, reset_seconds=1)
        done = await run_import(fake, tmp_path)
    assert done.code == 0, done.err
    assert fake.requests[:3] == ["/users?limit=100&offset=0"] * 3
