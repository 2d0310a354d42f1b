"""Everything a person reads is rendered here from the Jinja2 files in ``templates/``.

Every value interpolated into a template is escaped for Slack (``& < >``), so text typed by a
user (``<!channel>``, ``<@U123>``) is shown, never obeyed. Templates produce mentions and links
only through the ``mention`` and ``channel_link`` filters, which check what they are given.
The same escaping is right for the Markdown postmortem, where ``&lt;`` renders as ``<``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from dateutil import tz
from dateutil.relativedelta import relativedelta
from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

import bot
from bot.timestamps import ts_to_datetime

_SLACK_ID = re.compile(r"^[A-Z0-9]{2,32}$")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def builtin_templates_dir() -> Path:
    """``bot/templates`` in an installed wheel, ``templates/`` beside ``bot/`` in a checkout."""
    package_dir = Path(bot.__file__).parent
    for candidate in (package_dir / "templates", package_dir.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("warroom's templates directory is missing from this installation")


def slack_escape(value: object) -> str:
    """Escape the three characters Slack treats as markup."""
    return str(value).translate(_ESCAPES)


def _finalize(value: object) -> object:
    if isinstance(value, Markup):
        return value
    return slack_escape(value)


def mention(user_id: str | None) -> Markup | str:
    """``<@U123>`` for a real Slack user id; anything else is shown as plain text."""
    if user_id and _SLACK_ID.match(user_id):
        return Markup(f"<@{user_id}>")
    return "someone" if not user_id else Markup(slack_escape(user_id))


def usergroup(group_id: str | None, label: str = "a user group") -> Markup | str:
    """``<!subteam^S123>`` (Slack shows the group's handle) for a real user group id."""
    if group_id and _SLACK_ID.match(group_id):
        return Markup(f"<!subteam^{group_id}>")
    return Markup(slack_escape(label))


def channel_link(channel_id: str | None) -> Markup | str:
    """``<#C123>`` for a real Slack channel id."""
    if channel_id and _SLACK_ID.match(channel_id):
        return Markup(f"<#{channel_id}>")
    return "(no channel)"


def local_time(moment: datetime | None, zone: str, fmt: str = "%H:%M %Z") -> str:
    """A UTC moment shown in the incident's zone, with the zone's abbreviation."""
    if moment is None:
        return "unknown"
    return moment.astimezone(tz.gettz(zone)).strftime(fmt)


def duration_words(start: datetime | None, end: datetime | None) -> str:
    """``1 hour 45 minutes``; ``unknown`` when either end is missing."""
    if start is None or end is None:
        return "unknown"
    if end < start:
        return "unknown (ends before it starts)"
    delta = relativedelta(end, start)
    units = [
        (delta.years, "year"),
        (delta.months, "month"),
        (delta.days, "day"),
        (delta.hours, "hour"),
        (delta.minutes, "minute"),
    ]
    words = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in units if n]
    return " ".join(words) if words else "less than a minute"


class Renderer:
    """Renders templates by name; an operator's directory overrides the built-in files."""

    def __init__(self, override_dir: Path | None = None) -> None:
        loaders = [FileSystemLoader(str(override_dir))] if override_dir else []
        loaders.append(FileSystemLoader(str(builtin_templates_dir())))
        self._env = SandboxedEnvironment(
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            autoescape=False,
            finalize=_finalize,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self._env.filters.update(
            mention=mention,
            channel_link=channel_link,
            usergroup=usergroup,
            local_time=local_time,
            duration_words=duration_words,
            slack_time=lambda ts, zone: local_time(ts_to_datetime(ts), zone),
            json=lambda value: Markup(json.dumps(value)),
            # A Markdown table cell: a pipe or a line break would end the cell early.
            table_cell=lambda value: " ".join(str(value).replace("|", "\\|").split()),
        )

    def render(self, template_name: str, **context: Any) -> str:
        """Render a template to text."""
        return self._env.get_template(template_name).render(**context).strip()

    def render_json(self, template_name: str, **context: Any) -> Any:
        """Render a template whose output is JSON (Block Kit views) and parse it."""
        return json.loads(self.render(template_name, **context))
