"""The form offered on resolving, end to end through the Slack emulator: ``/incident resolve``
resolves at once and offers *Wrap up* and *Skip* in the channel; the form proposes the impact
end from the record, refuses what it cannot read field by field, and what it is given becomes
the record the draft shows (impact end, impact in numbers and services, trigger, follow-ups
with owners and due dates, the incident type's fields)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlmodel import col, select

from bot.basics.slack_ids import WrapUpModal, field_input, follow_up_input
from bot.basics.slack_text import decode_entities
from bot.config import incident_types_from_env
from bot.flows.postmortem.posting import write_draft
from bot.store.db import session_scope
from bot.store.models import ActionItem, Incident, Job
from emulator import Channel, Message, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom, running_warroom
from tests.helpers.alerts import TOKEN, alert, alertmanager, post_alert
from tests.helpers.incidents import command, settle
from tests.helpers.web_view import visible_text

NOW = datetime(2026, 3, 10, 8, 50, tzinfo=UTC)
COMPONENTS = {"checkout": "8kbf7d35c070", "payments api": "v6z6tpldcw85"}
TYPES = """
fields:
  customer_impact:
    label: Customer impact
    type: select
    options: [none, degraded, outage]
types:
  customer-facing:
    fields: [customer_impact]
"""


def said(channel: Channel) -> str:
    return "\n".join(decode_entities(message.text) for message in channel.messages)


def offer(channel: Channel) -> Message:
    """The message with the wrap-up's buttons (its text changes once it is answered)."""
    return next(
        m for m in channel.messages if any(b.get("block_id") == "wrap_up" for b in m.blocks or [])
    )


async def incident(warroom: Warroom) -> Incident:
    async with session_scope(warroom.engine) as session:
        return (await session.exec(select(Incident))).one()


async def draft_of(warroom: Warroom) -> str:
    found = await incident(warroom)
    assert found.id is not None
    return (await write_draft(warroom.services, found.id, ask_slack=False)).markdown


async def form(warroom: Warroom, channel: Channel, user: str) -> tuple[str, dict[str, Any]]:
    """``user`` presses Wrap up on the offer; the form Slack shows them."""
    slack = warroom.slack
    before = set(slack.views)
    await slack.click_button(channel.id, offer(channel).ts, "open_wrap_up", user=user)
    found: tuple[str, dict[str, Any]] = await slack.wait_for(
        lambda: next(
            (
                (i, v)
                for i, v in slack.views.items()
                if i not in before and v["callback_id"] == "wrap_up"
            ),
            None,
        )
    )
    return found


def typed(block: str, value: str) -> dict[str, dict[str, Any]]:
    kind = (
        "number_input"
        if block.startswith("impact_") and block != "impact_ended"
        else "plain_text_input"
    )
    return {block: {block: {"type": kind, "value": value}}}


def chosen(block: str, state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {block: {block: state}}


async def alert_incident(warroom: Warroom) -> Channel:
    """Alertmanager opens an incident at 08:50 UTC; the alert resolves at 09:31."""
    firing = alert("CheckoutErrors", "web-1", "2026-03-10T08:50:00Z")
    status, _ = await post_alert(
        warroom.url, "alertmanager", alertmanager("CheckoutErrors", [firing])
    )
    assert status == 202
    await settle(warroom)
    channel: Channel = await warroom.slack.wait_for(
        lambda: next(
            (c for c in warroom.slack.channels.values() if c.name.startswith("inc-1-")), None
        )
    )
    await settle(warroom)
    resolved = alert(
        "CheckoutErrors", "web-1", "2026-03-10T08:50:00Z", ends_at="2026-03-10T09:31:00Z"
    )
    status, _ = await post_alert(
        warroom.url, "alertmanager", alertmanager("CheckoutErrors", [resolved])
    )
    assert status == 202
    await settle(warroom)
    return channel


async def test_resolve_offers_the_form_and_its_answers_become_the_record_the_draft_shows(
    slack: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    types_file = tmp_path / "types.yaml"
    types_file.write_text(TYPES)
    types = incident_types_from_env({"WARROOM_INCIDENT_TYPES": str(types_file)})
    async with running_warroom(
        slack,
        database_url,
        Clock(NOW),
        alerting__token=TOKEN,
        incidents__timezone="Europe/Paris",
        status_page__components=COMPONENTS,
        incidents__types=types,
        web__auth="none",
    ) as warroom:
        channel = await alert_incident(warroom)
        await command(warroom, channel, "type customer-facing")
        warroom.clock.now = datetime(2026, 3, 10, 9, 45, tzinfo=UTC)
        await command(warroom, channel, "resolve")
        # Resolved at once, as ever; the offer follows the resolution's message.
        assert (await incident(warroom)).status == "resolved"
        texts = [m.text for m in channel.messages]
        resolved_at = next(i for i, t in enumerate(texts) if "*INC-1 resolved*" in t)
        assert texts.index(offer(channel).text) == resolved_at + 1

        view_id, view = await form(warroom, channel, ALICE)
        blocks = {b.get("block_id"): b for b in view["blocks"]}
        ended = blocks[WrapUpModal.ENDED]
        assert ended["element"]["initial_value"] == "2026-03-10 10:31"  # the alert's end, in Paris
        assert ended["hint"]["text"].startswith("Proposed: when the incident's alerts resolved.")
        options = [o["value"] for o in blocks[WrapUpModal.COMPONENTS]["element"]["options"]]
        assert options == ["checkout", "payments api"]
        assert field_input("customer_impact") in blocks  # the incident type's field

        wrong = {
            **typed(WrapUpModal.ENDED, "25:99"),
            **typed(WrapUpModal.CUSTOMERS, "12.5"),
            **chosen(follow_up_input(2, "owner"), {"type": "users_select", "selected_user": CAROL}),
            **chosen(
                follow_up_input(3, "due"), {"type": "datepicker", "selected_date": "2026-03-01"}
            ),
            **typed(follow_up_input(3, "text"), "too late"),
        }
        errors = (await slack.submit_view(view_id, wrong, user=ALICE)).json()["errors"]
        assert errors[WrapUpModal.ENDED].startswith("I could not read 25:99 as a time")
        assert errors[WrapUpModal.CUSTOMERS] == "A whole number, like 1200."
        assert errors[follow_up_input(2, "text")] == "Say what should be done, or clear the row."
        assert errors[follow_up_input(3, "due")].startswith("2026-03-01 is already past")
        assert (await incident(warroom)).ended_at is None  # nothing kept

        given = {
            **typed(WrapUpModal.ENDED, "10:32"),
            **typed(WrapUpModal.CUSTOMERS, "1200"),
            **typed(WrapUpModal.ORDERS, "340"),
            **typed(WrapUpModal.MONEY, "12000.50"),
            **typed(WrapUpModal.REQUESTS, "45000"),
            **typed(WrapUpModal.TRIGGER, "Gateway release 4.2 at 08:45 dropped AMEX"),
            **chosen(
                WrapUpModal.COMPONENTS,
                {"type": "multi_static_select", "selected_options": [{"value": "checkout"}]},
            ),
            **typed(WrapUpModal.SERVICES, "Payments API, fraud check"),
            **chosen(
                field_input("customer_impact"),
                {"type": "static_select", "selected_option": {"value": "outage"}},
            ),
            **typed(follow_up_input(1, "text"), "Add a contract test per card type"),
            **chosen(follow_up_input(1, "owner"), {"type": "users_select", "selected_user": BOB}),
            **chosen(
                follow_up_input(1, "due"), {"type": "datepicker", "selected_date": "2026-03-13"}
            ),
            **typed(follow_up_input(2, "text"), "Alert on the gateway's 4xx rate"),
            **chosen(follow_up_input(2, "owner"), {"type": "users_select", "selected_user": CAROL}),
        }
        answer = await slack.submit_view(view_id, given, user=ALICE)
        assert answer.status == 200 and not answer.text.strip()
        await settle(warroom)

        stored = await incident(warroom)
        assert stored.ended_at == datetime(2026, 3, 10, 9, 32, tzinfo=UTC)
        shown = said(channel)
        assert "*Wrap-up* of INC-1 by <@U0ALICE>:" in shown
        assert "• Impact ended: 2026-03-10 10:32 CET" in shown
        assert (
            "• Impact in numbers: 1200 customers, 340 orders, 12000.50 in money, 45000 requests"
            in shown
        )
        assert "• Affected services: checkout, Payments API, fraud check" in shown
        assert "• Trigger: Gateway release 4.2 at 08:45 dropped AMEX" in shown
        assert (
            "owner <@U0BOB>, due Fri 2026-03-13 17:00 CET: Add a contract test per card type"
            in shown
        )
        assert "Customer impact" in shown and "outage" in shown
        assert "wrapped up INC-1 for its postmortem" in offer_text(channel)
        async with session_scope(warroom.engine) as session:
            items = (await session.exec(select(ActionItem).order_by(col(ActionItem.id)))).all()
            reminders = (
                await session.exec(select(Job).where(Job.kind == "follow_up_reminder"))
            ).all()
        assert [(i.owner, i.due_at) for i in items] == [
            (BOB, datetime(2026, 3, 13, 16, 0, tzinfo=UTC)),
            (CAROL, None),
        ]
        assert len(reminders) == 2  # Bob's: a day before and when due

        draft = await draft_of(warroom)
        assert "**Duration:** 9:50 AM to 10:32 AM CET, March 10, 2026 (42 minutes)" in draft
        impact = draft.split("**Impact:**", 1)[1].split("**Root cause:**", 1)[0]
        assert (
            "Impact in numbers: 1200 customers, 340 orders, 12000.50 in money, 45000 requests"
            in impact
        )
        assert "; affected services: checkout, Payments API, fraud check ([10:45 AM](" in impact
        trigger = draft.split("**Trigger:**", 1)[1].split("##", 1)[0]
        assert "- Gateway release 4.2 at 08:45 dropped AMEX" in trigger
        assert (
            "Add a contract test per card type (owner: Bob Okafor; due March 13, 2026, 5:00 PM CET)"
            in draft
        )
        timeline = draft.split("## Timeline", 1)[1].split("\n## ", 1)[0]
        assert "Gateway release" not in timeline and "Impact in numbers" not in timeline
        # The channel's canvas, posted on resolving, brought up to date quietly.
        (canvas,) = [c for c in slack.canvases.values() if c["channel_id"] == channel.id]
        assert "Gateway release 4.2 at 08:45 dropped AMEX" in canvas["markdown"]

        url = f"{warroom.url}/incidents/INC-1"
        async with aiohttp.ClientSession() as web, web.get(url) as page:
            shown_page = visible_text(await page.text())
        assert "Trigger:Gateway release 4.2 at 08:45 dropped AMEX" in shown_page
        assert "Impact in numbers: 1200 customers" in shown_page

        # Add more: the form again, the impact end as now set.
        _, again = await form(warroom, channel, CAROL)
        blocks = {b.get("block_id"): b for b in again["blocks"]}
        assert blocks[WrapUpModal.ENDED]["element"]["initial_value"] == "2026-03-10 10:32"
        assert blocks[WrapUpModal.ENDED]["hint"]["text"].startswith("Set already")


def offer_text(channel: Channel) -> str:
    return next(
        m.text for m in channel.messages if ":clipboard:" in m.text and "wrapped up" in m.text
    )


async def test_skipping_the_wrap_up_keeps_nothing_and_says_how_to_add_it_later(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with running_warroom(slack, sqlite_url, Clock(NOW)) as warroom:
        general = slack.channel_by_name("general")
        assert general is not None
        await slack.send_command("start Checkout down", user=ALICE, channel=general.id)
        channel: Channel = await slack.wait_for(
            lambda: next((c for c in slack.channels.values() if c.name.startswith("inc-")), None)
        )
        await settle(warroom)
        await command(warroom, channel, "status monitoring")
        await command(warroom, channel, "resolve")
        await slack.click_button(channel.id, offer(channel).ts, "skip_wrap_up", user=BOB)
        await settle(warroom)
        skipped = next(m for m in channel.messages if "skipped the wrap-up" in m.text)
        assert skipped.text.startswith(":clipboard: <@U0BOB> skipped the wrap-up of INC-1.")
        assert not any(b.get("type") == "actions" for b in skipped.blocks or [])
        assert "Wrap-up" not in said(channel)
        assert (await incident(warroom)).ended_at is None


async def test_without_an_alert_the_form_proposes_the_end_the_draft_proposes(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """No alert: the form proposes what the draft does, the message marked recovered, not the
    resolution, and says so (one rule for both: bot/record/postmortem/writing.py)."""
    async with running_warroom(slack, sqlite_url, Clock(NOW)) as warroom:
        general = slack.channel_by_name("general")
        assert general is not None
        await slack.send_command("start Checkout down", user=ALICE, channel=general.id)
        channel: Channel = await slack.wait_for(
            lambda: next((c for c in slack.channels.values() if c.name.startswith("inc-")), None)
        )
        await settle(warroom)
        back = NOW.replace(minute=58)
        said = await slack.post_message(
            channel.id, "Error rate back to baseline.", user=BOB, ts=f"{back.timestamp():.6f}"
        )
        await slack.add_reaction(channel.id, said.ts, "large_green_circle", user=ALICE)
        await settle(warroom)
        warroom.clock.now = NOW.replace(hour=9, minute=20)
        await command(warroom, channel, "resolve")
        _, view = await form(warroom, channel, ALICE)
        ended = {b.get("block_id"): b for b in view["blocks"]}[WrapUpModal.ENDED]
        assert ended["element"]["initial_value"] == "2026-03-10 08:58"
        assert ended["hint"]["text"].startswith("Proposed: the message marked recovered.")
