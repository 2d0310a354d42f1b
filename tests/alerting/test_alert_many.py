"""Several alerts acknowledged or resolved at once, at the boundary: the web
view's ``/alerts`` over HTTP (its boxes, one form with its CSRF token, Post/Redirect/Get, what
it did said once), ``/alerts`` typed in the Slack emulator (the list, ``ack --mine``, ``ack
<id>…``, ``resolve …``, a usage message on anything else, answered within Slack's 3 s) and an
alert message's menu ("Acknowledge all mine", "Resolve all mine"). Each alert goes through its
own button's flow: its escalation stops (Bob, level 2 five minutes later, is never paged), who
and how are in its history, its message in Slack says it; one changed meanwhile is counted,
never changed twice.
Alerts arrive as Alertmanager sends them; Carol is on call for the queues route, Bob for
disks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.store.db import session_scope
from bot.store.models import AlertGroup, PersonPage
from emulator import Channel, FakeNtfy, SlackEmulator
from tests.alerting.test_alert_worklist import STARTED, deliver, page, worklist_settings
from tests.conftest import BOB, CAROL, Warroom
from tests.helpers.alerts import alert, alertmanager
from tests.helpers.incidents import settle
from tests.helpers.web_view import browser, csrf_of, sign_in, visible_text
from tests.oncall.test_oncall_command import seen

PARIS = "?tz=Europe/Paris"
GUEST = "U0GUEST"


@pytest.fixture
def warroom_settings(
    slack: SlackEmulator, database_url: str, tmp_path: Path, ntfy: FakeNtfy
) -> dict[str, object]:
    return worklist_settings(slack, database_url, tmp_path, ntfy)


def ops_channel(warroom: Warroom) -> Channel:
    ops = warroom.slack.channel_by_name("ops-alerts")
    assert ops is not None
    return ops


async def fire(warroom: Warroom, name: str, instance: str, *, ends_at: str | None = None) -> int:
    """Alertmanager's notification of ``name`` on ``instance``, a group of its own (grouped by
    alertname and instance); its alert's id."""
    one = alert(name, instance, STARTED, ends_at=ends_at or "0001-01-01T00:00:00Z")
    body = alertmanager(name, [one])
    body["groupKey"] = f'{{}}:{{alertname="{name}", instance="{instance}"}}'
    body["groupLabels"] = {"alertname": name, "instance": instance}
    body["commonAnnotations"] = {"summary": f"{name} on {instance}"}
    await deliver(warroom, body)
    async with session_scope(warroom.engine) as session:
        groups = (await session.exec(select(AlertGroup))).all()
    (found,) = [group for group in groups if group.title.endswith(f"{name} on {instance}")]
    assert found.id is not None
    return found.id


async def groups(warroom: Warroom, *ids: int) -> list[AlertGroup]:
    async with session_scope(warroom.engine) as session:
        return [group for number in ids if (group := await session.get(AlertGroup, number))]


async def pages_of(warroom: Warroom, user: str, *ids: int) -> list[PersonPage]:
    async with session_scope(warroom.engine) as session:
        statement = select(PersonPage).where(
            col(PersonPage.user_id) == user, col(PersonPage.alert_group_id).in_(ids)
        )
        return list((await session.exec(statement)).all())


def message_of(warroom: Warroom, group: AlertGroup) -> str:
    ops = ops_channel(warroom)
    (message,) = [m for m in ops.messages if m.ts == group.message_ts]
    return message.text


async def alerts_command(warroom: Warroom, text: str, user: str = CAROL) -> str:
    """Type ``/alerts <text>`` in #ops-alerts as ``user``: what they saw privately (the ack
    and the reply after it). Slack is answered within its 3 seconds."""
    slack = warroom.slack
    before = len(slack.ephemeral_for(user))
    response = await slack.send_command(
        text, user=user, channel=ops_channel(warroom).id, command="/alerts"
    )
    assert response.status == 200 and response.elapsed < 3
    await settle(warroom)
    return seen(slack.ephemeral_for(user)[before:])


async def test_the_alerts_selected_on_the_web_are_acknowledged_together(warroom: Warroom) -> None:
    one, two, three = [await fire(warroom, "QueueLag", f"worker-{n}") for n in (1, 2, 3)]
    disk = await fire(warroom, "DiskFull", "db-1")
    await warroom.advance(minutes=2)
    async with browser() as carol:
        await sign_in(carol, warroom, CAROL)
        status, html = await page(carol, f"{warroom.url}/alerts{PARIS}")
        assert status == 200
        # A box per open alert, named by its alert's title for a screen reader; one form.
        for number in (one, two, three, disk):
            assert f'id="select-alert-{number}" form="alert-acts"' in html
            assert f'aria-labelledby="select-label-{number} alert-title-{number}"' in html
        assert html.count('<form method="post" action="/alerts" id="alert-acts"') == 1
        assert ">Acknowledge selected</button>" in html and ">Resolve selected</button>" in html
        token = csrf_of(html)
        # Meanwhile worker-3's source says it resolved.
        await fire(warroom, "QueueLag", "worker-3", ends_at="2026-03-03T02:01:00Z")
        form = [("csrf", token), ("back", PARIS), ("do", "acknowledge")]
        form += [("alert", str(number)) for number in (one, two, three)]
        async with carol.post(f"{warroom.url}/alerts", data=form, allow_redirects=False) as sent:
            assert sent.status == 303 and sent.headers["Location"] == f"/alerts{PARIS}"
        status, html = await page(carol, f"{warroom.url}/alerts{PARIS}")
        text = " ".join(visible_text(html).split())
        assert status == 200 and "2 acknowledged; 1 was already resolved." in text
        assert 'role="status" id="alerts-acted"' in html
        # Said once: a reload shows the list alone.
        status, html = await page(carol, f"{warroom.url}/alerts{PARIS}")
        assert "acknowledged;" not in html
        await settle(warroom)
        # Each through its own button's flow: who, when and how in its history...
        status, html = await page(carol, f"{warroom.url}/alerts/{one}{PARIS}")
        history = " ".join(visible_text(html.replace("<", " <")).split()).split("History", 1)[1]
        assert re.search(r"03:02:00 CET Acknowledged \(web\) carol tanaka", history, re.I)
    lag_one, lag_two, lag_three, full = await groups(warroom, one, two, three, disk)
    states = [g.state for g in (lag_one, lag_two, lag_three, full)]
    assert states == ["acknowledged", "acknowledged", "resolved", "triggered"]
    assert (lag_one.acknowledged_by, lag_one.acknowledged_via) == (CAROL, "web")
    # ...its message in Slack updated...
    for group in (lag_one, lag_two):
        assert "*Acknowledged* by" in message_of(warroom, group) and CAROL in message_of(
            warroom, group
        )
    # ...and its escalation stopped: level 2 (Bob, after 5 minutes) is never paged.
    await warroom.advance(minutes=10)
    await settle(warroom)
    assert await pages_of(warroom, BOB, one, two) == []
    assert {p.state for p in await pages_of(warroom, CAROL, one, two)} == {"acknowledged"}


async def test_a_resend_and_a_button_meanwhile_change_nothing_twice(warroom: Warroom) -> None:
    one, two = [await fire(warroom, "QueueLag", f"worker-{n}") for n in (1, 2)]
    await warroom.advance(minutes=1)
    ops = ops_channel(warroom)
    (first,) = await groups(warroom, one)
    # Carol acknowledges worker-1 from its message; Bob then selects both on the web.
    await warroom.slack.click_button(
        ops.id, str(first.message_ts), "acknowledge_alert", user=CAROL, value=str(one)
    )
    await settle(warroom)
    async with browser() as bob:
        await sign_in(bob, warroom, BOB)
        _, html = await page(bob, f"{warroom.url}/alerts")
        form = [("csrf", csrf_of(html)), ("do", "acknowledge")]
        form += [("alert", str(one)), ("alert", str(two)), ("alert", "99999"), ("alert", "x")]
        for said in (
            "1 acknowledged; 1 was already acknowledged; 1 not found (#99999).",
            "2 were already acknowledged; 1 not found (#99999).",  # the form sent again
        ):
            async with bob.post(f"{warroom.url}/alerts", data=form) as answer:
                text = " ".join(visible_text(await answer.text()).split())
                assert answer.status == 200 and said in text, text
    lag_one, lag_two = await groups(warroom, one, two)
    assert (lag_one.acknowledged_by, lag_one.acknowledged_via) == (CAROL, "slack")
    assert (lag_two.acknowledged_by, lag_two.acknowledged_via) == (BOB, "web")


async def test_the_form_refuses_nothing_selected_a_forged_token_and_a_guest(
    warroom: Warroom,
) -> None:
    one = await fire(warroom, "QueueLag", "worker-1")
    async with browser() as carol:
        await sign_in(carol, warroom, CAROL)
        _, html = await page(carol, f"{warroom.url}/alerts")
        token = csrf_of(html)
        async with carol.post(
            f"{warroom.url}/alerts", data={"csrf": token, "do": "acknowledge"}
        ) as answer:
            text = " ".join(visible_text(await answer.text()).split())
            assert answer.status == 400 and "Nothing was selected" in text
        async with carol.post(
            f"{warroom.url}/alerts", data={"csrf": token, "do": "snooze", "alert": str(one)}
        ) as answer:
            assert answer.status == 400
        async with carol.post(
            f"{warroom.url}/alerts", data={"csrf": "forged", "do": "resolve", "alert": str(one)}
        ) as answer:
            assert answer.status == 403
    warroom.slack.add_user(GUEST, "gus")
    warroom.slack.users[GUEST].is_restricted = True
    async with browser() as guest:
        await sign_in(guest, warroom, GUEST)
        status, html = await page(guest, f"{warroom.url}/alerts")
        assert status == 403
        form = {"csrf": csrf_of(html), "do": "resolve", "alert": str(one)}
        async with guest.post(f"{warroom.url}/alerts", data=form) as answer:
            assert answer.status == 403
            assert "for the workspace's members" in await answer.text()
    (group,) = await groups(warroom, one)
    assert group.state == "triggered"


async def test_alerts_in_slack_lists_and_acknowledges_mine(warroom: Warroom) -> None:
    one, two = [await fire(warroom, "QueueLag", f"worker-{n}") for n in (1, 2)]
    disk = await fire(warroom, "DiskFull", "db-1")  # Bob's
    said = await alerts_command(warroom, "")
    assert "Open alerts paged to you (2)" in said
    assert f"#{one}" in said and f"#{two}" in said and f"#{disk}" not in said
    assert "QueueLag on worker-1" in said and "triggered" in said
    said = await alerts_command(warroom, "ack --mine")
    assert "2 acknowledged." in said
    lag_one, lag_two, full = await groups(warroom, one, two, disk)
    assert (lag_one.state, lag_two.state, full.state) == (
        "acknowledged",
        "acknowledged",
        "triggered",
    )
    assert (lag_one.acknowledged_by, lag_one.acknowledged_via) == (CAROL, "slack")
    assert "*Acknowledged* by" in message_of(warroom, lag_two)
    # Nothing left paging her: said so, nothing changed.
    assert "No alert paged to you is still paging: nothing to acknowledge." in await alerts_command(
        warroom, "ack --mine"
    )
    # Listed still (acknowledged), then resolved by number.
    assert "acknowledged" in await alerts_command(warroom, "list")
    said = await alerts_command(warroom, f"resolve #{one} {two} {disk}")
    assert "3 resolved." in said
    assert {g.state for g in await groups(warroom, one, two, disk)} == {"resolved"}
    assert "No open alert is paged to you." in await alerts_command(warroom, "")


async def test_alerts_in_slack_answers_bad_input_with_its_usage(warroom: Warroom) -> None:
    one = await fire(warroom, "QueueLag", "worker-1")
    said = await alerts_command(warroom, "ack")
    assert "Say which alerts" in said and "Usage: `/alerts ack --mine | ack <alert id>" in said
    said = await alerts_command(warroom, "ack twelve")
    assert "`twelve` is not an alert's number" in said
    said = await alerts_command(warroom, "silence everything")
    assert "I don't know `/alerts silence`" in said and "/alerts resolve --mine" in said
    said = await alerts_command(warroom, "help")
    assert "`/alerts ack --mine | ack <alert id> <alert id>…`" in said
    warroom.slack.add_user(GUEST, "gus")
    warroom.slack.users[GUEST].is_restricted = True
    said = await alerts_command(warroom, f"ack {one}", user=GUEST)
    assert "Not acknowledged: guests of the workspace cannot acknowledge" in said
    (group,) = await groups(warroom, one)
    assert group.state == "triggered"


async def test_acknowledge_all_mine_on_an_alerts_message(warroom: Warroom) -> None:
    one, two = [await fire(warroom, "QueueLag", f"worker-{n}") for n in (1, 2)]
    disk = await fire(warroom, "DiskFull", "db-1")
    first, full = await groups(warroom, one, disk)
    # The message's overflow menu (its "⋯") offers the acts on all the chooser's alerts.
    assert menu(warroom, first) == ["Acknowledge all mine: queues", "Resolve all mine: queues"]
    assert "2 acknowledged." in await choose_mine(warroom, first, CAROL)
    lag_one, lag_two, full = await groups(warroom, one, two, disk)
    assert (lag_one.state, lag_two.state, full.state) == (
        "acknowledged",
        "acknowledged",
        "triggered",
    )
    # Acknowledged, its menu offers resolving alone.
    assert menu(warroom, lag_one) == ["Resolve all mine: queues"]
    # Chosen by Bob on a message of Carol's route: none of its alerts is his.
    three = await fire(warroom, "QueueLag", "worker-3")
    (third,) = await groups(warroom, three)
    said = await choose_mine(warroom, third, BOB)
    assert "No alert of route queues paged to you is still paging: nothing to acknowledge." in said
    assert "1 acknowledged." in await choose_mine(warroom, full, BOB)
    lag_three, full = await groups(warroom, three, disk)
    assert (lag_three.state, full.state, full.acknowledged_by) == ("triggered", "acknowledged", BOB)
    # A guest of the workspace is told privately; nothing changes.
    warroom.slack.add_user(GUEST, "gus")
    warroom.slack.users[GUEST].is_restricted = True
    said = await choose_mine(warroom, lag_three, GUEST)
    assert "Not acknowledged: guests of the workspace cannot acknowledge" in said
    said = await choose_mine(warroom, lag_three, GUEST, act="Resolve")
    assert "Not resolved: guests of the workspace cannot resolve" in said
    (lag_three,) = await groups(warroom, three)
    assert lag_three.state == "triggered"


async def test_resolve_all_mine_on_an_alerts_message(warroom: Warroom) -> None:
    one, two = [await fire(warroom, "QueueLag", f"worker-{n}") for n in (1, 2)]
    disk = await fire(warroom, "DiskFull", "db-1")
    assert "1 acknowledged." in await alerts_command(warroom, f"ack {one}")
    (first,) = await groups(warroom, one)
    # Carol's two alerts of the queues route, one acknowledged, one paging: both resolved;
    # Bob's disk alert left as it was.
    said = await choose_mine(warroom, first, CAROL, act="Resolve")
    assert "2 resolved." in said
    lag_one, lag_two, full = await groups(warroom, one, two, disk)
    assert (lag_one.state, lag_two.state, full.state) == ("resolved", "resolved", "triggered")
    assert menu(warroom, full) == ["Acknowledge all mine: disks", "Resolve all mine: disks"]


def menu(warroom: Warroom, group: AlertGroup) -> list[str]:
    """The options of the alert's message's overflow menu, as Slack lists them."""
    (message,) = [m for m in ops_channel(warroom).messages if m.ts == group.message_ts]
    (overflow,) = [
        e
        for b in message.blocks or []
        if b.get("type") == "actions"
        for e in b["elements"]
        if e["type"] == "overflow"
    ]
    return [option["text"]["text"] for option in overflow["options"]]


async def choose_mine(
    warroom: Warroom, group: AlertGroup, user: str, *, act: str = "Acknowledge"
) -> str:
    """``user`` chooses "<act> all mine" in the alert's message's overflow menu (Slack's
    block_actions with its selected_option, signed as Slack signs): what they were told."""
    before = len(warroom.slack.ephemeral_for(user))
    ops = ops_channel(warroom)
    (message,) = [m for m in ops.messages if m.ts == group.message_ts]
    route = next(o for o in menu(warroom, group) if o.startswith(act)).partition(": ")[2]
    answer = await warroom.slack.choose_in_message(
        ops.id, message.ts, "alerts_of_mine", user=user, option_text=f"{act} all mine: {route}"
    )
    assert answer.status == 200 and answer.elapsed < 3
    await settle(warroom)
    return seen(warroom.slack.ephemeral_for(user)[before:])
