"""Two ``warroom serve`` processes on one PostgreSQL database, one alert group's notifications
posted to both at once, as two replicas behind a load balancer get them: each notification is
applied once, in the order they were received, with no deadlock, while the ones that may page
go ahead in their own lane (bot/flows/alerting/intake.py, bot/record/alerting/alerts.py). And
the phone's acts (an SMS reply, a keypress in the call, the console's Acknowledge) reaching
the replica that did not page: one change, said truthfully at either, nobody paged twice.

Real processes, real time, Alertmanager's webhooks over HTTP with the bearer token, the fake
Twilio and ntfy on 127.0.0.1, a phone's browser for the console.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlmodel import col, select

from bot.store.db import create_engine, session_scope
from bot.store.models import AlertGroup, AlertPayload, Incident
from emulator import Channel, FakeNtfy, FakeTwilio, SlackEmulator
from emulator.ntfy import Published
from emulator.twilio import PlacedCall
from tests.alerting.test_own_alerts import page_route, queue_lag
from tests.conftest import BOB, CAROL, reset_postgres
from tests.helpers.alerts import alert, alertmanager, post_alert, replica_env
from tests.helpers.processes import ServedBot, serve
from tests.helpers.waiting import eventually
from tests.helpers.web_view import csrf_of, visible_text

NOTIFICATIONS = 40
ROUTES = {
    "routes": [
        {"name": "database", "match": {"team": "db"}, "match_re": {"severity": "critical"},
         "severity": "SEV1", "policy": "dba"},
    ],
    "default": {"action": "open", "severity": "SEV3"},
}  # fmt: skip
POLICIES = {"policies": {"dba": {"levels": [{"targets": [{"user": BOB}]}]}}}


def group_notification(n: int) -> dict[str, Any]:
    """The DbDisk group's n-th notification: one more instance firing each time (up to six),
    critical (its route pages the DBAs) every eighth time, a warning otherwise."""
    severity = "critical" if n % 8 == 7 else "warning"
    common = {"team": "db", "severity": severity}
    alerts = [
        alert("DbDisk", f"db-{i}", f"2026-08-01T10:0{i}:00Z", common=common)
        for i in range(n % 6 + 1)
    ]
    return alertmanager("DbDisk", alerts, common=common)


async def test_two_replicas_apply_a_groups_notifications_once_in_order(
    postgres_url: str | None, slack: SlackEmulator, tmp_path: Path
) -> None:
    if postgres_url is None:
        pytest.skip("two-replica test skipped: set WARROOM_TEST_DATABASE_URL (PostgreSQL)")
    await reset_postgres(postgres_url)
    env = replica_env(slack, postgres_url, tmp_path, routes=ROUTES, policies=POLICIES)
    engine = create_engine(postgres_url)
    try:
        async with (
            serve(env, tmp_path / "one.log", stop=signal.SIGTERM) as one,
            serve(env, tmp_path / "two.log", stop=signal.SIGTERM) as two,
        ):
            answers = await asyncio.gather(
                *(
                    post_alert((one, two)[n % 2].url, "alertmanager", group_notification(n))
                    for n in range(NOTIFICATIONS)
                )
            )
            assert [status for status, _ in answers] == [202] * NOTIFICATIONS

            async def all_applied() -> bool:
                return len([p for p in await payloads(engine) if p.state != "received"]) == (
                    NOTIFICATIONS
                )

            await eventually(all_applied, 60, "every notification applied")
            await asyncio.sleep(1)  # time for a second application of anything, were there one
        applied = await payloads(engine)
        assert [(p.state, p.attempts, p.error) for p in applied] == [
            ("processed", 0, None)
        ] * NOTIFICATIONS, "none failed, not even once (a deadlock is a failure)"
        # In the order received: a payload is never applied before one received ahead of it.
        times = [p.processed_at for p in applied]
        assert times == sorted(times)  # type: ignore[type-var]
        async with session_scope(engine) as session:
            opened = (await session.exec(select(Incident))).all()
        assert len(opened) == 1, "the group's notifications went to its one incident"
        for log in ("one.log", "two.log"):
            text = (tmp_path / log).read_text()
            assert "deadlock" not in text and "ERROR" not in text, log
    finally:
        await engine.dispose()


async def payloads(engine: Any) -> list[AlertPayload]:
    async with session_scope(engine) as session:
        statement = select(AlertPayload).order_by(col(AlertPayload.id))
        return list((await session.exec(statement)).all())


PHONE = "+15555550123"
PUBLIC_URL = "https://warroom.example.com"
ALERT_POLICIES = {
    "policies": {
        "queues": {
            "levels": [
                {"timeout": "5m", "targets": [{"user": CAROL}]},
                {"targets": [{"user": BOB}]},
            ]
        }
    }
}
ALERT_CONTACTS = {
    "people": {
        CAROL: {"contacts": {"sms": {"sms": PHONE}}, "rules": [{"after": "0s", "notify": ["sms"]}]}
    }
}
ACKNOWLEDGED_BY_SMS = "Acknowledged the alert QueueLag is firing."


async def test_an_sms_reply_at_one_replica_and_a_slack_press_at_the_other_change_it_once(
    postgres_url: str | None, slack: SlackEmulator, tmp_path: Path, ops: Channel
) -> None:
    """Carol's SMS reply 1 reaches one replica as Bob's Acknowledge on the alert's message
    reaches the other, at the same moment: the alert is acknowledged once, by whoever came
    first, and the other is told so truthfully (the SMS in words, Bob privately)."""
    if postgres_url is None:
        pytest.skip("two-replica test skipped: set WARROOM_TEST_DATABASE_URL (PostgreSQL)")
    await reset_postgres(postgres_url)
    general = ops  # the alerts channel (the bot a member); Bob joins it to press
    general.members.add(BOB)
    async with FakeTwilio() as twilio:
        env = replica_env(
            slack,
            postgres_url,
            tmp_path,
            routes=page_route(general.id),
            policies=ALERT_POLICIES,
            contacts=ALERT_CONTACTS,
        )
        env |= {
            "TWILIO_ACCOUNT_SID": twilio.account_sid,
            "TWILIO_AUTH_TOKEN": twilio.auth_token,
            "TWILIO_FROM": twilio.numbers[0],
            "TWILIO_API_URL": twilio.root,
            "WARROOM_PUBLIC_URL": PUBLIC_URL,
        }
        twilio.sms_webhook = f"{PUBLIC_URL}/twilio/sms"
        async with (
            serve(env, tmp_path / "one.log", stop=signal.SIGTERM) as one,
            serve(env, tmp_path / "two.log", stop=signal.SIGTERM) as two,
        ):
            twilio.reach = (PUBLIC_URL, one.url)  # her reply reaches replica one
            slack.events_url = f"{two.url}/slack/events"  # Bob's press, replica two
            status, _ = await post_alert(one.url, "alertmanager", queue_lag())
            assert status == 202
            await twilio.wait_for(lambda: twilio.phone(PHONE).messages, timeout=30)
            await slack.wait_for(lambda: alert_buttons(general), timeout=30)
            message = next(m for m in general.messages if alert_buttons(general) and m.blocks)
            value = next(
                element["value"]
                for block in message.blocks or []
                if block.get("type") == "actions"
                for element in block["elements"]
                if element["action_id"] == "acknowledge_alert"
            )
            reply, _ = await asyncio.gather(
                twilio.reply(PHONE, "1"),
                slack.click_button(
                    general.id, message.ts, "acknowledge_alert", user=BOB, value=value,
                    block_id="alert",
                ),
            )  # fmt: skip
            await slack.wait_for(lambda: "*Acknowledged* by" in message_text(general), timeout=30)
            await asyncio.sleep(1)  # time for a second change, were there one
            engine = create_engine(postgres_url)
            try:
                async with session_scope(engine) as session:
                    (group,) = (await session.exec(select(AlertGroup))).all()
            finally:
                await engine.dispose()
            told_bob = [m.text for m in slack.ephemeral_for(BOB)]
        assert group.state == "acknowledged"
        assert message_text(general).count("*Acknowledged* by") == 1
        words = reply[1] or ""
        if group.acknowledged_by == CAROL:  # her reply came first: Bob is told privately
            assert (group.acknowledged_via, words.startswith(ACKNOWLEDGED_BY_SMS)) == ("sms", True)
            assert len(told_bob) == 1 and told_bob[0].startswith(
                f"This alert is already acknowledged by <@{CAROL}>"
            ), told_bob
        else:  # Bob's press came first: her reply says so, the message says it to Bob
            assert group.acknowledged_by == BOB and not words.startswith(ACKNOWLEDGED_BY_SMS)
            assert "already acknowledged" in words or words == "You have no open page right now."
            assert told_bob == []
        for log in ("one.log", "two.log"):
            text = (tmp_path / log).read_text()
            assert "deadlock" not in text and "ERROR" not in text, log


def alert_buttons(channel: Any) -> bool:
    return any(block.get("type") == "actions" for m in channel.messages for block in m.blocks or [])


def message_text(channel: Any) -> str:
    return " ".join(m.text for m in channel.messages)


TOPIC = "carol-two-replicas"
# Carol: an SMS, a call and a push at once, each of which can acknowledge the alert.
EVERY_WAY = {
    "people": {
        CAROL: {
            "contacts": {
                "sms": {"sms": PHONE},
                "call": {"voice": PHONE},
                "push": {"ntfy": TOPIC},
            },
            "rules": [{"after": "0s", "notify": ["sms", "call", "push"]}],
        }
    }
}
# What each act says when it acknowledged the alert, and the method the message names.
SAID = {
    "sms": "Acknowledged the alert QueueLag is firing.",
    "voice": "Acknowledged the alert QueueLag is firing.",
    "console": "Acknowledged: the paging has stopped.",
}
VIA = {"sms": "sms", "voice": "voice", "console": "ntfy"}


class Phone:
    """Carol's phone: her SMS, her call (picked up) and her push, each act sent to the
    replica ``at`` as the public address would take it there."""

    def __init__(self, twilio: FakeTwilio, ntfy: FakeNtfy) -> None:
        self.twilio, self.ntfy = twilio, ntfy
        self.call: PlacedCall | None = None
        self.push: Published | None = None

    async def act(self, act: str, at: ServedBot) -> str:
        """Acknowledge by ``act`` at ``at``: what the phone was told back."""
        self.twilio.reach = (PUBLIC_URL, at.url)
        if act == "sms":
            _, words = await self.twilio.reply(PHONE, "1")
            return words or ""
        if act == "voice":
            assert self.call is not None
            return await self.twilio.press(self.call, "1")
        assert self.push is not None and self.push.click is not None
        url = self.push.click.replace(PUBLIC_URL, at.url, 1)
        jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[at.url])
        async with aiohttp.ClientSession(cookie_jar=jar) as browser:
            async with browser.get(url) as answer:
                page = await answer.text()
                assert answer.status == 200, page
            form = {"csrf": csrf_of(page), "do": "acknowledge"}
            async with browser.post(url, data=form) as answer:
                assert answer.status in (200, 409)  # 409: nothing to do, said on the page
                return " ".join(visible_text(await answer.text()).split())


async def one_alert(postgres_url: str) -> AlertGroup:
    engine = create_engine(postgres_url)
    try:
        async with session_scope(engine) as session:
            (group,) = (await session.exec(select(AlertGroup))).all()
    finally:
        await engine.dispose()
    return group


async def when(check: Callable[[], bool], what: str) -> None:
    async def done() -> bool:
        return check()

    await eventually(done, 30, what)


@pytest.mark.parametrize("act", ["sms", "voice", "console"])
async def test_a_phones_act_at_the_replica_that_did_not_page_changes_it_once(
    postgres_url: str | None, slack: SlackEmulator, tmp_path: Path, ops: Channel, act: str
) -> None:
    """Replica one pages Carol (SMS, call, push) before replica two starts; her ``act``
    reaches replica two and acknowledges the alert; the two other acts, at replica one at
    once afterwards, are told it is acknowledged already and change nothing; she got one
    SMS, one call and one push, and nobody else was paged."""
    if postgres_url is None:
        pytest.skip("two-replica test skipped: set WARROOM_TEST_DATABASE_URL (PostgreSQL)")
    await reset_postgres(postgres_url)
    async with FakeTwilio() as twilio, FakeNtfy() as ntfy:
        env = replica_env(
            slack,
            postgres_url,
            tmp_path,
            routes=page_route(ops.id),
            policies=ALERT_POLICIES,
            contacts=EVERY_WAY,
        )
        env |= {
            "TWILIO_ACCOUNT_SID": twilio.account_sid,
            "TWILIO_AUTH_TOKEN": twilio.auth_token,
            "TWILIO_FROM": twilio.numbers[0],
            "TWILIO_API_URL": twilio.root,
            "WARROOM_NTFY_URL": ntfy.root,
            "WARROOM_PUBLIC_URL": PUBLIC_URL,
        }
        twilio.sms_webhook = f"{PUBLIC_URL}/twilio/sms"
        phone = Phone(twilio, ntfy)
        async with serve(env, tmp_path / "one.log", stop=signal.SIGTERM) as one:
            status, _ = await post_alert(one.url, "alertmanager", queue_lag())
            assert status == 202
            await when(lambda: bool(twilio.messages and twilio.calls), "her SMS and call")
            await when(lambda: bool(ntfy.phone(TOPIC)), "her push")
            (phone.call,), (phone.push,) = twilio.calls, ntfy.phone(TOPIC)
            twilio.reach = (PUBLIC_URL, one.url)
            assert await twilio.answer(phone.call) == 200
            async with serve(env, tmp_path / "two.log", stop=signal.SIGTERM) as two:
                told = await phone.act(act, two)
                assert told.startswith(SAID[act]) or SAID[act] in told, told
                acknowledged = f"*Acknowledged* by <@{CAROL}> ({VIA[act]})"
                await slack.wait_for(lambda: acknowledged in message_text(ops), timeout=30)
                others = [other for other in SAID if other != act]
                answers = await asyncio.gather(*(phone.act(other, one) for other in others))
                await asyncio.sleep(1)  # time for a second change or page, were there one
        group = await one_alert(postgres_url)
    assert (group.state, group.acknowledged_by, group.acknowledged_via) == (
        "acknowledged",
        CAROL,
        VIA[act],
    )
    assert message_text(ops).count("*Acknowledged* by") == 1
    for other, words in zip(others, answers, strict=True):
        assert not words.startswith(SAID[other]), (other, words)
        # An SMS names no page: with none of hers open, it says so (the call and the
        # console are their page's, and say who acknowledged it).
        no_page = other == "sms" and words == "You have no open page right now."
        assert no_page or "already acknowledged" in words or "Nothing changed" in words, (
            other,
            words,
        )
    # Nobody paged twice: one SMS, one call, one push for Carol, nothing for anyone else.
    pages = [m for m in twilio.messages if m.status_callback is not None]
    assert [m.to for m in pages] == [PHONE] and len(twilio.calls) == 1, twilio.describe()
    assert len(ntfy.phone(TOPIC)) == len(ntfy.published) == 1
    assert slack.direct_messages(BOB) == [] and slack.direct_messages(CAROL) == []
    for log in ("one.log", "two.log"):
        text = (tmp_path / log).read_text()
        assert "deadlock" not in text and "ERROR" not in text, log
