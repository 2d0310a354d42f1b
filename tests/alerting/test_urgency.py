"""Alerts by urgency and support hours, over the wire: Alertmanager's
webhooks to a running warroom, the Slack emulator (the alert's message, Slack DMs), the fake
ntfy (pushes) and the fake Twilio (SMS and calls); time moves with the test clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import ConfigError, Secret, Settings
from bot.record.alerting.support_hours import parse_support_hours
from emulator import Channel, FakeNtfy, FakeTwilio
from tests.alerting.test_own_alerts import NOW, choose_snooze, deliver, only_message, press
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom, WarroomFactory
from tests.helpers.alerts import TOKEN, alert, alertmanager, routes
from tests.helpers.processes import run_warroom
from tests.paging.scenario import SCHEDULES, notifications, paging_settings
from tests.paging.test_contacts_file import SERVICES

PHONE, BOB_PHONE = "+15555550123", "+15555550188"
PUBLIC_URL = "https://warroom.example.com"
# Carol and Bob on the policy's one level (as people, so each page is written at once).
POLICIES = {
    "policies": {
        "queues": {"levels": [{"timeout": "30m", "targets": [{"user": CAROL}, {"user": BOB}]}]}
    },
}
# Carol wakes for a high-urgency alert (SMS and push at once, a call at 5 minutes); for a
# low-urgency one, her own rules: a push, a Slack DM at 10 minutes. Bob set no low-urgency
# rules: for those, his rules keep only push and Slack.
PEOPLE = {
    "people": {
        CAROL: {
            "contacts": {
                "push": {"ntfy": "carol-7f3a9c"},
                "sms": {"sms": PHONE},
                "call": {"voice": PHONE},
            },
            "rules": [
                {"after": "0s", "notify": ["sms", "push"]},
                {"after": "5m", "notify": ["call"]},
            ],
            "low_urgency_rules": [
                {"after": "0s", "notify": ["push"]},
                {"after": "10m", "notify": ["slack"]},
            ],
        },
        BOB: {
            "contacts": {"push": {"ntfy": "bob-2c4e6a"}, "sms": {"sms": BOB_PHONE}},
            "rules": [
                {"after": "0s", "notify": ["sms"]},
                {"after": "2m", "notify": ["push", "slack"]},
            ],
        },
    }
}
PARIS_OFFICE = {"zone": "Europe/Paris", "days": "mon-fri", "start": "09:00", "end": "18:00"}


def page_routes(channel: str, **low: Any) -> dict[str, Any]:
    """QueueLag pages at low urgency (``low``: more of its keys); DiskFull at high."""
    common = {"action": "page", "policy": "queues", "channel": channel, "severity": "SEV3"}
    return {
        "routes": [
            {
                "name": "queues",
                "match": {"alertname": "QueueLag"},
                "urgency": "low",
                **common,
                **low,
            },
            {"name": "disks", "match": {"alertname": "DiskFull"}, **common},
        ]
    }


def firing(name: str) -> dict[str, Any]:
    return alertmanager(name, [alert(name, "worker-1", "2026-03-03T01:58:00Z")])


@pytest.fixture
async def phones() -> AsyncIterator[tuple[FakeNtfy, FakeTwilio]]:
    async with FakeNtfy() as ntfy, FakeTwilio() as twilio:
        yield ntfy, twilio


def urgency_settings(
    database_url: str,
    tmp_path: Path,
    phones: tuple[FakeNtfy, FakeTwilio],
    document: dict[str, Any],
    now: datetime = NOW,
) -> dict[str, object]:
    ntfy, twilio = phones
    settings = paging_settings(
        tmp_path,
        PEOPLE,
        POLICIES,
        SCHEDULES,
        WARROOM_NTFY_URL=ntfy.root,
        TWILIO_ACCOUNT_SID=twilio.account_sid,
        TWILIO_AUTH_TOKEN=twilio.auth_token,
        TWILIO_FROM=twilio.numbers[0],
        TWILIO_API_URL=twilio.root,
        WARROOM_PUBLIC_URL=PUBLIC_URL,
    )

    async def ready(running: Warroom) -> None:
        twilio.reach = (PUBLIC_URL, running.url)

    return {
        "database_url": database_url,
        "clock": Clock(now),
        "alerting__token": Secret(TOKEN),
        "alerting__routes": routes(document),
        **settings,
        "ready": ready,
    }


@pytest.fixture
def warroom_settings(
    database_url: str, tmp_path: Path, ops: Channel, phones: tuple[FakeNtfy, FakeTwilio]
) -> dict[str, object]:
    document = page_routes(ops.id, support_hours=PARIS_OFFICE)
    return urgency_settings(database_url, tmp_path, phones, document)


def texts(twilio: FakeTwilio, number: str) -> list[str]:
    return [sms.body for sms in twilio.messages if sms.to == number]


async def test_a_high_urgency_alert_rings_the_phones_at_night_and_says_so(
    warroom: Warroom, ops: Channel, phones: tuple[FakeNtfy, FakeTwilio]
) -> None:
    ntfy, twilio = phones
    await deliver(warroom, firing("DiskFull"))  # 03:00 in Paris, no support hours: at once

    assert texts(twilio, PHONE) == [
        "SEV3 Alert: DiskFull is firing (high urgency). Paged by escalation policy queues "
        "(route disks). No incident is open for it. Reply 1 to acknowledge, 2 to escalate, 3 to "
        "snooze 1h (or 3 and a length: 3 30m, 3 4h), 6 to resolve."
    ]
    assert texts(twilio, BOB_PHONE) != []
    (push,) = ntfy.phone("carol-7f3a9c")
    assert push.message.startswith("High urgency. Paged by")
    assert push.priority == 5  # ntfy's "max/urgent": through Do Not Disturb
    assert "· high urgency ·" in only_message(ops).text
    await warroom.advance(minutes=5)
    (call,) = twilio.calls
    assert "Alert, SEV3, high urgency: DiskFull is firing." in call.twiml


async def test_a_low_urgency_alert_outside_support_hours_waits_for_them_then_pages_quietly(
    warroom: Warroom, ops: Channel, phones: tuple[FakeNtfy, FakeTwilio]
) -> None:
    ntfy, twilio = phones
    await deliver(warroom, firing("QueueLag"))  # Tuesday 03:00 in Paris

    text = only_message(ops).text
    assert "· low urgency ·" in text
    assert (
        "*Triggered*, outside the route's support hours: low urgency, it waits until "
        "Tue 03 Mar 09:00 CET, when escalation policy *queues* is paged if it is still open."
    ) in text
    assert await notifications(warroom) == []

    await warroom.advance(hours=5, minutes=59)  # 08:59: nobody yet
    assert ntfy.published == [] and twilio.messages == [] and twilio.calls == []

    await warroom.advance(minutes=1)  # 09:00: the hours start, the policy is paged
    (carol_push,) = ntfy.phone("carol-7f3a9c")
    assert carol_push.message.startswith("Low urgency. Paged by escalation policy queues")
    assert carol_push.priority == 3  # ntfy's default: no Do Not Disturb override
    assert "*Triggered*: paging escalation policy *queues*" in only_message(ops).text
    # Bob set no low-urgency rules: his SMS is dropped, his push and Slack DM come at 2 m.
    assert ntfy.phone("bob-2c4e6a") == []
    await warroom.advance(minutes=2)
    (bob_push,) = ntfy.phone("bob-2c4e6a")
    assert "Low urgency" in bob_push.message
    (bob_dm,) = warroom.slack.direct_messages(BOB)
    assert "QueueLag is firing (low urgency)" in bob_dm.text

    await warroom.advance(minutes=10)  # Carol's 10-minute rule: a Slack DM, never a phone
    assert len(warroom.slack.direct_messages(CAROL)) == 1
    assert twilio.messages == [] and twilio.calls == []
    methods = sorted((n.user_id, n.method) for n in await notifications(warroom))
    assert methods == [(BOB, "ntfy"), (BOB, "slack"), (CAROL, "ntfy"), (CAROL, "slack")]


async def test_acknowledged_while_it_waits_nobody_is_paged_when_the_hours_start(
    warroom: Warroom, ops: Channel, phones: tuple[FakeNtfy, FakeTwilio]
) -> None:
    ntfy, twilio = phones
    await deliver(warroom, firing("QueueLag"))
    await press(warroom, ops, "acknowledge_alert", ALICE)
    assert f"*Acknowledged* by <@{ALICE}>" in only_message(ops).text

    await warroom.advance(hours=8)
    assert ntfy.published == [] and twilio.messages == []
    assert await notifications(warroom) == []


async def test_escalated_by_hand_while_it_waits_it_pages_at_once_and_not_again_at_the_hours(
    warroom: Warroom, ops: Channel, phones: tuple[FakeNtfy, FakeTwilio]
) -> None:
    ntfy = phones[0]
    await deliver(warroom, firing("QueueLag"))
    await press(warroom, ops, "escalate_alert", ALICE)
    assert len(ntfy.phone("carol-7f3a9c")) == 1  # level 1 now, by her low-urgency rules
    assert "waits until" not in only_message(ops).text
    await warroom.advance(hours=6)  # 09:00: the waiting job finds it paged already
    assert len(ntfy.phone("carol-7f3a9c")) == 1


async def test_a_snooze_that_ends_outside_support_hours_waits_for_them_too(
    warroom: Warroom, ops: Channel, phones: tuple[FakeNtfy, FakeTwilio]
) -> None:
    ntfy = phones[0]
    five_in_paris = datetime(2026, 3, 3, 16, 0, tzinfo=UTC)
    warroom.clock.now = five_in_paris
    await deliver(warroom, firing("QueueLag"))  # 17:00 in Paris: paged at once
    assert len(ntfy.phone("carol-7f3a9c")) == 1
    await choose_snooze(warroom, ops, "4h", CAROL)  # until 21:00: the office is closed then

    await warroom.advance(hours=4)
    assert "it waits until Wed 04 Mar 09:00 CET" in only_message(ops).text
    assert len(ntfy.phone("carol-7f3a9c")) == 1
    await warroom.advance(hours=12)  # Wednesday 09:00 in Paris: paged from level 1 again
    assert len(ntfy.phone("carol-7f3a9c")) == 2
    assert "*Triggered* again: the snooze by" in only_message(ops).text


async def test_inside_support_hours_a_low_urgency_alert_pages_at_once(
    database_url: str,
    tmp_path: Path,
    ops: Channel,
    phones: tuple[FakeNtfy, FakeTwilio],
    warroom_with: WarroomFactory,
) -> None:
    ntfy, twilio = phones
    ten_in_paris = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    document = page_routes(ops.id, support_hours=PARIS_OFFICE)
    warroom = await warroom_with(
        **urgency_settings(database_url, tmp_path, phones, document, ten_in_paris)
    )
    await deliver(warroom, firing("QueueLag"))
    (push,) = ntfy.phone("carol-7f3a9c")
    assert push.message.startswith("Low urgency.")
    assert "waits until" not in only_message(ops).text
    assert twilio.messages == []


def refusal(tmp_path: Path, document: dict[str, Any], file: str = "routes") -> str:
    """What ``warroom serve`` says when the routes (or contacts) file is ``document``."""
    path = tmp_path / f"{file}.yaml"
    path.write_text(yaml.safe_dump(document))
    variable = "WARROOM_ALERT_ROUTES" if file == "routes" else "WARROOM_CONTACTS"
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({variable: str(path), "WARROOM_ALERT_TOKEN": TOKEN})
    return str(refused.value)


@pytest.mark.parametrize(
    ("low", "said"),
    [
        ({"urgency": "urgent"}, "route 'queues': urgency must be 'high' or 'low', got 'urgent'"),
        (
            {"support_hours": {**PARIS_OFFICE, "zone": "Europe/Pari"}},
            "route 'queues': support_hours: zone 'Europe/Pari' is not a time zone",
        ),
        (
            {"support_hours": {**PARIS_OFFICE, "days": "mon-fry"}},
            "route 'queues': support_hours: days: 'mon-fry' is not a day or a range of days",
        ),
        (
            {"support_hours": {**PARIS_OFFICE, "start": "18:00", "end": "09:00"}},
            "route 'queues': support_hours: start 18:00 must come before end 09:00",
        ),
        (
            {"support_hours": {**PARIS_OFFICE, "end": 1080}},
            "route 'queues': support_hours: end: write the time in quotes, like \"09:00\"",
        ),
        (
            {"urgency": "high", "support_hours": PARIS_OFFICE},
            "route 'queues': support_hours delay only low-urgency alerts: set urgency: low",
        ),
    ],
)
def test_bad_urgency_or_support_hours_are_refused_at_start_in_words(
    tmp_path: Path, low: dict[str, Any], said: str
) -> None:
    assert said in refusal(tmp_path, page_routes("C0123456789", **low))


def test_an_incident_route_is_always_high_urgency(tmp_path: Path) -> None:
    document = {"routes": [{"name": "checkout", "match": {"team": "pay"}, "urgency": "low"}]}
    said = refusal(tmp_path, document)
    assert "route 'checkout': urgency and support_hours are for 'page' routes" in said


def test_a_bad_low_urgency_rule_is_refused_naming_the_person_and_the_rule(
    tmp_path: Path,
) -> None:
    people = {"people": {CAROL: {"contacts": {"push": {"ntfy": "carol-7f3a9c"}},
        "low_urgency_rules": [{"after": "0s", "notify": ["push"]},
                              {"after": "5m", "notify": ["pager"]}]}}}  # fmt: skip
    said = refusal(tmp_path, people, "contacts")
    assert (
        f"person {CAROL}: low_urgency_rules: rule 2: notify: 'pager' is neither slack nor a "
        "contact here (contacts: slack, push)"
    ) in said


def test_support_hours_start_on_the_next_working_day_in_their_zone() -> None:
    hours = parse_support_hours({**PARIS_OFFICE, "days": "mon-fri, sun", "end": "24:00"})
    saturday_noon = datetime(2026, 3, 7, 11, 0, tzinfo=UTC)
    assert hours.next_start(saturday_noon) == datetime(2026, 3, 8, 8, 0, tzinfo=UTC)  # Sun 09:00
    assert hours.next_start(datetime(2026, 3, 8, 22, 59, tzinfo=UTC)) is None  # Sun 23:59
    # Summer time: 09:00 in Paris is 07:00 UTC after the clocks went forward on 29 March.
    friday_evening = datetime(2026, 3, 27, 23, 30, tzinfo=UTC)
    weekend = parse_support_hours({**PARIS_OFFICE, "days": "fri-mon"})
    assert weekend.days == {4, 5, 6, 0}
    assert weekend.next_start(friday_evening) == datetime(2026, 3, 28, 8, 0, tzinfo=UTC)
    assert weekend.next_start(datetime(2026, 3, 29, 6, 0, tzinfo=UTC)) == datetime(
        2026, 3, 29, 7, 0, tzinfo=UTC
    )


def test_warroom_paging_check_takes_low_urgency_rules(tmp_path: Path) -> None:
    path = tmp_path / "contacts.yaml"
    path.write_text(yaml.safe_dump(PEOPLE))
    # What serve, and so paging check, needs for these methods (ntfy, SMS, voice).
    done = run_warroom("paging", "check", str(path), env=SERVICES, clean=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{path}: fine: 2 people, 5 contact methods\n"
