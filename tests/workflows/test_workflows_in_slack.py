"""Workflows end to end: signed slash commands into the real server, Slack played by the
emulator, a webhook receiver on 127.0.0.1 checking the signature."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from types import MappingProxyType
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import delete, update
from sqlmodel import col, select

from bot.config import Secret
from bot.record.workflows.definitions import Workflows, parse_workflows
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import Escalation, Incident, Job, PublicIncident, TimelineEntry
from emulator import Channel, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Warroom, running_warroom
from tests.helpers.incidents import declare_incident, post_saying, settle
from tests.types.test_types_in_slack import POLICIES, types_file

SECRET = "s3cret-for-tests"


def workflows_file(exec_channel: str, hook: str = "") -> Workflows:
    document: dict[str, Any] = {
        "workflows": {
            "sev1-exec-comms": {
                "on": "incident.declared",
                "when": {"all": [{"severity": ["SEV1"]}, {"type": "customer-facing"}]},
                "do": [
                    {"invite": {"usergroup": "exec"}},
                    {
                        "post": {
                            "channel": exec_channel,
                            "text": "Exec heads-up: {{ incident.reference }} {{ incident.title }}",
                        }
                    },
                    {"make_public": {}},
                    {
                        "bookmark": {
                            "title": "Bridge",
                            "link": "https://meet.example/{{ incident.reference }}",
                        }
                    },
                    {"follow_up": "Send the customer letter for {{ incident.reference }}"},
                ],
            },
            "security-lockdown": {
                "on": "incident.declared",
                "when": {"all": [{"type": "security"}, {"private": True}]},
                "do": [
                    {"invite": {"users": [CAROL]}},
                    {
                        "set_field": {
                            "field": "notes",
                            "value": "Rotate keys for {{ incident.reference }}",
                        }
                    },
                    {"post": {"text": "Security checklist for {{ incident.title }}"}},
                ],
            },
            "raise-on-outage": {
                "on": "incident.field_changed",
                "when": {"field": "customer_impact", "equals": "outage"},
                "do": [{"set_severity": "SEV1"}],
            },
            # Would loop with raise-on-outage if a workflow's change started workflows.
            "outage-on-sev1": {
                "on": "incident.severity_changed",
                "when": {"severity": "SEV1"},
                "do": [{"set_field": {"field": "customer_impact", "value": "degraded"}}],
            },
        }
    }
    if hook:
        document["workflows"]["hook"] = {
            "on": "incident.declared",
            "when": {"severity": "SEV4"},
            "do": [{"webhook": {"url": hook, "secret_env": "HOOK_SECRET"}}],
        }
    return parse_workflows(document)


async def build(slack: SlackEmulator, url: str, hook: str = "", **settings: Any) -> Any:
    status = slack.create_channel("status-updates", creator=ALICE, members=[slack.bot_user_id])
    exec_channel = slack.create_channel("exec-updates", creator=ALICE, members=[slack.bot_user_id])
    slack.add_usergroup("S0EXEC0001", "exec", [BOB])
    return running_warroom(
        slack,
        url,
        incidents__types=types_file(status.id),
        escalation__policies=POLICIES,
        workflows__definitions=workflows_file(exec_channel.id, hook),
        workflows__webhook_secrets=MappingProxyType({"HOOK_SECRET": Secret(SECRET)}),
        **settings,
    ), exec_channel


async def start(warroom: Warroom, slack: SlackEmulator, title: str) -> Channel:
    """``/incident start <title>`` from #general; its channel once pinned and what the
    workflows it started did is done."""
    channel = await declare_incident(slack, title, pinned=True)
    for _ in range(3):
        await settle(warroom)
    return channel


async def entries(warroom: Warroom, kind: str) -> list[TimelineEntry]:
    async with session_scope(warroom.engine) as session:
        rows = await session.exec(select(TimelineEntry).where(TimelineEntry.kind == kind))
        return list(rows.all())


async def test_customer_facing_sev1_runs_the_exec_comms_workflow(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    running, exec_channel = await build(slack, sqlite_url)
    async with running as warroom:
        channel = await start(warroom, slack, "--type customer-facing sev1 Checkout down")
        # Every action, once: BOB (of @exec) brought in, the exec channel told, a bookmark,
        # a follow-up, the incident on the status page.
        assert BOB in channel.members
        heads_up = [m for m in exec_channel.messages if "Exec heads-up" in m.text]
        assert len(heads_up) == 1 and "INC-1 Checkout down" in heads_up[0].text
        marks = slack.bookmarks.get(channel.id, [])
        assert [b["link"] for b in marks] == ["https://meet.example/INC-1"]
        async with session_scope(warroom.engine) as session:
            assert (await session.exec(select(PublicIncident))).first() is not None
        done = await entries(warroom, "workflow")
        assert sorted(e.facts["action"] for e in done if e.facts) == sorted(
            ["invite", "post", "make_public", "bookmark", "follow_up"]
        )
        assert not any(e.facts and e.facts.get("error") for e in done)
        # The timeline names the channel as people know it.
        posted = [e.facts["did"] for e in done if e.facts and e.facts["action"] == "post"]
        assert posted == [f"posted in #{exec_channel.name}"]
        # The security workflow did not run for a customer-facing incident.
        assert not any("Security checklist" in m.text for m in channel.messages)


async def test_a_labelled_link_in_a_title_shows_its_address_outside_the_incident(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """``<https://evil.example/login|Re-authenticate>`` in a title: the workflow's post in
    #exec-updates and the type's announcement in #status-updates, the bot's words to people
    who never saw who wrote the title, show the label and the address."""
    running, exec_channel = await build(slack, sqlite_url)
    async with running as warroom:
        general = slack.channel_by_name("general")
        status = slack.channel_by_name("status-updates")
        assert general is not None and status is not None
        typed = "start --type customer-facing sev1 Log in again: <https://evil.example/login|Re-authenticate>"
        await slack.send_command("", slack_text=typed, user=ALICE, channel=general.id)
        await post_saying(slack, exec_channel, "Exec heads-up")
        await post_saying(slack, status, "declared")
        for _ in range(3):
            await settle(warroom)
        posted = [m.text for m in [*exec_channel.messages, *status.messages] if "INC-1" in m.text]
        assert len(posted) == 2
        for text in posted:
            assert "Log in again: Re-authenticate (<https://evil.example/login>)" in text, text
            assert "|Re-authenticate>" not in text


async def test_a_private_security_incident_runs_its_workflow(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    running, exec_channel = await build(slack, sqlite_url)
    async with running as warroom:
        channel = await start(warroom, slack, "--type security Leaked key")
        assert channel.is_private
        assert CAROL in channel.members
        assert any("Security checklist for Leaked key" in m.text for m in channel.messages)
        assert any("Workflow *security-lockdown*" in m.text for m in channel.messages)
        assert not any("Exec heads-up" in m.text for m in exec_channel.messages)


async def test_a_workflows_own_change_starts_no_workflow(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    running, _ = await build(slack, sqlite_url)
    async with running as warroom:
        channel = await start(warroom, slack, "--type customer-facing sev2 Slow pages")
        await slack.send_command("set customer_impact outage", user=ALICE, channel=channel.id)
        for _ in range(3):
            await settle(warroom)
        async with session_scope(warroom.engine) as session:
            incident = (await session.exec(select(Incident))).one()
        # raise-on-outage ran (a person's change); outage-on-sev1 did not (a workflow's).
        assert incident.severity == "SEV1"
        done = [e.facts["workflow"] for e in await entries(warroom, "workflow") if e.facts]
        assert "raise-on-outage" in done
        assert "outage-on-sev1" not in done


async def test_a_webhook_is_signed_retried_and_given_up_never_following_a_redirect(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """The first endpoint answers 500 then 200; the second always redirects to another host
    (asked again, never followed, then given up); the third hangs past the timeout."""
    received: list[tuple[bytes, str]] = []
    answers = [500, 200] + [302] * 6 + [0] * 6  # 0: no answer in time

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        received.append((body, request.headers["X-Warroom-Signature"]))
        status = answers.pop(0)
        if status == 302:
            return web.Response(status=302, headers={"Location": "https://elsewhere.example/x"})
        if status == 0:
            await asyncio.sleep(2)
        return web.Response(status=status or 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    async with TestServer(app, host="127.0.0.1") as server:
        await _webhook_scenario(slack, sqlite_url, f"http://127.0.0.1:{server.port}/hook", received)


async def _webhook_scenario(
    slack: SlackEmulator, sqlite_url: str, url: str, received: list[tuple[bytes, str]]
) -> None:
    running, _ = await build(slack, sqlite_url, hook=url, workflows__webhook_timeout=0.3)
    async with running as warroom:
        await start(warroom, slack, "sev4 Lost rows")
        assert len(received) == 1  # the 500
        await warroom.advance(seconds=31)
        assert len(received) == 2  # retried, and taken
        body, signed = received[1]
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert signed == expected
        document = json.loads(body)
        assert document["workflow"] == "hook" and document["incident"]["reference"] == "INC-1"

        for reason, count in (("elsewhere.example", 8), ("no answer in time", 14)):
            channel = await start(warroom, slack, "sev4 More rows")
            for wait in (30, 60, 120, 300, 900):
                assert not given_up(channel)
                await warroom.advance(seconds=wait + 1)
            assert len(received) == count  # the first try and five more, then given up
            (said,) = given_up(channel)
            assert reason in said and "given up after 6 attempts" in said


def given_up(channel: Channel) -> list[str]:
    return [m.text for m in channel.messages if "could not send a signed webhook" in m.text]


async def test_a_bookmark_title_longer_than_slack_takes_is_cut(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """Slack takes a bookmark title of at most 256 characters (the emulator refuses more, as
    Slack does): the workflow's bookmark is made with the title cut, an ellipsis at its end."""
    title = "Runbook for {{ incident.reference }}: " + "é" * 300
    document = {
        "workflows": {
            "runbook": {
                "on": "incident.declared",
                "do": [{"bookmark": {"title": title, "link": "https://runbooks.example/pay"}}],
            }
        }
    }
    async with running_warroom(
        slack, sqlite_url, workflows__definitions=parse_workflows(document)
    ) as warroom:
        channel = await start(warroom, slack, "Checkout down")
        [mark] = slack.bookmarks.get(channel.id, [])
        assert len(mark["title"]) == 256 and mark["title"].endswith("é…")
        assert mark["title"].startswith("Runbook for INC-1: éé")
        assert mark["link"] == "https://runbooks.example/pay"
        done = await entries(warroom, "workflow")
        assert len(done) == 1 and not (done[0].facts and done[0].facts.get("error"))


async def test_an_action_run_again_after_its_work_was_done_does_it_once(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """A replica dying after an action's work but before its job's end: the job runs again
    and finds the work done (the escalation carries the job's key; the bookmark, the post
    and the status page's mark commit with the job's end). Here every ended job is made due
    again, which is what the runner would see."""
    document = {
        "workflows": {
            "everything": {
                "on": "incident.declared",
                "do": [
                    {"escalate": {"policy": "payments"}},
                    {"bookmark": {"title": "Runbook", "link": "https://runbooks.example/pay"}},
                    {"make_public": {}},
                    {"post": {"text": "Declared {{ incident.reference }}"}},
                ],
            }
        }
    }
    async with running_warroom(
        slack,
        sqlite_url,
        escalation__policies=POLICIES,
        workflows__definitions=parse_workflows(document),
    ) as warroom:
        channel = await start(warroom, slack, "Checkout down")
        await once_more(warroom)
        async with session_scope(warroom.engine) as session:
            escalations = (await session.exec(select(Escalation))).all()
        assert [(e.policy, e.level) for e in escalations] == [("payments", 1)]
        assert escalations[0].why and escalations[0].why["workflow"] == "everything"
        assert [b["title"] for b in slack.bookmarks.get(channel.id, [])] == ["Runbook"]
        assert sum("is public" in m.text for m in channel.messages) == 1
        assert sum(m.text == "Declared INC-1" for m in channel.messages) == 1
        assert CAROL in channel.members
        # Each action done once, none failed the second time.
        done = await entries(warroom, "workflow")
        assert len(done) == 4 and not any(e.facts and e.facts.get("error") for e in done)
        assert not any("Workflow *everything*" in m.text for m in channel.messages)


async def once_more(warroom: Warroom) -> None:
    """Every workflow job that ended made due again, its timeline entry gone with its end (as
    when the transaction that ends it never committed), and run."""
    async with session_scope(warroom.engine) as session:
        await session.exec(  # type: ignore[call-overload]
            update(Job)
            .where(col(Job.kind) == JobKind.WORKFLOW_ACTION)
            .values(done_at=None, attempts=0)
        )
        await session.exec(  # type: ignore[call-overload]
            delete(TimelineEntry).where(col(TimelineEntry.kind) == "workflow")
        )
        await session.commit()
    await warroom.run_jobs()
    for _ in range(3):
        await settle(warroom)
