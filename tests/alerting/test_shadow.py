"""A shadow week, replayed: the checkout service in shadow mode receives,
over a week, the alerts Opsgenie paged (sent to warroom's Opsgenie Alert API by the same
alias), computes every page and notifies nobody; then ``warroom shadow compare --opsgenie``
reads a fake Opsgenie's alert log over HTTP ("List Alerts" and "List Alert Recipients" of
Opsgenie's Alert API, https://docs.opsgenie.com/docs/alert-api; the fake serves the
operations of Opsgenie's OpenAPI description, emulator/opsgenie.py) and lists the agreements
and each disagreement with its cause, as the web page /shadow shows them."""

from __future__ import annotations

import asyncio
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.config import Secret
from bot.record.alerting.maintenance import add_window
from bot.record.alerting.services import parse_services
from bot.record.oncall.overrides import add_override
from bot.record.people import known_names
from bot.store.db import session_scope
from emulator import Channel, FakeNtfy, SlackEmulator
from emulator.opsgenie import FakeOpsgenie, OpsgenieAccount
from emulator.pagerduty_account import Account
from emulator.pagerduty_rest import FakePagerDutyRest
from tests.alerting.test_vendor_apis import OpsgenieClient, PagerDutyEventsClient, integration
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom
from tests.helpers.alerts import TOKEN, routes
from tests.helpers.processes import run_warroom
from tests.helpers.web_view import API_TOKEN, browser, sign_in, visible_text, web_settings
from tests.paging.scenario import notifications, paging_settings

# Monday 2 March 2026, 08:00 UTC: the shadow week begins.
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
GENIE_KEY = "eb243592-faa2-4ba2-a551q-1afdf565c889"
EMAILS = {CAROL: "carol@example.com", BOB: "bob@example.com", ALICE: "alice@example.com"}
# Carol and Bob take turns on call a day each (UTC days from 1 March: Carol, Bob, Carol...);
# Alice is the policy's second level, 15 minutes on.
SCHEDULES = {
    "schedules": {
        "week": {
            "timezone": "UTC",
            "layers": [
                {
                    "name": "all",
                    "start": "2026-03-01 00:00",
                    "rotation": "daily",
                    "members": [CAROL, BOB],
                }
            ],
        }
    }
}
POLICIES = {
    "policies": {
        "checkout": {
            "levels": [
                {"timeout": "15m", "targets": [{"schedule": "week"}]},
                {"targets": [{"user": ALICE}]},
            ]
        }
    }
}
CONTACTS = {
    "people": {
        user: {
            "contacts": {"push": {"ntfy": f"{name}-phone"}},
            "rules": [{"after": "0s", "notify": ["push", "slack"]}],
        }
        for user, name in ((CAROL, "carol"), (BOB, "bob"), (ALICE, "alice"))
    }
}


def on_call(at: datetime) -> str:
    return (CAROL, BOB)[(at - datetime(2026, 3, 1, tzinfo=UTC)).days % 2]


@pytest.fixture
async def shadow_channel(slack: SlackEmulator) -> Channel:
    return slack.create_channel("shadow-week", creator=ALICE, members=[slack.bot_user_id, ALICE])


@pytest.fixture
def group_window() -> str:
    """The checkout route's grouping window (a test of grouping names its own)."""
    return "0"


@pytest.fixture
def warroom_settings(
    slack: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    ops: Channel,
    shadow_channel: Channel,
    ntfy: FakeNtfy,
    group_window: str,
) -> dict[str, object]:
    """Checkout in shadow: its route pages the checkout policy on paper only."""
    route = {
        "name": "checkout",
        "match": {"service": "checkout"},
        "action": "page",
        "policy": "checkout",
        "channel": ops.id,
        "severity": "SEV2",
        "group_window": group_window,
    }
    services = {"services": [{"name": "checkout", "policy": "checkout", "shadow": True}]}
    environ = paging_settings(
        tmp_path,
        CONTACTS,
        POLICIES,
        SCHEDULES,
        WARROOM_NTFY_URL=ntfy.root,
        WARROOM_PUBLIC_URL="https://warroom.example.com",
    )
    environ["web__public_url"] = ""  # signing in comes back to the test's own address
    return {
        "database_url": database_url,
        "clock": Clock(START),
        "alerting__token": Secret(TOKEN),
        "alerting__routes": routes({"routes": [route]}),
        "alerting__catalog": parse_services(services),
        "alerting__shadow_channel": shadow_channel.id,
        **environ,
        **web_settings(slack),
    }


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class Week:
    """The alerts of the week as Opsgenie kept them, and the same sent to warroom."""

    def __init__(self) -> None:
        self.account = OpsgenieAccount()

    def opsgenie_alert(
        self,
        number: int,
        at: datetime,
        notified: list[tuple[str, timedelta]],
        ack_after: timedelta = timedelta(minutes=5),
        alias: str | None = None,
    ) -> None:
        """Opsgenie's alert ``number`` at ``at``: each person notified that long after it
        began, acknowledged ``ack_after`` it began (``report.ackTime``, milliseconds)."""
        ident = f"70413a06-38d6-4c85-92b8-5ebc900d{number:04d}"
        self.account.alerts.append(
            {
                "id": ident,
                "tinyId": str(number),
                "alias": alias or f"checkout-{number}",
                "message": f"Checkout error rate {number}",
                "status": "closed",
                "acknowledged": True,
                "createdAt": _iso(at),
                "updatedAt": _iso(at + ack_after),
                "priority": "P2",
                "report": {"ackTime": int(ack_after.total_seconds() * 1000)},
            }
        )
        self.account.recipients[ident] = [
            {
                "user": {"id": f"user-{user}", "username": EMAILS[user]},
                "state": "notified",
                "method": "SMS",
                "createdAt": _iso(at + after),
                "updatedAt": _iso(at + after),
            }
            for user, after in notified
        ]


async def send(warroom: Warroom, key: str, number: int, alias: str | None = None) -> None:
    """The alert, sent to warroom's Opsgenie Alert API as the monitoring tool sends it."""
    client = OpsgenieClient(warroom.url, key)
    body = {"message": f"Checkout error rate {number}", "alias": alias or f"checkout-{number}"}
    await client.call("/v2/alerts", {**body, "priority": "P2"})
    await warroom.run_jobs()


async def test_a_replayed_shadow_week_lists_agreements_and_each_disagreements_cause(
    warroom: Warroom,
    database_url: str,
    tmp_path: Path,
    ntfy: FakeNtfy,
    ops: Channel,
    shadow_channel: Channel,
) -> None:
    key = await integration(warroom, "opsgenie", "checkout")
    week = Week()
    # Thursday 10:00 to 14:00, Carol's day: an override in warroom puts Bob on call.
    thursday = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    async with session_scope(warroom.engine) as session:
        schedule = warroom.services.settings.oncall.schedules.by_name["week"]
        await add_override(
            session,
            schedule=schedule,
            user=BOB,
            start=thursday,
            end=thursday + timedelta(hours=4),
            created_by=ALICE,
            created_at=START,
        )
        await session.commit()
    at_once = timedelta(seconds=20)
    moments = [START + timedelta(hours=14 * n) for n in range(9)]  # every 14 h of the week
    for number, at in enumerate(moments, start=1):
        warroom.clock.now = at
        if number == 7:  # the override's hours
            warroom.clock.now = at = thursday + timedelta(hours=1)
        person = on_call(at)
        if number == 3:  # Opsgenie's schedule had Alice on call: warroom's had the day's
            notified = [(ALICE, at_once)]
        elif number == 5:  # Opsgenie notified 6 minutes later than warroom's rules do
            notified = [(person, timedelta(minutes=6))]
        elif number == 7:  # Opsgenie knew no override: the day's person
            notified = [(CAROL, at_once)]
        elif number == 8:  # nobody acknowledged for 20 min: both climbed to Alice
            notified = [(person, at_once), (ALICE, timedelta(minutes=15, seconds=30))]
        else:
            notified = [(person, at_once)]
        ack = timedelta(minutes={8: 20, 5: 10}.get(number, 5))
        week.opsgenie_alert(number, at, notified, ack_after=ack)
        await send(warroom, key, number)
        for _ in range(2):  # every level the shadow's policy reaches, each when due
            await warroom.advance(minutes=15)
    # One alert Opsgenie had that never reached warroom (its integration not repointed).
    week.opsgenie_alert(10, START + timedelta(days=5), [(CAROL, at_once)])

    # Nobody was notified of an alert: no push, no DM, no post in the route's channel (the
    # schedule's own shift notices are warroom's on-call, not the shadow's pages).
    assert ntfy.published == []
    direct = [m.text for user in EMAILS for m in warroom.slack.direct_messages(user)]
    assert direct and all(text.startswith(":pager: Your on-call shift") for text in direct)
    assert ops.messages == []
    kept = await notifications(warroom)
    assert kept and {n.state for n in kept} == {"shadow"}
    # The shadow channel says each is a shadow, and mentions nobody.
    assert len(shadow_channel.messages) == 9
    first = shadow_channel.messages[0].text
    assert ":ghost: *Shadow*" in first and "notified nobody" in first and "<@" not in first

    printed, as_json = await compare_with_opsgenie(week, tmp_path, database_url, (), ("--json",))
    assert printed.returncode == 3, printed.stderr  # some disagree
    report: dict[str, Any] = json.loads(as_json.stdout)
    rows = {row["title"]: row for row in report["rows"]}
    assert len(rows) == 10
    agreeing = {title for title, row in rows.items() if row["agree"]}
    assert agreeing == {f"Checkout error rate {n}" for n in (1, 2, 4, 6, 8, 9)}
    assert report["agreeing"] == 6 and report["share"] == 0.6

    async with session_scope(warroom.engine) as session:
        known = await known_names(session, EMAILS)

    def said(user: str) -> str:  # as the web view names them, else by the vendor's address
        return known.get(user, EMAILS[user])

    def causes(number: int) -> list[tuple[str, str]]:
        row = rows[f"Checkout error rate {number}"]
        return [(each["cause"], each["words"]) for each in row["disagreements"]]

    day_of_3 = said(on_call(moments[2]))
    assert causes(3) == [
        ("schedule", f"warroom's schedule week had {day_of_3} on call then"),
        ("schedule", f"warroom's schedule week had {day_of_3} on call then, not {said(ALICE)}"),
    ]
    assert causes(5) == [
        (
            "rule",
            f"{said(on_call(moments[4]))}'s contact rules notify 6 min earlier than the vendor",
        )
    ]
    carol = said(CAROL)
    assert causes(7) == [
        ("override", f"an override in warroom put {said(BOB)} on call on week then"),
        ("override", f"an override in warroom put {said(BOB)} on call on week then, not {carol}"),
    ]
    assert causes(10) == [("route", "warroom received no alert with this alias or title")]
    # Alert 8: both reached Alice at the second level, within the tolerance.
    eight = rows["Checkout error rate 8"]
    assert [who for who, _ in eight["vendor"]] == [who for who, _ in eight["warroom"]]
    assert len(eight["warroom"]) == 2

    text = printed.stdout
    assert "6 of 10 alerts agree (60%)" in text
    assert "the same first person notified within the same minute" in text
    # A table: a line per alert, its columns where the header's are.
    header, *lines = [
        line for line in text.splitlines() if line.startswith(("Result", "agree ", "DISAGREE "))
    ][:11]
    assert header.split()[:4] == ["Result", "Began", "(UTC)", "Alert"]
    seventh = next(line for line in lines if "Checkout error rate 7 " in line)
    assert seventh.startswith("DISAGREE") and seventh.index("Checkout") == header.index("Alert")
    assert seventh.index("computed its pages as a shadow") == header.index("What warroom did")
    assert "DISAGREE Checkout error rate 7 (Opsgenie" in text
    (tenth,) = [line for line in lines if "Checkout error rate 10 " in line]
    assert tenth.endswith("warroom received no alert with this alias or title")
    assert f"  override: an override in warroom put {said(BOB)} on call on week then" in text

    # The same report on the web page, for members; the alerts say they are shadows.
    async with browser() as member:
        await sign_in(member, warroom, ALICE)
        status, seen = await page(member, f"{warroom.url}/shadow")
        assert status == 200
        assert "6 of 10 alerts agree (60%)" in seen
        assert f"override: an override in warroom put {said(BOB)} on call on week then" in seen
        assert "route: warroom received no alert with this alias or title" in seen
        status, one = await page(member, f"{warroom.url}/alerts/1")
        assert status == 200 and "a shadow: its pages were computed, nobody was notified" in one
        assert "Would have notified (shadow)" in one
        bearer = {"Authorization": f"Bearer {API_TOKEN}"}
        async with member.get(f"{warroom.url}/api/alerts", headers=bearer) as answer:
            listed = await answer.json()
        assert {each["shadow"] for each in listed["open"] + listed["resolved"]} == {True}
    warroom.slack.add_user("U0GUEST", "gus")
    warroom.slack.users["U0GUEST"].is_restricted = True
    async with browser() as guest:
        await sign_in(guest, warroom, "U0GUEST")
        status, seen = await page(guest, f"{warroom.url}/shadow")
        assert status == 403 and "The shadow week is for the workspace's members" in seen
        assert "Checkout error rate" not in seen


async def test_a_shadow_compared_with_pagerdutys_incident_log(
    warroom: Warroom, database_url: str, tmp_path: Path, ntfy: FakeNtfy
) -> None:
    """PagerDuty's side: ``GET /incidents`` and each one's ``GET /incidents/{id}/log_entries``
    (``notify_log_entry``: whom it notified, when; ``acknowledge_log_entry``: when it
    stopped), people by ``GET /users``' e-mail; the alerts reached warroom through its Events
    API v2 with the incidents' dedup keys."""
    key = await integration(warroom, "pagerduty", "checkout")
    events = PagerDutyEventsClient(f"{warroom.url}/v2/enqueue", key)
    account = Account(
        users=[
            {"id": f"P{name.upper()}", "type": "user", "name": name, "email": EMAILS[user]}
            for user, name in ((CAROL, "carol"), (BOB, "bob"), (ALICE, "alice"))
        ]
    )
    for number, at, whom in ((1, START, BOB), (2, START + timedelta(days=1), ALICE)):
        warroom.clock.now = at
        await events.send(
            "trigger", f"db-{number}", summary=f"Disk full {number}", source="db", severity="error"
        )
        await warroom.run_jobs()
        ident = f"Q0DISK{number}"
        account.incidents.append(
            {
                "id": ident,
                "type": "incident",
                "title": f"Disk full {number}",
                "incident_key": f"db-{number}",
                "created_at": _iso(at),
                "status": "resolved",
            }
        )
        person = {"id": f"P{whom[2:].upper()}", "type": "user_reference", "summary": "someone"}
        account.log_entries[ident] = [
            {"type": "notify_log_entry", "created_at": _iso(at + timedelta(seconds=30)),
             "user": person},
            {"type": "acknowledge_log_entry", "created_at": _iso(at + timedelta(minutes=4))},
        ]  # fmt: skip
    assert ntfy.published == []
    users_map = tmp_path / "users.csv"
    users_map.write_text("".join(f"{email},{user}\n" for user, email in EMAILS.items()))
    async with FakePagerDutyRest(account) as pagerduty:
        env = {
            "DATABASE_URL": database_url,
            "WARROOM_ESCALATION_POLICIES": str(tmp_path / "policies.yaml"),
            "WARROOM_ONCALL_SCHEDULES": str(tmp_path / "schedules.yaml"),
        }
        compared = await asyncio.to_thread(
            run_warroom,
            "shadow",
            "compare",
            "--pagerduty",
            "--since",
            "2026-03-01 00:00 UTC",
            "--api-url",
            pagerduty.root,
            "--token",
            pagerduty.token,
            "--users-map",
            str(users_map),
            "--json",
            env=env,
            clean=True,
        )
        asked = list(pagerduty.requests)
    assert compared.returncode == 3, compared.stderr
    report = json.loads(compared.stdout)
    assert report["vendor"] == "PagerDuty"
    rows = {row["title"]: row for row in report["rows"]}
    assert rows["Disk full 1"]["agree"] is True
    (why,) = [each["cause"] for each in rows["Disk full 2"]["disagreements"][:1]]
    assert why == "schedule"  # warroom's schedule had the day's person, PagerDuty Alice
    assert any(path.startswith("/incidents/Q0DISK2/log_entries") for path in asked)


@pytest.mark.parametrize("group_window", ["10m"])
async def test_a_shadow_week_names_what_warroom_did_with_each_alert(
    warroom: Warroom, database_url: str, tmp_path: Path
) -> None:
    """Alerts warroom received and paged nobody for of their own are accounted for, each by
    what warroom did: grouped into another open alert (the route's ``group_window``), taken
    for a repeat of an alert still open under the same alias, held by a maintenance window;
    the agreement figure counts them as disagreeing, each with that cause."""
    key = await integration(warroom, "opsgenie", "checkout")
    week, at_once = Week(), timedelta(seconds=20)
    person = on_call(START)
    # 1: paged (on paper); 2, three minutes on: grouped into 1 by the route's window.
    for number, after in ((1, timedelta(0)), (2, timedelta(minutes=3))):
        warroom.clock.now = START + after
        week.opsgenie_alert(number, warroom.clock.now, [(person, at_once)])
        await send(warroom, key, number)
    await warroom.advance(minutes=40)
    # 3: Opsgenie closed 1 and opened a new alert under its alias; warroom's 1 never heard
    # the close, so the same alias is a repeat of an alert still open.
    warroom.clock.now = START + timedelta(hours=2)
    week.opsgenie_alert(3, warroom.clock.now, [(person, at_once)], alias="checkout-1")
    await send(warroom, key, 3, alias="checkout-1")
    # 4: during a maintenance window on checkout.
    warroom.clock.now = START + timedelta(hours=4)
    async with session_scope(warroom.engine) as session:
        now = warroom.clock.now
        end = now + timedelta(hours=1)
        matchers = {"service": "checkout"}
        await add_window(session, matchers=matchers, starts_at=now, ends_at=end, by=ALICE, now=now)
        await session.commit()
    week.opsgenie_alert(4, warroom.clock.now, [(person, at_once)])
    await send(warroom, key, 4)

    (compared,) = await compare_with_opsgenie(week, tmp_path, database_url, ("--json",))
    assert compared.returncode == 3, compared.stderr
    report = json.loads(compared.stdout)
    rows = {row["title"]: row for row in report["rows"]}
    fates = {title: (row["fate"], row["agree"]) for title, row in rows.items()}
    assert fates == {
        "Checkout error rate 1": ("shadow", True),
        "Checkout error rate 2": ("grouped", False),
        "Checkout error rate 3": ("deduplicated", False),
        "Checkout error rate 4": ("maintenance", False),
    }
    assert report["agreeing"] == 1 and report["share"] == 0.25

    def cause(number: int) -> tuple[str, str]:
        (only,) = rows[f"Checkout error rate {number}"]["disagreements"]
        return only["cause"], only["words"]

    grouped = cause(2)
    assert grouped[0] == "grouped"
    assert "into warroom's alert 1 (Checkout error rate 1)" in grouped[1]
    assert rows["Checkout error rate 2"]["warroom_alert"] == 2
    repeat = cause(3)
    assert repeat[0] == "deduplicated" and "a repeat of 70413a06" in repeat[1]
    held = cause(4)
    assert held[0] == "maintenance" and held[1].startswith("held by maintenance window 1")


async def compare_with_opsgenie(
    week: Week, tmp_path: Path, database_url: str, *extras: tuple[str, ...]
) -> list[subprocess.CompletedProcess[str]]:
    """``warroom shadow compare --opsgenie`` against a fake Opsgenie holding ``week``, as an
    operator types it (people matched by a users map), once per tuple of ``extras``."""
    users_map = tmp_path / "users.csv"
    users_map.write_text("".join(f"{email},{user}\n" for user, email in EMAILS.items()))
    env = {
        "DATABASE_URL": database_url,
        "WARROOM_ESCALATION_POLICIES": str(tmp_path / "policies.yaml"),
        "WARROOM_ONCALL_SCHEDULES": str(tmp_path / "schedules.yaml"),
    }
    async with FakeOpsgenie(week.account, api_key=GENIE_KEY) as opsgenie:
        args = ("--opsgenie", "--since", "2026-03-01 00:00 UTC", "--api-url", opsgenie.root)
        common = (*args, "--token", GENIE_KEY, "--users-map", str(users_map))
        return [
            await asyncio.to_thread(
                run_warroom, "shadow", "compare", *common, *extra, env=env, clean=True
            )
            for extra in extras
        ]


async def page(client: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with client.get(url) as answer:
        html = (await answer.text()).replace("<", " <")
        return answer.status, " ".join(visible_text(html).split())
