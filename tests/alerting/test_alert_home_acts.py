"""The App Home's "Your open alerts" with the message's acts: beside each
alert, Acknowledge, Escalate (the next level, or a person in a form), Snooze, Resolve and
Declare incident, each the message's own listener and flow, with its rights and its
"already" answers said at the top of the person's Home. Over the wire: Alertmanager's
webhook to a running warroom, the Slack emulator (the Home tabs warroom publishes, the
block_actions from a view as Slack sends them, the forms they open and their submissions),
the fake ntfy (Carol's phone)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from emulator import Channel, FakeNtfy, SlackEmulator
from tests.alerting.test_alert_console_home import home_after, publishes
from tests.alerting.test_alert_declare import declare_form, submit
from tests.alerting.test_alert_escalate_to_person import page_them
from tests.alerting.test_own_alerts import (
    ALL_MINE,
    alert_settings,
    buttons,
    deliver,
    only_message,
    press,
    queue_lag,
    the_alert,
)
from tests.conftest import ALICE, BOB, CAROL, Warroom
from tests.helpers.alerts import incidents_of
from tests.helpers.incidents import settle


@pytest.fixture
def warroom_settings(
    slack: SlackEmulator, database_url: str, tmp_path: Path, ops: Channel, ntfy: FakeNtfy
) -> dict[str, object]:
    slack.users[CAROL].tz = "Europe/Paris"
    return alert_settings(database_url, tmp_path, ops, ntfy)


def home_acts(slack: SlackEmulator, user: str) -> list[str]:
    """The acts beside the alert on ``user``'s Home, as the person reads them."""
    view: dict[str, Any] = slack.home_view(user) or {}
    return [
        (element.get("text") or element["placeholder"])["text"]
        for block in view.get("blocks") or []
        if block.get("type") == "actions"
        for element in block["elements"]
    ]


async def on_home(warroom: Warroom, user: str, action: str, option: str = "") -> list[str]:
    """``user`` presses ``action`` on their Home (``option``: chosen in its menu); their
    Home as warroom publishes it afresh."""
    before = publishes(warroom)
    if option:
        await warroom.slack.choose_on_home(user, action, option_text=option)
    else:
        await warroom.slack.click_home_button(user, action)
    await settle(warroom)
    await warroom.slack.wait_for(lambda: publishes(warroom) > before)
    await warroom.run_jobs()
    return warroom.slack.home_lines(user)


async def test_the_home_offers_the_messages_acts_with_their_rights_and_answers(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    slack = warroom.slack
    before = publishes(warroom)
    await deliver(warroom, queue_lag())  # Carol paged (level 1); Bob is level 2
    await home_after(warroom, CAROL, before)
    acts = ["Acknowledge", "Escalate", "Snooze", "Resolve", "Declare incident"]
    assert home_acts(slack, CAROL) == acts == buttons(only_message(ops))[:5]
    # The message alone adds its menu of acts on all mine (every open alert of its route
    # paged to the chooser): a person's Home lists theirs already.
    assert buttons(only_message(ops))[5:] == [ALL_MINE]
    # Its page in the web view, linked beside it.
    page = f"<https://warroom.example.com/alerts/{(await the_alert(warroom)).id}|its page>"
    assert any(page in line for line in slack.home_lines(CAROL)), slack.home_lines(CAROL)

    # A guest of the workspace may not escalate from there: said at the top, nobody paged.
    slack.users[CAROL].is_restricted = True
    lines = await on_home(warroom, CAROL, "escalate_alert", "Next level")
    assert lines[0].startswith(":no_entry: Nobody was paged: guests of the workspace cannot")
    assert slack.direct_messages(BOB) == []
    lines = await on_home(warroom, CAROL, "snooze_alert", "30m")
    assert lines[0].startswith(":no_entry: Not snoozed: guests of the workspace cannot")
    assert (await the_alert(warroom)).state == "triggered"

    # A member again: Escalate's "Next level" pages Bob now, as the message's would.
    slack.users[CAROL].is_restricted = False
    await on_home(warroom, CAROL, "escalate_alert", "Next level")
    assert len(slack.direct_messages(BOB)) == 1
    group = await the_alert(warroom)
    assert (group.level, group.escalated_by) == (2, CAROL)
    assert f"Escalated by hand to level 2 by <@{CAROL}>" in only_message(ops).text

    # Snooze for 30 minutes: paging stops; her Home says until when, with what is left.
    lines = await on_home(warroom, CAROL, "snooze_alert", "30m")
    assert not lines[0].startswith(":no_entry:"), lines
    group = await the_alert(warroom)
    assert (group.state, group.snoozed_by) == ("snoozed", CAROL)
    assert any("Snoozed until Tue 03 Mar 03:30 CET" in line for line in lines), lines
    assert home_acts(slack, CAROL) == ["Resolve", "Declare incident"]

    # Bob resolves it on the message; Carol's Home, not published afresh yet, still offers
    # Resolve: pressed, she is told it is resolved already, and nothing changes.
    await press(warroom, ops, "resolve_alert", BOB)
    await settle(warroom)
    assert (await the_alert(warroom)).resolved_by == BOB
    lines = await on_home(warroom, CAROL, "resolve_alert")
    assert lines[0] == (f"This alert is already resolved (by <@{BOB}>): nothing changed."), lines[0]
    assert (await the_alert(warroom)).resolved_by == BOB


async def test_the_homes_forms_escalate_to_a_person_and_declare_the_incident(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    slack = warroom.slack
    before = publishes(warroom)
    await deliver(warroom, queue_lag())
    await home_after(warroom, CAROL, before)

    # Escalate's "A person…" on the Home opens the message's form; Alice is paged now.
    opened = set(slack.views)
    await slack.choose_on_home(CAROL, "escalate_alert", option_text="A person…")
    await settle(warroom)
    (view_id,) = [v for v in slack.views if v not in opened]
    assert slack.views[view_id]["title"]["text"] == "Escalate to a person"
    await page_them(warroom, view_id, ALICE, CAROL)
    assert len(slack.direct_messages(ALICE)) == 1
    assert (await the_alert(warroom)).escalated_to == ALICE

    # Chosen again from the Home while her page is open: said at the top of Carol's Home.
    opened = set(slack.views)
    await slack.choose_on_home(CAROL, "escalate_alert", option_text="A person…")
    await settle(warroom)
    (view_id,) = [v for v in slack.views if v not in opened]
    before = publishes(warroom)
    await page_them(warroom, view_id, ALICE, CAROL)
    await slack.wait_for(lambda: publishes(warroom) > before)
    assert slack.home_lines(CAROL)[0] == (
        f"<@{ALICE}> is paged for this alert already: nothing changed."
    )
    assert len(slack.direct_messages(ALICE)) == 1

    # Declare incident on the Home: the declare form, filled from the alert; submitted, the
    # incident is declared from it, as from the message.
    await slack.click_home_button(CAROL, "declare_from_alert")
    await settle(warroom)
    form_id, form = declare_form(slack, CAROL)
    await submit(slack, form_id, form, CAROL)
    await settle(warroom)
    (incident,) = await incidents_of(warroom)
    assert incident.declared_by == CAROL
    assert (await the_alert(warroom)).state == "attached"
    assert buttons(only_message(ops)) == []
