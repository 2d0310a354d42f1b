"""``warroom import grafana-oncall``, run as a team leaving Grafana OnCall runs it: the real
command in a process of its own (``running``), against the fake Grafana OnCall API (``emulator/
grafana_oncall.py``, which computes its final shifts from Grafana's documented semantics, not
from warroom's engine) over HTTP on 127.0.0.1, writing into a folder and a SQLite database."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from aiohttp import web

from emulator.fake_http import FakeHttpServer
from emulator.grafana_oncall import FakeGrafanaOnCall
from tests.oncall.importing.running import Ran, warroom_cli

KEY = "glsa_meowmeowmeow-secret"
TEAM = {
    "alice": "U0ALICE",
    "bob": "U0BOB",
    "carol": "U0CAROL",
    "dave": "U0DAVE",
    "erin": "U0ERIN",
    "alex": "U0ALEX",
}
# The next spring's clock changes: New York's (second Sunday of March), Europe's (last Sunday
# of March) and Sydney's autumn one (first Sunday of April), all inside the 8 weeks compared.
YEAR = datetime.now(UTC).year + 1
COMPARE_FROM = f"{YEAR}-03-01 00:00 UTC"


@pytest.fixture
async def grafana() -> AsyncIterator[FakeGrafanaOnCall]:
    # Pages of 4: the users, a chain's steps and the final shifts come in several.
    async with FakeGrafanaOnCall(KEY, page_size=4) as fake:
        yield fake


@pytest.fixture
def users_map(tmp_path: Path) -> Path:
    path = tmp_path / "users.csv"
    lines = ["email,slack_user_id"]
    lines += [f"{name}@example.com,{user}" for name, user in TEAM.items() if name != "alex"]
    lines.append(f"public-api-demo-user-1@grafana.com,{TEAM['alex']}")
    path.write_text("\n".join(lines) + "\n")
    return path


async def warroom_import(
    grafana: FakeGrafanaOnCall,
    tmp_path: Path,
    users_map: Path,
    *args: str,
    token: str = KEY,
    database_url: str = "",
) -> Ran:
    """``warroom import grafana-oncall`` into ``tmp_path/out``, the token from the
    environment as the README says (the database a SQLite file in ``tmp_path`` unless
    given)."""
    env = {
        "GRAFANA_ONCALL_API_TOKEN": token,
        "DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'warroom.db'}",
    }
    command = (
        "import",
        "grafana-oncall",
        "--out",
        str(tmp_path / "out"),
        "--api-url",
        grafana.root,
        "--users-map",
        str(users_map),
        *args,
    )
    return await warroom_cli(*command, env=env)


def add_override(grafana: FakeGrafanaOnCall) -> None:
    """Carol covers Wednesday 17 March 10:00-16:00 New York for the payments schedule: over
    the weekday layer's person, in the week after the clocks go forward; and Erin from 02:30
    the night they go forward, a time New York's clocks skip (both sides read it as the
    instant they jump)."""
    second_sunday = min(d for d in range(8, 15) if datetime(YEAR, 3, d).weekday() == 6)
    for ident, user, start, seconds in (
        ("OCAR0LC0VERS1", "UCAR0LXQ3M2ZB", f"{YEAR}-03-17T10:00:00", 21600),
        ("OER1NSK1PPED2", "UER1NB5TF9XJ2", f"{YEAR}-03-{second_sunday}T02:30:00", 10800),
    ):
        grafana.add(
            "on_call_shifts",
            {
                "id": ident,
                "name": f"cover {ident}",
                "type": "override",
                "team_id": None,
                "time_zone": None,
                "start": start,
                "duration": seconds,
                "users": [user],
                "schedule": "SPAYM3NTSPR1M",
            },
        )


async def test_a_team_account_is_carried_exactly_and_pages_the_same_people(
    grafana: FakeGrafanaOnCall, tmp_path: Path, users_map: Path, database_url: str
) -> None:
    grafana.load("team")
    add_override(grafana)
    done = await warroom_import(
        grafana,
        tmp_path,
        users_map,
        "--compare",
        "56",
        "--compare-from",
        COMPARE_FROM,
        database_url=database_url,
    )
    assert done.code == 0, done.out + done.err
    assert done.out.strip().endswith("no disagreement"), done.out
    out = tmp_path / "out"
    check = await warroom_cli("oncall", "check", str(out / "schedules.yaml"))
    assert check.code == 0, check.out + check.err
    # 12-hour turns of New York's wall clock, and each layer its own region's zone.
    assert "12h turns, handed over on the wall clock at 08:00, 20:00 (America/New_York)" in (
        check.out
    )
    schedules = yaml.safe_load((out / "schedules.yaml").read_text())["schedules"]
    sun = schedules["follow-the-sun"]["layers"]
    assert [layer.get("timezone") for layer in sun] == [
        "America/New_York",
        "Europe/London",
        "Australia/Sydney",
    ]
    nights = next(x for x in schedules["payments-primary"]["layers"] if x["name"] == "Weeknights")
    assert nights["members"] == ["U0BOB", "none"]
    policy = yaml.safe_load((out / "policies.yaml").read_text())["policies"]["payments"]
    assert policy["repeat"] == 5
    assert policy["levels"][0]["targets"] == [{"schedule": "payments-primary"}]
    assert "| payments-primary | all | carol |" in (out / "import-report.md").read_text()
    # The override is warroom's now: `oncall who` names Carol in its hours.
    who = await warroom_cli(
        "oncall",
        "who",
        "payments-primary",
        "--at",
        f"{YEAR}-03-17 11:00",
        "--json",
        env={"DATABASE_URL": database_url, "WARROOM_ONCALL_SCHEDULES": str(out / "schedules.yaml")},
    )
    assert who.code == 0, who.err
    assert [row["user"] for row in json.loads(who.out)] == ["U0CAROL"]


def rolling(ident: str, name: str, level: int, **fields: object) -> dict[str, object]:
    """A rolling-users shift of the "shapes" schedule (Europe/Berlin), alice and bob."""
    return {
        "id": ident,
        "name": name,
        "type": "rolling_users",
        "team_id": None,
        "time_zone": None,
        "level": level,
        "interval": 1,
        "week_start": "SU",
        "by_day": None,
        "rolling_users": [["UC2CHRT5SD34X"], ["U7S8H84ARFTGN"]],
        "schedule": "SSHAPESBERL1N",
        **fields,
    }


async def test_more_shapes_of_shifts_page_the_same_people(
    grafana: FakeGrafanaOnCall, tmp_path: Path, users_map: Path
) -> None:
    """Frames of two weeks with short events, two users on weekdays (one daily layer), 8-hour
    frames with 6-hour events, a rotation started from its second user, a Sunday week start."""
    grafana.load("team")
    grafana.add(
        "schedules",
        {
            "id": "SSHAPESBERL1N",
            "name": "Shapes",
            "type": "web",
            "team_id": None,
            "time_zone": "Europe/Berlin",
            "on_call_now": [],
            "slack": None,
        },
    )
    for shift in (
        rolling(
            "OFORTNIGHTLY1",
            "Fortnightly",
            0,
            start="2026-02-02T06:00:00",
            duration=5 * 86400,
            frequency="weekly",
            interval=2,
        ),
        rolling(
            "OWEEKDAYPAIR2",
            "Weekday pair",
            1,
            start="2026-02-02T09:00:00",
            duration=9 * 3600,
            frequency="daily",
            by_day=["MO", "TU", "WE", "TH", "FR"],
        ),
        rolling(
            "OEIGHTHOURS03",
            "Eights",
            2,
            start="2026-02-01T00:00:00",
            duration=6 * 3600,
            frequency="hourly",
            interval=8,
            start_rotation_from_user_index=1,
        ),
        rolling(
            "OSUNDAYWEEK04",
            "Weekends",
            3,
            start="2026-02-04T18:00:00",
            duration=10 * 3600,
            frequency="weekly",
            by_day=["SA", "SU"],
        ),
    ):
        grafana.add("on_call_shifts", shift)
    done = await warroom_import(
        grafana, tmp_path, users_map, "--compare", "56", "--compare-from", COMPARE_FROM
    )
    assert done.code == 0, done.out + done.err
    assert done.out.strip().endswith("no disagreement"), done.out


async def test_the_compare_says_where_grafana_and_warroom_part(
    grafana: FakeGrafanaOnCall, tmp_path: Path, users_map: Path
) -> None:
    """Two shifts of one level that overlap: Grafana OnCall has both people on call, warroom
    the later layer's. The report says so, and the comparison finds each such hour."""
    grafana.load("team")
    grafana.add(
        "on_call_shifts",
        {
            "id": "OPAIRINGWEDSX",
            "name": "Pairing",
            "type": "rolling_users",
            "team_id": None,
            "time_zone": None,
            "level": 1,
            "start": "2026-01-07T10:00:00",
            "duration": 3600,
            "frequency": "weekly",
            "interval": 1,
            "week_start": "MO",
            "by_day": ["WE"],
            "rolling_users": [["U7S8H84ARFTGN"]],
            "schedule": "SPAYM3NTSPR1M",
        },
    )
    done = await warroom_import(
        grafana, tmp_path, users_map, "--compare", "7", "--compare-from", COMPARE_FROM
    )
    assert done.code == 3, done.out + done.err
    lines = [line for line in done.out.splitlines() if " payments-primary " in line]
    assert lines, done.out
    assert all(
        re.fullmatch(r"\S+Z payments-primary vendor=\S+\+\S+ warroom=U0BOB", line) for line in lines
    ), lines
    report = (tmp_path / "out" / "import-report.md").read_text()
    assert "share a level" in report.split("## Carried approximately")[1]


async def test_the_documented_examples_get_the_report_s_verdicts(
    grafana: FakeGrafanaOnCall, tmp_path: Path, users_map: Path
) -> None:
    grafana.load("documented")
    done = await warroom_import(grafana, tmp_path, users_map)
    assert done.code == 3, done.out + done.err
    report = (tmp_path / "out" / "import-report.md").read_text()
    not_carried = report.split("## Not carried")[1].split("## Carried approximately")[0]
    approximate = report.split("## Carried approximately")[1].split("## Carried exactly")[0]
    exact = report.split("## Carried exactly")[1]
    assert "Demo schedule iCal" in not_carried and r"meow\_calendar.ics" in not_carried
    assert "Demo single event" in not_carried and "ended" in not_carried
    assert "Demo recurrent event" in exact
    assert "default" in approximate and "next each time" in approximate
    assert r"add usergroup: meow\_group to the schedule" in approximate
    # A second run gives the same files, byte for byte.
    names = ("schedules.yaml", "policies.yaml", "import-report.md")
    first = {name: (tmp_path / "out" / name).read_bytes() for name in names}
    again = await warroom_import(grafana, tmp_path, users_map, "--force")
    assert again.code == 3, again.err
    assert {name: (tmp_path / "out" / name).read_bytes() for name in names} == first
    # Every two weeks on Monday, Wednesday and Friday: alex's week, then a week of nobody.
    schedules = yaml.safe_load((tmp_path / "out" / "schedules.yaml").read_text())["schedules"]
    layer = schedules["demo-schedule-calendar"]["layers"][0]
    assert (layer["rotation"], layer["members"]) == ("weekly", ["U0ALEX", "none"])


@pytest.mark.parametrize(
    ("mishap", "said"),
    [
        ("token", "Grafana OnCall refused the token (HTTP 401"),
        ("5xx", "Grafana OnCall answered HTTP 503"),
        ("garbage", "with something that is not JSON"),
        ("429", "still answered 429"),
    ],
)
async def test_each_failure_is_one_clear_line_and_nothing_is_written(
    grafana: FakeGrafanaOnCall, tmp_path: Path, users_map: Path, mishap: str, said: str
) -> None:
    grafana.load("team")
    token = "not-the-key" if mishap == "token" else KEY
    if mishap == "5xx":
        grafana.fail(503, times=100)
    elif mishap == "garbage":
        grafana.garble(100)
    elif mishap == "429":
        grafana.fail(429, times=100, retry_after=0)
    done = await warroom_import(grafana, tmp_path, users_map, token=token)
    assert done.code == 1
    lines = done.err.strip().splitlines()
    assert len(lines) == 1 and said in lines[0], done.err
    assert KEY not in done.err and "not-the-key" not in done.err
    assert not (tmp_path / "out").exists()


async def test_a_zone_warroom_does_not_know_is_a_line_of_the_report(
    grafana: FakeGrafanaOnCall, tmp_path: Path, users_map: Path
) -> None:
    grafana.load("team")
    grafana.add(
        "schedules",
        {
            "id": "SMARSBASE0001",
            "name": "Mars base",
            "type": "calendar",
            "team_id": None,
            "time_zone": "Mars/Olympus_Mons",
            "on_call_now": [],
            "shifts": [],
            "slack": None,
        },
    )
    shift = {
        **grafana.objects["on_call_shifts"][0],
        "id": "OM00NSHIFT001",
        "name": "Moon",
        "time_zone": "Moon/Tranquility",
    }
    grafana.add("on_call_shifts", shift)
    done = await warroom_import(grafana, tmp_path, users_map)
    assert done.code == 3, done.err
    not_carried = (tmp_path / "out" / "import-report.md").read_text().split("## Carried")[0]
    assert "| Mars base | SMARSBASE0001 | its time zone 'Mars/Olympus\\_Mons'" in not_carried
    assert "| Moon | OM00NSHIFT001 | its time zone 'Moon/Tranquility'" in not_carried


async def test_an_object_not_as_documented_is_one_line_naming_it(
    grafana: FakeGrafanaOnCall, tmp_path: Path, users_map: Path
) -> None:
    grafana.load("team")
    grafana.objects["on_call_shifts"][0]["duration"] = "1 week"
    done = await warroom_import(grafana, tmp_path, users_map)
    assert done.code == 1
    assert done.err.strip() == (
        "warroom: import: Grafana OnCall answered on-call shift OWEEKLYPR1MRY: "
        "duration '1 week' is not seconds"
    )
    assert not (tmp_path / "out").exists()


async def test_the_stack_s_address_is_asked_for(tmp_path: Path) -> None:
    """Grafana OnCall has no one address: without --api-url the key goes nowhere."""
    done = await warroom_cli(
        "import",
        "grafana-oncall",
        "--out",
        str(tmp_path / "out"),
        env={"GRAFANA_ONCALL_API_TOKEN": KEY},
    )
    assert done.code == 2
    assert "--api-url" in done.err and KEY not in done.err
    assert not (tmp_path / "out").exists()


async def test_a_429_is_waited_out(
    grafana: FakeGrafanaOnCall, tmp_path: Path, users_map: Path
) -> None:
    grafana.load("team")
    grafana.fail(429, times=2, retry_after=1)
    done = await warroom_import(grafana, tmp_path, users_map)
    assert done.code == 0, done.err
    assert grafana.requests[0] == grafana.requests[1] == grafana.requests[2]


class Impostor(FakeGrafanaOnCall):
    """Another host answering as Grafana OnCall does, whatever key it is sent (aiohttp drops
    the Authorization header on a redirect to another host; an impostor needs none)."""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        return await super().handle(request.clone(headers={"Authorization": self.api_key}))


class Moved(FakeHttpServer):
    """A vendor address that answers every request 307 to the same path on ``elsewhere``
    (RFC 9110, 15.4.8: Temporary Redirect, the method and body kept)."""

    def __init__(self, elsewhere: str) -> None:
        super().__init__()
        self.elsewhere = elsewhere

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPTemporaryRedirect(self.elsewhere + request.path_qs)


async def test_a_redirect_to_another_host_is_refused_and_nothing_is_imported(
    tmp_path: Path, users_map: Path
) -> None:
    async with Impostor(KEY, page_size=4) as impostor, Moved("") as moved:
        await impostor.stop()
        await impostor.start(host="127.0.0.2")  # another host, this machine
        impostor.load("team")
        moved.elsewhere = impostor.root
        done = await warroom_cli(
            "import", "grafana-oncall", "--out", str(tmp_path / "out"),
            "--api-url", moved.root, "--users-map", str(users_map),
            env={"GRAFANA_ONCALL_API_TOKEN": KEY,
                 "DATABASE_URL": f"sqlite:///{tmp_path / 'warroom.db'}"},
        )  # fmt: skip
    assert done.code != 0, done.out
    assert impostor.requests == []
    assert f"redirected to another address ({impostor.root})" in done.err
    assert not (tmp_path / "out" / "schedules.yaml").exists()
    assert KEY not in done.err + done.out


# A team's senders, from integrations.md's documented fields ("List integrations": ``id``,
# ``name``, ``type``, ``link``, ``default_route``): Grafana Alerting and Alertmanager (which
# warroom answers) and a plain webhook (which it does not: its body is Grafana's templates').
SENDERS = [
    {"id": "CFRPV98RPR1U8", "name": "Grafana :blush:", "type": "grafana"},
    {"id": "CALERTMGR0001", "name": "Prometheus Alertmanager", "type": "alertmanager"},
    {"id": "CWEBHOOK00001", "name": "Deploy script", "type": "webhook"},
]


def add_senders(grafana: FakeGrafanaOnCall) -> None:
    for sender in SENDERS:
        kind = sender["type"]
        grafana.add(
            "integrations",
            {
                **sender,
                "team_id": None,
                "link": f"{grafana.root}/integrations/v1/{kind}/k{sender['id'].lower()}/",
                "inbound_email": None,
                "default_route": {
                    "id": f"R{sender['id'][1:]}",
                    "escalation_chain_id": "FPAYMENTSCHN1",
                    "slack": {"channel_id": None},
                },
            },
        )


async def test_integrations_are_listed_to_repoint_with_warroom_s_command(
    grafana: FakeGrafanaOnCall, tmp_path: Path, users_map: Path
) -> None:
    grafana.load("team")
    add_senders(grafana)
    done = await warroom_import(grafana, tmp_path, users_map, "--json")
    assert done.code == 3, done.out + done.err  # each sender must be repointed by hand
    assert "/api/v1/integrations/" in grafana.requests, grafana.requests
    report = json.loads(done.out)
    by_name = {sender["vendor_name"]: sender for sender in report["integrations"]}
    assert by_name["Grafana :blush:"]["command"] == (
        "warroom integrations create --service SERVICE --kind grafana --name grafana-blush"
    )
    assert by_name["Prometheus Alertmanager"]["kind"] == "alertmanager"
    assert by_name["Deploy script"]["command"] is None
    assert "warroom answers no webhook integration" in by_name["Deploy script"]["why"]
    text = (tmp_path / "out" / "import-report.md").read_text()
    assert "## Integrations to repoint" in text


async def test_personal_notification_rules_become_contact_rules(
    grafana: FakeGrafanaOnCall, tmp_path: Path, users_map: Path
) -> None:
    """personal_notification_rules.md: Alice's default rules e-mail her at once, wait 5
    minutes, then Slack her, then SMS; her important rule calls her. E-mail (to the address
    Grafana knows her by) and Slack are carried; the SMS and the call are not (Grafana's API
    gives no phone number), said by name as the web view names her."""
    grafana.load("team")
    alice = "UC2CHRT5SD34X"
    for ident, position, kind, extra in (
        ("NALICE00001", 0, "notify_by_email", {}),
        ("NALICE00002", 1, "wait", {"duration": 300}),
        ("NALICE00003", 2, "notify_by_slack", {}),
        ("NALICE00004", 3, "notify_by_sms", {}),
    ):
        rule = {"id": ident, "user_id": alice, "position": position, "important": False}
        grafana.add("personal_notification_rules", {**rule, "type": kind, **extra})
    grafana.add(
        "personal_notification_rules",
        {"id": "NALICE00005", "user_id": alice, "position": 0, "important": True,
         "type": "notify_by_phone_call"},
    )  # fmt: skip
    done = await warroom_import(grafana, tmp_path, users_map, "--json")
    assert done.code == 3, done.out + done.err
    assert "/api/v1/personal_notification_rules/" in grafana.requests
    people = yaml.safe_load((tmp_path / "out" / "contacts.yaml").read_text())["people"]
    assert people == {
        TEAM["alice"]: {
            "contacts": {"mail": {"email": "alice@example.com"}},
            "rules": [
                {"after": "0s", "notify": ["mail"]},
                {"after": "5m", "notify": ["slack"]},
            ],
        }
    }
    report = json.loads(done.out)
    assert report["notification_rules"][0]["who"]["slack_user"] == TEAM["alice"]
    left = [i for i in report["items"] if i["kind"] == "notification rule"]
    assert [i["carried"] for i in left] == ["not carried", "not carried"]
    assert "notify_by_sms: the phone number is not in Grafana OnCall's API" in left[0]["detail"]
    assert "important" in left[1]["detail"]
