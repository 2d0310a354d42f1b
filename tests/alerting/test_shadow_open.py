"""A shadowed service whose route would open an incident (``action: open``): in shadow it
opens nothing (no Slack channel, nobody invited or paged), computes the pages the incident's
policy would have sent and keeps them as who would have been notified and when, and
``warroom shadow compare`` includes its alerts.

The alerts reach warroom through its Opsgenie Alert API; Opsgenie's side is a fake over
HTTP serving "List Alerts" and "List Alert Recipients" (https://docs.opsgenie.com/docs/alert-api,
emulator/opsgenie.py), as in tests/alerting/test_shadow.py."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.config import Secret
from bot.record.alerting.services import parse_services
from bot.store.db import session_scope
from bot.store.models import AlertGroup, Incident
from emulator import Channel, FakeNtfy, SlackEmulator
from emulator.opsgenie import FakeOpsgenie
from tests.alerting.test_shadow import (
    CONTACTS,
    EMAILS,
    GENIE_KEY,
    POLICIES,
    SCHEDULES,
    START,
    Week,
    on_call,
    send,
)
from tests.alerting.test_vendor_apis import integration
from tests.conftest import ALICE, Clock, Warroom
from tests.helpers.alerts import TOKEN, routes
from tests.helpers.processes import run_warroom
from tests.paging.scenario import notifications, paging_settings


@pytest.fixture
async def shadow_channel(slack: SlackEmulator) -> Channel:
    return slack.create_channel("shadow-week", creator=ALICE, members=[slack.bot_user_id, ALICE])


@pytest.fixture
def warroom_settings(
    database_url: str,
    tmp_path: Path,
    shadow_channel: Channel,
    ntfy: FakeNtfy,
) -> dict[str, object]:
    """Checkout in shadow: its route would open a SEV2 incident that starts the checkout
    policy."""
    route = {
        "name": "checkout",
        "match": {"service": "checkout"},
        "action": "open",
        "policy": "checkout",
        "severity": "SEV2",
    }
    services = {"services": [{"name": "checkout", "shadow": True}]}
    environ = paging_settings(
        tmp_path,
        CONTACTS,
        POLICIES,
        SCHEDULES,
        WARROOM_NTFY_URL=ntfy.root,
        WARROOM_PUBLIC_URL="https://warroom.example.com",
    )
    return {
        "database_url": database_url,
        "clock": Clock(START),
        "alerting__token": Secret(TOKEN),
        "alerting__routes": routes({"routes": [route]}),
        "alerting__catalog": parse_services(services),
        "alerting__shadow_channel": shadow_channel.id,
        **environ,
    }


def rooms(warroom: Warroom) -> set[str]:
    return {ident for ident in warroom.slack.channels if not ident.startswith("D")}


async def test_a_shadowed_open_route_opens_nothing_and_its_pages_are_compared(
    warroom: Warroom,
    database_url: str,
    tmp_path: Path,
    ntfy: FakeNtfy,
    shadow_channel: Channel,
) -> None:
    key = await integration(warroom, "opsgenie", "checkout")
    channels_before = rooms(warroom)
    week = Week()
    at_once = timedelta(seconds=20)
    for number in (1, 2):
        at = START + timedelta(hours=24 * (number - 1))
        warroom.clock.now = at
        # Opsgenie notified the day's person for the first, Alice for the second.
        whom = on_call(at) if number == 1 else ALICE
        week.opsgenie_alert(number, at, [(whom, at_once)])
        await send(warroom, key, number)
        await warroom.advance(minutes=5)

    # No incident, no channel, nobody notified; the pages are kept as shadows.
    async with session_scope(warroom.engine) as session:
        assert list((await session.exec(select(Incident))).all()) == []
        kept_groups = list((await session.exec(select(AlertGroup))).all())
    assert rooms(warroom) == channels_before  # direct messages aside (shift notices)
    assert ntfy.published == []
    assert [m for user in EMAILS for m in warroom.slack.direct_messages(user)
            if not m.text.startswith(":pager: Your on-call shift")] == []  # fmt: skip
    assert len(kept_groups) == 2
    assert all(g.shadow and g.policy == "checkout" and g.severity == "SEV2" for g in kept_groups)
    assert all(g.urgency == "high" for g in kept_groups)
    kept = await notifications(warroom)
    assert kept and {n.state for n in kept} == {"shadow"}
    # Each day's person first; a shadow is never acknowledged, so its policy climbs to Alice.
    firsts = {n.alert_group_id: n.user_id for n in reversed(kept)}
    assert sorted(firsts.values()) == sorted([on_call(START), on_call(START + timedelta(days=1))])
    assert len(shadow_channel.messages) == 2

    users_map = tmp_path / "users.csv"
    users_map.write_text("".join(f"{email},{user}\n" for user, email in EMAILS.items()))
    async with FakeOpsgenie(week.account, api_key=GENIE_KEY) as opsgenie:
        env = {
            "DATABASE_URL": database_url,
            "WARROOM_ESCALATION_POLICIES": str(tmp_path / "policies.yaml"),
            "WARROOM_ONCALL_SCHEDULES": str(tmp_path / "schedules.yaml"),
        }
        compared = await asyncio.to_thread(
            run_warroom,
            "shadow",
            "compare",
            *("--opsgenie", "--since", "2026-03-01 00:00 UTC", "--api-url", opsgenie.root),
            *("--token", GENIE_KEY, "--users-map", str(users_map), "--json"),
            env=env,
            clean=True,
        )
    assert compared.returncode == 3, compared.stderr
    rows = {row["title"]: row for row in json.loads(compared.stdout)["rows"]}
    assert rows["Checkout error rate 1"]["agree"] is True
    second = rows["Checkout error rate 2"]
    assert second["agree"] is False
    assert [each["cause"] for each in second["disagreements"]][:1] == ["schedule"]
