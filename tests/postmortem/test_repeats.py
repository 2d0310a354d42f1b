"""A repeat said in the draft: when an earlier related incident (the same service, alert or
labels, as the incident page's related incidents) still has a follow-up open, the draft's
corrective actions say "Seen before in INC-1: its follow-up … is still open", with the task's
words, owner and link, in the draft's language; once that follow-up is done, nothing is said."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.config import Secret
from bot.record.escalation.policies import parse_policies
from bot.record.follow_ups.follow_ups import mark_done
from bot.store.db import session_scope
from bot.store.models import ActionItem
from emulator import Channel
from tests.conftest import ALICE, BOB, Clock, Warroom
from tests.helpers.alerts import alert, alertmanager, post_alert, routes
from tests.helpers.incidents import command, settle

NOW = datetime(2026, 8, 1, 10, 30, tzinfo=UTC)
TOKEN = "test-alert-token-0123456789"
TASK = "Add a canary for config pushes to checkout"


@pytest.fixture
def warroom_settings() -> dict[str, object]:
    policies = parse_policies({"policies": {"web": {"levels": [{"targets": [{"user": BOB}]}]}}})
    return {
        "clock": Clock(NOW),
        "alerting__token": Secret(TOKEN),
        "alerting__routes": routes({"routes": [], "default": {"action": "open", "policy": "web"}}),
        "escalation__policies": policies,
        "web__public_url": "https://warroom.example.com",
        "runtime__scheduler_interval": 3600.0,
    }


async def fire(warroom: Warroom, group: str) -> Channel:
    """An Alertmanager group on checkout fires; the channel of the incident it opens."""
    before = set(warroom.slack.channels)
    labels = {"service": "checkout"}
    at = warroom.clock.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    body = alertmanager(group, [alert(group, "web-1", at, common=labels)])
    status, answer = await post_alert(warroom.url, "alertmanager", body, token=TOKEN)
    assert status == 202, answer
    await settle(warroom)
    return next(c for i, c in warroom.slack.channels.items() if i not in before)


def draft_of(warroom: Warroom, channel: Channel) -> str:
    (canvas,) = [c for c in warroom.slack.canvases.values() if c["channel_id"] == channel.id]
    return str(canvas["markdown"])


async def test_a_repeat_with_its_follow_up_open_is_said_until_the_follow_up_is_done(
    warroom: Warroom,
) -> None:
    # INC-1 on checkout, with a follow-up for Bob; resolved.
    first = await fire(warroom, "CheckoutErrorRate")
    await command(warroom, first, f"action @bob {TASK}")
    await command(warroom, first, "resolve")

    # A week later, checkout again: INC-2's draft says INC-1 was seen before, task open.
    warroom.clock.now += timedelta(days=7)
    second = await fire(warroom, "CheckoutLatency")
    await command(warroom, second, "resolve")
    await command(warroom, second, "postmortem")
    draft = draft_of(warroom, second)
    async with session_scope(warroom.engine) as session:
        (item,) = (await session.exec(select(ActionItem))).all()
    assert item.permalink
    said = (
        "_Seen before_ in INC-1 (CheckoutErrorRate is firing, August 1, 2026): "
        f'its follow-up "{TASK}" '
        f"(owner: Bob Okafor; [noted in Slack]({item.permalink})) is still open."
    )
    assert said in draft, draft
    corrective = draft.split("## Corrective and preventive measures")[1]
    assert said in corrective.split("\n## ")[0]

    # In French, the same fact.
    await command(warroom, second, "postmortem --lang fr")
    draft = draft_of(warroom, second)
    assert (
        "_Déjà vu_ dans INC-1 (CheckoutErrorRate is firing, 1 août 2026) : "
        f"son action de suivi « {TASK} » "
        f"(responsable : Bob Okafor ; [notée dans Slack]({item.permalink})) est toujours ouverte."
    ) in draft, draft

    # Bob's follow-up done: the draft no longer says it.
    async with session_scope(warroom.engine) as session:
        (item,) = (await session.exec(select(ActionItem))).all()
        assert mark_done(item, by=BOB, at=warroom.clock.now)
        session.add(item)
        await session.commit()
    await command(warroom, second, "postmortem --lang en")
    draft = draft_of(warroom, second)
    assert "Seen before" not in draft and TASK not in draft
    assert "## Corrective and preventive measures" in draft


async def test_an_incident_unrelated_to_the_earlier_one_says_no_repeat(warroom: Warroom) -> None:
    first = await fire(warroom, "CheckoutErrorRate")
    await command(warroom, first, f"action @bob {TASK}")
    warroom.clock.now += timedelta(days=1)
    general = warroom.slack.channel_by_name("general")
    assert general is not None
    before = set(warroom.slack.channels)
    await warroom.slack.send_command("start Search is slow", user=ALICE, channel=general.id)
    await settle(warroom)
    other = next(c for i, c in warroom.slack.channels.items() if i not in before)
    await command(warroom, other, "resolve")
    await command(warroom, other, "postmortem")
    assert "Seen before" not in draft_of(warroom, other)
