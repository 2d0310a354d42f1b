"""Exactly once: every delivery three times, alternately to two replicas on one database
(PostgreSQL, and a SQLite file both replicas open), both replicas running their jobs at once:
each workflow action happens once — one post, one invitation, one webhook delivery — and the
timeline says each once.

The declaring delivery is an Alertmanager notification (its sender retries when it hears
nothing); the severity change is ``/incident sev1`` sent three times (the second and third
find nothing to change: the change takes the incident's row lock, so two replicas applying it
at once do not both raise it — before they did, on PostgreSQL, and each ran the workflow)."""

from __future__ import annotations

import asyncio
from collections import Counter
from types import MappingProxyType
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlmodel import func, select

from bot.config import Secret
from bot.record.workflows.definitions import parse_workflows
from bot.record.workflows.runs import KINDS
from bot.store.columns import utcnow
from bot.store.db import session_scope
from bot.store.models import Incident, Job, OutboxMessage, TimelineEntry
from emulator import Channel, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Warroom, running_warroom
from tests.helpers.alerts import TOKEN, alert, alertmanager, post_alert
from tests.helpers.incidents import settle
from tests.helpers.waiting import RealClock, eventually

DELIVERIES = 3


def actions(hook: str, user: str, text: str) -> list[dict[str, Any]]:
    return [
        {"post": {"text": text + " {{ incident.reference }} ({{ incident.severity }})"}},
        {"invite": {"users": [user]}},
        {"webhook": {"url": hook, "secret_env": "HOOK_SECRET"}},
    ]


def workflows(hook: str) -> Any:
    return parse_workflows(
        {
            "workflows": {
                "on-declared": {
                    "on": "incident.declared",
                    "do": actions(hook, BOB, "Declared:"),
                },
                "on-severity": {
                    "on": "incident.severity_changed",
                    "do": actions(hook, CAROL, "Raised:"),
                },
            }
        }
    )


async def both_run(replicas: list[Warroom]) -> None:
    """Both replicas settle, then run their due jobs at the same time (each also polls on its
    own), until no workflow job and no message is left to do."""
    await asyncio.gather(*(settle(r) for r in replicas))

    async def done() -> bool:
        await asyncio.gather(*(r.run_jobs() for r in replicas * 2))
        async with session_scope(replicas[0].engine) as session:
            jobs = select(func.count()).select_from(Job)
            left = jobs.where(Job.kind.in_(KINDS), Job.done_at.is_(None))  # type: ignore[attr-defined,union-attr]
            unsent = select(func.count()).select_from(OutboxMessage)
            unsent = unsent.where(OutboxMessage.sent_at.is_(None))  # type: ignore[union-attr]
            return (await session.exec(left)).one() + (await session.exec(unsent)).one() == 0

    await eventually(done, 30, "the workflow jobs and their messages")
    await asyncio.gather(*(r.finish_background() for r in replicas))
    await replicas[0].slack.drain()


async def test_triple_deliveries_to_two_replicas_run_each_workflow_action_once(
    slack: SlackEmulator, database_url: str
) -> None:
    deliveries: list[dict[str, Any]] = []

    async def receive(request: web.Request) -> web.Response:
        deliveries.append(await request.json())
        return web.Response(status=204)

    receiver = web.Application()
    receiver.router.add_post("/hook", receive)
    async with TestServer(receiver, host="127.0.0.1") as server:
        settings: dict[str, Any] = {
            "alerting__token": Secret(TOKEN),
            "workflows__definitions": workflows(f"http://127.0.0.1:{server.port}/hook"),
            "workflows__webhook_secrets": MappingProxyType({"HOOK_SECRET": Secret("hook-secret")}),
        }
        async with (
            running_warroom(slack, database_url, RealClock(), **settings) as one,
            running_warroom(slack, database_url, RealClock(), **settings) as two,
            aiohttp.ClientSession() as http,
        ):
            replicas = [one, two]
            urls = [replicas[n % 2].url for n in range(DELIVERIES)]
            started = utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
            notification = alertmanager("CheckoutErrors", [alert("CheckoutErrors", "w1", started)])
            answers = await asyncio.gather(
                *(post_alert(url, "alertmanager", notification, session=http) for url in urls)
            )
            assert {status for status, _ in answers} == {202}
            channel: Channel = await slack.wait_for(
                lambda: next(
                    (c for c in slack.channels.values() if c.name.startswith("inc-")), None
                )
            )
            await slack.wait_for(lambda: channel.pins)
            await both_run(replicas)

            for n in range(DELIVERIES):
                slack.events_url = f"{replicas[n % 2].url}/slack/events"
                await slack.send_command("sev 1", user=ALICE, channel=channel.id)
            await both_run(replicas)

            async with session_scope(one.engine) as session:
                incidents = list((await session.exec(select(Incident))).all())
                timeline = list(
                    (
                        await session.exec(
                            select(TimelineEntry).where(TimelineEntry.kind == "workflow")
                        )
                    ).all()
                )

    assert len(incidents) == 1 and incidents[0].severity == "SEV1"
    said = [m.text for m in channel.messages if m.user == slack.bot_user_id]
    assert len([t for t in said if t.startswith("Declared: INC-1")]) == 1
    assert len([t for t in said if t.startswith("Raised: INC-1 (SEV1)")]) == 1
    invited = Counter(
        user
        for call in slack.calls_to("conversations.invite")
        for user in str(call.args.get("users", "")).split(",")
    )
    assert invited[BOB] == 1 and invited[CAROL] == 1
    assert sorted(d["workflow"] for d in deliveries) == ["on-declared", "on-severity"]
    done = Counter((e.facts["workflow"], e.facts["action"]) for e in timeline if e.facts)
    assert done == Counter(
        {
            (workflow, action): 1
            for workflow in ("on-declared", "on-severity")
            for action in ("post", "invite", "webhook")
        }
    )
    assert not any(e.facts and e.facts.get("error") for e in timeline)
