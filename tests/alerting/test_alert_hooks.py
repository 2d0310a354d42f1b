"""An alert's page (an alert of its own, no incident) through a person's webhook
and Microsoft Teams contacts, as an incident's page goes (docs/paging.md, "The webhook
method", "The teams method"). Over the wire: Alertmanager's webhook to a running warroom,
the strict fake receiver (emulator/paging_webhook.py: signed, within the window, exactly the
documented fields of an alert's page), the fake Teams Workflows flow (emulator/teams.py:
only a card Teams would post), the fake ntfy (Carol's push, her rule after ten minutes)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import yaml

from emulator import Channel, FakeNtfy, FakeTeamsWorkflow, FakeWebhookReceiver
from tests.alerting.test_own_alerts import (
    NOW,
    PUBLIC_URL,
    TOPIC,
    alert_settings,
    deliver,
    only_message,
    queue_lag,
    the_alert,
)
from tests.conftest import BOB, CAROL, Warroom
from tests.helpers.incidents import settle

SECRET = "whsec-0f9c2d7a41b3"
CONTACTS = {
    "people": {
        CAROL: {
            "contacts": {
                "bridge": {"webhook": "signal-bridge"},
                "ops": {"teams": "ops-teams"},
                "push": {"ntfy": TOPIC},
            },
            "rules": [
                {"after": "0s", "notify": ["bridge", "ops"]},
                {"after": "10m", "notify": ["push"]},
            ],
        },
        BOB: {"rules": [{"after": "0s", "notify": ["slack"]}]},
    }
}


@pytest.fixture
async def outside() -> AsyncIterator[tuple[FakeWebhookReceiver, FakeTeamsWorkflow]]:
    async with (
        FakeWebhookReceiver(SECRET, clock=NOW.timestamp) as hook,
        FakeTeamsWorkflow() as teams,
    ):
        yield hook, teams


@pytest.fixture
def warroom_settings(
    database_url: str,
    tmp_path: Path,
    ops: Channel,
    ntfy: FakeNtfy,
    outside: tuple[FakeWebhookReceiver, FakeTeamsWorkflow],
) -> dict[str, object]:
    hook, teams = outside
    hooks_file = tmp_path / "hooks.yaml"
    destinations = {
        "signal-bridge": {"url": hook.root + "/page", "secret_env": "WARROOM_BRIDGE_SECRET"},
        "ops-teams": {"teams_url_env": "WARROOM_OPS_TEAMS"},
    }
    hooks_file.write_text(yaml.safe_dump({"destinations": destinations}))
    return alert_settings(
        database_url,
        tmp_path,
        ops,
        ntfy,
        CONTACTS,
        WARROOM_PAGING_WEBHOOKS=str(hooks_file),
        WARROOM_BRIDGE_SECRET=SECRET,
        WARROOM_OPS_TEAMS=teams.url,
    )


async def test_the_alert_goes_to_her_webhook_and_teams_and_their_links_act_on_it(
    warroom: Warroom,
    ops: Channel,
    ntfy: FakeNtfy,
    outside: tuple[FakeWebhookReceiver, FakeTeamsWorkflow],
) -> None:
    hook, teams = outside
    await deliver(warroom, queue_lag())
    group = await the_alert(warroom)

    # The receiver's document: the alert, whom it pages by which level, the links to act.
    assert hook.refused == [] and teams.refused == []
    (page,) = hook.pages
    assert (page["type"], page["version"]) == ("alert", 1)
    assert page["alert"]["id"] == group.id
    assert (page["alert"]["title"], page["alert"]["severity"]) == ("QueueLag is firing", "SEV3")
    assert (page["alert"]["urgency"], page["alert"]["state"]) == ("high", "triggered")
    assert page["alert"]["url"] == f"{PUBLIC_URL}/alerts/{group.id}"
    assert ops.id in page["alert"]["slack_url"]
    assert page["paged"]["user"] == CAROL and page["paged"]["rule"] == 1
    assert page["escalation"] == {"policy": "queues", "level": 1, "requested_by": None}
    assert page["console_url"] == page["acknowledge_url"]
    assert page["escalate_url"] == page["acknowledge_url"] + "/escalate"

    # The Teams card: the alert, its urgency, who is paged; Acknowledge opens its console.
    (card,) = teams.cards
    assert card["body"][0]["text"] == "SEV3 Alert: QueueLag is firing"
    facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
    assert (facts["Severity"], facts["Urgency"], facts["Paged by"]) == (
        "SEV3",
        "high",
        "queues level 1",
    )
    assert facts["Paged"].endswith("(rule 1)")
    buttons = {a["title"]: a["url"] for a in card["actions"]}
    assert buttons["Open in Slack"].startswith("https://") and ops.id in buttons["Open in Slack"]
    assert buttons["Open alert"] == f"{PUBLIC_URL}/alerts/{group.id}"
    async with aiohttp.ClientSession() as client:
        opened = buttons["Acknowledge"].replace(PUBLIC_URL, warroom.url)
        async with client.get(opened) as console:
            assert console.status == 200
            assert "QueueLag is firing" in await console.text()
        assert (await the_alert(warroom)).state == "triggered"  # reading acts on nothing

        # The receiver's escalate link pages the next level (Bob) now; its acknowledge link
        # acknowledges the alert, as the push's buttons do.
        async with client.post(page["escalate_url"].replace(PUBLIC_URL, warroom.url)) as up:
            assert up.status == 200
        await settle(warroom)
        await warroom.run_jobs()
        assert len(warroom.slack.direct_messages(BOB)) == 1
        async with client.post(page["acknowledge_url"].replace(PUBLIC_URL, warroom.url)) as ok:
            assert ok.status == 200
    await settle(warroom)
    await warroom.run_jobs()
    group = await the_alert(warroom)
    assert (group.state, group.acknowledged_by, group.acknowledged_via) == (
        "acknowledged",
        CAROL,
        "webhook",
    )
    assert f"*Acknowledged* by <@{CAROL}>" in only_message(ops).text
    await warroom.advance(minutes=30)
    assert ntfy.phone(TOPIC) == []  # acknowledged: her ten-minute push never went


async def test_a_flow_refusing_the_alerts_card_fires_her_next_rule_at_once(
    warroom: Warroom,
    ntfy: FakeNtfy,
    outside: tuple[FakeWebhookReceiver, FakeTeamsWorkflow],
) -> None:
    hook, teams = outside
    teams.fail(400)
    await deliver(warroom, queue_lag())
    await warroom.run_jobs()
    assert teams.cards == []
    assert len(hook.pages) == 1
    assert len(ntfy.phone(TOPIC)) == 1  # the push at once, not after ten minutes
