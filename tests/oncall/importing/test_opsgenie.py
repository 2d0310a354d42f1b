"""``warroom import opsgenie`` against a fake Opsgenie API (emulator/opsgenie.py) serving an
account of the kinds of objects Opsgenie's documentation shows, dated next year so that its
clock changes (New York and Amsterdam forward, Sydney back) and overrides lie ahead."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.config import Settings
from bot.record.oncall.overrides import overrides_between
from bot.record.oncall.schedules import load_schedules
from bot.store.db import create_engine, session_scope
from bot.store.models import OncallLeave
from emulator import SlackEmulator
from emulator import opsgenie_samples as samples
from emulator.opsgenie import API_KEY, FakeOpsgenie, OpsgenieAccount
from tests.oncall.importing.running import Ran, warroom_cli

YEAR = datetime.now(UTC).year + 1
EIGHT_WEEKS = ("--compare", "56", "--compare-from", f"{YEAR}-03-01 00:00 UTC")
FILES = (
    "schedules.yaml",
    "policies.yaml",
    "services.yaml",
    "heartbeats.yaml",
    "contacts.yaml",
    "import-report.md",
)
SLACK_IDS = {email: f"U0{name.split()[0].upper()}" for _, email, name in samples.PEOPLE}


@pytest.fixture
def users_map(tmp_path: Path) -> Path:
    path = tmp_path / "users.csv"
    path.write_text("email,slack_user_id\n" + "".join(f"{e},{u}\n" for e, u in SLACK_IDS.items()))
    return path


async def import_opsgenie(
    opsgenie: FakeOpsgenie,
    out: Path,
    database_url: str,
    *args: str,
    token: str = API_KEY,
    env: dict[str, str] | None = None,
) -> Ran:
    return await warroom_cli(
        "import",
        "opsgenie",
        "--out",
        str(out),
        "--api-url",
        opsgenie.root,
        *args,
        env={"DATABASE_URL": database_url, "OPSGENIE_API_KEY": token, **(env or {})},
    )


def report_line(report: str, *words: str) -> str:
    """The report's table row holding every one of ``words``."""
    rows = [line for line in report.splitlines() if all(word in line for word in words)]
    assert len(rows) == 1, (words, rows)
    return rows[0]


async def test_an_account_is_carried_over_and_pages_the_same_people_for_eight_weeks(
    tmp_path: Path, database_url: str, users_map: Path
) -> None:
    out = tmp_path / "imported"
    async with FakeOpsgenie(OpsgenieAccount.sample(YEAR)) as opsgenie:
        ran = await import_opsgenie(
            opsgenie, out, database_url, "--users-map", str(users_map), *EIGHT_WEEKS
        )
        asked = [r for r in opsgenie.received if r.path.endswith("/on-calls")]
    # Something was approximate or left out (a team, an escalation participant, Mars).
    assert ran.code == 3, ran.err
    assert ran.out.splitlines()[-1] == "no disagreement", ran.out
    # Every hour of the eight weeks (the handoffs are on the hour), for each of the four
    # schedules carried.
    assert len(asked) == 4 * 56 * 24
    assert sorted(path.name for path in out.iterdir()) == sorted(FILES)
    # Minutes of asking say where they are, on stderr (not a terminal here: a line a step).
    steps = [line for line in ran.err.splitlines() if line.startswith("import --compare: ")]
    assert len(steps) == 4 and steps[-1].endswith("(4 of 4)"), ran.err

    check = await warroom_cli("oncall", "check", str(out / "schedules.yaml"))
    assert check.code == 0, check.err
    environment = {
        "WARROOM_ONCALL_SCHEDULES": str(out / "schedules.yaml"),
        "WARROOM_ESCALATION_POLICIES": str(out / "policies.yaml"),
    }
    settings = Settings.from_env(environment)  # the policies' schedules are all there
    platform = settings.oncall.schedules.get("platform-primary")
    assert platform is not None and platform.overlap == "all"
    assert [layer.members for layer in platform.layers] == [
        ("U0ALICE", "U0BOB", "U0CAROL"),
        ("U0DAVE", None, "U0ERIN"),
    ]
    policy = settings.escalation.policies.get("platform-escalation")
    assert policy is not None and policy.repeat == 2
    assert [[target.ref for target in level.targets] for level in policy.levels] == [
        ["platform-primary"],
        ["U0ALICE", "sre"],
        ["support-weekdays"],
    ]
    # Opsgenie's rules at 0, 5 and 15 minutes, then 10 minutes before it starts again.
    assert [level.timeout for level in policy.levels] == [
        timedelta(minutes=5),
        timedelta(minutes=10),
        timedelta(minutes=10),
    ]

    # The imported overrides are warroom's now: the shadow's override puts Grace beside Carol.
    who = await warroom_cli(
        "oncall",
        "who",
        "platform-primary",
        "--at",
        f"{YEAR}-04-15 12:00 UTC",
        "--json",
        env={"DATABASE_URL": database_url, **environment},
    )
    assert who.code == 0, who.err
    assert [row["user"] for row in json.loads(who.out)] == ["U0CAROL", "U0GRACE"]

    report = (out / "import-report.md").read_text()
    assert "Mars/Olympus\\_Mons" in report_line(report, "| schedule |", "Mars Base")
    assert "not one warroom knows" in report_line(report, "Mars Base")
    assert "escalation 'Legacy Escalation'" in report_line(report, "Legacy Chain / Chain")
    assert "@sre" in report_line(report, "| team |", "SRE")


async def test_an_account_carried_exactly_exits_0(
    tmp_path: Path, sqlite_url: str, users_map: Path
) -> None:
    account = OpsgenieAccount.sample(YEAR)
    account.schedules = [s for s in account.schedules if s["id"] == samples.PLATFORM]
    account.overrides = {samples.PLATFORM: account.overrides[samples.PLATFORM]}
    platform = account.escalations[0]
    platform["rules"] = [
        rule
        for rule in platform["rules"]
        if rule["recipient"]["type"] == "user" or rule["recipient"]["id"] == samples.PLATFORM
    ]
    account.escalations = [platform]
    account.teams = []
    # Enabled heartbeats carry exactly; an integration always asks for its sender repointed.
    account.heartbeats = [beat for beat in account.heartbeats if beat["enabled"]]
    account.integrations = []
    account.notification_rules = {}  # Alice's app push is not carried
    async with FakeOpsgenie(account) as opsgenie:
        ran = await import_opsgenie(
            opsgenie, tmp_path / "out", sqlite_url, "--users-map", str(users_map), *EIGHT_WEEKS
        )
    assert ran.code == 0, ran.err
    assert "everything was carried exactly" in ran.out
    assert ran.out.splitlines()[-1] == "no disagreement"


async def test_a_second_run_writes_the_same_bytes_and_no_second_override(
    tmp_path: Path, sqlite_url: str, users_map: Path
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    async with FakeOpsgenie(OpsgenieAccount.sample(YEAR)) as opsgenie:
        for out in (first, second):
            ran = await import_opsgenie(opsgenie, out, sqlite_url, "--users-map", str(users_map))
            assert ran.code == 3, ran.err
        again = await import_opsgenie(
            opsgenie, first, sqlite_url, "--users-map", str(users_map), "--force"
        )
        assert again.code == 3, again.err
    for name in FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    engine = create_engine(sqlite_url)
    try:
        async with session_scope(engine) as session:
            kept = await overrides_between(
                session,
                start=datetime(YEAR, 1, 1, tzinfo=UTC),
                end=datetime(YEAR, 12, 31, tzinfo=UTC),
            )
    finally:
        await engine.dispose()
    assert sorted((o.schedule, o.user, o.layer, o.created_by) for o in kept) == [
        ("night-owls", None, None, "opsgenie-import"),
        ("platform-primary", "U0FRANK", None, "opsgenie-import"),
        ("platform-primary", "U0GRACE", "shadow", "opsgenie-import"),
    ]


async def test_a_dry_run_keeps_no_override_and_lists_them(tmp_path: Path, users_map: Path) -> None:
    database = tmp_path / "warroom.db"
    async with FakeOpsgenie(OpsgenieAccount.sample(YEAR)) as opsgenie:
        ran = await import_opsgenie(
            opsgenie,
            tmp_path / "out",
            f"sqlite:///{database}",
            "--users-map",
            str(users_map),
            "--dry-run",
        )
    assert ran.code == 3, ran.err
    assert "not kept (--dry-run)" in ran.out
    assert not database.exists()
    report = (tmp_path / "out" / "import-report.md").read_text()
    assert "Not kept (`--dry-run`)" in report
    assert report_line(report, "| platform-primary | shadow | Grace Gupta |")
    assert report_line(report, "| night-owls | all | nobody |")


async def test_a_folder_that_is_not_empty_is_refused_untouched(
    tmp_path: Path, sqlite_url: str, users_map: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    async with FakeOpsgenie(OpsgenieAccount.sample(YEAR)) as opsgenie:
        ran = await import_opsgenie(opsgenie, out, sqlite_url, "--users-map", str(users_map))
        assert opsgenie.received == []
    assert ran.code == 1
    assert ran.err.strip().splitlines() == [
        f"warroom: import: --out: {out} is not empty (--force replaces what it holds)"
    ]
    assert [path.name for path in out.iterdir()] == ["notes.txt"]


FAILURES = {
    "bad token": (
        None,
        "warroom: import: Opsgenie refused the token (HTTP 401 to GET /v2/users?limit=100: "
        "Could not authenticate): check --token or OPSGENIE_API_KEY",
    ),
    "5xx": (lambda o: o.fail(503), "warroom: import: Opsgenie answered HTTP 503 to GET /v2/users"),
    "garbage": (
        lambda o: o.garbage(),
        "warroom: import: Opsgenie answered GET /v2/users?limit=100 with something that is "
        "not JSON",
    ),
    "rate limited": (
        lambda o: o.throttle(6, period=1),
        "warroom: import: Opsgenie still answered 429 (rate limited) to GET /v2/users?limit=100 "
        "after 6 tries; run the import again later",
    ),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
async def test_each_failure_is_one_clear_line_and_writes_nothing(
    case: str, tmp_path: Path, sqlite_url: str, users_map: Path
) -> None:
    mishap, said = FAILURES[case]
    out = tmp_path / "out"
    async with FakeOpsgenie(OpsgenieAccount.sample(YEAR)) as opsgenie:
        if mishap is not None:
            mishap(opsgenie)
        token = "not-the-key" if case == "bad token" else API_KEY
        ran = await import_opsgenie(
            opsgenie, out, sqlite_url, "--users-map", str(users_map), token=token
        )
    assert ran.code == 1
    [line] = ran.err.strip().splitlines()
    assert line.startswith(said), line
    assert "not-the-key" not in line
    assert sorted(path.name for path in tmp_path.iterdir()) == ["users.csv"]


async def test_an_unreachable_api_is_one_clear_line(tmp_path: Path, sqlite_url: str) -> None:
    async with FakeOpsgenie(OpsgenieAccount.sample(YEAR)) as opsgenie:
        root = opsgenie.root
    ran = await warroom_cli(
        "import",
        "opsgenie",
        "--out",
        str(tmp_path / "out"),
        "--api-url",
        root,
        env={"DATABASE_URL": sqlite_url, "OPSGENIE_API_KEY": API_KEY},
    )
    assert ran.code == 1
    [line] = ran.err.strip().splitlines()
    assert line.startswith(f"warroom: import: cannot reach Opsgenie at {root}: connection failed")
    assert not (tmp_path / "out").exists()


async def test_a_rate_limit_is_waited_out(tmp_path: Path, sqlite_url: str, users_map: Path) -> None:
    async with FakeOpsgenie(OpsgenieAccount.sample(YEAR)) as opsgenie:
        opsgenie.throttle(2, period=1)
        ran = await import_opsgenie(
            opsgenie, tmp_path / "out", sqlite_url, "--users-map", str(users_map)
        )
        first = [r.path for r in opsgenie.received[:3]]
    assert ran.code == 3, ran.err
    assert first == ["/v2/users"] * 3  # asked again after each 429
    assert (tmp_path / "out" / "schedules.yaml").exists()


async def test_people_are_matched_by_email_in_slack_and_the_unmatched_never_guessed(
    tmp_path: Path, sqlite_url: str
) -> None:
    out = tmp_path / "out"
    async with SlackEmulator() as slack, FakeOpsgenie(OpsgenieAccount.sample(YEAR)) as opsgenie:
        for email, user in SLACK_IDS.items():
            if user != "U0HEIDI":  # Heidi is not in the workspace
                slack.add_user(user, email.split("@")[0], email=email)
        env = {"SLACK_BOT_TOKEN": slack.bot_token, "SLACK_API_URL": slack.base_url}
        ran = await import_opsgenie(opsgenie, out, sqlite_url, env=env)
        looked_up = slack.calls_to("users.lookupByEmail")
        slack.scopes.discard("users:read.email")
        refused = await import_opsgenie(opsgenie, tmp_path / "again", sqlite_url, env=env)
    assert ran.code == 3, ran.err
    # Only the people a schedule, a policy or an override names are looked up.
    assert len(looked_up) == len(samples.PEOPLE)
    nights = load_schedules(out / "schedules.yaml", now=datetime.now(UTC)).get("night-owls")
    assert nights is not None and nights.layers[0].members == ("U0GRACE", None)
    report = (out / "import-report.md").read_text()
    assert "no Slack user has this email" in report_line(report, "| user |", "Heidi Horvat")
    assert "turns are none" in report_line(report, "Night Owls / nights")
    assert refused.code == 1
    assert refused.err.strip() == (
        "warroom: import: Slack refused users.lookupByEmail (missing_scope): the app needs the "
        "users:read.email scope (reinstall it from `warroom manifest`), or give --users-map FILE"
    )


async def test_compare_names_each_instant_the_two_disagree(
    tmp_path: Path, sqlite_url: str, users_map: Path
) -> None:
    """A 12-hour rotation in Amsterdam hands over on the wall clock in warroom and after 12
    elapsed hours in the fake Opsgenie: from the clock change on, they disagree an hour twice a
    day, and the report said so. Two schedules of one name get their ids appended."""
    halves = {
        "id": "halves-1",
        "name": "Halves",
        "timezone": "Europe/Amsterdam",
        "enabled": True,
        "rotations": [
            {
                "id": "h1",
                "name": "Halves",
                "startDate": f"{YEAR}-01-05T07:00:00Z",
                "type": "hourly",
                "length": 12,
                "participants": [samples.user(samples.ALICE), samples.user(samples.BOB)],
            }
        ],
    }
    twins = [
        {**halves, "id": ident, "name": "Ops", "timezone": "UTC"} for ident in ("ops-b", "ops-a")
    ]
    account = OpsgenieAccount(users=samples.users()[:8], schedules=[halves, *twins])
    async with FakeOpsgenie(account) as opsgenie:
        ran = await import_opsgenie(
            opsgenie, tmp_path / "out", sqlite_url, "--users-map", str(users_map), *EIGHT_WEEKS
        )
    assert ran.code == 3, ran.err
    lines = [line for line in ran.out.splitlines() if " vendor=" in line]
    pattern = re.compile(r"^(\S+Z) halves vendor=(U0ALICE|U0BOB) warroom=(U0ALICE|U0BOB)$")
    assert lines and all(pattern.match(line) for line in lines), lines
    # Europe's clocks go forward on the last Sunday of March, at 01:00 UTC.
    last_sunday = max(day for day in range(25, 32) if datetime(YEAR, 3, day).weekday() == 6)
    changed = datetime(YEAR, 3, last_sunday, 1, tzinfo=UTC)
    instants = [datetime.fromisoformat(line.split()[0]) for line in lines]
    assert min(instants) >= changed
    assert {moment.hour for moment in instants} == {6, 18}
    report = (tmp_path / "out" / "import-report.md").read_text()
    assert "may fall an hour apart" in report_line(report, "Halves / Halves")
    names = load_schedules(tmp_path / "out" / "schedules.yaml", now=datetime.now(UTC)).by_name
    assert sorted(names) == ["halves", "ops-ops-a", "ops-ops-b"]


async def test_a_forwarding_rule_is_leave_of_the_person_it_forwards_from(
    tmp_path: Path, database_url: str, users_map: Path
) -> None:
    """Opsgenie's Forwarding Rule API is how its teams cover a vacation: each rule not over
    yet is leave of its ``fromUser`` (rotations pass them over), said approximate; a second
    run adds none, and a rule gone from Opsgenie takes its leave away."""
    frank = {"id": samples.FRANK, "username": "frank@example.com"}
    grace = {"id": samples.GRACE, "username": "grace@example.com"}
    vacation = {
        "fromUser": frank,
        "toUser": grace,
        "startDate": f"{YEAR}-07-01T00:00:00Z",
        "endDate": f"{YEAR}-07-15T00:00:00Z",
        "alias": "frank-summer",
        "id": "e3f7d9a4-2b1c-4f5e-8a9d-0c1b2a3d4e5f",
    }
    over = {**vacation, "startDate": "2020-01-01T00:00:00Z", "endDate": "2020-01-02T00:00:00Z"}
    unreadable = {**vacation, "alias": "broken", "endDate": "soon"}
    account = OpsgenieAccount.sample(YEAR)
    account.forwarding_rules = [vacation, over, unreadable]

    async def kept() -> list[tuple[str, datetime, datetime, str, str]]:
        engine = create_engine(database_url)
        try:
            async with session_scope(engine) as session:
                rows = (await session.exec(select(OncallLeave))).all()
        finally:
            await engine.dispose()
        return [
            (
                r.user_id,
                r.start_at.astimezone(UTC),
                r.end_at.astimezone(UTC),
                r.source,
                r.created_by,
            )
            for r in rows
        ]

    async with FakeOpsgenie(account) as opsgenie:
        for out in (tmp_path / "first", tmp_path / "second"):
            ran = await import_opsgenie(opsgenie, out, database_url, "--users-map", str(users_map))
            assert ran.code == 3, ran.err
        assert any(r.path == "/v2/forwarding-rules" for r in opsgenie.received)
        start, end = datetime(YEAR, 7, 1, tzinfo=UTC), datetime(YEAR, 7, 15, tzinfo=UTC)
        assert await kept() == [("U0FRANK", start, end, "import", "opsgenie-import")]
        report = (tmp_path / "first" / "import-report.md").read_text()
        line = report_line(report, "| forwarding rule |", "frank-summer")
        assert "leave of frank@example.com until" in line
        assert "not necessarily grace@example.com" in line
        assert "its user, start or end cannot be read" in report_line(report, "broken")

        account.forwarding_rules = []
        ran = await import_opsgenie(
            opsgenie, tmp_path / "third", database_url, "--users-map", str(users_map)
        )
        assert ran.code == 3, ran.err
    assert await kept() == []
