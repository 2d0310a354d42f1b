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

A workflow is a trigger, conditions (``conditions.py``) and actions (``actions.py``).
Parsing checks everything it can without Slack and names every problem at once;
``problems_with`` checks what the other files own (fields and options, types, policies,
schedules, roles, webhook secrets). Templates are
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
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from jinja2 import TemplateError

from bot.basics.durations import parse_duration
from bot.basics.yaml_files import read_yaml, unknown_keys
from bot.record.incident.incident_types import IncidentTypes
from bot.record.workflows.actions import (
    SECRET_ARGS,
    TEMPLATED,
    Action,
    action_problems,
    known_fields,
    known_types,
    parse_actions,
    render,
    sample_incident,
)
from bot.record.workflows.conditions import (
    ALWAYS,
    Condition,
    Facts,
    check_conditions,
    parse_condition,
)
from bot.store.models import Status

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
WORKFLOW_KEYS = ("on", "when", "do", "description")
MAX_WORKFLOWS = 500
CAUSE_PREFIX = "workflow:"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class WorkflowError(ValueError):
    """The workflows file does not describe valid workflows: every problem."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


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
                    problems.append(f"{where}: when: unknown field {name!r}{known_fields(types)}")
            problems += check_conditions(where, workflow.condition, types)
            for name in sorted(kind for kind in workflow.condition.types if kind is not None):
                if types.get(name) is None:
                    problems.append(f"{where}: when: no incident type {name!r}{known_types(types)}")
            sample = sample_incident(types)
            for number, action in enumerate(workflow.actions, 1):
                problems += action_problems(
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
    actions = parse_actions(body.get("do"), where, problems)
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
