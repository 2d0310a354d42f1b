"""``warroom demo``: a whole incident, played against the Slack emulator on loopback.

The bot runs exactly as in production (same application factory, real HTTP, real request
signatures); only Slack is emulated. Nothing leaves 127.0.0.1.

The emulator (``emulator/``, beside ``bot/``) is part of the repository, not of the package:
``pip install -e .`` in a clone makes it importable; a wheel install has no demo (bot.cli
says so).
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import yaml
from aiohttp import web

from bot.admin.demo.demo_agent import AGENT, agent_proposes
from bot.admin.demo.demo_alerts import (
    ERROR_SUMMARY,
    QUEUE_SUMMARY,
    acknowledge_on_phone,
    channels_made,
    declare_from_alert,
    post_alert,
    post_queue_alert,
    say_alert_posted,
    say_alert_state,
    say_paged_once,
)
from bot.admin.demo.demo_history import ALERT as HISTORY_ALERT
from bot.admin.demo.demo_history import seed_history
from bot.admin.demo.demo_model import script_the_model
from bot.admin.demo.demo_script import (
    ALERTS_CHANNEL,
    ALICE,
    BOB,
    CAROL,
    CAROL_PHONE,
    CAROL_TOPIC,
    CAST,
    CHECKOUT_SCHEDULE,
    DAVE,
    DBA_TEAM,
    DEMO_ALERT_TOKEN,
    DEMO_CONTACTS,
    DEMO_GITHUB_TOKEN,
    DEMO_MODEL,
    DEMO_POLICIES,
    DEMO_PUBLIC_URL,
    DEMO_REPOSITORY,
    DEMO_ROUTING_KEY,
    DEMO_TYPES,
    DEMO_WORKFLOWS,
    RESOLVED_AFTER_MINUTES,
    RESOLVED_PUBLICLY,
    SCRIPT,
    Acknowledge,
    AlertNotification,
    DeclareFromAlert,
    FixTime,
    OnCall,
    PhoneAcknowledge,
    Played,
    PressKey,
    QueueAlert,
    RulesOut,
    Run,
    Say,
    Story,
    demo_routes,
)
from bot.admin.demo.emulated import on_the_emulator, phones_environ, serve_beside
from bot.basics.slack_ids import (
    EscalationMessage,
    RuledOutPrompt,
    SuggestionMessage,
    WrapUpMessage,
    WrapUpModal,
    suggestion_block,
)
from bot.config import Settings
from bot.flows.alerting.drill_alerts import run_drill
from bot.flows.postmortem.posting import write_draft
from bot.keys import job_runner_key, services_key
from bot.record.incident.incidents import get_by_channel
from bot.record.paging.service import paging_figures
from bot.server import until_stopped
from bot.store.db import session_scope
from bot.store.models import Incident
from emulator import FakeNtfy, FakePagerDuty, FakeTwilio, SlackEmulator
from emulator.composer import displayed
from emulator.openai_chat import FakeChatModel
from emulator.trackers import FakeGitHub


class ScriptedClock:
    """The bot's clock during the demo: the incident is replayed as if it began 2 hours ago.
    Once the script is played (``follow_real_time``), the pages served afterwards show the real
    clock: never earlier than the story's last moment."""

    def __init__(self, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        self.start = now.replace(second=0, microsecond=0) - timedelta(hours=2)
        self.now = self.start
        self.real_time = False

    def __call__(self) -> datetime:
        return max(self.now, datetime.now(UTC)) if self.real_time else self.now

    def follow_real_time(self) -> None:
        self.real_time = True

    def at(self, minutes: int) -> datetime:
        self.now = self.start + timedelta(minutes=minutes)
        return self.now


def slack_ts(moment: datetime) -> str:
    return f"{int(moment.timestamp())}.{moment.microsecond:06d}"


@dataclass
class _Stage:
    """What the demo plays against, each on 127.0.0.1, and the bot serving beside them."""

    slack: SlackEmulator
    pagerduty: FakePagerDuty
    ntfy: FakeNtfy
    twilio: FakeTwilio
    github: FakeGitHub
    model: FakeChatModel
    clock: ScriptedClock
    story: Story
    settings: Settings
    app: web.Application
    port: int
    # The checkout team's alerts channel and #general.
    alerts: str
    general: str


async def run_demo(
    environ: Mapping[str, str],
    *,
    output: str | None = None,
    keep_serving: bool = False,
    now: datetime | None = None,
) -> int:
    """Play the scripted incident, print the channel, write the postmortem draft, and show
    where its web page is (served until Ctrl-C with ``keep_serving``). The incident is placed
    two hours before ``now`` (the clock's, unless a test names it)."""
    # The transcript is the demo's output; request and migration logs would drown it.
    for noisy in ("aiohttp.access", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    async with AsyncExitStack() as stack:
        stage = await _set_the_stage(stack, environ, now)
        channel_id = await _play_the_script(stage)
        await _close_the_incident(stage, channel_id)
        _print_what_people_received(stage, channel_id)
        await _agent(stage.app, stage.slack, channel_id, stage.port)
        await _drill(stage.app, stage.twilio, stage.port)
        await _show_the_record(stage, channel_id, output, keep_serving)
    return 0


async def _set_the_stage(
    stack: AsyncExitStack, environ: Mapping[str, str], now: datetime | None
) -> _Stage:
    """The fakes, the workspace's people and channels, the bot serving on a free port, and
    the workspace's earlier incidents (all closed with ``stack``)."""
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="warroom-demo-")))
    slack = await stack.enter_async_context(SlackEmulator())
    pagerduty = await stack.enter_async_context(FakePagerDuty())
    ntfy = await stack.enter_async_context(FakeNtfy())
    twilio = await stack.enter_async_context(FakeTwilio())
    github = await stack.enter_async_context(
        FakeGitHub(token=DEMO_GITHUB_TOKEN, repos={DEMO_REPOSITORY})
    )
    model = await stack.enter_async_context(FakeChatModel(models={DEMO_MODEL}))
    clock = ScriptedClock(now)
    # The checkout team's alerts channel (the bot invited), where the queue's alert goes.
    alerts = slack.create_channel(
        ALERTS_CHANNEL, creator=ALICE, members=[slack.bot_user_id, ALICE, BOB, CAROL]
    )
    settings = _demo_settings(
        environ,
        slack,
        (pagerduty, ntfy, twilio),
        (workdir, alerts.id),
        github.url,
        clock.start,
        model.base_url,
    )
    # Every time the story states follows its clock, in the incident's zone.
    story = Story(clock.start, settings.incidents.timezone)
    script_the_model(model, story)
    general = _cast_the_workspace(slack, settings.incidents.timezone)
    app, port = await serve_beside(stack, settings, slack, twilio, clock=clock)
    print(f"warroom is serving on http://127.0.0.1:{port}, Slack emulator on {slack.root_url}")
    await _seed_the_history(app, slack, clock)
    fakes = (slack, pagerduty, ntfy, twilio, github, model)
    return _Stage(*fakes, clock, story, settings, app, port, alerts.id, general)


def _cast_the_workspace(slack: SlackEmulator, timezone: str) -> str:
    """The story's people, the DBA team's user group and #general (its id) in the emulator."""
    for user_id, (name, real_name) in CAST.items():
        slack.add_user(user_id, name, real_name, tz=timezone)
    slack.add_usergroup(DBA_TEAM, "dba-team", [DAVE])
    return slack.create_channel("general", creator=ALICE, members=CAST).id


async def _seed_the_history(
    app: web.Application, slack: SlackEmulator, clock: ScriptedClock
) -> None:
    """The workspace's earlier checkout incidents written to the database, and said."""
    earlier = await seed_history(
        app[services_key].engine, team_id=slack.team_id, declared_by=ALICE, now=clock()
    )
    print(
        f"The workspace's history: {', '.join(earlier)}, earlier checkout incidents fired by"
        f" {HISTORY_ALERT}, each with its root cause and a follow-up still open"
    )


async def _play_the_script(stage: _Stage) -> str:
    """Every step of the script, each at its minute; the incident's channel."""
    slack, app, clock, alerts = stage.slack, stage.app, stage.clock, stage.alerts
    alerts_url = f"http://127.0.0.1:{stage.port}/alerts/alertmanager"
    channel_id = ""
    minute = 0
    for step in SCRIPT:
        minute = await _let_time_pass(app, slack, clock, minute, step.minutes)
        if isinstance(step, QueueAlert):
            await post_queue_alert(alerts_url, clock.now)
            await _settle(app, slack)
            say_alert_posted(slack, alerts, stage.ntfy, QUEUE_SUMMARY)
            continue
        if isinstance(step, PhoneAcknowledge):
            await acknowledge_on_phone(stage.ntfy, step, f"http://127.0.0.1:{stage.port}")
            await _settle(app, slack)
            say_alert_state(slack, alerts, QUEUE_SUMMARY)
            print(f"No incident for it: the channels are still {channels_made(slack)}")
            continue
        if isinstance(step, AlertNotification):
            await post_alert(alerts_url, step.status, start=clock.start, now=clock.now)
            await _settle(app, slack)
            if not channel_id:
                say_alert_posted(slack, alerts, stage.ntfy, ERROR_SUMMARY)
                print(f"No incident yet: the channels are still {channels_made(slack)}")
            continue
        if isinstance(step, DeclareFromAlert):
            channel_id = await declare_from_alert(
                app, slack, alerts, step, lambda: _settle(app, slack)
            )
        elif isinstance(step, PressKey):
            await _press_key(stage.twilio, step)
        else:
            await _play(slack, channel_id or stage.general, step, clock.now, stage.story)
        await _settle(app, slack)
        if isinstance(step, PressKey) and not channel_id:
            say_alert_state(slack, alerts, ERROR_SUMMARY)
    await _let_time_pass(app, slack, clock, minute, RESOLVED_AFTER_MINUTES)
    return channel_id


async def _close_the_incident(stage: _Stage, channel_id: str) -> None:
    """Resolved, the wrap-up answered, told publicly, the suggested summary accepted."""
    slack, app = stage.slack, stage.app
    await _resolve(slack, channel_id)
    await _settle(app, slack)
    # The model is asked once the wrap-up is answered: the draft follows it.
    await _wrap_up(slack, channel_id, stage.story)
    await _settle(app, slack)
    # Within the grace (WARROOM_PUBLIC_GRACE) her words, not warroom's, tell customers.
    await _play(slack, channel_id, RESOLVED_PUBLICLY, stage.clock.now, stage.story)
    await _settle(app, slack)
    print("carol presses Accept on the suggested summary")
    await _accept_suggested(slack, channel_id, "suggests the written sections")
    await _settle(app, slack)


def _print_what_people_received(stage: _Stage, channel_id: str) -> None:
    """The channel as shown, then what each person, phone, vendor and model received."""
    slack, ntfy, twilio = stage.slack, stage.ntfy, stage.twilio
    print("\n" + slack.transcript(channel_id, tz=stage.settings.incidents.timezone, as_shown=True))
    print("\nWhat Alice saw privately:")
    for message in slack.ephemeral_for(ALICE):
        print(f"  {displayed(message.text, slack.workspace())}")
    print("\nWhat Bob saw privately:")
    for message in slack.ephemeral_for(BOB):
        print(f"  {displayed(message.text, slack.workspace())}")
    print("\nWhat warroom told Carol in a direct message:")
    for direct in slack.direct_messages(CAROL):
        print(f"  {displayed(direct.text, slack.workspace())}")
    print("\nWhat Carol's phone received (a fake ntfy and a fake Twilio on 127.0.0.1):")
    for push in ntfy.phone(CAROL_TOPIC):
        buttons = ", ".join(action["label"] for action in push.actions)
        print(f"  push (priority {push.priority}): {push.title}: {push.message} [{buttons}]")
    for text in twilio.phone(CAROL_PHONE).messages:
        print(f"  SMS: {text}")
    for call in twilio.phone(CAROL_PHONE).calls:
        print(f"  call, answered; after her keypress it said: {' '.join(call.said)}")
    print("\nWhat PagerDuty received:")
    for event in stage.pagerduty.events:
        print(f"  {event['event_action']:<12} {event['dedup_key']}")
    say_paged_once(ntfy, twilio, stage.pagerduty)
    print("\nFollow-ups filed in the fake GitHub:")
    for issue in stage.github.issues:
        print(f"  {issue.key}: {issue.url}")
    print(f"\nWhat the team's model ({DEMO_MODEL}, a fake on 127.0.0.1) was sent:")
    for request in stage.model.accepted:
        if request.sentences:
            print(f"  then {len(request.sentences)} sentences, each with the entries it cites")
        elif request.lines:
            print(f"  {len(request.lines)} lines of the record, like: {request.lines[0]}")
        else:  # a question of its own, as whether two follow-ups are one
            print(f"  a question answered as {request.format_name}")


async def _show_the_record(
    stage: _Stage, channel_id: str, output: str | None, keep_serving: bool
) -> None:
    """The postmortem draft written, the incident's and the status page's addresses (served
    until Ctrl-C with ``keep_serving``)."""
    port = stage.port
    path, reference = await _write_postmortem(stage.app, channel_id, output)
    stage.clock.follow_real_time()
    print(f"\nPostmortem draft written to {path}")
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if "found it contradicted by" in line:
            print(f"Left out for its meaning: {line.removeprefix('- ')}")
    page = f"http://127.0.0.1:{port}/incidents/{reference}"
    status = await _check_page(page)
    print(f"Incident page (sign-in off, this machine only): {page} (answered {status})")
    status_page = f"http://127.0.0.1:{port}/status"
    print(
        f"Public status page (no sign-in): {status_page} (answered"
        f" {await _check_page(status_page)}), Atom feed: {status_page}/feed.atom"
    )
    print(
        f"#{ALERTS_CHANNEL} as the Slack client lays it out (the emulator's preview, not"
        f" Slack): {stage.slack.root_url}/preview/{ALERTS_CHANNEL}"
    )
    if keep_serving:
        print(
            "Serving the web view until Ctrl-C: the incident list is at "
            + page[: -len(f"/incidents/{reference}")]
            + "/"
        )
        await until_stopped()
    else:
        print("The page closes with the demo; `warroom demo --serve` keeps it open.")


async def _agent(app: web.Application, slack: SlackEmulator, channel_id: str, port: int) -> None:
    """An agent on /mcp reads the incident, asks for related ones and proposes a finding, which
    Carol accepts in the channel (bot/admin/demo/demo_agent.py)."""
    services = app[services_key]
    print(f"\nAn agent ({AGENT}, the MCP SDK's client on /mcp with a token the demo made):")
    session = await agent_proposes(services.engine, services.clock, f"http://127.0.0.1:{port}")
    incident, related, proposed = session["incident"], session["related"], session["proposed"]
    print(f"  listed {len(session['tools'])} tools: {', '.join(session['tools'])}")
    print(
        f"  read {incident['reference']} ({incident['title']}) and its {session['entries']} entries"
    )
    earlier = related["items"]
    print(
        f"  related_incidents: {len(earlier)} earlier incidents"
        + (": " + ", ".join(i["reference"] for i in earlier) if earlier else "")
    )
    for each in earlier:
        why = ", ".join(
            f"the alert {w['name']}" if w["by"] == "alert" else f"{w['name']}={w['value']}"
            for w in each["why"]
        )
        print(f"    {each['reference']} {each['title']}: shares {why}; root cause: {each['cause']}")
    for kept in proposed["kept"]:
        cites = ", ".join(kept["cites"])
        print(f"  proposed for the {proposed['section']}: {kept['text']} (cites {cites})")
        print(f"    its meaning: {(kept['meaning'] or {}).get('state', 'not checked')}")
    await _settle(app, slack)
    shown = await _accept_suggested(slack, channel_id, f"Proposed by {AGENT}")
    print(f"  in the channel: {displayed(shown, slack.workspace())}")
    print(f"carol presses Accept on the proposal by {AGENT}")
    await _settle(app, slack)


async def _drill(app: web.Application, twilio: FakeTwilio, port: int) -> None:
    """``warroom paging drill``: Carol's phone takes the drill's SMS and call as Twilio reports
    them; then the Paging panel's figures, as /insights shows them."""
    services = app[services_key]
    print("\nwarroom paging drill (Carol opted in):")
    sent = (len(twilio.messages), len(twilio.calls))
    phone = asyncio.create_task(_drill_phone(twilio, sent))
    checks = await run_drill(services)
    await phone
    report = services.renderer.render_plain("paging/drill_report.j2", checks=checks)
    print("  " + report.strip().replace("\n", "\n  "))
    async with session_scope(services.engine) as session:
        figures = await paging_figures(session, now=services.clock())
    week = figures.windows[0]
    print(
        f"Paging panel (http://127.0.0.1:{port}/insights), last {week.days} days: "
        f"pages {week.pages}, first notification p50 {week.first_p50:.1f} s, "
        f"p99 {week.first_p99:.1f} s; acknowledged "
        + ", ".join(f"{count} by {via}" for via, count in week.acknowledged.items())
        + f"; reached nobody: {week.reached_nobody}; "
        + ", ".join(f"{p.provider} {p.reached} of {p.settled}" for p in week.providers)
    )


async def _drill_phone(twilio: FakeTwilio, sent: tuple[int, int]) -> None:
    """The drill's SMS delivered and its call rung, reported as Twilio does."""
    while len(twilio.messages) <= sent[0] or len(twilio.calls) <= sent[1]:
        await asyncio.sleep(0.05)
    await twilio.deliver(twilio.messages[-1])
    await twilio.hang_up(twilio.calls[-1], "no-answer")


async def _check_page(url: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        await answer.read()
        return answer.status


def _demo_settings(
    environ: Mapping[str, str],
    slack: SlackEmulator,
    fakes: tuple[FakePagerDuty, FakeNtfy, FakeTwilio],
    where: tuple[Path, str],
    github_url: str,
    start: datetime,
    model_url: str,
) -> Settings:
    """The settings the demo serves with: the caller's environment (a database of its own unless
    DATABASE_URL names one), the demo's files written to the work folder, and every service
    pointed at its fake."""
    workdir, alerts_channel = where
    files = _write_demo_files(workdir, start, alerts_channel)
    pagerduty, ntfy, twilio = fakes
    base = Settings.from_env(
        {
            # A database of its own unless DATABASE_URL names one (empty counts as unset).
            "DATABASE_URL": f"sqlite:///{workdir / 'warroom.db'}",
            **{name: value for name, value in environ.items() if value},
            **files,
            "WARROOM_ALERT_TOKEN": DEMO_ALERT_TOKEN,
            "DEMO_PD_KEY": DEMO_ROUTING_KEY,
            "PAGERDUTY_EVENTS_URL": pagerduty.events_url,
            "WARROOM_TRACKER": "github",
            "WARROOM_GITHUB_API_URL": github_url,
            "WARROOM_GITHUB_TOKEN": DEMO_GITHUB_TOKEN,
            "WARROOM_GITHUB_REPO": DEMO_REPOSITORY,
            "WARROOM_AI_URL": model_url,
            "WARROOM_AI_MODEL": DEMO_MODEL,
            # The demo's model is scripted for the draft; possible causes (docs/agents.md) are not
            # part of its script yet.
            "WARROOM_CAUSES": "off",
            **phones_environ(ntfy, twilio),
            "WARROOM_PUBLIC_URL": DEMO_PUBLIC_URL,
        }
    )
    return on_the_emulator(base, slack)


def _write_demo_files(workdir: Path, start: datetime, alerts_channel: str) -> dict[str, str]:
    """The demo's policies, schedules, incident types, workflows, alert routes and contacts
    written as YAML files in ``workdir``: each setting's name and its file."""
    contents = {
        "WARROOM_ESCALATION_POLICIES": ("escalation-policies.yaml", DEMO_POLICIES),
        "WARROOM_ONCALL_SCHEDULES": ("oncall-schedules.yaml", demo_schedules(start)),
        "WARROOM_INCIDENT_TYPES": ("incident-types.yaml", DEMO_TYPES),
        "WARROOM_WORKFLOWS": ("workflows.yaml", DEMO_WORKFLOWS),
        "WARROOM_ALERT_ROUTES": ("alert-routes.yaml", demo_routes(alerts_channel)),
        "WARROOM_CONTACTS": ("contacts.yaml", DEMO_CONTACTS),
    }
    files = {}
    for setting, (name, content) in contents.items():
        path = workdir / name
        path.write_text(yaml.safe_dump(content), encoding="utf-8")
        files[setting] = str(path)
    return files


def demo_schedules(start: datetime) -> dict[str, Any]:
    """The checkout schedule, Bob's week holding the whole demo: the rotation began at 09:00
    in Paris two days before the demo's start, so the next handoff is days away."""
    zone = "Europe/Paris"
    began = (start.astimezone(ZoneInfo(zone)) - timedelta(days=2)).replace(hour=9, minute=0)
    return {
        "schedules": {
            CHECKOUT_SCHEDULE: {
                "timezone": zone,
                "owners": [ALICE],
                "layers": [
                    {
                        "name": "weekly",
                        "start": f"{began:%Y-%m-%d %H:%M}",
                        "rotation": "weekly",
                        "members": [BOB, CAROL],
                    }
                ],
            }
        }
    }


async def _play(
    slack: SlackEmulator, channel_id: str, step: Played, said_at: datetime, story: Story
) -> None:
    name = CAST[step.user][0]
    if isinstance(step, Say):
        text = story.tell(step.text)
        said = await slack.post_message(channel_id, text, user=step.user, ts=slack_ts(said_at))
        if step.reaction:
            await slack.add_reaction(channel_id, said.ts, step.reaction, user=step.by)
    elif isinstance(step, Run):
        print(f"{name} types: /incident {story.tell(step.text)}")
        await slack.send_command(story.tell(step.text), user=step.user, channel=channel_id)
    elif isinstance(step, OnCall):
        print(f"{name} types in #general: /oncall {step.text}".rstrip())
        await slack.send_command(step.text, user=step.user, channel=channel_id, command="/oncall")
    elif isinstance(step, FixTime):
        when = story.typed_time(step.at_minute, said_at)
        print(f"{name} types: /incident time {step.milestone} {when}")
        await slack.send_command(
            f"time {step.milestone} {when}", user=step.user, channel=channel_id
        )
    elif isinstance(step, RulesOut):
        await _rules_out(slack, channel_id, step, said_at)
    elif isinstance(step, Acknowledge):
        escalation = next(
            m for m in reversed(slack.channels[channel_id].messages) if "escalated to" in m.text
        )
        print(f"{name} presses Acknowledge")
        await slack.click_button(
            channel_id, escalation.ts, EscalationMessage.ACKNOWLEDGE, user=step.user
        )


async def _accept_suggested(slack: SlackEmulator, channel_id: str, words: str) -> str:
    """Carol presses Accept on the first section of the suggestion message holding ``words``
    (the model's, or an agent's proposal); that message's text."""
    message = next(m for m in slack.channels[channel_id].messages if words in m.text)
    actions = [block for block in message.blocks or [] if block.get("type") == "actions"]
    accept = actions[0]["elements"][0]
    await slack.click_button(
        channel_id,
        message.ts,
        SuggestionMessage.ACCEPT,
        user=CAROL,
        value=accept["value"],
        block_id=suggestion_block(int(accept["value"])),
    )
    return str(message.text)


async def _rules_out(slack: SlackEmulator, channel_id: str, step: RulesOut, now: datetime) -> None:
    """Press "It rules out an earlier idea" under the marked message, then the idea."""
    channel = slack.channels[channel_id]
    start = now - timedelta(minutes=step.minutes)

    def said(minute: int) -> Any:
        ts = slack_ts(start + timedelta(minutes=minute))
        return slack.find_message(channel, ts)

    marked, idea = said(step.said), said(step.idea)
    question = next(reply for reply in marked.replies if reply.bot_id)
    print(f"{CAST[step.user][0]} answers the question under the :x:: it rules out an earlier idea")
    await slack.click_button(channel_id, question.ts, RuledOutPrompt.RULES_OUT, user=step.user)
    await slack.drain()
    offered = await slack.wait_for(
        lambda: next(
            (
                block
                for reply in marked.replies
                for block in reply.blocks or []
                if idea.text in str(block.get("text", {}).get("text", ""))
            ),
            None,
        ),
        timeout=15,
    )
    print(f"{CAST[step.user][0]} picks the idea: {idea.text}")
    await slack.click_button(
        channel_id,
        question.ts,
        RuledOutPrompt.IDEA,
        user=step.user,
        value=offered["accessory"]["value"],
        block_id=offered["block_id"],
    )


async def _press_key(twilio: FakeTwilio, step: PressKey) -> None:
    """The person picks up the page's call and presses ``key``, as Twilio reports it."""
    call = twilio.calls[-1]
    print(f"{CAST[step.user][0]}'s phone rings: she answers and presses {step.key}")
    await twilio.answer(call)
    await twilio.press(call, step.key)


async def _let_time_pass(
    app: web.Application, slack: SlackEmulator, clock: ScriptedClock, since: int, until: int
) -> int:
    """Move the clock a minute at a time, running what falls due (escalation timers)."""
    for minute in range(since + 1, until + 1):
        clock.at(minute)
        await _settle(app, slack)
    return until


async def _settle(app: web.Application, slack: SlackEmulator) -> None:
    """Wait for what a step set off: replies, posts, and jobs due (pages) by the demo clock."""
    await app[services_key].background.drain(timeout=15)
    while await app[job_runner_key].run_due():
        pass
    await slack.drain()


async def _resolve(slack: SlackEmulator, channel_id: str) -> None:
    print("alice types: /incident resolve Rolled back the payment gateway release")
    await slack.send_command(
        "resolve Rolled back the payment gateway release", user=ALICE, channel=channel_id
    )
    await slack.wait_for(lambda: _wrap_up_offer(slack, channel_id), timeout=15)


def _wrap_up_offer(slack: SlackEmulator, channel_id: str) -> Any:
    return next(
        (
            m
            for m in slack.channels[channel_id].messages
            if any(b.get("block_id") == WrapUpMessage.BLOCK for b in m.blocks or [])
        ),
        None,
    )


async def _wrap_up(slack: SlackEmulator, channel_id: str, story: Story) -> None:
    """Alice presses Wrap up and says the trigger, the services and the impact in numbers;
    the model is asked then, and the draft posted with its suggestions."""
    print("alice presses Wrap up and gives the trigger, the services and the impact")
    before = set(slack.views)
    offer = _wrap_up_offer(slack, channel_id)
    await slack.click_button(channel_id, offer.ts, WrapUpMessage.OPEN, user=ALICE)
    view_id = await slack.wait_for(
        lambda: next((i for i, v in slack.views.items() if i not in before), None), timeout=15
    )

    def typed(block: str, value: str, kind: str = "plain_text_input") -> dict[str, Any]:
        return {block: {block: {"type": kind, "value": value}}}

    trigger = story.tell("Payment gateway release at {release} rejected card types it did not list")
    values = {
        **typed(WrapUpModal.CUSTOMERS, "1840", "number_input"),
        **typed(WrapUpModal.TRIGGER, trigger),
        **typed(WrapUpModal.SERVICES, "Checkout, Card payments"),
    }
    await slack.submit_view(view_id, values, user=ALICE)


async def _write_postmortem(
    app: web.Application, channel_id: str, output: str | None
) -> tuple[Path, str]:
    services = app[services_key]
    async with session_scope(services.engine) as session:
        incident: Incident | None = await get_by_channel(session, channel_id)
    assert incident is not None and incident.id is not None
    markdown = (await write_draft(services, incident.id)).markdown
    path = Path(output or f"warroom-demo-postmortem-{incident.reference}.md").resolve()
    path.write_text(markdown, encoding="utf-8")
    return path, incident.reference
