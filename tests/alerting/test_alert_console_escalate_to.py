"""Escalate to a person from an alert's phone console: the console offers
the workspace's people warroom knows; the one chosen is paged now by their own rules, as the
message's "A person…" form does, said in the alert's message and on the console; a guest of
the workspace chosen, or a person paged already, is refused in words, and a guest may not
escalate at all. Over the wire: Alertmanager's webhook, the fake ntfy (Carol's push, whose
tap opens the console), a browser-like client sending the console's forms, the Slack
emulator (the alert's message, Bob's DM). Times in Carol's zone (Europe/Paris)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from bot.record.people import remember_names
from bot.store.db import session_scope
from emulator import Channel, FakeNtfy, SlackEmulator
from tests.alerting.test_alert_console_home import browser, console_of, opened, said, sent
from tests.alerting.test_own_alerts import (
    NOW,
    alert_settings,
    deliver,
    only_message,
    queue_lag,
    the_alert,
)
from tests.conftest import ALICE, BOB, CAROL, Warroom


@pytest.fixture
def warroom_settings(
    slack: SlackEmulator, database_url: str, tmp_path: Path, ops: Channel, ntfy: FakeNtfy
) -> dict[str, object]:
    slack.users[CAROL].tz = "Europe/Paris"
    return {**alert_settings(database_url, tmp_path, ops, ntfy), "ready": met}


async def met(warroom: Warroom) -> None:
    """The people warroom has met (their names learned from Slack on first sight)."""
    names = {ALICE: "Alice Moreau", BOB: "Bob Okafor", CAROL: "Carol Tanaka"}
    async with session_scope(warroom.engine) as session:
        await remember_names(session, names, NOW)
        await session.commit()


async def test_the_console_escalates_to_a_member_chosen_and_refuses_in_words(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    slack = warroom.slack
    await deliver(warroom, queue_lag())
    url = console_of(warroom, ntfy)
    async with browser(warroom) as phone:
        status, page = await opened(phone, url)
        assert status == 200
        # The people offered, by name: not Carol herself.
        assert f'<option value="{ALICE}">Alice Moreau</option>' in page
        assert f'<option value="{BOB}">Bob Okafor</option>' in page
        assert f'value="{CAROL}"' not in page

        # Bob, a guest of the workspace today: refused in words, nobody paged.
        slack.users[BOB].is_restricted = True
        status, page = await sent(phone, url, page, do="escalate_to", person=BOB)
        assert status == 200
        assert (
            "Not escalated: @Bob Okafor is a guest of the workspace, and only its members can "
            "be paged for an alert. Nobody was paged and nothing changed."
        ) in said(page)
        assert slack.direct_messages(BOB) == []
        assert (await the_alert(warroom)).escalated_to is None

        # A member again: paged now by his own rules, said on the console and the message.
        slack.users[BOB].is_restricted = False
        status, page = await sent(phone, url, page, do="escalate_to", person=BOB)
        assert "Escalated: @Bob Okafor is paged now, by their own rules." in said(page)
        assert "Escalated to @Bob Okafor by you at 03:00 CET." in said(page)
        await warroom.run_jobs()
        assert len(slack.direct_messages(BOB)) == 1
        group = await the_alert(warroom)
        assert (group.escalated_to, group.escalated_by, group.state) == (BOB, CAROL, "triggered")
        assert f"Escalated by hand to <@{BOB}> (paged by their own rules) by <@{CAROL}>" in (
            only_message(ops).text
        )

        # Chosen again while his page is open: said, nobody paged twice.
        status, page = await sent(phone, url, page, do="escalate_to", person=BOB)
        assert "Not escalated: @Bob Okafor is paged for this alert already." in said(page)
        await warroom.run_jobs()
        assert len(slack.direct_messages(BOB)) == 1

        # Not a person: refused as any form the console does not offer.
        status, _ = await sent(phone, url, page, do="escalate_to", person="bob")
        assert status == 400

        # Carol, a guest since she was paged, may not escalate at all.
        slack.users[CAROL].is_ultra_restricted = True
        status, page = await sent(phone, url, page, do="escalate_to", person=ALICE)
        assert "Not done: you may not do that to this alert. Nothing changed." in said(page)
        assert slack.direct_messages(ALICE) == []


async def test_every_escalation_by_hand_is_listed_on_the_message_and_the_console(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    """Carol escalates to Alice, then two minutes later to the policy's next level: the
    alert's message and her console list both, oldest first, not only the latest."""
    await deliver(warroom, queue_lag())
    url = console_of(warroom, ntfy)
    async with browser(warroom) as phone:
        _, page = await opened(phone, url)
        status, page = await sent(phone, url, page, do="escalate_to", person=ALICE)
        assert status == 200
        warroom.clock.now += timedelta(minutes=2)
        status, page = await sent(phone, url, page, do="escalate")
        assert status == 200, said(page)
        await warroom.run_jobs()
        _, page = await opened(phone, url)
    shown = said(page)
    first = "Escalated to @Alice Moreau by you at 03:00 CET."
    second = "Escalated to level 2 by you at 03:02 CET."
    assert first in shown and second in shown
    assert shown.index(first) < shown.index(second)
    text = only_message(ops).text
    by_alice = re.search(
        rf"Escalated by hand to <@{ALICE}> \(paged by their own rules\) by <@{CAROL}> at ", text
    )
    by_level = re.search(rf"Escalated by hand to level 2 by <@{CAROL}> at ", text)
    assert by_alice and by_level and by_alice.start() < by_level.start(), text
