"""Escalate to a person, from an alert's message: the Escalate menu's "A
person…" opens a form with a users select; the person chosen is paged now by their own
contact rules, beside the alert's policy, and the message says who escalated to whom. Over
the wire: Alertmanager's webhook to a running warroom, the Slack emulator (the menu's
block_actions, the form it opens, its view_submission), the fake ntfy (Carol's phone).

Carol is on call (level 1, her push); Bob is the policy's level 2 after five minutes; Alice,
chosen by hand, has no contacts of her own: she is paged by a Slack DM."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from emulator import Channel, FakeNtfy
from tests.alerting.test_own_alerts import (
    GUEST,
    alert_settings,
    buttons,
    deliver,
    only_message,
    press,
    queue_lag,
    the_alert,
)
from tests.conftest import ALICE, BOB, CAROL, Warroom
from tests.helpers.incidents import settle


@pytest.fixture
def warroom_settings(
    database_url: str, tmp_path: Path, ops: Channel, ntfy: FakeNtfy
) -> dict[str, object]:
    return alert_settings(database_url, tmp_path, ops, ntfy)


async def choose_a_person(warroom: Warroom, ops: Channel, user: str) -> str | None:
    """``user`` chooses Escalate ▾ "A person…": the id of the form it opened for them."""
    slack = warroom.slack
    before = set(slack.views)
    await slack.choose_in_message(
        ops.id, only_message(ops).ts, "escalate_alert", user=user, option_text="A person…"
    )
    await settle(warroom)
    opened = [
        view_id
        for view_id, view in slack.views.items()
        if view_id not in before and view.get("trigger_user") == user
    ]
    assert len(opened) <= 1
    return opened[0] if opened else None


async def page_them(warroom: Warroom, view_id: str, person: str, user: str) -> None:
    """Submit the form with ``person`` chosen in its users select, as Slack sends it."""
    view: dict[str, Any] = warroom.slack.views[view_id]
    (element,) = [b["element"] for b in view["blocks"] if b.get("type") == "input"]
    assert element["type"] == "users_select"
    block = next(b["block_id"] for b in view["blocks"] if b.get("type") == "input")
    values = {block: {element["action_id"]: {"type": "users_select", "selected_user": person}}}
    answer = await warroom.slack.submit_view(view_id, values, user=user)
    assert answer.status == 200
    await settle(warroom)
    await warroom.run_jobs()


async def test_a_person_chosen_is_paged_now_by_their_rules_and_the_policy_goes_on(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    slack = warroom.slack
    await deliver(warroom, queue_lag())
    assert buttons(only_message(ops))[1] == "Escalate"
    menu = next(
        element
        for block in only_message(ops).blocks or []
        if block.get("type") == "actions"
        for element in block["elements"]
        if element["action_id"] == "escalate_alert"
    )
    assert [o["text"]["text"] for o in menu["options"]] == ["Next level", "A person…"]

    view_id = await choose_a_person(warroom, ops, BOB)
    assert view_id is not None
    assert slack.views[view_id]["title"]["text"] == "Escalate to a person"
    await page_them(warroom, view_id, ALICE, BOB)

    # Alice is paged now (a Slack DM: her default rules); the message says so.
    (to_alice,) = slack.direct_messages(ALICE)
    assert "QueueLag is firing" in to_alice.text
    text = only_message(ops).text
    assert re.search(
        rf"Escalated by hand to <@{ALICE}> \(paged by their own rules\) by <@{BOB}> at ", text
    )
    assert f"<@{ALICE}> by Slack DM" in text
    group = await the_alert(warroom)
    assert (group.state, group.escalated_to, group.escalated_by) == ("triggered", ALICE, BOB)
    assert group.level == 1  # the policy was not moved on

    # Chosen again while her page is open: said privately, nobody paged twice.
    view_id = await choose_a_person(warroom, ops, CAROL)
    assert view_id is not None
    await page_them(warroom, view_id, ALICE, CAROL)
    (again,) = [m.text for m in slack.ephemeral_for(CAROL)]
    assert again == f"<@{ALICE}> is paged for this alert already: nothing changed."
    assert len(slack.direct_messages(ALICE)) == 1

    # The policy goes on: Bob (level 2) after five minutes, as before.
    await warroom.advance(minutes=5)
    assert len(slack.direct_messages(BOB)) == 1
    # Acknowledging ends Alice's page too.
    await press(warroom, ops, "acknowledge_alert", ALICE)
    await warroom.advance(minutes=30)
    assert len(slack.direct_messages(ALICE)) == 1
    assert (await the_alert(warroom)).acknowledged_by == ALICE


async def test_a_form_sent_after_the_alert_was_acknowledged_changes_nothing_and_says_so(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    slack = warroom.slack
    await deliver(warroom, queue_lag())
    view_id = await choose_a_person(warroom, ops, BOB)
    assert view_id is not None
    await press(warroom, ops, "acknowledge_alert", CAROL)
    await page_them(warroom, view_id, ALICE, BOB)
    (said,) = [m.text for m in slack.ephemeral_for(BOB)]
    assert said.startswith(f"This alert is already acknowledged by <@{CAROL}>")
    assert slack.direct_messages(ALICE) == []
    assert (await the_alert(warroom)).escalated_to is None
    # Escalate is gone from the message with Acknowledge: nothing to choose any more.
    assert "Escalate" not in buttons(only_message(ops))


async def test_two_forms_for_the_same_person_at_once_page_her_once(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    slack = warroom.slack
    await deliver(warroom, queue_lag())
    first = await choose_a_person(warroom, ops, BOB)
    second = await choose_a_person(warroom, ops, CAROL)
    assert first is not None and second is not None
    await asyncio.gather(
        page_them(warroom, first, ALICE, BOB), page_them(warroom, second, ALICE, CAROL)
    )
    await settle(warroom)
    assert len(slack.direct_messages(ALICE)) == 1
    said = [m.text for user in (BOB, CAROL) for m in slack.ephemeral_for(user)]
    assert said == [f"<@{ALICE}> is paged for this alert already: nothing changed."]


async def test_a_guest_may_not_escalate_to_a_person(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    slack = warroom.slack
    slack.add_user(GUEST, "gus")
    slack.users[GUEST].is_restricted = True
    ops.members.add(GUEST)
    await deliver(warroom, queue_lag())
    # The menu's "A person…": refused privately, no form opened.
    assert await choose_a_person(warroom, ops, GUEST) is None
    (refused,) = [m.text for m in slack.ephemeral_for(GUEST)]
    assert refused.startswith(":no_entry: Nobody was paged: guests of the workspace cannot")
    # A form opened before Bob became a guest: asked afresh at its submission.
    view_id = await choose_a_person(warroom, ops, BOB)
    assert view_id is not None
    slack.users[BOB].is_restricted = True
    await page_them(warroom, view_id, ALICE, BOB)
    (refused,) = [m.text for m in slack.ephemeral_for(BOB)]
    assert refused.startswith(":no_entry: Nobody was paged: guests of the workspace cannot")
    assert slack.direct_messages(ALICE) == []
    assert (await the_alert(warroom)).escalated_to is None
