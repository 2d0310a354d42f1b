"""The suite's seeds replayed with their change messages: each seed's
incident was caused by a change nobody put beside the alert, and the seeds tell it: the
checkout page crash, "a flaw in the 11:55 gateway integration release"; the Nuru payment
outage, the payment gateway's configuration ("Payment gateway integration misconfigured").
Each change, and changes that did not cause it (the decoys the seeds' people suspected: the
database after its maintenance, the checkout page itself), is posted to #deploys by its
tool, in its tool's documented Slack shape (tests/payloads/vendors/
slack_change_notifications.json), at the seed's time; then the seed is replayed as
tests/postmortem/test_postmortem_scenarios.py plays it, and the message beside its incident
lists the deploy that caused it first under "what changed".
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from bot.config import Secret
from bot.record.alerting.services import parse_services
from emulator import Channel, SlackEmulator
from emulator.openai_chat import FakeChatModel
from tests.changes.test_change_channels import notification
from tests.conftest import ALICE, Clock, running_warroom
from tests.helpers.alerts import TOKEN, routes
from tests.helpers.replay import Replay, part
from tests.postmortem.test_causes import CAUSES
from tests.postmortem.test_postmortem_scenarios import (
    NAIROBI,
    NAIROBI_START,
    NURU,
    NURU_START,
    play_checkout_crash,
    play_nuru_outage,
    scenario_people,
)
from tests.postmortem.test_suggestions import ai

CHECKOUT_SERVICES = {
    "services": [
        {"name": "checkout", "depends_on": ["payment-gateway"]},
        {"name": "payment-gateway", "repositories": ["acme/payment-gateway-integration"]},
        {"name": "search"},
    ]
}
NURU_SERVICES = {
    "services": [
        {"name": "nuru-payments", "depends_on": ["payment-gateway", "nuru-db"]},
        {"name": "payment-gateway"},
        {"name": "nuru-db"},
        {"name": "reporting"},
    ]
}


def deploys_channel(slack: SlackEmulator) -> Channel:
    return slack.create_channel("deploys", creator=ALICE, members=[slack.bot_user_id])


def shaped(name: str, **changed: Any) -> dict[str, Any]:
    """A documented notification with this seed's values."""
    said = copy.deepcopy(notification(name))
    said.update(changed)
    return said


async def announce(play: Replay, deploys: Channel, clock_time: str, said: dict[str, Any]) -> None:
    """The tool posts ``said`` in #deploys at ``clock_time`` of the seed's day."""
    await play.now(clock_time)
    await play.warroom.slack.post_as_app(
        deploys.id,
        said["text"],
        name=said["app"],
        attachments=said["attachments"] or None,
        ts=play.ts(clock_time),
    )
    await play.settle()


def causes_request_changes(model: FakeChatModel) -> list[str]:
    """The changes the first possible causes' request sent the model (in time order, each
    with its rank among the suspects)."""
    first = next(r for r in model.accepted if r.format_name == CAUSES)
    return [line for line in first.lines if "(change)" in line]


def what_changed(channel: Channel) -> list[str]:
    """The changes listed beside the incident, in order."""
    (said,) = [m.text for m in channel.messages if "What changed before" in m.text]
    return [line for line in said.splitlines() if line.startswith("• ")]


async def test_the_checkout_crash_lists_the_gateway_integration_release_first(
    slack: SlackEmulator, database_url: str, model: FakeChatModel
) -> None:
    people = scenario_people(slack)
    deploys = deploys_channel(people)
    settings = {
        **NAIROBI,
        "alerting__catalog": parse_services(CHECKOUT_SERVICES),
        "alerting__change_channels": (deploys.id,),
        "ai": ai(model, causes=True),
    }
    model.reply({"causes": []}, times=50, to=CAUSES)
    async with running_warroom(people, database_url, Clock(NAIROBI_START), **settings) as warroom:
        play = Replay(warroom, "Africa/Nairobi", datetime(2023, 3, 14))
        # The morning's changes, as the tools said them in #deploys.
        argocd_text = notification("argocd")["text"].replace("ledger", "checkout")
        checkout_sync = shaped("argocd", text=argocd_text)
        checkout_sync["attachments"][0]["title"] = "checkout"
        await announce(play, deploys, "10:15 AM", checkout_sync)
        search = shaped("plain", text="erin deployed search 7.2.0 to production")
        await announce(play, deploys, "11:30 AM", search)
        repository = "acme/payment-gateway-integration"
        release = shaped("github")
        release["attachments"][0] |= {
            "fallback": f"[{repository}] Successfully deployed 55e1a2b to production",
            "text": f"Successfully deployed <https://github.com/{repository}/commit/55e1a2b9|"
            "`55e1a2b`> to <https://deploy.example.com/runs/1155|production>",
        }
        await announce(play, deploys, "11:55 AM", release)
        # Later than the cause, on a service the incident is not on: newest first, it led.
        later = shaped("plain", text="erin deployed search 7.2.1 to production")
        await announce(play, deploys, "11:58 AM", later)
        # The fix's deploy, as the tool said it at 1:50 PM (posted ahead, at its time).
        fix = shaped("plain", text="dave deployed payment-gateway 2023.03.14-2 to production")
        await warroom.slack.post_as_app(
            deploys.id, fix["text"], name=fix["app"], ts=play.ts("1:50 PM")
        )
        done = await play_checkout_crash(warroom)
        channel = next(c for c in people.channels.values() if c.name.startswith("inc-"))
        listed = what_changed(channel)
        draft = done.canvas()
    assert "payment-gateway" in listed[0] and "55e1a2b to production deployed" in listed[0]
    assert listed[0].startswith("• 11:55 deploy on payment-gateway (a dependency)")
    # Why it ranks first, beside it.
    assert listed[0].endswith(
        "— _on a service it depends on, 5 min before impact started, a deploy_"
    ), listed[0]
    assert "checkout synced" in listed[1]
    assert listed[1].endswith("— _on the service, 1 h 45 min before impact started, a deploy_")
    assert all("search" not in line for line in listed)
    # The draft's timeline: the changes of the impact's window (12:00 to 2:00 PM), as
    # context, never as something said in the channel.
    timeline = part(draft, "## Timeline (Africa/Nairobi)")
    context = [line for line in timeline.splitlines() if "_change_" in line]
    assert len(context) == 1, timeline
    assert context[0].startswith("- **1:50 PM** _change_: deploy on payment-gateway: dave")
    assert context[0].endswith("— not said in the channel")
    assert "55e1a2b" not in timeline  # 11:55: before the impact
    # The possible causes' request holds the dependency's release, the likeliest suspect,
    # and no change of a service the incident is not on.
    changes = causes_request_changes(model)
    (first,) = [line for line in changes if "(suspect 1 of 2:" in line]
    assert "deploy of payment-gateway" in first and "55e1a2b" in first, changes
    assert first.endswith(
        "(suspect 1 of 2: on a service it depends on, 5 min before impact started, a deploy)"
    ), changes
    assert all("search" not in line for line in changes)


async def test_the_nuru_outage_lists_the_gateway_configuration_first(
    slack: SlackEmulator, database_url: str, model: FakeChatModel
) -> None:
    people = scenario_people(slack)
    deploys = deploys_channel(people)
    settings: dict[str, object] = {
        **NURU,
        "alerting__token": Secret(TOKEN),
        "alerting__routes": routes(
            {"routes": [], "default": {"action": "open", "service": "nuru-payments"}}
        ),
        "alerting__catalog": parse_services(NURU_SERVICES),
        "alerting__change_channels": (deploys.id,),
        "ai": ai(model, causes=True),
    }
    model.reply({"causes": []}, times=50, to=CAUSES)
    async with running_warroom(people, database_url, Clock(NURU_START), **settings) as warroom:
        play = Replay(warroom, "UTC", datetime(2023, 6, 8))
        # The database's maintenance: what the seed's people suspected first.
        maintenance = shaped("plain", text="dba-bot deployed nuru-db 14.9 to production")
        await announce(play, deploys, "2:10 PM", maintenance)
        earlier = shaped("plain", text="deployed reporting 3.0.9 to production")
        await announce(play, deploys, "2:20 PM", earlier)
        flux = shaped("flux")
        flux["attachments"][0] |= {
            "author_name": "kustomization/payment-gateway.payments",
            "text": "ConfigMap/payments/payment-gateway-tls configured",
        }
        flux["attachments"][0]["fields"] = [
            {"title": "revision", "value": "main@sha1:a1b2c3d", "short": False}
        ]
        await announce(play, deploys, "2:40 PM", flux)
        reporting = shaped("plain", text="deployed reporting 3.1 to production")
        await announce(play, deploys, "2:50 PM", reporting)
        await play_nuru_outage(warroom)
        channel = next(c for c in people.channels.values() if c.name.startswith("inc-"))
        listed = what_changed(channel)
    assert listed[0].startswith("• 14:40 deploy on payment-gateway (a dependency)")
    assert "payment-gateway-tls configured" in listed[0]
    # The replay's clock declares it at 14:50, as the changes are announced: 10 minutes.
    assert "— _on a service it depends on, 10 min before impact started, a deploy_" in listed[0]
    assert "nuru-db 14.9" in listed[1]
    assert all("reporting" not in line for line in listed)
    changes = causes_request_changes(model)
    (first,) = [line for line in changes if "(suspect 1 of 2:" in line]
    assert "deploy of payment-gateway" in first and "payment-gateway-tls configured" in first
    assert first.endswith(
        "(suspect 1 of 2: on a service it depends on, 10 min before impact started, a deploy)"
    ), changes
    assert any("nuru-db 14.9" in line and "(suspect 2 of 2:" in line for line in changes)
    assert all("reporting" not in line for line in changes)
