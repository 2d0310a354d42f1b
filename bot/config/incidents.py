"""Incidents: the zone times are shown in, severities, channels, reactions, roles, types, and
the postmortem's language and style."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType

from dateutil import tz

from bot.basics.render import Renderer
from bot.config.reading import (
    Feature,
    duration_or_off,
    lower,
    pairs,
    path,
    problems_file,
    setting,
    upper,
    words,
)
from bot.record.incident.incident_types import (
    NO_TYPES,
    IncidentTypes,
    IncidentTypesError,
    load_incident_types,
)
from bot.store.models import SEVERITIES, Incident, Status

# Reactions that promote a message into the timeline, and the kind of entry each makes.
DEFAULT_REACTIONS: Mapping[str, str] = MappingProxyType(
    {
        "pushpin": "key_event",
        "mag": "investigation",
        "x": "misleading",
        "bulb": "root_cause",
        "white_check_mark": "mitigation",
        "large_green_circle": "recovered",
        "memo": "follow_up",
    }
)
PROMOTABLE_KINDS = frozenset(
    {
        "key_event",
        "investigation",
        "misleading",
        "root_cause",
        "mitigation",
        "recovered",
        "follow_up",
    }
)
# Roles every incident can have besides its commander; operators add their own.
DEFAULT_ROLES = ("comms", "scribe")
DEFAULT_UPDATE_REMINDER = timedelta(minutes=30)
# Per severity (``SEV1``) or per severity and status (``SEV4/monitoring``): how long without a
# stakeholder update before one is overdue (None: never). A SEV4 being watched after its fix
# has nobody waiting on news; everything else goes by WARROOM_UPDATE_REMINDER.
UpdateIntervals = Mapping[tuple[str, str | None], timedelta | None]
DEFAULT_UPDATE_INTERVALS: UpdateIntervals = MappingProxyType({("SEV4", "monitoring"): None})
_OPEN_STATUSES = tuple(s.value for s in Status if s != Status.RESOLVED)
_ROLE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


def reactions(raw: str) -> Mapping[str, str]:
    """``pushpin=key_event,rotating_light=key_event,...`` (it replaces the default)."""
    return MappingProxyType(
        {name.strip(":").strip(): kind for name, kind in pairs(raw, shape="emoji=kind")}
    )


def roles(raw: str) -> tuple[str, ...]:
    """The default roles plus any the operator lists (``WARROOM_ROLES=ops-lead,liaison``)."""
    return tuple(dict.fromkeys([*DEFAULT_ROLES, *words(raw)]))


def update_intervals(raw: str) -> UpdateIntervals:
    """``SEV1=15m,SEV3=2h,SEV4/monitoring=off``: added to (and overriding) the default
    ``SEV4/monitoring=off``; a severity and status named together win over the severity."""
    found: dict[tuple[str, str | None], timedelta | None] = dict(DEFAULT_UPDATE_INTERVALS)
    for key, value in pairs(raw, shape="SEVn=30m or SEVn/status=off"):
        severity, _, status = key.upper().partition("/")
        if severity not in SEVERITIES:
            raise ValueError(f"{key!r}: name a severity, one of {', '.join(SEVERITIES)}")
        if status and status.lower() not in _OPEN_STATUSES:
            raise ValueError(
                f"{key!r}: after the severity, a status of an open incident, one of "
                f"{', '.join(_OPEN_STATUSES)}"
            )
        try:
            found[(severity, status.lower() or None)] = duration_or_off(value)
        except ValueError:
            raise ValueError(f"{key}={value}: give a duration (`30m`, `2h`) or `off`") from None
    return MappingProxyType(found)


incident_types = problems_file(load_incident_types, IncidentTypesError)


@dataclass(frozen=True)
class IncidentSettings(Feature):
    """How incidents are named, shown, promoted into and written up."""

    timezone: str = setting(
        env="WARROOM_TIMEZONE",
        default="UTC",
        doc="IANA zone in which times are shown, e.g. `America/Los_Angeles`",
    )
    default_severity: str = setting(
        env="WARROOM_DEFAULT_SEVERITY",
        default="SEV3",
        parse=upper,
        doc="severity of an incident declared without one",
    )
    channel_prefix: str = setting(
        env="WARROOM_CHANNEL_PREFIX", default="inc", doc="prefix of incident channel names"
    )
    templates_dir: Path | None = setting(
        env="WARROOM_TEMPLATES_DIR",
        default=None,
        parse=path,
        doc="a directory whose templates override the built-in ones by name",
    )
    reactions: Mapping[str, str] = setting(
        env="WARROOM_REACTIONS",
        factory=lambda: DEFAULT_REACTIONS,
        parse=reactions,
        doc="reactions that promote a message, as `emoji=kind,…` with kinds `key_event`, "
        "`investigation`, `misleading`, `root_cause`, `mitigation`, `recovered`, `follow_up`; "
        "replaces the "
        "default mapping",
        shown="the table above",
    )
    # The bot's own quiet acknowledgement on a message it added to the timeline.
    receipt_reaction: str = setting(
        env="WARROOM_RECEIPT_REACTION",
        default="ballot_box_with_check",
        doc="the bot's own reaction on a message it added to the timeline",
    )
    # Where stakeholder updates (and declarations and resolutions) are announced, if anywhere.
    announce_channel: str = setting(
        env="WARROOM_ANNOUNCE_CHANNEL",
        default="",
        doc="channel **id** (`C…`) where declarations, updates and resolutions are announced; "
        "the bot must be a member",
    )
    # The commander is reminded when an open incident has had no update for this long.
    update_reminder: timedelta | None = setting(
        env="WARROOM_UPDATE_REMINDER",
        default=DEFAULT_UPDATE_REMINDER,
        parse=duration_or_off,
        doc="remind the commander after this long without a stakeholder update "
        "(`30m`, `1h`; `off`)",
        shown="`30m`",
    )
    # ...by severity, and by severity and status, where they differ from the above.
    update_intervals: UpdateIntervals = setting(
        env="WARROOM_UPDATE_INTERVALS",
        factory=lambda: DEFAULT_UPDATE_INTERVALS,
        parse=update_intervals,
        doc="how long without a stakeholder update before one is overdue, by severity "
        "(`SEV1=15m,SEV3=2h`) or by severity and status (`SEV2/monitoring=1h`), `off` for "
        "never; added to the default, the rest goes by `WARROOM_UPDATE_REMINDER`",
        shown="`SEV4/monitoring=off`",
    )
    roles: tuple[str, ...] = setting(
        env="WARROOM_ROLES",
        default=DEFAULT_ROLES,
        parse=roles,
        doc="roles besides the commander, added to `comms,scribe`",
        shown="none",
    )
    # Incident types and custom fields: bot/record/incident/incident_types.py.
    types: IncidentTypes = setting(
        env="WARROOM_INCIDENT_TYPES",
        default=NO_TYPES,
        parse=incident_types,
        doc="path of the incident types and custom fields file (above)",
        shown="none (no types, no fields)",
    )
    # The postmortem template style and language, unless an incident chooses its own.
    postmortem_style: str = setting(
        env="WARROOM_POSTMORTEM_STYLE",
        default="default",
        parse=lower,
        doc="postmortem template style: `default`, `sre`, `atlassian`, or one of yours",
    )
    language: str = setting(
        env="WARROOM_LANGUAGE",
        default="en",
        parse=lower,
        doc="postmortem template language: `en`, `fr`, or one of yours",
    )

    def update_interval(self, severity: str, status: str) -> timedelta | None:
        """How long an open incident at this severity and status may go without a
        stakeholder update (None: no update is ever overdue)."""
        for key in ((severity, status), (severity, None)):
            if key in self.update_intervals:
                return self.update_intervals[key]
        return self.update_reminder

    def update_due_at(self, incident: Incident) -> datetime | None:
        """When the incident's next stakeholder update is due (its last one's, else its
        declaration's, time plus its interval); None when closed or never due. The one rule
        behind every "update overdue": the Slack reminder, the web list."""
        if not incident.is_open:
            return None
        interval = self.update_interval(incident.severity, incident.status)
        if interval is None:
            return None
        return (incident.last_update_at or incident.declared_at) + interval

    def update_overdue(self, incident: Incident, now: datetime) -> bool:
        """Whether the incident's stakeholder update is overdue at ``now``."""
        due = self.update_due_at(incident)
        return due is not None and now >= due

    def shortest_update_interval(self) -> timedelta | None:
        """The shortest interval any incident may have (None: updates are never overdue)."""
        intervals = [i for i in (self.update_reminder, *self.update_intervals.values()) if i]
        return min(intervals, default=None)

    def problems(self) -> list[str]:
        problems = []
        if tz.gettz(self.timezone) is None:
            problems.append(f"WARROOM_TIMEZONE: unknown time zone {self.timezone!r}")
        if self.default_severity not in SEVERITIES:
            problems.append(f"WARROOM_DEFAULT_SEVERITY: must be one of {', '.join(SEVERITIES)}")
        unknown = sorted(set(self.reactions.values()) - PROMOTABLE_KINDS)
        if unknown:
            problems.append(
                f"WARROOM_REACTIONS: unknown kind(s) {', '.join(unknown)}; "
                f"use {', '.join(sorted(PROMOTABLE_KINDS))}"
            )
        bad_roles = [role for role in self.roles if not _ROLE_NAME.match(role)]
        if bad_roles or "commander" in self.roles:
            problems.append(
                "WARROOM_ROLES: role names are lowercase words (the commander is set with lead)"
            )
        renderer = Renderer(self.templates_dir)
        template = renderer.postmortem_template(self.language, self.postmortem_style)
        if (
            not renderer.exists(template)
            or renderer.find_dir(f"postmortem/{self.language}") is None
        ):
            problems.append(f"WARROOM_POSTMORTEM_STYLE / WARROOM_LANGUAGE: no template {template}")
        return problems
