"""A Grafana OnCall escalation chain and its steps translated into a warroom escalation
policy (escalation_policies.md of Grafana's API reference): notify steps become a level's
targets, waits its timeout, a repeat the policy's; a step warroom has none of is said.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from bot.record.oncall.importing.drafts import (
    Carried,
    LevelDraft,
    Person,
    PolicyDraft,
    ReportItem,
    ScheduleRef,
    Target,
    UsergroupTarget,
)
from bot.record.oncall.importing.grafana_oncall_fields import (
    Raw,
    UnexpectedObject,
    object_id,
    text_field,
)

# Grafana OnCall's "Repeat escalation from the beginning (5 times max)" (escalation_policies).
GRAFANA_REPEATS = 5
# Steps that reach nobody warroom can page, with what to do instead.
UNCARRIED_STEPS = {
    "resolve": "warroom never resolves an incident by itself: drop the step",
    "notify_whole_channel": "everyone in the incident's channel sees its messages already",
    "trigger_webhook": "call the webhook from a workflow (README, Workflows)",
    "declare_incident": "warroom's incidents are declared in Slack or opened by alert routes",
    "notify_team_members": "name the team's Slack user group as a target (usergroup:)",
    "notify_if_num_alerts_in_window": "alert routes decide what opens an incident (README, "
    "Alerts open incidents)",
}


@dataclass
class _Levels:
    """Levels as a chain's steps build them: notify steps add targets to the open level, a
    wait closes it with its timeout."""

    levels: list[LevelDraft] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    wait: timedelta = timedelta(0)
    repeat: int = 0
    notes: list[str] = field(default_factory=list)
    todos: list[str] = field(default_factory=list)

    def add(self, target: Target) -> None:
        if self.wait:
            self.close()
        if target not in self.targets:
            self.targets.append(target)

    def close(self) -> None:
        if self.targets:
            self.levels.append(LevelDraft(tuple(self.targets), self.wait or None))
        elif self.wait and self.levels:  # a wait with nobody before it lengthens the last
            last = self.levels[-1]
            self.levels[-1] = LevelDraft(last.targets, (last.timeout or timedelta(0)) + self.wait)
        elif self.wait:
            self.notes.append(
                "its first wait, before anyone is notified, is dropped: warroom "
                "pages the first level at once"
            )
        self.targets, self.wait = [], timedelta(0)

    def note(self, detail: str, todo: str = "") -> None:
        self.notes.append(detail)
        if todo:
            self.todos.append(todo)


def translate_chain(
    chain: Raw, steps: Sequence[Raw], handles: Mapping[str, str | None]
) -> tuple[PolicyDraft | None, list[ReportItem]]:
    ident, name = object_id(chain), text_field(chain, "name")
    built = _Levels()
    ordered = sorted(steps, key=lambda step: step.get("position") or 0)
    for number, step in enumerate(ordered):
        _step(step, built, handles, last=number == len(ordered) - 1)
        if built.repeat:  # Grafana OnCall never reaches the steps after a repeat
            break
    built.close()
    if not built.levels:
        return None, [
            ReportItem(
                "escalation chain",
                ident,
                name,
                "not carried",
                "none of its steps notifies anyone warroom can page",
                "write its policy by hand",
            )
        ]
    if built.repeat and built.levels[-1].timeout is None:
        last = built.levels[-1]
        built.levels[-1] = LevelDraft(last.targets, timedelta(minutes=1))
        built.note(
            "it repeats with no wait before: warroom needs a timeout on the last "
            "level, so it waits one minute",
            "set the last level's timeout",
        )
    policy = PolicyDraft(ident, name, tuple(built.levels), built.repeat)
    verdict: Carried = "approximate" if built.notes else "exact"
    todo = "; ".join(built.todos)
    return policy, [
        ReportItem("escalation chain", ident, name, verdict, "; ".join(built.notes), todo)
    ]


def _step(step: Raw, built: _Levels, handles: Mapping[str, str | None], *, last: bool) -> None:
    kind = step.get("type")
    if kind == "wait":
        seconds = step.get("duration")
        if not isinstance(seconds, int):
            raise UnexpectedObject(f"escalation policy {object_id(step)}: wait without a duration")
        built.wait += timedelta(seconds=seconds)
    elif kind == "notify_persons":
        for user in step.get("persons_to_notify") or []:
            built.add(Person(str(user)))
    elif kind == "notify_person_next_each_time":
        for user in step.get("persons_to_notify_next_each_time") or []:
            built.add(Person(str(user)))
        built.note(
            "'notify person next each time' takes one person in turn per alert group; "
            "warroom pages all of them",
            "keep one person in that level if you prefer",
        )
    elif kind == "notify_on_call_from_schedule":
        built.add(ScheduleRef(str(step.get("notify_on_call_from_schedule"))))
    elif kind == "notify_user_group":
        handle = handles.get(str(step.get("group_to_notify")))
        if handle is None:
            built.note(
                f"the user group {step.get('group_to_notify')} has no Slack handle",
                "name its Slack user group in that level",
            )
        else:
            built.add(UsergroupTarget(handle))
    else:
        _control_step(kind, step, built, last=last)


def _control_step(kind: object, step: Raw, built: _Levels, *, last: bool) -> None:
    """A step that notifies nobody: a repeat, a time window, or one warroom has none of."""
    if kind == "repeat_escalation":
        built.close()
        built.repeat = GRAFANA_REPEATS
        if not last:
            built.note("steps after the repeat never run in Grafana OnCall; they are dropped")
    elif kind == "notify_if_time_from_to":
        built.note(
            f"'continue only between {step.get('notify_if_time_from')} and "
            f"{step.get('notify_if_time_to')} UTC': warroom goes on at all hours",
            "restrict the schedule the next level names instead",
        )
    else:
        why = UNCARRIED_STEPS.get(str(kind), "warroom has no such step")
        built.note(f"its step {kind!r} is not carried", why)
