"""Workflows, as operators write them in YAML (``WARROOM_WORKFLOWS``)::

    workflows:
      exec-heads-up:
        on: incident.declared           # or {incident.open_for: 30m}
        when:                           # optional: all / any / not, nested freely
          all:
            - severity: [SEV1]
            - type: customer-facing
        do:
          - invite: {usergroup: exec}
          - post: {channel: C0EXECUPD1, text: "Exec heads-up: {{ incident.title }}"}
          - teams: {url_env: WARROOM_EXEC_TEAMS_URL}   # an Adaptive Card in a Teams channel

A workflow is a trigger, conditions and actions. Parsing checks everything it can without
Slack and names every problem at once; ``problems_with`` checks what the other files own
(fields and options, types, policies, schedules, roles, webhook secrets). Templates are
rendered at parse time against a sample incident in Jinja2's sandbox with StrictUndefined,
so one that names an unknown attribute fails at start-up, not at 3 a.m.

Evaluation is a dictionary lookup by trigger and a few precompiled predicates per workflow
(``Workflows.matching``): conditions are closures built once, never re-read from the YAML.

**Loops.** A change a workflow makes (``cause="workflow:<name>"``) triggers no workflow: the
flows pass the cause along and ``matching`` returns nothing for it. A workflow that sets the
severity therefore never starts ``incident.severity_changed`` workflows, its own included.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from bot.basics.durations import parse_duration
from bot.basics.slack_patterns import CHANNEL_ID, USER_ID
from bot.basics.yaml_files import read_yaml, unknown_keys
from bot.record.incident_types import CustomField, FieldValueError, IncidentTypes
from bot.record.workflows.conditions import (
    ALWAYS,
    Condition,
    Facts,
    check_conditions,
    parse_condition,
)
from bot.store.models import SEVERITIES, Status

DECLARED = "incident.declared"
SEVERITY_CHANGED = "incident.severity_changed"
STATUS_CHANGED = "incident.status_changed"
TYPE_CHANGED = "incident.type_changed"
FIELD_CHANGED = "incident.field_changed"
ROLE_ASSIGNED = "incident.role_assigned"
RESOLVED = "incident.resolved"
ALERT_RECEIVED = "alert.received"
OPEN_FOR = "incident.open_for"
TRIGGERS = (
    DECLARED,
    SEVERITY_CHANGED,
    STATUS_CHANGED,
    TYPE_CHANGED,
    FIELD_CHANGED,
    ROLE_ASSIGNED,
    RESOLVED,
    ALERT_RECEIVED,
)
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
WORKFLOW_KEYS = ("on", "when", "do", "description")
MAX_WORKFLOWS = 500
MAX_ACTIONS = 20
CAUSE_PREFIX = "workflow:"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_GROUP = re.compile(r"^(S[A-Z0-9]{2,31}|@?[a-z0-9][a-z0-9._-]{0,79})$")
_ENV = re.compile(r"^[A-Z][A-Z0-9_]{0,99}$")
_LOCAL_HOSTS = ("127.0.0.1",)
# The argument naming the variable an action's secret is read from.
SECRET_ARGS = {"webhook": "secret_env", "teams": "url_env"}


class WorkflowError(ValueError):
    """The workflows file does not describe valid workflows: every problem."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Action:
    """One step of a workflow: its verb and its arguments (templates kept as written)."""

    verb: str
    args: Mapping[str, Any]
    # The webhook's URL, or the channel posted in (None: the incident's).
    words: str = ""


@dataclass(frozen=True)
class Workflow:
    name: str
    trigger: str
    condition: Condition
    actions: tuple[Action, ...]
    description: str = ""
    # For the timer: how long the incident has been open when it fires, and, with
    # ``in_status``, how long it has been in that status without a break.
    after: timedelta | None = None
    in_status: str | None = None

    def reads(self) -> str:
        """The workflow in plain English."""
        if self.trigger == OPEN_FOR and self.in_status:
            when = f"When an incident has been {self.in_status} for {_words_of(self.after)}"
        elif self.trigger == OPEN_FOR:
            when = f"When an incident has been open for {_words_of(self.after)}"
        else:
            when = f"When {_TRIGGER_WORDS[self.trigger]}"
        if self.condition.words:
            when += f" with {self.condition.words}"
        return f"{when}: {', '.join(action.words for action in self.actions)}"


@dataclass(frozen=True)
class Workflows:
    """Every workflow in the file's order, and an index by trigger for evaluation."""

    by_name: Mapping[str, Workflow] = field(default_factory=lambda: MappingProxyType({}))
    by_trigger: Mapping[str, tuple[Workflow, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    # Per trigger: the fields its workflows' conditions read (only those are loaded).
    fields_read: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))
    # The variables webhook secrets (and Teams Workflows URLs, secrets too) are read from.
    secret_envs: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.by_name)

    def get(self, name: str) -> Workflow | None:
        return self.by_name.get(name)

    def listens(self, trigger: str) -> bool:
        return trigger in self.by_trigger

    def matching(self, trigger: str, facts: Facts, cause: str | None = None) -> list[Workflow]:
        """The workflows ``trigger`` starts for an incident with these ``facts``, in the
        file's order; none for a change a workflow made (``cause``)."""
        if cause is not None and cause.startswith(CAUSE_PREFIX):
            return []
        return [w for w in self.by_trigger.get(trigger, ()) if w.condition.test(facts)]

    def timers(self) -> tuple[Workflow, ...]:
        return self.by_trigger.get(OPEN_FOR, ())

    def problems_with(
        self,
        types: IncidentTypes,
        *,
        policies: Collection[str],
        schedules: Collection[str],
        secrets: Mapping[str, str],
        tracker: bool = False,
    ) -> list[str]:
        """What the workflows name that the other settings lack (``tracker``: follow-ups
        have somewhere to be filed)."""
        problems = []
        for workflow in self.by_name.values():
            where = f"workflow {workflow.name!r}"
            for name in sorted(workflow.condition.fields):
                if types.field(name) is None:
                    problems.append(f"{where}: when: unknown field {name!r}{_known(types)}")
            problems += check_conditions(where, workflow.condition, types)
            for name in sorted(kind for kind in workflow.condition.types if kind is not None):
                if types.get(name) is None:
                    problems.append(
                        f"{where}: when: no incident type {name!r}{_known_types(types)}"
                    )
            sample = sample_incident(types)
            for number, action in enumerate(workflow.actions, 1):
                problems += _action_problems(
                    f"{where}: do #{number} ({action.verb})",
                    action,
                    types,
                    policies=policies,
                    schedules=schedules,
                    secrets=secrets,
                    tracker=tracker,
                )
                for name in TEMPLATED.get(action.verb, ()):
                    try:
                        render(str(action.args.get(name, "")), sample)
                    except TemplateError as error:
                        problems.append(
                            f"{where}: do #{number} ({action.verb}): {name}: "
                            f"the template does not render: {error}"
                        )
        return problems


NO_WORKFLOWS = Workflows()


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
# limit; these are Slack's answers as observed (issue #49: longer ones fail the call) and
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


# -- loading ---------------------------------------------------------------------------------
def load_workflows(path: Path) -> Workflows:
    """Read and check a workflows file; WorkflowError names every problem in it."""
    return parse_workflows(read_yaml(path, WorkflowError))


def parse_workflows(document: Any) -> Workflows:
    """Build Workflows from the parsed YAML document, or name every problem."""
    if document is None:
        return NO_WORKFLOWS
    if not isinstance(document, dict):
        raise WorkflowError("expected a mapping with 'workflows' at the top")
    problems: list[str] = []
    unknown = sorted(map(str, set(document) - {"workflows"}))
    if unknown:
        problems.append(f"unknown top-level key(s): {', '.join(unknown)} (the file has workflows)")
    raw = document.get("workflows") or {}
    if not isinstance(raw, dict):
        raise WorkflowError("workflows: a mapping of names to workflows")
    if len(raw) > MAX_WORKFLOWS:
        problems.append(f"workflows: at most {MAX_WORKFLOWS}")
    parsed: dict[str, Workflow] = {}
    for name, body in raw.items():
        where = f"workflow {name!r}"
        if not isinstance(name, str) or not _NAME.match(name):
            problems.append(f"{where}: names are lowercase letters, digits, - and _")
            continue
        workflow = _workflow(name, body, where, problems)
        if workflow is not None:
            parsed[name] = workflow
    if problems:
        raise WorkflowError(*problems)
    return index(parsed.values())


def index(workflows: Collection[Workflow]) -> Workflows:
    """The Workflows of these, indexed by trigger."""
    by_trigger: dict[str, list[Workflow]] = {}
    for workflow in workflows:
        by_trigger.setdefault(workflow.trigger, []).append(workflow)
    secrets = {
        str(action.args[SECRET_ARGS[action.verb]])
        for workflow in workflows
        for action in workflow.actions
        if action.verb in SECRET_ARGS
    }
    return Workflows(
        MappingProxyType({w.name: w for w in workflows}),
        MappingProxyType({t: tuple(ws) for t, ws in by_trigger.items()}),
        MappingProxyType(
            {
                t: frozenset().union(*(w.condition.fields for w in ws))
                for t, ws in by_trigger.items()
            }
        ),
        frozenset(secrets),
    )


def _workflow(name: str, body: object, where: str, problems: list[str]) -> Workflow | None:
    if not isinstance(body, dict):
        problems.append(f"{where}: must be a mapping with on, when and do")
        return None
    # YAML 1.1 reads a bare `on` key as the boolean true.
    body = {("on" if key is True else str(key)): value for key, value in body.items()}
    before = len(problems)
    if problem := unknown_keys(where, body, WORKFLOW_KEYS, hint="use on, when, do"):
        problems.append(problem)
    trigger, after, in_status = _trigger(body.get("on"), where, problems)
    condition = (
        parse_condition(body.get("when"), f"{where}: when", problems) if "when" in body else ALWAYS
    )
    actions = _actions(body.get("do"), where, problems)
    description = body.get("description", "")
    if not isinstance(description, str):
        problems.append(f"{where}: description: text")
    if len(problems) > before or trigger is None or condition is None:
        return None
    return Workflow(name, trigger, condition, tuple(actions), str(description), after, in_status)


# The statuses a timer can count in: an incident is open in each of them.
TIMER_STATUSES = tuple(s.value for s in Status if s != Status.RESOLVED)


def _trigger(
    raw: object, where: str, problems: list[str]
) -> tuple[str | None, timedelta | None, str | None]:
    if isinstance(raw, str) and raw.strip() in TRIGGERS:
        return raw.strip(), None, None
    if isinstance(raw, dict) and OPEN_FOR in raw and set(raw) <= {OPEN_FOR, "status"}:
        try:
            after = parse_duration(str(raw[OPEN_FOR]))
        except ValueError:
            after = None
        if after is None or after <= timedelta(0):
            problems.append(f"{where}: on: {OPEN_FOR} takes a duration like 30m or 2h")
            return None, None, None
        status = raw.get("status")
        if status is not None and str(status).strip().lower() not in TIMER_STATUSES:
            problems.append(
                f"{where}: on: status: {status!r} is not one of {', '.join(TIMER_STATUSES)}"
            )
            return None, None, None
        return OPEN_FOR, after, (str(status).strip().lower() if status is not None else None)
    problems.append(
        f"{where}: on: unknown trigger {raw!r}; use one of {', '.join(TRIGGERS)}, "
        f"or {{{OPEN_FOR}: 30m}} (with status: investigating, to count in one status)"
    )
    return None, None, None


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


def _actions(raw: object, where: str, problems: list[str]) -> list[Action]:
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
        if not isinstance(args, str) or not args.strip():
            problems.append(f"{where}: a {verb.removeprefix('set_')} name")
            return None
        value = args.strip().upper() if verb == "set_severity" else args.strip().lower()
        if verb == "set_severity" and value not in SEVERITIES:
            problems.append(f"{where}: {args!r} is not one of {', '.join(SEVERITIES)}")
            return None
        return Action(verb, MappingProxyType({"value": value}), f"set the {verb[4:]} to {value}")
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
    words = _check_args(verb, args, where, problems)
    if len(problems) > before:
        return None
    return Action(verb, MappingProxyType(args), words)


# Field names are unknown while parsing: every `incident.fields.<name>` renders as "".
class _AnyFields(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


SAMPLE_INCIDENT_FOR_CHECKS: dict[str, Any] = {**SAMPLE_INCIDENT, "fields": _AnyFields()}


def _check_args(verb: str, args: dict[str, Any], where: str, problems: list[str]) -> str:
    """The action in plain English; problems with its arguments said."""
    if verb == "invite":
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
    if verb == "escalate":
        policy = args.get("policy")
        if not isinstance(policy, str) or not policy.strip():
            problems.append(f"{where}: policy: an escalation policy's name")
            return ""
        args["policy"] = policy.strip().lower()
        return f"escalate to {args['policy']}"
    if verb == "post":
        channel = args.get("channel")
        if channel is not None and not (isinstance(channel, str) and CHANNEL_ID.match(channel)):
            problems.append(f"{where}: channel: a channel id like C0123456789, not {channel!r}")
        return f"post in channel {channel}" if channel else "post in the incident channel"
    if verb == "follow_up":
        return "add a follow-up"
    if verb == "make_public":
        return "show it on the status page"
    if verb == "file_follow_ups":
        return "file its follow-ups in the tracker"
    if verb == "set_field":
        name = args.get("field")
        if not isinstance(name, str):
            problems.append(f"{where}: field: a field's name")
            return ""
        args["field"] = name.strip().lower()
        return f"set {args['field']} to {args.get('value')}"
    if verb == "bookmark":
        link = args.get("link")
        if isinstance(link, str):
            # Checked as the sample incident renders it: a link of the file's own length
            # never fits, whatever the incident.
            with suppress(TemplateError):
                if problem := bookmark_link_problem(render(link, SAMPLE_INCIDENT_FOR_CHECKS)):
                    problems.append(f"{where}: link: {problem}")
        return f"bookmark {args.get('title')}"
    if verb == "teams":
        variable = args.get("url_env")
        if not isinstance(variable, str) or not _ENV.match(variable):
            problems.append(
                f"{where}: url_env: the environment variable holding the Teams Workflows "
                "URL (like WARROOM_EXEC_TEAMS_URL): the URL carries its signature, a secret"
            )
        return f"post a card in Microsoft Teams ({variable})"
    # webhook
    url, secret = args.get("url"), args.get("secret_env")
    if not isinstance(url, str) or not webhook_url_allowed(url):
        problems.append(f"{where}: url: an https:// address (http:// only to 127.0.0.1)")
    if not isinstance(secret, str) or not _ENV.match(secret):
        problems.append(
            f"{where}: secret_env: the environment variable holding the signing secret "
            "(like WARROOM_HOOK_SECRET)"
        )
    return f"send a signed webhook to {url}"


def webhook_url_allowed(url: str) -> bool:
    """https anywhere; plain http only to this machine (127.0.0.1), for tests and sidecars."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if not parts.hostname:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOCAL_HOSTS)


def _action_problems(
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
        return [f"{where}: no incident type {args['value']!r}{_known_types(types)}"]
    if action.verb == "set_field":
        field = types.field(args["field"])
        if field is None:
            return [f"{where}: unknown field {args['field']!r}{_known(types)}"]
        value = str(args.get("value", ""))
        if "{" not in value:
            try:
                field.checked(_as_field_input(field, value))
            except FieldValueError as error:
                return [f"{where}: {error}"]
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


def _as_field_input(field: CustomField, value: str) -> object:
    """A rendered template's text as the field takes it (a multi-select: comma-separated)."""
    if field.kind == "multi_select":
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


as_field_input = _as_field_input


def _known(types: IncidentTypes) -> str:
    return f" (fields: {', '.join(types.fields) or 'none are declared'})"


def _known_types(types: IncidentTypes) -> str:
    return f" (types: {', '.join(types.types) or 'none are declared'})"


_TRIGGER_WORDS = {
    DECLARED: "an incident is declared",
    SEVERITY_CHANGED: "an incident's severity changes",
    STATUS_CHANGED: "an incident's status changes",
    TYPE_CHANGED: "an incident's type changes",
    FIELD_CHANGED: "an incident's field changes",
    ROLE_ASSIGNED: "someone is given a role",
    RESOLVED: "an incident is resolved",
    ALERT_RECEIVED: "an alert arrives for an incident",
}


def _words_of(after: timedelta | None) -> str:
    minutes = int((after or timedelta(0)).total_seconds() // 60)
    if minutes % 60 == 0:
        return f"{minutes // 60} hour{'s' if minutes != 60 else ''}"
    return f"{minutes} minutes"
