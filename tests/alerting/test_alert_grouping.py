"""One page per problem: a ``page`` route's alerts arriving within its
grouping window join the open alert, a flapping alert is held open and paged once, an alert
quiet for its route's ``auto_resolve`` resolves by itself, and an alert whose policy is gone
is paged to the policy its severity names. Over the wire: Alertmanager's webhooks to a
running warroom, the Slack emulator, the fake ntfy (Carol's phone)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from bot.config import Secret
from bot.record.alerting.routes import RouteError, parse_routes
from bot.record.alerting.services import ServiceError, parse_services
from bot.store.db import create_engine, session_scope
from bot.store.models import AlertGroup, PersonPage
from emulator import Channel, FakeNtfy, SlackEmulator
from tests.alerting.test_maintenance import maintenance
from tests.alerting.test_own_alerts import NOW, TOPIC, buttons, deliver, only_message, press
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom, reset_postgres, running_warroom
from tests.helpers.alerts import TOKEN, alert, alertmanager, post_alert, replica_env, routes
from tests.helpers.processes import serve
from tests.helpers.waiting import eventually
from tests.paging.scenario import SCHEDULES, paging_settings

# The on-call schedule first, Bob after 15 minutes; SEV3 alerts whose own policy is gone
# go to the web team's.
POLICIES = {
    "policies": {
        "queues": {
            "levels": [
                {"timeout": "15m", "targets": [{"schedule": "night"}]},
                {"targets": [{"user": BOB}]},
            ],
            "owners": [ALICE],
        },
        "web": {"levels": [{"targets": [{"user": ALICE}]}], "owners": [ALICE]},
    },
    "severities": {"SEV3": "web"},
}
CONTACTS = {
    "people": {
        CAROL: {
            "contacts": {"push": {"ntfy": TOPIC}},
            "rules": [{"after": "0s", "notify": ["push"]}, {"after": "10m", "notify": ["slack"]}],
        },
        BOB: {"rules": [{"after": "0s", "notify": ["slack"]}]},
        ALICE: {"rules": [{"after": "0s", "notify": ["slack"]}]},
    }
}


def queues_route(channel: str, **more: Any) -> dict[str, Any]:
    """Every alert of the queues team pages the queues policy (grouped within 2 minutes)."""
    route = {
        "name": "queues",
        "match": {"team": "queues"},
        "action": "page",
        "policy": "queues",
        "channel": channel,
        "severity": "SEV3",
        "group_window": "2m",
    }
    return {"routes": [route | more]}


def start(
    slack: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    ntfy: FakeNtfy,
    route: dict[str, Any],
    *,
    clock: Clock | None = None,
    policies: dict[str, Any] = POLICIES,
) -> Any:
    settings = paging_settings(
        tmp_path,
        CONTACTS,
        policies,
        SCHEDULES,
        WARROOM_NTFY_URL=ntfy.root,
        WARROOM_PUBLIC_URL="https://warroom.example.com",
    )
    return running_warroom(
        slack,
        database_url,
        clock or Clock(NOW),
        alerting__token=Secret(TOKEN),
        alerting__routes=routes(route),
        **settings,
    )


def firing(group: str, instance: str, starts: str = "2026-03-03T01:58:00Z") -> dict[str, Any]:
    team = {"team": "queues"}
    return alertmanager(group, [alert(group, instance, starts, common=team)], common=team)


def resolved(group: str, instance: str, starts: str, ends: str) -> dict[str, Any]:
    team = {"team": "queues"}
    body = [alert(group, instance, starts, ends_at=ends, common=team)]
    return alertmanager(group, body, common=team)


async def groups(warroom: Warroom) -> list[AlertGroup]:
    async with session_scope(warroom.engine) as session:
        return list((await session.exec(select(AlertGroup).order_by(col(AlertGroup.id)))).all())


async def test_three_alerts_within_the_window_page_once_and_a_fourth_after_it_is_a_new_alert(
    slack: SlackEmulator, database_url: str, tmp_path: Path, ops: Channel, ntfy: FakeNtfy
) -> None:
    async with start(slack, database_url, tmp_path, ntfy, queues_route(ops.id)) as warroom:
        await deliver(warroom, firing("QueueLag", "worker-1"))
        await warroom.advance(seconds=40)
        await deliver(warroom, firing("QueueStuck", "worker-2"))
        await warroom.advance(seconds=40)
        await deliver(warroom, firing("QueueFull", "worker-3"))

        # One page, one message listing the three, counted three times.
        assert len(ntfy.phone(TOPIC)) == 1
        text = only_message(ops).text
        assert "fired 3 times," in text
        assert (
            "*Alerts:* QueueLag (instance=worker-1) · QueueStuck (instance=worker-2)"
            " · QueueFull (instance=worker-3)"
        ) in text
        # A repeat of a joined alert counts on the same alert, and pages nobody.
        await deliver(warroom, firing("QueueStuck", "worker-2"))
        assert "fired 4 times," in only_message(ops).text
        assert len(ntfy.phone(TOPIC)) == 1

        # Past the window (2 minutes from the first): a new alert, a new message, a new page.
        await warroom.advance(minutes=2)
        await deliver(warroom, firing("QueueSlow", "worker-4"))
        assert len(ntfy.phone(TOPIC)) == 2
        first, second = ops.messages
        assert "QueueSlow" not in first.text and "fired 4 times," in first.text
        assert "Alert: QueueSlow is firing" in second.text and "*Alerts:*" not in second.text

        # The first alert resolves only once all three of its alerts have.
        ends = "2026-03-03T02:04:00Z"
        await deliver(warroom, resolved("QueueLag", "worker-1", "2026-03-03T01:58:00Z", ends))
        await deliver(warroom, resolved("QueueStuck", "worker-2", "2026-03-03T01:58:00Z", ends))
        assert "*Triggered*" in ops.messages[0].text
        await deliver(warroom, resolved("QueueFull", "worker-3", "2026-03-03T01:58:00Z", ends))
        assert "*Resolved* by its source" in ops.messages[0].text
        assert buttons(ops.messages[0]) == []
        assert "*Triggered*" in ops.messages[1].text


async def test_with_the_window_off_each_source_group_is_an_alert_of_its_own(
    slack: SlackEmulator, database_url: str, tmp_path: Path, ops: Channel, ntfy: FakeNtfy
) -> None:
    route = queues_route(ops.id, group_window="0")
    async with start(slack, database_url, tmp_path, ntfy, route) as warroom:
        await deliver(warroom, firing("QueueLag", "worker-1"))
        await deliver(warroom, firing("QueueStuck", "worker-2"))
        assert len(ntfy.phone(TOPIC)) == 2
        assert len(ops.messages) == 2


def at(minute: int) -> str:
    """A time of the source's own, the hour before warroom's clock."""
    return f"2026-03-03T01:{minute:02d}:00Z"


async def test_a_flapping_alert_is_held_open_and_paged_once_then_resolves_when_quiet(
    slack: SlackEmulator, database_url: str, tmp_path: Path, ops: Channel, ntfy: FakeNtfy
) -> None:
    route = queues_route(ops.id, flapping={"count": 1, "within": "30m"})
    async with start(slack, database_url, tmp_path, ntfy, route) as warroom:

        async def flip(minute: int) -> None:
            """It fires at ``minute`` and its source says it resolved a minute later."""
            await deliver(warroom, firing("QueueLag", "worker-1", at(minute)))
            await deliver(warroom, resolved("QueueLag", "worker-1", at(minute), at(minute + 1)))

        await flip(0)  # an alert, paged
        await flip(2)  # it fired again once: a new alert, paged (1 flip is not more than 1)
        assert len(ntfy.phone(TOPIC)) == 2
        assert "Flapping" not in ops.messages[-1].text
        # The second flip is more than one within 30m: flapping, paged once, held open.
        await deliver(warroom, firing("QueueLag", "worker-1", at(4)))
        assert len(ntfy.phone(TOPIC)) == 3
        assert len(ops.messages) == 3
        await deliver(warroom, resolved("QueueLag", "worker-1", at(4), at(5)))
        await flip(6)
        await flip(8)
        assert len(ntfy.phone(TOPIC)) == 3  # nobody paged again
        assert len(ops.messages) == 3
        text = ops.messages[-1].text
        assert "*Flapping:* it resolved and fired again 4 times within 30m" in text
        assert "only once it has stayed resolved for 30m" in text
        assert "*Triggered*" in text and "Acknowledge" in buttons(ops.messages[-1])

        # Quiet for 30 minutes after its source's last resolve: it resolves by itself.
        await warroom.advance(minutes=29)
        assert (await groups(warroom))[0].state == "triggered"
        await warroom.advance(minutes=1)
        text = ops.messages[-1].text
        assert "*Resolved* by itself at " in text
        assert "after flapping, it stayed resolved for 30m" in text
        assert buttons(ops.messages[-1]) == []
        assert len(ntfy.phone(TOPIC)) == 3


async def test_auto_resolve_resolves_an_alert_that_did_not_fire_again_and_stops_its_paging(
    slack: SlackEmulator, database_url: str, tmp_path: Path, ops: Channel, ntfy: FakeNtfy
) -> None:
    route = queues_route(ops.id, auto_resolve="5m")
    async with start(slack, database_url, tmp_path, ntfy, route) as warroom:
        await deliver(warroom, firing("QueueLag", "worker-1"))
        await warroom.advance(minutes=3)
        await deliver(warroom, firing("QueueLag", "worker-1"))  # fired again: waits from here
        await warroom.advance(minutes=4)
        assert (await groups(warroom))[0].state == "triggered"
        await warroom.advance(minutes=1)
        text = only_message(ops).text
        assert "*Auto-resolved* at " in text
        assert "it did not fire again for 5m" in text
        assert buttons(only_message(ops)) == []
        # Carol's 10-minute Slack rule and Bob's level at 15 minutes never come.
        await warroom.advance(minutes=30)
        assert slack.direct_messages(CAROL) == []
        assert slack.direct_messages(BOB) == []
        assert len(ntfy.phone(TOPIC)) == 1


async def test_a_maintenance_window_still_silences_an_alert_that_would_join_the_open_one(
    slack: SlackEmulator, database_url: str, tmp_path: Path, ops: Channel, ntfy: FakeNtfy
) -> None:
    async with start(slack, database_url, tmp_path, ntfy, queues_route(ops.id)) as warroom:
        said = await maintenance(warroom, "team=queues,alertname=QueueStuck now to 23:00")
        assert "Maintenance window #1" in said, said
        await deliver(warroom, firing("QueueLag", "worker-1"))
        await deliver(warroom, firing("QueueStuck", "worker-2"))
        assert len(ntfy.phone(TOPIC)) == 1
        text = only_message(ops).text
        assert "fired 1 time," in text and "QueueStuck" not in text, said
        # Silenced alone, it pages nobody either.
        await warroom.advance(minutes=5)
        await deliver(warroom, firing("QueueStuck", "worker-2"))
        assert len(ntfy.phone(TOPIC)) == 1
        assert len(ops.messages) == 1


@pytest.mark.parametrize("fallback", [True, False], ids=["severity-policy", "none"])
async def test_an_alert_whose_policy_is_gone_is_paged_to_its_severitys_and_said_so(
    slack: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    ops: Channel,
    ntfy: FakeNtfy,
    fallback: bool,
) -> None:
    clock = Clock(NOW)
    async with start(slack, database_url, tmp_path, ntfy, queues_route(ops.id), clock=clock) as w:
        await deliver(w, firing("QueueLag", "worker-1"))
        assert len(ntfy.phone(TOPIC)) == 1

    # Restarted with the queues policy gone (the route now names the web team's): when its
    # next level is due, or someone presses Escalate first, the alert goes to the policy for
    # SEV3 from level 1, and its message says so; with none for SEV3, nobody is paged, the
    # alert is kept, and its message says that.
    without: dict[str, Any] = {"policies": {"web": POLICIES["policies"]["web"]}}
    if fallback:
        without["severities"] = {"SEV3": "web"}
    route = queues_route(ops.id, policy="web")
    async with start(
        slack, database_url, tmp_path, ntfy, route, clock=clock, policies=without
    ) as warroom:
        if fallback:
            await press(warroom, ops, "escalate_alert", CAROL)
        else:
            await warroom.advance(minutes=15)
        text = only_message(ops).text
        assert ":warning: Escalation policy *queues* is not configured any more: " in text
        assert slack.direct_messages(BOB) == []
        if fallback:
            (to_alice,) = slack.direct_messages(ALICE)
            assert "QueueLag" in to_alice.text
            assert "paged to *web* instead, the policy for SEV3, from level 1." in text
            assert "paging escalation policy *web*" in text
            await warroom.advance(minutes=15)  # the gone policy's level 2 pages nobody
            assert len(slack.direct_messages(ALICE)) == 1
            assert slack.direct_messages(BOB) == []
        else:
            assert slack.direct_messages(ALICE) == []
            assert (
                "no policy is set for SEV3 either, so nobody is paged. The alert is kept open"
            ) in text
            assert "*Triggered*: nobody is paged." in text
            assert "Acknowledge" in buttons(only_message(ops))
            assert (await groups(warroom))[0].state == "triggered"
            await press(warroom, ops, "escalate_alert", CAROL)
            (said,) = [m.text for m in slack.ephemeral_for(CAROL)]
            assert said.startswith("Not escalated: no escalation policy pages this alert")


def test_a_routes_grouping_flapping_and_auto_resolve_are_checked() -> None:
    route = {"name": "q", "action": "page", "policy": "p", "channel": "C0123456789"}
    parsed = parse_routes({"routes": [route]}).named("q")
    assert parsed.group_window.total_seconds() == 0  # grouping is the route's choice
    grouped = parse_routes({"routes": [route | {"group_window": "2m"}]}).named("q")
    assert grouped.group_window.total_seconds() == 120
    assert parsed.flapping is not None
    assert (parsed.flapping.count, parsed.flapping.within.total_seconds()) == (3, 1800)
    assert parsed.auto_resolve is None
    off = parse_routes({"routes": [route | {"group_window": 0, "flapping": "off"}]}).named("q")
    assert (off.group_window.total_seconds(), off.flapping) == (0, None)
    with pytest.raises(RouteError, match="auto_resolve must be longer than 0"):
        parse_routes({"routes": [route | {"auto_resolve": "0"}]})
    with pytest.raises(RouteError, match="flapping: expected"):
        parse_routes({"routes": [route | {"flapping": {"count": "many"}}]})
    with pytest.raises(RouteError, match="group_window: expected a duration"):
        parse_routes({"routes": [route | {"group_window": "soon"}]})


def test_a_services_group_window_is_its_routes_unless_the_route_sets_one() -> None:
    service = {"name": "checkout", "policy": "p", "channel": "C0123456789"}
    catalog = parse_services({"services": [service | {"group_window": "3m"}]})
    route = {"name": "q", "action": "page", "service": "checkout"}
    taken = parse_routes({"routes": [route]}).with_services(catalog).named("q")
    assert taken.group_window.total_seconds() == 180
    own = parse_routes({"routes": [route | {"group_window": 0}]}).with_services(catalog)
    assert own.named("q").group_window.total_seconds() == 0
    plain = parse_services({"services": [service]}).get("checkout")
    assert plain is not None and plain.group_window.total_seconds() == 0
    with pytest.raises(ServiceError, match="service 'checkout': group_window: expected"):
        parse_services({"services": [service | {"group_window": "soon"}]})


GROUPS = 8


async def test_two_replicas_receiving_a_routes_alerts_at_once_open_one_alert_between_them(
    postgres_url: str | None, slack: SlackEmulator, tmp_path: Path, ops: Channel
) -> None:
    """Two ``warroom serve`` processes on one PostgreSQL database, eight source groups of the
    route posted to both at once: one alert, paged once, the seven others joined to it."""
    if postgres_url is None:
        pytest.skip("two-replica test skipped: set WARROOM_TEST_DATABASE_URL (PostgreSQL)")
    await reset_postgres(postgres_url)
    env = replica_env(
        slack,
        postgres_url,
        tmp_path,
        routes=queues_route(ops.id, policy="web"),
        policies={"policies": {"web": POLICIES["policies"]["web"]}},
        contacts={"people": {ALICE: CONTACTS["people"][ALICE]}},
    )
    engine = create_engine(postgres_url)
    try:
        async with (
            serve(env, tmp_path / "one.log", stop=signal.SIGTERM) as one,
            serve(env, tmp_path / "two.log", stop=signal.SIGTERM) as two,
        ):
            answers = await asyncio.gather(
                *(
                    post_alert((one, two)[n % 2].url, "alertmanager", firing(f"Q{n}", f"w-{n}"))
                    for n in range(GROUPS)
                )
            )
            assert [status for status, _ in answers] == [202] * GROUPS

            async def all_counted() -> bool:
                async with session_scope(engine) as session:
                    found = (await session.exec(select(AlertGroup))).all()
                return sum(group.fired_count for group in found) == GROUPS

            await eventually(all_counted, 60, "every alert counted")

            async def all_said() -> bool:
                shown = [message.text for message in ops.messages]
                return len(shown) == 1 and f"fired {GROUPS} times," in shown[0]

            # One message: the first five alerts by name, then how many more.
            await eventually(all_said, 60, "the message shows every alert counted")
            assert "*Alerts:* " in ops.messages[0].text
            assert ops.messages[0].text.count("(instance=w-") == 5
            assert "…and 3 more" in ops.messages[0].text
            await asyncio.sleep(1)  # time for a second page, were there one
        async with session_scope(engine) as session:
            found = list((await session.exec(select(AlertGroup))).all())
            paged = (await session.exec(select(PersonPage))).all()
        (alert_of_its_own,) = [group for group in found if group.state == "triggered"]
        assert alert_of_its_own.fired_count == GROUPS
        assert {group.joined_to for group in found if group is not alert_of_its_own} == {
            alert_of_its_own.id
        }
        assert [page.user_id for page in paged] == [ALICE]
        for log in ("one.log", "two.log"):
            text = (tmp_path / log).read_text()
            assert "deadlock" not in text and "ERROR" not in text, log
    finally:
        await engine.dispose()
