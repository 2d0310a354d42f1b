"""Incidents: the zone times are shown in, severities, channels, reactions, roles, types, and
the postmortem's language and style."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType

from dateutil import tz

from bot.basics.render import Renderer, postmortem_template
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
from bot.record.incident_types import (
    NO_TYPES,
    IncidentTypes,
    IncidentTypesError,
    load_incident_types,
)
from bot.store.models import SEVERITIES

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
_ROLE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


def reactions(raw: str) -> Mapping[str, str]:
    """``pushpin=key_event,rotating_light=key_event,...`` (it replaces the default)."""
    return MappingProxyType(
        {name.strip(":").strip(): kind for name, kind in pairs(raw, shape="emoji=kind")}
    )


def roles(raw: str) -> tuple[str, ...]:
    """The default roles plus any the operator lists (``WARROOM_ROLES=ops-lead,liaison``)."""
    return tuple(dict.fromkeys([*DEFAULT_ROLES, *words(raw)]))


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
    roles: tuple[str, ...] = setting(
        env="WARROOM_ROLES",
        default=DEFAULT_ROLES,
        parse=roles,
        doc="roles besides the commander, added to `comms,scribe`",
        shown="none",
    )
    # Incident types and custom fields: bot/record/incident_types.py.
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
        template = postmortem_template(self.language, self.postmortem_style)
        if not Renderer(self.templates_dir).exists(template):
            problems.append(f"WARROOM_POSTMORTEM_STYLE / WARROOM_LANGUAGE: no template {template}")
        return problems
