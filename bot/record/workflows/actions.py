"""Workflow actions (``do:``): what each verb takes, its templates (rendered in Jinja2's
sandbox against a sample incident, so one naming an unknown attribute fails at start-up),
its reading in plain English, and what it names that other settings must have (policies,
schedules, fields, secrets), checked by ``action_problems``.

The flows that carry the actions out are ``bot.flows.workflows``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from contextlib import suppress
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from bot.basics.slack_patterns import CHANNEL_ID, USER_ID
from bot.basics.yaml_files import unknown_keys
from bot.record.incident.incident_types import CustomField, FieldValueError, IncidentTypes
from bot.store.models import SEVERITIES

ACTIONS = (
    "invite",
    "escalate",
    "post",
    "follow_up",
    "file_follow_ups",
    "make_public",
    "set_field",
    "set_severity",
    "set_type",
    "bookmark",
    "webhook",
    "teams",
)


MAX_ACTIONS = 20


_GROUP = re.compile(r"^(S[A-Z0-9]{2,31}|@?[a-z0-9][a-z0-9._-]{0,79})$")
_ENV = re.compile(r"^[A-Z][A-Z0-9_]{0,99}$")
_LOCAL_HOSTS = ("127.0.0.1",)
# The argument naming the variable an action's secret is read from.
SECRET_ARGS = {"webhook": "secret_env", "teams": "url_env"}


@dataclass(frozen=True)
class Action:
    """One step of a workflow: its verb and its arguments (templates kept as written)."""

    verb: str
    args: Mapping[str, Any]
    # The webhook's URL, or the channel posted in (None: the incident's).
    words: str = ""


# -- templates -------------------------------------------------------------------------------
_SANDBOX = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
SAMPLE_INCIDENT: Mapping[str, Any] = MappingProxyType(
    {
        "reference": "INC-1",
        "title": "Checkout is down",
        "severity": "SEV1",
        "status": "investigating",
        "type": "customer-facing",
        "private": False,
        "channel_id": "C0SAMPLE01",
        "commander": "<@U0SAMPLE01>",
        "fields": {},
        "url": "",
    }
)


def render(source: str, incident: Mapping[str, Any]) -> str:
    """``source`` rendered in the sandbox with ``incident`` (TemplateError when it cannot)."""
    return _SANDBOX.from_string(source).render(incident=incident)


def sample_incident(types: IncidentTypes) -> dict[str, Any]:
    """The incident templates are checked against: every configured field is present."""
    return {**SAMPLE_INCIDENT, "fields": dict.fromkeys(types.fields, "")}


# What Slack takes in a bookmark (bookmarks.add): a title of 256 characters and a link of
# 2,048. The method's page (https://docs.slack.dev/reference/methods/bookmarks.add) gives no
# limit; these are Slack's answers as observed (longer ones fail the call) and
# as others met them (jstrieb/link-lock#26, "slack only allows bookmarks of 2049
# characters"). A longer title is cut; a longer link cannot be, so it is refused.
BOOKMARK_TITLE_MAX = 256
BOOKMARK_LINK_MAX = 2048


def bookmark_link_problem(link: str) -> str | None:
    """Why Slack would refuse ``link`` as a bookmark's, in words; None when it would not."""
    if len(link) > BOOKMARK_LINK_MAX:
        return (
            f"{len(link):,} characters, and Slack takes a bookmark link of at most "
            f"{BOOKMARK_LINK_MAX:,}: shorten it (a link shortener, or fewer query parameters)"
        )
    return None


TEMPLATED = {
    "post": ("text",),
    "follow_up": ("text",),
    "bookmark": ("title", "link"),
    "set_field": ("value",),
    "teams": ("text",),
}
# Templates an action may leave out.
OPTIONAL_TEMPLATES = frozenset({("teams", "text")})


# -- actions ---------------------------------------------------------------------------------
_ACTION_KEYS: Mapping[str, tuple[str, ...]] = {
    "invite": ("users", "usergroup", "schedule"),
    "escalate": ("policy", "reason"),
    "post": ("channel", "text"),
    "follow_up": ("text",),
    "file_follow_ups": (),
    "make_public": (),
    "set_field": ("field", "value"),
    "set_severity": (),
    "set_type": (),
    "bookmark": ("title", "link"),
    "webhook": ("url", "secret_env"),
    "teams": ("url_env", "text"),
}


def parse_actions(raw: object, where: str, problems: list[str]) -> list[Action]:
    if not isinstance(raw, list) or not raw:
        problems.append(f"{where}: do: a list of actions (at least one)")
        return []
    if len(raw) > MAX_ACTIONS:
        problems.append(f"{where}: do: at most {MAX_ACTIONS} actions")
    actions = []
    for number, item in enumerate(raw, 1):
        here = f"{where}: do #{number}"
        if isinstance(item, str) and item in ("make_public", "file_follow_ups"):
            item = {item: {}}
        if not isinstance(item, dict) or len(item) != 1:
            problems.append(f"{here}: one action, like {{post: {{text: ...}}}}")
            continue
        ((verb, args),) = item.items()
        verb = str(verb)
        if verb not in ACTIONS:
            problems.append(f"{here}: unknown action {verb!r}; use one of {', '.join(ACTIONS)}")
            continue
        action = _action(verb, args, f"{here} ({verb})", problems)
        if action is not None:
            actions.append(action)
    return actions


def _action(verb: str, args: object, where: str, problems: list[str]) -> Action | None:
    if verb in ("set_severity", "set_type"):
        return _setting_action(verb, args, where, problems)
    if verb == "escalate" and isinstance(args, str):
        args = {"policy": args}
    if verb in ("make_public", "file_follow_ups") and args in (None, True):
        args = {}
    if verb == "follow_up" and isinstance(args, str):
        args = {"text": args}
    if not isinstance(args, dict):
        problems.append(f"{where}: a mapping ({', '.join(_ACTION_KEYS[verb]) or 'empty'})")
        return None
    args = {str(key): value for key, value in args.items()}
    before = len(problems)
    takes = f"takes {', '.join(_ACTION_KEYS[verb]) or 'nothing'}"
    if problem := unknown_keys(where, args, _ACTION_KEYS[verb], hint=takes):
        problems.append(problem)
    _check_templates(verb, args, where, problems)
    words = _check_args(verb, args, where, problems)
    if len(problems) > before:
        return None
    return Action(verb, MappingProxyType(args), words)


def _setting_action(verb: str, args: object, where: str, problems: list[str]) -> Action | None:
    """``set_severity`` and ``set_type``: a name (a severity of SEVERITIES, a type's)."""
    if not isinstance(args, str) or not args.strip():
        problems.append(f"{where}: a {verb.removeprefix('set_')} name")
        return None
    value = args.strip().upper() if verb == "set_severity" else args.strip().lower()
    if verb == "set_severity" and value not in SEVERITIES:
        problems.append(f"{where}: {args!r} is not one of {', '.join(SEVERITIES)}")
        return None
    return Action(verb, MappingProxyType({"value": value}), f"set the {verb[4:]} to {value}")


def _check_templates(verb: str, args: dict[str, Any], where: str, problems: list[str]) -> None:
    """The action's templates as text, each rendered against the sample incident."""
    for name in TEMPLATED.get(verb, ()):
        source = args.get(name)
        if source is None and (verb, name) in OPTIONAL_TEMPLATES:
            continue
        if source is None and not (verb == "post" and name == "channel"):
            problems.append(f"{where}: {name}: required")
            continue
        if isinstance(source, str | int | float) and not isinstance(source, bool):
            args[name] = str(source)
            try:
                render(args[name], SAMPLE_INCIDENT_FOR_CHECKS)
            except TemplateError as error:
                problems.append(f"{where}: {name}: the template does not render: {error}")
        elif source is not None:
            problems.append(f"{where}: {name}: text (a template)")


# Field names are unknown while parsing: every `incident.fields.<name>` renders as "".
class _AnyFields(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


SAMPLE_INCIDENT_FOR_CHECKS: dict[str, Any] = {**SAMPLE_INCIDENT, "fields": _AnyFields()}


def _check_args(verb: str, args: dict[str, Any], where: str, problems: list[str]) -> str:
    """The action in plain English; problems with its arguments said."""
    if verb in _SAID:
        return _SAID[verb]
    return _CHECKS[verb](args, where, problems)


# The actions whose arguments need no check beyond their templates, in plain English.
_SAID = {
    "follow_up": "add a follow-up",
    "make_public": "show it on the status page",
    "file_follow_ups": "file its follow-ups in the tracker",
}


def _invite_args(args: dict[str, Any], where: str, problems: list[str]) -> str:
    users = args.get("users", [])
    if isinstance(users, str):
        users = args["users"] = [users]
    if not isinstance(users, list) or not all(
        isinstance(u, str) and USER_ID.match(u) for u in users
    ):
        problems.append(f"{where}: users: a list of user ids like U0123ABCD")
        users = []
    group, schedule = args.get("usergroup"), args.get("schedule")
    if group is not None and not (isinstance(group, str) and _GROUP.match(group)):
        problems.append(f"{where}: usergroup: a group's handle (exec) or id (S0123ABCD)")
    if schedule is not None and not isinstance(schedule, str):
        problems.append(f"{where}: schedule: an on-call schedule's name")
    if not (users or group or schedule):
        problems.append(f"{where}: name users, a usergroup or a schedule")
    whom = [f"<@{u}>" for u in users]
    if group:
        whom.append(f"@{str(group).lstrip('@')}")
    if schedule:
        whom.append(f"whoever is on call for {schedule}")
    return f"invite {', '.join(whom)}"


def _escalate_args(args: dict[str, Any], where: str, problems: list[str]) -> str:
    policy = args.get("policy")
    if not isinstance(policy, str) or not policy.strip():
        problems.append(f"{where}: policy: an escalation policy's name")
        return ""
    args["policy"] = policy.strip().lower()
    return f"escalate to {args['policy']}"


def _post_args(args: dict[str, Any], where: str, problems: list[str]) -> str:
    channel = args.get("channel")
    if channel is not None and not (isinstance(channel, str) and CHANNEL_ID.match(channel)):
        problems.append(f"{where}: channel: a channel id like C0123456789, not {channel!r}")
    return f"post in channel {channel}" if channel else "post in the incident channel"


def _set_field_args(args: dict[str, Any], where: str, problems: list[str]) -> str:
    name = args.get("field")
    if not isinstance(name, str):
        problems.append(f"{where}: field: a field's name")
        return ""
    args["field"] = name.strip().lower()
    return f"set {args['field']} to {args.get('value')}"


def _bookmark_args(args: dict[str, Any], where: str, problems: list[str]) -> str:
    link = args.get("link")
    if isinstance(link, str):
        # Checked as the sample incident renders it: a link of the file's own length
        # never fits, whatever the incident.
        with suppress(TemplateError):
            if problem := bookmark_link_problem(render(link, SAMPLE_INCIDENT_FOR_CHECKS)):
                problems.append(f"{where}: link: {problem}")
    return f"bookmark {args.get('title')}"


def _teams_args(args: dict[str, Any], where: str, problems: list[str]) -> str:
    variable = args.get("url_env")
    if not isinstance(variable, str) or not _ENV.match(variable):
        problems.append(
            f"{where}: url_env: the environment variable holding the Teams Workflows "
            "URL (like WARROOM_EXEC_TEAMS_URL): the URL carries its signature, a secret"
        )
    return f"post a card in Microsoft Teams ({variable})"


def _webhook_args(args: dict[str, Any], where: str, problems: list[str]) -> str:
    url, secret = args.get("url"), args.get("secret_env")
    if not isinstance(url, str) or not webhook_url_allowed(url):
        problems.append(f"{where}: url: an https:// address (http:// only to 127.0.0.1)")
    if not isinstance(secret, str) or not _ENV.match(secret):
        problems.append(
            f"{where}: secret_env: the environment variable holding the signing secret "
            "(like WARROOM_HOOK_SECRET)"
        )
    return f"send a signed webhook to {url}"


# Each other action's check of its arguments (``where``, ``problems`` as _check_args takes them).
_CHECKS: Mapping[str, Callable[[dict[str, Any], str, list[str]], str]] = {
    "invite": _invite_args,
    "escalate": _escalate_args,
    "post": _post_args,
    "set_field": _set_field_args,
    "bookmark": _bookmark_args,
    "teams": _teams_args,
    "webhook": _webhook_args,
}


def webhook_url_allowed(url: str) -> bool:
    """https anywhere; plain http only to this machine (127.0.0.1), for tests and sidecars."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if not parts.hostname:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOCAL_HOSTS)


def action_problems(
    where: str,
    action: Action,
    types: IncidentTypes,
    *,
    policies: Collection[str],
    schedules: Collection[str],
    secrets: Mapping[str, str],
    tracker: bool,
) -> list[str]:
    args = action.args
    if action.verb == "file_follow_ups" and not tracker:
        return [
            f"{where}: no tracker to file in: set WARROOM_TRACKER (or a tracker on an alert route)"
        ]
    if action.verb == "invite" and args.get("schedule") and args["schedule"] not in schedules:
        return [f"{where}: schedule: no on-call schedule named {args['schedule']!r}"]
    if action.verb == "escalate" and args["policy"] not in policies:
        return [f"{where}: policy: no escalation policy named {args['policy']!r}"]
    if action.verb == "set_type" and types.get(args["value"]) is None and args["value"] != "none":
        return [f"{where}: no incident type {args['value']!r}{known_types(types)}"]
    if action.verb == "set_field" and (problem := _field_problem(where, args, types)):
        return [problem]
    if action.verb == "webhook" and not secrets.get(args["secret_env"]):
        return [f"{where}: secret_env: {args['secret_env']} is not set"]
    if action.verb == "teams":
        url = secrets.get(args["url_env"])
        if not url:
            return [f"{where}: url_env: {args['url_env']} is not set"]
        if not webhook_url_allowed(url):
            # The URL is a secret: only its variable is named.
            return [f"{where}: url_env: {args['url_env']}: an https URL"]
    return []


def _field_problem(where: str, args: Mapping[str, Any], types: IncidentTypes) -> str | None:
    """``set_field``'s field unknown, or its value (when no template) not one it takes."""
    field = types.field(args["field"])
    if field is None:
        return f"{where}: unknown field {args['field']!r}{known_fields(types)}"
    value = str(args.get("value", ""))
    if "{" not in value:
        try:
            field.checked(_as_field_input(field, value))
        except FieldValueError as error:
            return f"{where}: {error}"
    return None


def _as_field_input(field: CustomField, value: str) -> object:
    """A rendered template's text as the field takes it (a multi-select: comma-separated)."""
    if field.kind == "multi_select":
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


as_field_input = _as_field_input


def known_fields(types: IncidentTypes) -> str:
    return f" (fields: {', '.join(types.fields) or 'none are declared'})"


def known_types(types: IncidentTypes) -> str:
    return f" (types: {', '.join(types.types) or 'none are declared'})"
