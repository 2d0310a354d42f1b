"""``warroom dev``: warroom with your own settings, before any Slack app is installed.

The app ``warroom serve`` runs (bot/app.py's factory, through bot/admin/demo/emulated.py as
``warroom demo --serve`` serves it) with the settings the environment names (services,
routes, schedules, escalation policies, contacts: the same WARROOM_* variables), against
the Slack emulator, fake phones (ntfy, Twilio, Pushover), a fake PagerDuty Events API and a
fake model, all on 127.0.0.1, on a fresh SQLite file in a temporary directory unless
DATABASE_URL names a database. The emulator's previews are places to act
(emulator/preview_actions.py): a person types a slash command, a message or ``+:emoji:`` and
presses buttons there. Served until Ctrl-C.

The workspace is made from the settings: every Slack user id they name is a person (named by
the id, or by the name an iCal user map gives it), every channel id a channel with the bot and
everyone in it, every user group handle a group.

The emulator is in the repository, not in the wheel: bot.cli says so when it is missing.
"""

from __future__ import annotations

import logging
import re
import secrets
import socket
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.admin.demo.emulated import on_the_emulator, phones_environ, serve_beside
from bot.config import Settings
from bot.config.reading import named_files
from bot.server import until_stopped
from bot.slack.manifest import build_manifest
from emulator import FakeNtfy, FakePagerDuty, FakePushover, FakeTwilio
from emulator.openai_chat import FakeChatModel
from emulator.preview_actions import ActingEmulator

# The files of the settings that name Slack's people, channels and groups.
CONFIG_FILES = (
    "WARROOM_SERVICES",
    "WARROOM_ALERT_ROUTES",
    "WARROOM_ONCALL_SCHEDULES",
    "WARROOM_ESCALATION_POLICIES",
    "WARROOM_CONTACTS",
    "WARROOM_INCIDENT_TYPES",
    "WARROOM_WORKFLOWS",
)
# What would reach beyond this machine and has no fake here: left off.
LEFT_OFF = (
    "WARROOM_TRACKER",
    "STATUSPAGE_API_KEY",
    "WARROOM_WATCHDOG_URL",
    "OPSGENIE_API_KEY",
    "PAGERDUTY_API_TOKEN",
    "GRAFANA_ONCALL_API_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "WARROOM_AI_KEY",
    "WARROOM_METRICS_PORT",
)
DEV_MODEL = "local-model"
# Someone to act as when the settings name nobody.
YOU = ("U0YOU", "you")
# Slack's ids: a letter of their kind, then capitals and digits, a digit among them (so a word
# in capitals, CRITICAL or URGENT, is no id).
_USER_ID = re.compile(r"[UW](?=[A-Z]*[0-9])[A-Z0-9]{2,}")
_CHANNEL_ID = re.compile(r"[CG](?=[A-Z]*[0-9])[A-Z0-9]{2,}")


@dataclass
class Workspace:
    """The people, channels and user groups the settings name."""

    people: dict[str, str] = field(default_factory=dict)  # user id -> name
    channels: set[str] = field(default_factory=set)  # channel ids or names
    groups: set[str] = field(default_factory=set)  # user group handles or S… ids
    pushover_keys: set[str] = field(default_factory=set)
    routing_key_envs: set[str] = field(default_factory=set)
    # A contact's address -> whose it is, to name the phones.
    owners: dict[str, str] = field(default_factory=dict)


def read_workspace(environ: Mapping[str, str]) -> Workspace:
    """What the settings' files name (a file that cannot be read is left to the settings,
    which say why)."""
    found = Workspace()
    for path in named_files(environ, CONFIG_FILES):
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        _walk(document, found, owner="")
        # A contacts file's people: whose each address is, to name the phones.
        people = document.get("people") if isinstance(document, dict) else None
        for user, entry in (people if isinstance(people, dict) else {}).items():
            _walk(entry, found, owner=str(user))
    return found


def _walk(node: Any, found: Workspace, *, owner: str, key: str = "") -> None:
    if isinstance(node, dict):
        for name, value in node.items():
            if key == "ical_user_map" and isinstance(value, str) and "@" not in str(name):
                found.people[value] = str(name)
            _note(str(name), found, key="")
            _walk(value, found, owner=owner, key=str(name))
    elif isinstance(node, list):
        for each in node:
            _walk(each, found, owner=owner, key=key)
    elif isinstance(node, str):
        _note(node, found, key=key)
        if owner and key in ("ntfy", "sms", "voice", "pushover"):
            found.owners[node] = owner


def _note(text: str, found: Workspace, *, key: str) -> None:
    if _USER_ID.fullmatch(text):
        found.people.setdefault(text, text)
    elif _CHANNEL_ID.fullmatch(text) or key in ("channel", "shadow_channel"):
        found.channels.add(text.lstrip("#"))
    elif key == "usergroup":
        found.groups.add(text)
    elif key == "pushover":
        found.pushover_keys.add(text)
    elif key == "routing_key_env":
        found.routing_key_envs.add(text)


@dataclass
class _Fakes:
    slack: ActingEmulator
    ntfy: FakeNtfy
    twilio: FakeTwilio
    pushover: FakePushover
    pagerduty: FakePagerDuty
    model: FakeChatModel


async def run_dev(environ: Mapping[str, str], *, port: int = 0) -> int:
    """Serve until Ctrl-C (SIGINT or SIGTERM); 0."""
    for noisy in ("aiohttp.access", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    workspace = read_workspace(environ)
    async with AsyncExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="warroom-dev-")))
        fakes = _Fakes(
            await stack.enter_async_context(ActingEmulator()),
            await stack.enter_async_context(FakeNtfy()),
            await stack.enter_async_context(FakeTwilio()),
            await stack.enter_async_context(FakePushover(sorted(workspace.pushover_keys))),
            await stack.enter_async_context(FakePagerDuty()),
            await stack.enter_async_context(FakeChatModel(models={DEV_MODEL})),
        )
        port = port or _free_port()
        settings, token = _dev_settings(environ, fakes, workspace, workdir, port)
        _populate(fakes, workspace, settings.incidents.timezone, f"http://127.0.0.1:{port}")
        fakes.slack.phones = lambda: phones(fakes, workspace)
        app_port = (await serve_beside(stack, settings, fakes.slack, fakes.twilio, port=port))[1]
        _say_where(fakes, settings, app_port, token)
        await until_stopped()
    return 0


def _free_port() -> int:
    """A port free now on 127.0.0.1: WARROOM_PUBLIC_URL must name it before the app starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _dev_settings(
    environ: Mapping[str, str], fakes: _Fakes, workspace: Workspace, workdir: Path, port: int
) -> tuple[Settings, str]:
    """The environment's settings, Slack, phones, PagerDuty and the model the fakes; the
    alert webhooks' token when this made it ("" when the environment gives one)."""
    given = {name: value for name, value in environ.items() if value}
    made = "" if "WARROOM_ALERT_TOKEN" in given else secrets.token_hex(16)
    # A routing key the environment lacks reaches the fake PagerDuty all the same.
    keys = {name: secrets.token_hex(16) for name in workspace.routing_key_envs - set(given)}
    base = Settings.from_env(
        {
            "DATABASE_URL": f"sqlite:///{workdir / 'warroom.db'}",
            **given,
            **dict.fromkeys(LEFT_OFF, ""),
            **keys,
            **phones_environ(fakes.ntfy, fakes.twilio),
            "WARROOM_PUSHOVER_TOKEN": fakes.pushover.token,
            "WARROOM_PUSHOVER_API_URL": fakes.pushover.root,
            "PAGERDUTY_EVENTS_URL": fakes.pagerduty.events_url,
            "WARROOM_AI_URL": fakes.model.base_url,
            "WARROOM_AI_MODEL": DEV_MODEL,
            **({"WARROOM_ALERT_TOKEN": made} if made else {}),
            "WARROOM_PUBLIC_URL": f"http://127.0.0.1:{port}",
        }
    )
    return on_the_emulator(base, fakes.slack), made


def _populate(fakes: _Fakes, workspace: Workspace, zone: str, url: str) -> None:
    """The app as its manifest declares it; the settings' people, groups and channels."""
    slack = fakes.slack
    slack.play_manifest(build_manifest(url))
    people = workspace.people or dict([YOU])
    for user_id, name in people.items():
        slack.add_user(user_id, name.lower().replace(" ", "."), name, tz=zone)
    everyone = [slack.bot_user_id, *people]
    creator = next(iter(people))
    for index, group in enumerate(sorted(workspace.groups)):
        group_id = group if _USER_GROUP_ID.fullmatch(group) else f"S0DEV{index:04d}"
        slack.add_usergroup(group_id, group, [])
    for ref in sorted(workspace.channels):
        named = ref.lower() if _CHANNEL_ID.fullmatch(ref) else ref
        channel = slack.create_channel(named, creator=creator, members=everyone)
        if _CHANNEL_ID.fullmatch(ref):  # the settings name it by its id: it keeps that id
            del slack.channels[channel.id]
            channel.id = ref
            slack.channels[ref] = channel
    slack.create_channel("general", creator=creator, members=everyone)


_USER_GROUP_ID = re.compile(r"S(?=[A-Z]*[0-9])[A-Z0-9]{2,}")


def phones(fakes: _Fakes, workspace: Workspace) -> dict[str, list[str]]:
    """What each fake phone received, named by whose it is (the contacts' person)."""
    received: dict[str, list[str]] = {}

    def phone(address: str, kind: str) -> list[str]:
        whose = workspace.owners.get(address, "someone not in the contacts")
        return received.setdefault(f"{whose}'s {kind}", [])

    for push in fakes.ntfy.published:
        phone(push.topic, "ntfy app").append(f"push (priority {push.priority}): {_titled(push)}")
    for sent in fakes.pushover.sent:
        phone(sent.user, "Pushover app").append(
            f"Pushover (priority {sent.priority}): {sent.title or ''}: {sent.message}"
        )
    for text in fakes.twilio.messages:
        phone(text.to, "phone").append(f"SMS: {text.body}")
    for call in fakes.twilio.calls:
        phone(call.to, "phone").append(f"call ({call.status})")
    if fakes.pagerduty.events:
        received["PagerDuty"] = [
            f"{event.get('event_action')} {event.get('dedup_key')}"
            for event in fakes.pagerduty.events
        ]
    return received


def _titled(push: Any) -> str:
    return f"{push.title}: {push.message}" if push.title else str(push.message)


def _say_where(fakes: _Fakes, settings: Settings, port: int, made_token: str) -> None:
    """Where to look and what to send, one address a line. The alert token is shown when
    ``warroom dev`` made it (``made_token``), never the environment's; the database's URL
    when it is the temporary file (another may hold a password)."""
    web = f"http://127.0.0.1:{port}"
    token = made_token or "$WARROOM_ALERT_TOKEN"
    url = settings.runtime.database_url
    database = url if url.startswith("sqlite") else "the one DATABASE_URL names"
    for line in _where(fakes.slack.root_url, web, token, database):
        print(line, flush=True)


def _where(emulator: str, web: str, token: str, database: str) -> Iterator[str]:
    yield "warroom dev: your settings against a fake Slack, fake phones and a fake model,"
    yield "all on this machine (nothing is sent to Slack, phones or PagerDuty)."
    yield f"Slack emulator (channels; act as a person, type /incident start …): {emulator}/"
    yield f"Phones' inboxes: {emulator}/phones"
    yield f"Web view (sign-in off): {web}/"
    yield f"Alert webhook: {web}/alerts/alertmanager (Authorization: Bearer {token})"
    yield f"Database: {database}"
    yield "Ctrl-C stops it."
