"""Switching detection off is a right, and it is announced: through the
Slack emulator (a member, a guest, a single-channel guest, a user group) and the web view
(signed-in sessions), as a person would try it.

The payments schedule is owned by Owen and paged by the ``payments`` policy, which alerts
labelled ``service=checkout`` and the ``nightly-export`` heartbeat start; every other alert
takes the default route's ``web`` policy, owned by Alice. Carol is in ``@sre-leads``, the
group ``WARROOM_MAINTENANCE_ALLOWED`` names. Dave is a member with no part in any of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.config import Secret
from bot.record.alerting.heartbeats import parse_heartbeats
from bot.record.alerting.services import parse_services
from bot.record.escalation.policies import parse_policies
from bot.record.oncall.schedules import parse_schedules
from bot.store.db import session_scope
from bot.store.models import MaintenanceWindow
from emulator import SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom, WarroomFactory
from tests.helpers.alerts import alert, alertmanager, incidents_of, post_alert, routes
from tests.helpers.incidents import settle
from tests.helpers.web_view import browser, csrf_of, sign_in, visible_text, web_warroom

# Saturday 2026-08-01, 10:30 UTC.
NOW = datetime(2026, 8, 1, 10, 30, tzinfo=UTC)
TOKEN = "test-alert-token-0123456789"
OWEN, DAVE, GUEST = "U0OWEN", "U0DAVE", "U0GUEST"
SRE = "S0SRELEADS"


def _settings(slack: SlackEmulator) -> dict[str, object]:
    """The files and settings of the module's docstring, and their channels in ``slack``."""
    for user, name in ((OWEN, "owen"), (DAVE, "dave"), (GUEST, "gus")):
        slack.add_user(user, name)
    general = slack.channel_by_name("general")
    assert general is not None
    general.members.update({OWEN, DAVE, GUEST})
    slack.add_usergroup(SRE, "sre-leads", [CAROL])
    payments = slack.create_channel("payments-oncall", creator=OWEN, members=[slack.bot_user_id])
    announce = slack.create_channel("announcements", creator=ALICE, members=[slack.bot_user_id])
    schedules = {
        "schedules": {
            "payments": {
                "timezone": "UTC",
                "owners": [OWEN],
                "channel": payments.id,
                "layers": [
                    {
                        "name": "weekly",
                        "start": "2026-07-27 09:00",
                        "rotation": "weekly",
                        "members": [BOB],
                    },
                ],
            }
        }
    }
    policies = {
        "policies": {
            "payments": {"levels": [{"targets": [{"schedule": "payments"}]}]},
            # The guest is named an owner: being named does not make a guest a member.
            "web": {"owners": [ALICE, GUEST], "levels": [{"targets": [{"user": BOB}]}]},
        }
    }
    heartbeats = {
        "heartbeats": [{"name": "nightly-export", "interval": "24h", "policy": "payments"}]
    }
    return {
        "alerting__token": Secret(TOKEN),
        "alerting__routes": routes(
            {
                "routes": [
                    {"name": "checkout", "match": {"service": "checkout"}, "policy": "payments"}
                ],
                "default": {"action": "open", "policy": "web"},
            }
        ),
        "escalation__policies": parse_policies(policies),
        "oncall__schedules": parse_schedules(schedules, now=NOW),
        "heartbeats__heartbeats": parse_heartbeats(heartbeats),
        "incidents__announce_channel": announce.id,
        "maintenance__allowed": ("@sre-leads",),
        "runtime__scheduler_interval": 3600.0,
    }


@pytest.fixture
def warroom_settings(slack: SlackEmulator, database_url: str) -> dict[str, object]:
    """On SQLite and on PostgreSQL."""
    return {
        "database_url": database_url,
        "clock": Clock(NOW),
        **_settings(slack),
    }


async def maintenance(warroom: Warroom, args: str, *, user: str) -> str:
    """``/incident maintenance …`` in #general as ``user``; their private answer."""
    general = warroom.slack.channel_by_name("general")
    assert general is not None
    before = len(warroom.slack.ephemeral_for(user))
    await warroom.slack.send_command(f"maintenance {args}".strip(), user=user, channel=general.id)
    await settle(warroom)
    return "\n".join(answer.text for answer in warroom.slack.ephemeral_for(user)[before:])


async def windows(warroom: Warroom) -> list[MaintenanceWindow]:
    async with session_scope(warroom.engine) as session:
        query = select(MaintenanceWindow).order_by(MaintenanceWindow.id)  # type: ignore[arg-type]
        return list((await session.exec(query)).all())


def said_in(warroom: Warroom, name: str) -> list[str]:
    channel = warroom.slack.channel_by_name(name)
    assert channel is not None
    return [message.text for message in channel.messages if "aintenance window" in message.text]


@pytest.mark.parametrize("kind", ["is_restricted", "is_ultra_restricted"])
async def test_a_guest_gets_nothing_of_maintenance_windows(warroom: Warroom, kind: str) -> None:
    made = await maintenance(warroom, "service=checkout now to 18:00", user=OWEN)
    assert "Maintenance window #1" in made
    setattr(warroom.slack.users[GUEST], kind, True)
    for args in ("", "service=search now to 18:00", "env=prod now to 12:00", "cancel 1"):
        said = await maintenance(warroom, args, user=GUEST)
        assert "guests of the workspace cannot see, make or cancel them" in said, args
        assert "service=checkout" not in said and "<@" not in said, args
    (window,) = await windows(warroom)
    assert window.cancelled_at is None


async def test_a_member_made_a_guest_is_refused_at_once(warroom: Warroom) -> None:
    """Slack is asked each time: a member made a guest a moment ago lists nothing."""
    assert "No maintenance window" in await maintenance(warroom, "", user=DAVE)
    warroom.slack.users[DAVE].is_restricted = True
    said = await maintenance(warroom, "", user=DAVE)
    assert "guests of the workspace cannot see, make or cancel them" in said


async def test_only_the_owners_of_what_it_silences_and_those_named_may(warroom: Warroom) -> None:
    # Dave has no part in checkout's alerts: refused, with who may.
    said = await maintenance(warroom, "service=checkout now to 18:00", user=DAVE)
    assert "Only the owners of what the window's alerts would page" in said
    assert f"policy `payments`: <@{OWEN}>" in said
    assert "`WARROOM_MAINTENANCE_ALLOWED` names (@sre-leads)" in said
    # Alice owns the default route's policy, not checkout's.
    said = await maintenance(warroom, "service=checkout now to 18:00", user=ALICE)
    assert "Only the owners" in said
    assert await windows(warroom) == []

    assert "Maintenance window #1" in await maintenance(
        warroom, "service=checkout now to 18:00", user=OWEN
    )
    # env=prod matches checkout's alerts and everyone else's: Owen owns only the first.
    said = await maintenance(warroom, "env=prod now to 12:00", user=OWEN)
    assert f"policy `payments`: <@{OWEN}>; policy `web`: <@{ALICE}>" in said
    # Carol is in the group the setting names (usergroups.users.list).
    assert "Maintenance window #2" in await maintenance(
        warroom, "env=prod now to 12:00", user=CAROL
    )

    # Showing a window to customers is part of making it: the same right.
    said = await maintenance(
        warroom, "service=checkout now to 18:00 --public Checkout is paused", user=DAVE
    )
    assert "Only the owners" in said and len(await windows(warroom)) == 2

    assert "Only the owners" in await maintenance(warroom, "cancel 1", user=DAVE)
    assert "Only the owners" in await maintenance(warroom, "cancel 2", user=OWEN)
    assert "is cancelled" in await maintenance(warroom, "cancel 1", user=OWEN)
    assert [w.cancelled_by for w in await windows(warroom)] == [OWEN, None]


async def test_a_window_on_a_service_no_route_names_is_for_its_policys_owners(
    warroom_settings: dict[str, object], warroom_with: WarroomFactory
) -> None:
    """payments-api's alerts match no route: they page its own policy, payments (Owen's
    schedule), not the default route's web (Alice's)."""
    catalog = parse_services({"services": [{"name": "payments-api", "policy": "payments"}]})
    warroom = await warroom_with(**warroom_settings, alerting__catalog=catalog)
    said = await maintenance(warroom, "service=payments-api now to 18:00", user=ALICE)
    assert "Only the owners" in said and f"policy `payments`: <@{OWEN}>" in said
    assert "policy `web`" not in said
    assert "Maintenance window #1" in await maintenance(
        warroom, "service=payments-api now to 18:00", user=OWEN
    )


async def test_silencing_a_heartbeat_is_for_the_owners_of_its_policy(warroom: Warroom) -> None:
    """The same rules as any window: a guest gets nothing, the others who may are named, the
    maximum holds, and it is said where the heartbeat's misses would page."""
    args = "warroom_heartbeat=nightly-export now to 18:00"
    for kind in ("is_restricted", "is_ultra_restricted"):
        setattr(warroom.slack.users[GUEST], kind, True)
        said = await maintenance(warroom, args, user=GUEST)
        assert "guests of the workspace cannot see, make or cancel them" in said, kind
        setattr(warroom.slack.users[GUEST], kind, False)
    for user in (DAVE, ALICE):
        said = await maintenance(warroom, args, user=user)
        assert f"policy `payments`: <@{OWEN}>" in said, user
        assert "`WARROOM_MAINTENANCE_ALLOWED` names (@sre-leads)" in said, user
    said = await maintenance(
        warroom, "warroom_heartbeat=nightly-export now to 2026-08-09 12:00", user=OWEN
    )
    assert "lasts 7 days at most" in said
    assert await windows(warroom) == []
    assert "Maintenance window #1" in await maintenance(warroom, args, user=OWEN)
    (made,) = said_in(warroom, "payments-oncall")
    assert made.startswith(f":construction: <@{OWEN}> made maintenance window #1: alerts labelled")
    assert "`warroom_heartbeat=nightly-export`" in made
    assert said_in(warroom, "announcements") == [made]
    assert "is cancelled" in await maintenance(warroom, "cancel 1", user=CAROL)
    assert f"<@{CAROL}> cancelled maintenance window #1" in said_in(warroom, "payments-oncall")[-1]


async def test_a_window_longer_than_the_maximum_is_refused(warroom: Warroom) -> None:
    said = await maintenance(warroom, "service=checkout now to 2026-08-09 12:00", user=OWEN)
    assert "lasts 7 days at most" in said
    assert await windows(warroom) == []


async def test_each_window_made_cancelled_and_ended_is_announced(warroom: Warroom) -> None:
    await maintenance(warroom, "service=checkout now to 18:00", user=OWEN)
    made = (
        f":construction: <@{OWEN}> made maintenance window #1: alerts labelled "
        "`service=checkout` are recorded but open no incident and page nobody, "
        "Sat 2026-08-01 10:30 UTC to Sat 2026-08-01 18:00 UTC."
    )
    assert said_in(warroom, "announcements") == [made]
    assert said_in(warroom, "payments-oncall") == [made]

    body = alertmanager(
        "CheckoutLatency",
        [alert("CheckoutLatency", "web-1", "2026-08-01T10:29:00Z", common={"service": "checkout"})],
    )
    assert (await post_alert(warroom.url, "alertmanager", body))[0] == 202
    await warroom.run_jobs()
    assert await incidents_of(warroom) == []

    # The default route's window reaches no schedule: said in the announcement channel only.
    await maintenance(warroom, "service=search now to 12:00", user=ALICE)
    await maintenance(warroom, "cancel 2", user=ALICE)
    cancelled = (
        f":white_check_mark: <@{ALICE}> cancelled maintenance window #2 (`service=search`, "
        "Sat 2026-08-01 10:30 UTC to Sat 2026-08-01 12:00 UTC): matching alerts open "
        "incidents again. 0 alerts were silenced while it ran."
    )
    assert said_in(warroom, "announcements")[2] == cancelled
    assert len(said_in(warroom, "payments-oncall")) == 1

    await warroom.advance(hours=8)  # 18:30: window #1 is over
    ended = (
        f":white_check_mark: Maintenance window #1 (`service=checkout`, made by <@{OWEN}>) "
        "ended at Sat 2026-08-01 18:00 UTC: matching alerts open incidents again. "
        "1 alert was silenced while it ran."
    )
    assert said_in(warroom, "announcements")[-1] == ended
    assert said_in(warroom, "payments-oncall")[-1] == ended
    await warroom.advance(hours=1)
    assert said_in(warroom, "announcements").count(ended) == 1
    # Window #2 was cancelled before its end: said once, when it was.
    assert [text for text in said_in(warroom, "announcements") if "#2" in text] == [
        said_in(warroom, "announcements")[1],
        cancelled,
    ]


@pytest.mark.parametrize("kind", ["is_restricted", "is_ultra_restricted"])
async def test_the_web_view_refuses_guests_and_those_without_the_right(
    slack: SlackEmulator, database_url: str, kind: str
) -> None:
    settings = _settings(slack)
    setattr(slack.users[GUEST], kind, True)
    async with (
        web_warroom(slack, database_url, Clock(NOW), **settings) as warroom,
        browser() as gus,
        browser() as dave,
        browser() as owen,
    ):
        await sign_in(owen, warroom, OWEN)
        async with owen.get(f"{warroom.url}/maintenance") as answer:
            token = csrf_of(await answer.text())
        form = {"labels": "service=checkout", "start": "now", "end": "18:00", "csrf": token}
        async with owen.post(f"{warroom.url}/maintenance", data=form, allow_redirects=False) as a:
            assert a.status == 303 and a.headers["Location"] == "/maintenance/1"

        await sign_in(gus, warroom, GUEST)
        for path in ("/maintenance", "/maintenance/1"):
            async with gus.get(f"{warroom.url}{path}") as answer:
                shown = visible_text(await answer.text())
            assert answer.status == 403, path
            assert "Maintenance windows are for the workspace's members" in shown
            assert "service=checkout" not in shown
        for path in ("/maintenance", "/maintenance/1/cancel"):
            async with gus.post(f"{warroom.url}{path}", data=form) as answer:
                assert answer.status == 403, path

        await sign_in(dave, warroom, DAVE)
        async with dave.get(f"{warroom.url}/maintenance") as answer:
            assert answer.status == 200
            dave_token = csrf_of(await answer.text())
        for path, data in (
            ("/maintenance", {**form, "csrf": dave_token}),
            ("/maintenance/1/cancel", {"csrf": dave_token}),
        ):
            async with dave.post(f"{warroom.url}{path}", data=data) as answer:
                shown = visible_text(await answer.text())
            assert answer.status == 403, path
            assert "Only the owners of what the window's alerts would page" in shown, path
            assert "policy `payments`: @owen" in shown and "<@" not in shown, path
        # Made a guest after signing in: the next page asks Slack again.
        slack.users[DAVE].is_restricted = True
        async with dave.get(f"{warroom.url}/maintenance/1") as answer:
            assert answer.status == 403
        (window,) = await windows(warroom)
        assert window.cancelled_at is None and window.ends_at - window.starts_at == timedelta(
            hours=7, minutes=30
        )
