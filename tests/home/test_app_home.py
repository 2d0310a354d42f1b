"""The App Home: people open the app's Home tab in the emulator (a signed ``app_home_opened``
over HTTP), and read what warroom published there with views.publish."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.basics.slack_text import SlackText
from bot.record.incident.incidents import open_incident as record_incident
from bot.record.incident.roles import assign_role
from bot.record.oncall.overrides import add_override
from bot.record.oncall.schedules import load_schedules
from bot.store.db import session_scope
from bot.store.models import Incident
from emulator import Channel, SlackEmulator
from emulator.models import new_ts
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom, running_warroom
from tests.helpers.incidents import command, open_incident, settle

DAVE = "U0DAVE"
WEB = "https://warroom.example.com"
# A Wednesday: on call below, US clocks move forward on Sunday 8 March.
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
HEADERS = (
    "Your incidents",
    "Declared in the last 7 days",
    "Your follow-ups",
    "On call now",
    "How pages reach you",
)


@pytest.fixture
def warroom_settings(slack: SlackEmulator, database_url: str) -> dict[str, object]:
    """The bot on SQLite and on PostgreSQL at a fixed time, with a public address for the web
    view's links."""
    slack.add_user(DAVE, "dave", "Dave Kowalski")
    slack.users[BOB].tz = "America/New_York"
    return {
        "database_url": database_url,
        "clock": Clock(NOW),
        "web__public_url": WEB,
    }


async def declare(warroom: Warroom, number: int, text: str, user: str = ALICE) -> Channel:
    """``/incident start <text>`` in #general; the channel of INC-<number> once its header is
    pinned and the work it set off is done."""
    channel = await open_incident(warroom, text, user=user)
    assert channel.name.startswith(f"inc-{number}-"), channel.name
    await settle(warroom)
    return channel


async def open_home(warroom: Warroom, user: str) -> dict[str, list[str]]:
    """``user`` opens the Home tab; what it shows, section by section (its headers)."""
    published = len(warroom.slack.calls_to("views.publish"))
    answer = await warroom.slack.open_app_home(user)
    assert answer is not None and answer.status == 200, answer
    await settle(warroom)
    await warroom.slack.wait_for(lambda: len(warroom.slack.calls_to("views.publish")) > published)
    return sections(warroom.slack, user)


def sections(slack: SlackEmulator, user: str) -> dict[str, list[str]]:
    shown: dict[str, list[str]] = {}
    current: list[str] = []
    for line in slack.home_lines(user):
        if line.startswith("Updated "):
            continue  # the footer, under every section
        if line in HEADERS:
            current = shown.setdefault(line, [])
        else:
            current.append(line)
    return shown


def references(lines: list[str]) -> list[str]:
    """The incidents listed, in order, by the reference each section's text opens with."""
    return [line.split("|", 1)[1].split(">", 1)[0] for line in lines if line.startswith("*<")]


def about(lines: list[str], reference: str) -> str:
    return next(line for line in lines if f"|{reference}>" in line)


async def test_a_person_sees_their_incidents_with_their_roles_open_first(warroom: Warroom) -> None:
    first = await declare(warroom, 1, "Checkout <down> & out")
    await command(warroom, first, "role comms @bob")
    await command(warroom, first, "resolve fixed the pool")
    second = await declare(warroom, 2, "Search is slow")
    await command(warroom, second, "lead @bob")

    home = await open_home(warroom, BOB)

    mine = home["Your incidents"]
    assert references(mine) == ["INC-2", "INC-1"]  # the open one first
    assert about(mine, "INC-2") == (
        f"*<{WEB}/incidents/INC-2|INC-2>* Search is slow\n"
        f"SEV3 · Investigating · <#{second.id}>\n"
        "*You:* commander\n"
        # Bob's zone (users.info tz): 12:00 UTC is 07:00 in New York.
        "Declared Wed 04 Mar 07:00 EST by <@U0ALICE>"
    )
    resolved = about(mine, "INC-1")
    # People's words are shown as they typed them, Slack's encoding kept once.
    assert "Checkout &lt;down&gt; &amp; out" in resolved
    assert "Resolved ·" in resolved and "*You:* comms" in resolved
    assert "Resolved Wed 04 Mar 07:00 EST" in resolved
    assert references(home["Declared in the last 7 days"]) == ["INC-2", "INC-1"]
    assert "On call now" not in home  # no schedules
    assert warroom.slack.home_lines(BOB)[-1].startswith("Updated Wed 04 Mar 07:00 EST")

    # Alice declared both and leads the first; Carol is in neither.
    alice = await open_home(warroom, ALICE)
    assert references(alice["Your incidents"]) == ["INC-2", "INC-1"]
    assert "*You:* commander · declared it" in about(alice["Your incidents"], "INC-1")
    assert "\n*You:* declared it · Led by <@U0BOB>\n" in about(alice["Your incidents"], "INC-2")
    carol = await open_home(warroom, CAROL)
    assert carol["Your incidents"] == [
        "You are in no open incident, nor in one resolved in the last 7 days."
    ]
    assert "Led by <@U0BOB>" in about(carol["Declared in the last 7 days"], "INC-2")


async def test_escalated_to_and_in_the_channel_count_as_in_it(warroom: Warroom) -> None:
    channel = await declare(warroom, 1, "Disk full")
    await command(warroom, channel, "escalate @carol the database")
    await warroom.slack.post_message(channel.id, "looking at the graphs", user=DAVE)
    await settle(warroom)

    carol = await open_home(warroom, CAROL)
    assert "*You:* escalated to you" in about(carol["Your incidents"], "INC-1")
    dave = await open_home(warroom, DAVE)
    assert "*You:* in the channel · Led by <@U0ALICE>" in about(dave["Your incidents"], "INC-1")


async def test_a_private_incident_shows_only_to_its_people(warroom: Warroom) -> None:
    public = await declare(warroom, 1, "Checkout down")
    secret = await declare(warroom, 2, "--private Payroll export leaked")
    await command(warroom, secret, "escalate @bob legal needs to know")
    await warroom.slack.post_message(public.id, "watching", user=CAROL)
    await settle(warroom)

    carol = await open_home(warroom, CAROL)
    assert references(carol["Your incidents"]) == ["INC-1"]
    assert references(carol["Declared in the last 7 days"]) == ["INC-1"]
    assert "Payroll" not in "\n".join(warroom.slack.home_lines(CAROL))
    bob = await open_home(warroom, BOB)
    listed = about(bob["Your incidents"], "INC-2")
    assert ":lock: Payroll export leaked" in listed and "escalated to you" in listed
    assert references(bob["Declared in the last 7 days"]) == ["INC-2", "INC-1"]


async def test_a_guest_sees_only_the_incidents_they_are_in(warroom: Warroom) -> None:
    warroom.slack.users[DAVE].is_restricted = True  # a multi-channel guest
    await declare(warroom, 1, "Checkout down")
    theirs = await declare(warroom, 2, "Partner API errors")
    await command(warroom, theirs, "escalate @dave you run the partner side")

    dave = await open_home(warroom, DAVE)
    assert references(dave["Your incidents"]) == ["INC-2"]
    assert references(dave["Declared in the last 7 days"]) == ["INC-2"]
    # A member of the workspace sees the week's incidents.
    assert references((await open_home(warroom, CAROL))["Declared in the last 7 days"]) == [
        "INC-2",
        "INC-1",
    ]


async def test_the_week_s_list_leaves_older_incidents_out(warroom: Warroom) -> None:
    warroom.clock.now = NOW - timedelta(days=8)
    old = await declare(warroom, 1, "Old outage")
    await command(warroom, old, "resolve")
    await declare(warroom, 2, "Still open from last week")
    warroom.clock.now = NOW
    await declare(warroom, 3, "Fresh outage", user=BOB)

    carol = await open_home(warroom, CAROL)
    assert references(carol["Declared in the last 7 days"]) == ["INC-3"]
    alice = await open_home(warroom, ALICE)
    # Alice's: the one still open, however old; the one resolved 8 days ago no longer.
    assert references(alice["Your incidents"]) == ["INC-2"]
    assert references(alice["Declared in the last 7 days"]) == ["INC-3"]


SCHEDULES = """
schedules:
  payments-primary:
    timezone: Europe/Paris
    layers:
      - name: weekly
        start: 2026-03-02 09:00
        rotation: weekly
        members: [U0BOB, U0CAROL]
  db-oncall:
    timezone: UTC
    layers:
      - name: days
        start: 2026-03-02 09:00
        rotation: daily
        members: [U0BOB]
        restrictions:
          - {days: [mon, tue, wed, thu, fri], from: "09:00", to: "18:00"}
  search:
    timezone: UTC
    layers:
      - name: weekly
        start: 2026-03-09 00:00
        rotation: weekly
        members: [U0ALICE]
"""


async def test_on_call_now_per_schedule_in_the_person_s_zone(
    slack: SlackEmulator, sqlite_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "schedules.yaml"
    path.write_text(SCHEDULES)
    schedules = load_schedules(path, now=NOW)
    slack.users[BOB].tz = "America/New_York"
    slack.users[CAROL].tz = "Asia/Tokyo"
    async with running_warroom(slack, sqlite_url, Clock(NOW), oncall__schedules=schedules) as w:
        async with session_scope(w.engine) as session:
            # Carol takes payments over for two hours from now.
            await add_override(
                session,
                schedule=schedules.get("payments-primary"),  # type: ignore[arg-type]
                user=CAROL,
                start=NOW - timedelta(minutes=30),
                end=NOW + timedelta(hours=2),
                created_by=CAROL,
                created_at=NOW,
            )
            await session.commit()

        bob = await open_home(w, BOB)
        assert bob["On call now"] == [
            # Carol's override; then Bob again until Monday 09:00 in Paris, past the US change.
            "*payments-primary*\n<@U0CAROL> until Wed 04 Mar 09:00 EST",
            "*db-oncall*\n:large_green_circle: You until Wed 04 Mar 13:00 EST",
            "*search*\n:warning: Nobody (a gap) until Sun 08 Mar 20:00 EDT",
        ]
        carol = await open_home(w, CAROL)
        assert carol["On call now"][0] == (
            "*payments-primary*\n:large_green_circle: You until Wed 04 Mar 23:00 JST"
        )


@pytest.mark.parametrize("guest", ["is_restricted", "is_ultra_restricted"])
async def test_a_guests_home_shows_no_one_on_call(
    slack: SlackEmulator, sqlite_url: str, tmp_path: Path, guest: str
) -> None:
    path = tmp_path / "schedules.yaml"
    path.write_text(SCHEDULES)
    slack.add_user(DAVE, "dave", "Dave Kowalski")
    setattr(slack.users[DAVE], guest, True)
    schedules = load_schedules(path, now=NOW)
    async with running_warroom(slack, sqlite_url, Clock(NOW), oncall__schedules=schedules) as w:
        dave = await open_home(w, DAVE)
        assert "On call now" not in dave
        assert "U0BOB" not in "\n".join(slack.home_lines(DAVE))
        # A member of the workspace sees them.
        assert len((await open_home(w, CAROL))["On call now"]) == 3


async def test_a_guest_the_file_names_is_shown_as_nobody_on_call(
    slack: SlackEmulator, sqlite_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "schedules.yaml"
    path.write_text(SCHEDULES)
    slack.users[BOB].is_restricted = True  # on call for both schedules by the file
    schedules = load_schedules(path, now=NOW)
    async with running_warroom(slack, sqlite_url, Clock(NOW), oncall__schedules=schedules) as w:
        carol = await open_home(w, CAROL)
    guest = ":warning: Nobody (<@U0BOB> is named, a guest: cannot be on call)"
    assert carol["On call now"] == [
        f"*payments-primary*\n{guest} until Mon 09 Mar 08:00 UTC",
        f"*db-oncall*\n{guest} until Wed 04 Mar 18:00 UTC",
        "*search*\n:warning: Nobody (a gap) until Mon 09 Mar 00:00 UTC",
    ]


async def test_more_incidents_than_a_home_holds_say_how_many_more(warroom: Warroom) -> None:
    async with session_scope(warroom.engine) as session:
        for number in range(1, 131):
            incident = await record_incident(
                session,
                team_id=warroom.slack.team_id,
                title=SlackText.from_plain(f"Disk full on db-{number}"),
                declared_by=ALICE,
                severity="SEV3",
                timezone="UTC",
                declared_at=NOW - timedelta(minutes=131 - number),
            )
            incident.channel_id = f"C0SEED{number:04d}"
            await assign_role(session, incident, role="scribe", user_id=BOB, by=ALICE, at=NOW)
        await session.commit()

    home = await open_home(warroom, BOB)

    view = warroom.slack.home_view(BOB)
    assert view is not None and len(view["blocks"]) <= 100  # Slack took it: views.publish ok
    mine, recent = home["Your incidents"], home["Declared in the last 7 days"]
    shown_mine, shown_recent = references(mine), references(recent)
    assert shown_mine[:3] == ["INC-130", "INC-129", "INC-128"]  # newest first
    assert len(shown_mine) >= 40 and len(shown_recent) >= 40
    assert mine[-1] == f"…and {130 - len(shown_mine)} more: <{WEB}/|the web view lists them all>"
    assert recent[-1] == (
        f"…and {130 - len(shown_recent)} more: <{WEB}/?from=2026-02-25|the web view lists them all>"
    )


async def test_a_person_sees_the_follow_ups_they_own_overdue_first(warroom: Warroom) -> None:
    channel = await declare(warroom, 1, "Checkout down")
    await command(warroom, channel, 'action @bob --due "Mar 5 09:00" page the DBA sooner')
    await command(warroom, channel, 'action @bob --due "Mar 6" add an alert on gateway 5xx')
    await command(warroom, channel, "action @bob write the runbook")
    await command(warroom, channel, 'action @carol --due "Mar 6" rotate the keys')
    assert "Your follow-ups" not in await open_home(warroom, ALICE)  # she owns none
    warroom.clock.now = NOW + timedelta(days=1)  # Thursday noon UTC: the first is overdue
    shown = (await open_home(warroom, BOB))["Your follow-ups"]
    # In Bob's own zone (New York), with the incident's link.
    assert shown[0].startswith(":warning: *Overdue* since Thu 05 Mar 04:00 EST · *<")
    assert shown[0].endswith("page the DBA sooner")
    assert shown[1].startswith(":alarm_clock: Due Fri 06 Mar 12:00 EST · *<")
    assert shown[1].endswith("add an alert on gateway 5xx")
    assert shown[2].startswith("No due date · *<") and shown[2].endswith("write the runbook")
    assert len(shown) == 3  # Carol's is hers


async def test_the_messages_tab_publishes_nothing(warroom: Warroom) -> None:
    await declare(warroom, 1, "Checkout down")
    answer = await warroom.slack.open_app_home(BOB, tab="messages")
    assert answer is not None and answer.status == 200
    await settle(warroom)
    assert warroom.slack.calls_to("views.publish") == []
    assert warroom.slack.home_view(BOB) is None


async def test_an_opening_delivered_twice_is_read_and_published_once(warroom: Warroom) -> None:
    await declare(warroom, 1, "Checkout down")
    # Slack delivers the same opening again (its first answer timed out): same event id.
    event = {"type": "app_home_opened", "user": BOB, "channel": "D0BOB", "tab": "home"}
    event["event_ts"] = new_ts()
    first = await warroom.slack.send_event(event, event_id="Ev0HOME0001")
    await settle(warroom)
    again = await warroom.slack.send_event(
        event, event_id="Ev0HOME0001", retry_num=1, retry_reason="http_timeout"
    )
    await settle(warroom)
    assert (first.status, again.status) == (200, 200)
    assert [call.ok for call in warroom.slack.calls_to("views.publish")] == [True]


async def test_the_home_is_updated_when_opened_and_never_overwrites_a_newer_one(
    warroom: Warroom,
) -> None:
    channel = await declare(warroom, 1, "Checkout down")
    assert references((await open_home(warroom, BOB))["Your incidents"]) == []
    before = dict(warroom.slack.home_view(BOB) or {})
    await command(warroom, channel, "role scribe @bob")
    # Opened again: Slack sends the Home as it stands, and warroom publishes over that one.
    home = await open_home(warroom, BOB)
    assert references(home["Your incidents"]) == ["INC-1"]
    publishes = warroom.slack.calls_to("views.publish")
    assert "hash" not in publishes[0].args and publishes[1].args["hash"] == before["hash"]
    # An opening from before the last publish (its view's hash is stale) changes nothing.
    stale = before
    event = {"type": "app_home_opened", "user": BOB, "channel": "D0BOB", "tab": "home"}
    answer = await warroom.slack.send_event({**event, "event_ts": new_ts(), "view": stale})
    await settle(warroom)
    assert answer.status == 200
    assert warroom.slack.calls_to("views.publish")[-1].error == "hash_conflict"
    assert references(sections(warroom.slack, BOB)["Your incidents"]) == ["INC-1"]
    async with session_scope(warroom.engine) as session:
        assert len((await session.exec(select(Incident))).all()) == 1
