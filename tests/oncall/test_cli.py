"""``warroom oncall who`` and ``warroom oncall check``, run as people run them: the real
entry point in a process of its own, reading the environment and the database."""

from __future__ import annotations

import asyncio
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.record.oncall.engine import on_call_at
from bot.record.oncall.overrides import add_override
from bot.store.db import create_engine, session_scope
from bot.store.migrate import upgrade_database
from tests.conftest import reset_postgres
from tests.helpers.processes import run_warroom
from tests.oncall.test_schedule_file import ISSUE_FILE

REPO = Path(__file__).resolve().parents[2]
TOKYO = """
  tokyo-dba:
    timezone: Asia/Tokyo
    layers:
      - {name: days, start: 2026-03-02 09:00, rotation: daily, members: [U0KENJI],
         restrictions: [{days: [mon, tue, wed, thu, fri], from: "09:00", to: "18:00"}]}
"""


def warroom_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m bot ARGS`` with none of the caller's warroom settings."""
    return run_warroom(*args, env=env, clean=True)


@pytest.fixture
def schedule_file(tmp_path: Path) -> Path:
    path = tmp_path / "schedules.yaml"
    path.write_text(ISSUE_FILE + TOKYO)
    return path


@pytest.fixture
async def database(tmp_path: Path, schedule_file: Path) -> str:
    """A migrated SQLite database holding one override: Erin, Friday 20:00 to Saturday 08:00
    (Paris), made by Bob."""
    url = f"sqlite:///{tmp_path / 'warroom.db'}"
    engine = create_engine(url)
    settings = Settings.from_env({"WARROOM_ONCALL_SCHEDULES": str(schedule_file)})
    schedule = settings.oncall.schedules.get("payments-primary")
    assert schedule is not None
    try:
        await upgrade_database(engine)
        async with session_scope(engine) as session:
            await add_override(
                session,
                schedule=schedule,
                user="U0ERIN",
                start=datetime(2026, 3, 13, 19, tzinfo=UTC),
                end=datetime(2026, 3, 14, 7, tzinfo=UTC),
                created_by="U0BOB",
                created_at=datetime(2026, 3, 10, tzinfo=UTC),
            )
            await session.commit()
    finally:
        await engine.dispose()
    return url


def test_check_says_a_good_file_is_fine(schedule_file: Path) -> None:
    done = warroom_cli("oncall", "check", str(schedule_file))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"{schedule_file}: fine: 2 schedules, 3 layers, 6 people",
        "schedule 'payments-primary': layer 'weekly': weekly turns, handed over at 09:00 on the "
        "wall clock (Europe/Paris)",
        "schedule 'payments-primary': layer 'weekday-days': daily turns, handed over at 09:00 on "
        "the wall clock (Europe/Paris)",
        "schedule 'tokyo-dba': layer 'days': daily turns, handed over at 09:00 on the wall clock "
        "(Asia/Tokyo)",
    ]


def test_check_says_which_hour_rotations_hand_over_on_the_wall_clock(tmp_path: Path) -> None:
    path = tmp_path / "hours.yaml"
    path.write_text(
        "schedules:\n  night-ops:\n    timezone: America/New_York\n    layers:\n"
        "      - {name: halves, start: 2026-03-02 08:00, rotation: 12h, members: [U0A, U0B]}\n"
        "      - {name: twos, start: 2026-03-02 08:30, rotation: 2h, members: [U0A, U0B]}\n"
        "      - {name: fives, start: 2026-03-02 08:00, rotation: 5h, members: [U0A, U0B]}\n"
        "      - {name: gaps, start: 2026-03-02 08:00, rotation: daily, members: [U0A, none]}\n"
        "      - {name: months, start: 2026-01-31 09:00, rotation: monthly, members: [U0A, U0B],"
        " timezone: Europe/Paris}\n"
    )
    done = warroom_cli("oncall", "check", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1:] == [
        "schedule 'night-ops': layer 'halves': 12h turns, handed over on the wall clock at "
        "08:00, 20:00 (America/New_York), the same all year",
        "schedule 'night-ops': layer 'twos': 2h turns, handed over on the wall clock at 08:30, "
        "10:30, 12:30, … (every 2h) (America/New_York), the same all year",
        "schedule 'night-ops': layer 'fives': 5h turns of elapsed hours from 2026-03-02 08:00 "
        "(America/New_York): their wall-clock times move by the clock changes",
        "schedule 'night-ops': layer 'gaps': daily turns, handed over at 08:00 on the wall clock "
        "(America/New_York); none holds 1 of its 2 turns: nobody is on call from this layer "
        "then, a gap where no other layer is active",
        "schedule 'night-ops': layer 'months': monthly turns, handed over on day 31 of each month "
        "(the last day of a shorter month) at 09:00 on the wall clock (Europe/Paris)",
    ]


SHADOWED = """
schedules:
  payments-primary:
    timezone: Europe/Paris
    layers:
      - {name: primary, start: 2026-03-02 09:00, rotation: weekly, members: [U0ALICE, U0BOB]}
      - {name: shadow, start: 2026-03-02 09:00, rotation: weekly, members: [U0ERIN]}
"""


def test_check_warns_of_layers_active_at_once_where_only_the_later_is_on_call(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shadowed.yaml"
    path.write_text(SHADOWED)
    done = warroom_cli("oncall", "check", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == f"{path}: fine: 1 schedule, 2 layers, 3 people"
    (warning,) = done.stderr.splitlines()
    assert warning.startswith(
        "warning: schedule 'payments-primary': layers 'primary' and 'shadow' are both active at "
        "times (e.g. "
    )
    assert warning.endswith(
        "only the person of 'shadow' is on call then, as a later layer wins; if both should "
        "be, write overlap: all on the schedule"
    )
    path.write_text(SHADOWED.replace("    layers:", "    overlap: all\n    layers:"))
    done = warroom_cli("oncall", "check", str(path))
    assert (done.returncode, done.stderr) == (0, "")


def test_who_lists_a_row_per_person_with_overlap_all(tmp_path: Path) -> None:
    path = tmp_path / "shadowed.yaml"
    path.write_text(SHADOWED.replace("    layers:", "    overlap: all\n    layers:"))
    env = {
        "WARROOM_ONCALL_SCHEDULES": str(path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
    }
    done = warroom_cli("oncall", "who", "--at", "2026-03-10 12:00", "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {
            "schedule": "payments-primary",
            "user": "U0BOB",
            "start": "2026-03-09T08:00:00Z",
            "end": "2026-03-16T08:00:00Z",
        },
        {  # on call all along: since the layer began, until as far as the engine looks
            "schedule": "payments-primary",
            "user": "U0ERIN",
            "start": "2026-03-02T08:00:00Z",
            "end": json.loads(done.stdout)[1]["end"],
        },
    ]
    lines = warroom_cli("oncall", "who", "--at", "2026-03-10 12:00", env=env).stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["payments-primary", "U0BOB"],
        ["payments-primary", "U0ERIN"],
    ]


def test_the_oncall_commands_start_without_the_web_server_and_the_slack_app(
    schedule_file: Path,
) -> None:
    """A command people type at a shell imports what it runs: the web server, the Slack app
    and its flows were most of each command's start (`warroom oncall check` 2.2 s with them,
    1.25 s without). Python's own import log says what was loaded."""
    done = warroom_cli("oncall", "check", str(schedule_file), env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert done.returncode == 0, done.stderr
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    # bot.admin.oncall.oncall itself is loaded by importlib (bot/cli.py's table of features), which
    # Python's import log does not time; what it imports is.
    assert {"bot.cli", "bot.record.oncall.schedules"} <= imported
    assert not imported & {"bot.app", "bot.server", "bot.web", "commands", "slack_bolt"}


def test_check_names_each_problem_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        ISSUE_FILE.replace("Europe/Paris", "Paris").replace("rotation: daily", "rotation: 0d")
    )
    done = warroom_cli("oncall", "check", str(bad))
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [
        f"{bad}: 2 problems:",
        "  schedule 'payments-primary': timezone: unknown time zone 'Paris' (an IANA name)",
        "  schedule 'payments-primary': layer 'weekday-days': rotation: must be longer than zero,"
        " got '0d'",
    ]


def test_who_prints_each_schedules_person_with_the_shift_in_json(
    schedule_file: Path, database: str
) -> None:
    env = {"WARROOM_ONCALL_SCHEDULES": str(schedule_file), "DATABASE_URL": database}
    done = warroom_cli("oncall", "who", "--at", "2026-03-13 21:00", "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {  # the override, read in Paris: 21:00 CET is 20:00 UTC
            "schedule": "payments-primary",
            "user": "U0ERIN",
            "start": "2026-03-13T19:00:00Z",
            "end": "2026-03-14T07:00:00Z",
        },
        {  # 21:00 in Tokyo: after the day's window, nobody until Monday 09:00
            "schedule": "tokyo-dba",
            "user": None,
            "start": "2026-03-13T09:00:00Z",
            "end": "2026-03-16T00:00:00Z",
        },
    ]


def test_who_prints_a_line_per_schedule_in_its_zone(schedule_file: Path, database: str) -> None:
    env = {"WARROOM_ONCALL_SCHEDULES": str(schedule_file), "DATABASE_URL": database}
    done = warroom_cli("oncall", "who", "payments-primary", "--at", "2026-03-09 10:00", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "payments-primary  U0ERIN        2026-03-09 09:00 CET to 2026-03-09 18:00 CET "
        "(Europe/Paris)\n"
    )


@pytest.mark.parametrize(
    ("when", "says"),
    [
        ("2026-10-25 02:30", "'2026-10-25 02:30' happens twice in Europe/Paris"),
        ("2026-03-29 02:30", "'2026-03-29 02:30' never happens in Europe/Paris"),
        ("03/04/2026 10:00", "could be 2026-03-04 or 2026-04-03"),
        ("10:00 IST", "'IST' is used by more than one time zone"),
    ],
)
def test_who_refuses_a_time_that_reads_two_ways_as_incident_time_does(
    schedule_file: Path, database: str, when: str, says: str
) -> None:
    env = {"WARROOM_ONCALL_SCHEDULES": str(schedule_file), "DATABASE_URL": database}
    done = warroom_cli("oncall", "who", "payments-primary", "--at", when, env=env)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("warroom: --at: ") and says in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_who_says_what_is_missing(schedule_file: Path, tmp_path: Path) -> None:
    unknown = warroom_cli(
        "oncall", "who", "nope", env={"WARROOM_ONCALL_SCHEDULES": str(schedule_file)}
    )
    assert unknown.returncode == 2
    assert "no schedule named 'nope' (there are: payments-primary, tokyo-dba)" in unknown.stderr
    none = warroom_cli("oncall", "who")
    assert none.returncode == 2 and "set WARROOM_ONCALL_SCHEDULES" in none.stderr


def test_who_on_a_fresh_sqlite_file_upgrades_it_as_serve_does(
    schedule_file: Path, tmp_path: Path
) -> None:
    """Right after setting WARROOM_ONCALL_SCHEDULES, on the embedded default: the file has no
    tables yet; the command creates them, as `warroom serve` would, and answers."""
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    env = {"WARROOM_ONCALL_SCHEDULES": str(schedule_file), "DATABASE_URL": fresh}
    done = warroom_cli("oncall", "who", "payments-primary", "--at", "2026-03-09 10:00", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("payments-primary  U0"), done.stdout
    assert "alembic" not in done.stderr  # no migration log in a person's terminal
    feeds = warroom_cli("oncall", "feeds", env=env)
    assert feeds.returncode == 0, feeds.stderr


def test_who_leaves_an_unupgraded_postgresql_alone(
    schedule_file: Path, postgres_url: str | None
) -> None:
    """PostgreSQL is shared by the running replicas: a command typed on a laptop does not
    change its schema; it says what to run."""
    if postgres_url is None:
        pytest.skip("PostgreSQL variant: set WARROOM_TEST_DATABASE_URL")
    asyncio.run(reset_postgres(postgres_url))
    env = {"WARROOM_ONCALL_SCHEDULES": str(schedule_file), "DATABASE_URL": postgres_url}
    not_upgraded = warroom_cli("oncall", "who", env=env)
    assert not_upgraded.returncode == 1 and "warroom db upgrade" in not_upgraded.stderr
    assert "Traceback" not in not_upgraded.stderr


def test_serve_names_every_problem_of_the_schedule_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(ISSUE_FILE.replace("U0BOB", "bob").replace('"18:00"', '"09:00"'))
    done = warroom_cli("serve", env={"WARROOM_ONCALL_SCHEDULES": str(bad)})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "members: 'bob' is not a Slack user id" in done.stderr
    assert "restriction 1: to: 09:00 is the same time as from (09:00)" in done.stderr


def test_who_answers_now_without_at(schedule_file: Path, database: str) -> None:
    env = {"WARROOM_ONCALL_SCHEDULES": str(schedule_file), "DATABASE_URL": database}
    done = warroom_cli("oncall", "who", "--json", env=env)
    assert done.returncode == 0, done.stderr
    now = datetime.now(UTC)
    for row in json.loads(done.stdout):
        start = datetime.fromisoformat(row["start"])
        end = datetime.fromisoformat(row["end"])
        assert start <= now + timedelta(minutes=1) and end >= now - timedelta(minutes=1), row


def test_who_answers_about_the_future_too(schedule_file: Path, database: str) -> None:
    env = {"WARROOM_ONCALL_SCHEDULES": str(schedule_file), "DATABASE_URL": database}
    done = warroom_cli(
        "oncall", "who", "payments-primary", "--at", "2030-01-07 10:00", "--json", env=env
    )
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)
    settings = Settings.from_env({"WARROOM_ONCALL_SCHEDULES": str(schedule_file)})
    schedule = settings.oncall.schedules.get("payments-primary")
    assert schedule is not None
    shift = on_call_at(schedule, [], datetime(2030, 1, 7, 9, tzinfo=UTC))  # 10:00 CET
    assert row == {
        "schedule": "payments-primary",
        "user": shift.user,
        "start": shift.start.isoformat().replace("+00:00", "Z"),
        "end": shift.end.isoformat().replace("+00:00", "Z"),
    }
    assert shift.user in ("U0DAVE", "U0ERIN")  # a Monday morning: the weekday layer's
