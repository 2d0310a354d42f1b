"""Everything a person reads is rendered here from the Jinja2 files in ``templates/``.

Each output encodes what templates interpolate once, in its own way. People's words from the
record are ``SlackText`` (bot.basics.slack_text: Slack's encoding, decoded by every output);
any other value is plain text. In a Slack message plain text is escaped (``& < >``), so text
(``<!channel>``, ``<@U123>``) is shown, never obeyed, and Slack text is shown as the person
wrote it (their mentions and links working, a broadcast never obeyed). Markdown documents,
HTML pages and plain text name people and decode links. Templates produce mentions and links
only through the ``mention`` and ``channel_link`` filters, which check what they are given.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import tz
from dateutil.relativedelta import relativedelta
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

import bot
from bot.basics import slack_ids
from bot.basics.compiled_templates import compiled_templates
from bot.basics.durations import duration_text
from bot.basics.link_hosts import shown_link
from bot.basics.markdown_text import (
    markdown_escape,
    markdown_item,
    one_blank_line,
    prose,
)
from bot.basics.slack_mrkdwn import mrkdwn_html
from bot.basics.slack_text import (
    SlackText,
    normalize_newlines,
    take_apart_structure,
    to_html,
    to_mrkdwn,
    to_plain,
    to_readable,
)
from bot.basics.task_words import task_text
from bot.basics.timestamps import ts_to_datetime

SLACK_IDS = SimpleNamespace(
    shortcut=slack_ids.Shortcut,
    declare=slack_ids.DeclareModal,
    timeline=slack_ids.TimelineModal,
    escalation=slack_ids.EscalationMessage,
    alert=slack_ids.AlertMessage,
    alert_escalate=slack_ids.AlertEscalateModal,
    follow_up=slack_ids.FollowUpMessage,
    suggestion=slack_ids.SuggestionMessage,
    proposed_note=slack_ids.ProposedNoteMessage,
    cause=slack_ids.CauseMessage,
    suggestion_block=slack_ids.suggestion_block,
    suggestion_form=slack_ids.SuggestionModal,
    reminder=slack_ids.FollowUpReminder,
    lessons=slack_ids.LessonsMessage,
    wrap_up=slack_ids.WrapUpMessage,
    wrap_up_form=slack_ids.WrapUpModal,
    follow_up_input=slack_ids.follow_up_input,
    memo_owner_input=slack_ids.memo_owner_input,
    lessons_form=slack_ids.LessonsModal,
    swap=slack_ids.SwapMessage,
    cover=slack_ids.CoverMessage,
    fields=slack_ids.FieldsModal,
    header=slack_ids.HeaderMessage,
    field_input=slack_ids.field_input,
    public=slack_ids.PublicModal,
    public_title=slack_ids.public_title_input,
    public_update=slack_ids.PublicUpdateModal,
    ruled_out=slack_ids.RuledOutPrompt,
    worked=slack_ids.WorkedPrompt,
)

_SLACK_ID = re.compile(r"^[A-Z0-9]{2,32}$")
# People's ids begin with U, or W in an Enterprise Grid organisation.
_USER_ID_FIRST = ("U", "W")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def builtin_templates_dir() -> Path:
    """``bot/templates`` in an installed wheel, ``templates/`` beside ``bot/`` in a checkout."""
    package_dir = Path(bot.__file__).parent
    for candidate in (package_dir / "templates", package_dir.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("warroom's templates directory is missing from this installation")


def slack_escape(value: object) -> str:
    """Plain text shown as itself in a Slack message: the three characters Slack treats as
    markup escaped, and no line of it a quote or a code block."""
    return take_apart_structure(normalize_newlines(str(value)).translate(_ESCAPES))


def slack_quote(value: object) -> Markup:
    """A person's text as a Slack block quote: each line shown as written, then quoted (the
    quote is ours; a ``>`` the person typed stays a character)."""
    lines = str(record_text(value)).split("\n")
    return Markup("\n".join(">" + line for line in lines))


def record_text(value: object, *, addresses: bool = False) -> Markup:
    """A value in a Slack message: Slack text as the person wrote it (mentions of people and
    links working, broadcasts and group mentions shown, never obeyed), plain text escaped.
    ``addresses``: a message outside the incident, where a labelled link shows its address
    too (``to_mrkdwn``)."""
    if isinstance(value, Markup):
        return value
    if isinstance(value, SlackText):
        return Markup(to_mrkdwn(value, addresses=addresses))
    return Markup(slack_escape(value))


def record_text_outside(value: object) -> Markup:
    """``record_text`` in a message outside the incident (``Renderer.render(outside=True)``)."""
    return record_text(value, addresses=True)


def slack_quote_outside(value: object) -> Markup:
    """``slack_quote`` in a message outside the incident."""
    return slack_quote(record_text_outside(value))


_finalize = record_text


@pass_context
def _finalize_markup(context: Context, value: object) -> object:
    if isinstance(value, Markup):
        return value
    return Markup(markdown_escape(readable(value, _names(context))))


@pass_context
def say(
    context: Context, message: object, /, count: float | None = None, **fields: object
) -> Markup:
    """A message of a language's catalog (``words.yaml``: the template's own text) with its
    ``{fields}`` filled, each escaped as ``{{ value }}`` would be where it is said; ``count``
    chooses the form of a message with a singular and a plural."""
    if count is not None:
        fields.setdefault("count", count)
        if hasattr(message, "pick"):
            message = message.pick(count)
    if not isinstance(message, Markup):
        raise TypeError(f"say() takes a message of the catalog, not {type(message).__name__}")
    finalize = _finalize_markup if context.environment.autoescape else _finalize_plain_value
    values = {name: finalize(context, value) for name, value in fields.items()}
    # Each value is escaped already and the message's fields are names alone (the catalog
    # checks): str.format, in C, where Markup.format would escape each value again in Python
    # (a third of a draft of 2,500 follow-ups).
    return Markup(str.format(message, **values))


def _finalize_plain_value(context: Context, value: object) -> Markup:
    """A value in plain text (``render_plain``): people named, nothing escaped."""
    return Markup(readable(value, _names(context)))


@pass_context
def _finalize_html(context: Context, value: object) -> object:
    """Slack text in a page: people named, links as anchors unless the page says
    ``text_links = false``; on a page customers read (``public_words``), people and
    channels as customers may see them; anything else is escaped by autoescaping."""
    if isinstance(value, SlackText):
        links = context.get("text_links", True)
        public = bool(context.get("public_words", False))
        return Markup(to_html(value, _names(context), links=links, public=public))
    return value


@pass_context
def _mrkdwn_html(context: Context, value: object) -> Markup:
    """Slack text in a page as the Slack client shows it (``bot.basics.slack_mrkdwn``); on a
    page customers read (``public_words``), people and channels as customers may see them."""
    public = bool(context.get("public_words", False))
    return Markup(mrkdwn_html(SlackText.of(str(value)), _names(context), public=public))


def _formatted_html(value: object) -> Markup:
    """Words people wrote in Slack, held as plain text (a draft's line), in a page as the
    Slack client shows them: the same renderer as ``mrkdwn``, after encoding them once."""
    text = value if isinstance(value, SlackText) else SlackText.from_plain(str(value))
    return mrkdwn_html(text)


@pass_context
def _finalize_plain(context: Context, value: object) -> object:
    if isinstance(value, SlackText):
        return to_plain(value, _names(context))
    return value


@pass_context
def _plain_text(context: Context, value: object) -> str:
    """A value for Block Kit's ``plain_text`` (Slack parses nothing there): Slack text
    decoded, people by name."""
    return str(_finalize_plain(context, value))


def mention(user_id: str | None) -> Markup | str:
    """``<@U123>`` for a real Slack user id; anything else (an app's name, the author of
    another app's post) is shown as plain text."""
    if user_id and _SLACK_ID.match(user_id) and user_id[0] in _USER_ID_FIRST:
        return Markup(f"<@{user_id}>")
    return "someone" if not user_id else Markup(slack_escape(user_id))


def readable(value: object, names: Mapping[str, str] | None = None) -> str:
    """A value as a document shows it, before its own escaping: Slack text with people by
    name and links with their address; plain text as it is."""
    if isinstance(value, SlackText):
        return to_readable(value, names)
    return str(value)


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


# How the sentences of timeline entries (templates/entries/) show people and people's words:
# Slack mentions a person and a user group, and keeps the mentions in a person's text; every
# other output (Markdown, HTML, plain text) names them, from the ``names`` it is rendered with,
# the way ``readable`` shows a mention in a person's text (``@Bob Okafor``).
@pass_context
def _named_person(context: Context, user_id: str | None) -> str:
    return "@" + _names(context).get(user_id, user_id) if user_id else "someone"


def _named_group(_group_id: str | None, label: str = "a user group") -> str:
    return label


@pass_context
def _named_words(context: Context, text: object) -> str:
    return readable(text, _names(context))


def _names(context: Context) -> Mapping[str, str]:
    names = context.get("names")
    return names if isinstance(names, Mapping) else {}


_SLACK_PEOPLE: dict[str, Callable[..., object]] = {
    "person": mention,
    "group": usergroup,
    "words": record_text,
}
# A Slack message outside the incident: people's words the bot repeats where nobody saw who
# wrote them, each link showing where it goes.
_SLACK_OUTSIDE: dict[str, Callable[..., object]] = {
    **_SLACK_PEOPLE,
    "words": record_text_outside,
    "record_text": record_text_outside,
    "quote": slack_quote_outside,
}
_NAMED_PEOPLE: dict[str, Callable[..., object]] = {
    "person": _named_person,
    "group": _named_group,
    "words": _named_words,
}


def local_time(moment: datetime | str | None, zone: str, fmt: str = "%H:%M %Z") -> str:
    """A UTC moment shown in the incident's zone, with the zone's abbreviation. A moment kept
    as data (an entry's facts) arrives as ISO 8601 text."""
    if moment is None:
        return "unknown"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(_zone(zone)).strftime(fmt)


@functools.lru_cache(maxsize=64)
def _zone(zone: str) -> tzinfo | None:
    """The standard library's zone, whose conversions are C (dateutil's are Python: a page
    shows hundreds of times); dateutil's for a name only it knows (None, as dateutil gives
    for an unknown one: the machine's zone)."""
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        found: tzinfo | None = tz.gettz(zone)
        return found


def machine_time(moment: datetime) -> str:
    """A moment as HTML's ``<time datetime>`` and Atom's dates take it: UTC to the second
    (``2025-03-27T17:05:12Z``); the W3C checker refuses microseconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# What neither HTML nor XML 1.0 lets a document carry: C0 controls but tab, line feed and
# carriage return (HTML also refuses form feed in text), DEL and the C1 controls, lone
# surrogates, and the noncharacters (HTML's "control" and "noncharacter" parse errors; XML's
# Char production). A query string or a person's text may hold any of them.
# In two parts: one class of the 34 noncharacters past U+FFFF checked each of a page's
# characters against every one of them (7 ms of a 170 KB page's CPU, 140 ms of a 3.4 MB
# draft's); a range finds the rare character past U+FFFF (an emoji) and only those are looked at.
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)
_PAST_FFFF = re.compile("[\U00010000-\U0010ffff]")


def without_forbidden_characters(document: str) -> str:
    """An HTML page or an XML feed without the characters they may not contain (above)."""
    return _PAST_FFFF.sub(_unless_noncharacter, _FORBIDDEN.sub("", document))


def _unless_noncharacter(found: re.Match[str]) -> str:
    """A character past U+FFFF, kept unless a noncharacter (U+1FFFE, U+1FFFF, … U+10FFFF)."""
    character = found[0]
    return "" if ord(character) & 0xFFFE == 0xFFFE else character


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


def postmortem_template(language: str, style: str) -> str:
    """Where a postmortem style's skeleton is: one for every language, which says it in the
    language's words (``postmortem/<language>/words.yaml``). ``Renderer.postmortem_template``
    prefers a language's own copy of the style (an operator's, ``postmortem/<language>/``)."""
    del language  # every language shares the skeleton
    return f"postmortem/{style}.md.j2"


def own_postmortem_template(language: str, style: str) -> str:
    """Where a language may keep its own copy of a style (an operator's override)."""
    return f"postmortem/{language}/{style}.md.j2"


def entries_template(language: str) -> str:
    """Where a language keeps the sentences of warroom's own timeline entries."""
    return f"entries/{language}.j2"


def _style_of(template: Path) -> str:
    """A postmortem style's name from its template's (``sre.md.j2``: sre); "" for a part."""
    return "" if template.name.startswith("_") else template.name.removesuffix(".md.j2")


class Renderer:
    """Renders templates by name; an operator's directory overrides the built-in files.

    Each output format escapes what templates interpolate in its own way: Slack messages and
    Markdown documents (``*.md.j2``) escape ``& < >``, HTML pages (``*.html.j2``) escape HTML,
    and ``render_plain`` escapes nothing, for text its caller escapes. Only Slack messages
    mention people through the ``person`` and ``group`` filters; the other outputs name them.
    """

    def __init__(self, override_dir: Path | None = None) -> None:
        self.search_path = [override_dir] if override_dir else []
        self.search_path.append(builtin_templates_dir())
        loader = ChoiceLoader([FileSystemLoader(str(path)) for path in self.search_path])
        # An operator's templates run in Jinja2's sandbox; warroom's own are trusted code and
        # skip its check of every attribute and call (a third of a long draft's time).
        self._kind: type[Environment] = SandboxedEnvironment if override_dir else Environment
        self._env = self._environment(
            "slack", loader, autoescape=False, finalize=_finalize, people=_SLACK_PEOPLE
        )
        self._outside = self._environment(
            "outside", loader, autoescape=False, finalize=record_text_outside, people=_SLACK_OUTSIDE
        )
        # Macros in Markdown documents return Markup, so their output is escaped only once.
        self._markdown = self._environment(
            "markdown", loader, autoescape=True, finalize=_finalize_markup
        )
        self._html = self._environment("html", loader, autoescape=True, finalize=_finalize_html)
        self._html.filters["mrkdwn"] = _mrkdwn_html
        self._html.filters["formatted"] = _formatted_html
        self._plain = self._environment("plain", loader, autoescape=False, finalize=_finalize_plain)

    def _environment(
        self,
        flavour: str,
        loader: ChoiceLoader,
        *,
        autoescape: bool,
        finalize: Callable[..., object] | None,
        people: Mapping[str, Callable[..., object]] = _NAMED_PEOPLE,
    ) -> Environment:
        env = self._kind(
            loader=loader,
            undefined=StrictUndefined,
            autoescape=autoescape,
            finalize=finalize,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            bytecode_cache=compiled_templates(f"{self._kind.__name__} {flavour}"),
        )
        # The ids views and messages carry (bot.basics.slack_ids), named once.
        env.globals["ids"] = SLACK_IDS
        # A message of a postmortem language's catalog, its fields filled (words.yaml).
        env.globals["say"] = say
        env.filters.update(
            mention=mention,
            channel_link=channel_link,
            usergroup=usergroup,
            record_text=record_text,
            local_time=local_time,
            machine_time=machine_time,
            duration_words=duration_words,
            # Seconds kept as data (a policy level's timeout) as configuration writes them: 10m.
            short_duration=lambda seconds: duration_text(timedelta(seconds=seconds)),
            slack_time=lambda ts, zone: local_time(ts_to_datetime(ts), zone),
            json=lambda value: Markup(json.dumps(value)),
            # A Markdown table cell is one line (the Markdown escaping takes care of pipes).
            table_cell=lambda value: " ".join(str(value).split()),
            item=markdown_item,
            # A follow-up's task without the "Follow-up:" it was written after.
            task=task_text,
            prose=prose,
            quote=slack_quote,
            plain_text=_plain_text,
            # A link another system gave as a reader may be shown it: the host it goes to,
            # refused when that host passes for one of ``own`` (docs/security.md).
            shown_link=lambda url, own=(): shown_link(str(url), own),
        )
        env.filters.update(people)
        return env

    def _environment_for(self, template_name: str, *, outside: bool = False) -> Environment:
        if template_name.endswith(".md.j2"):
            return self._markdown
        if template_name.endswith((".html.j2", ".xml.j2")):  # HTML's escaping suits XML too
            return self._html
        return self._outside if outside else self._env

    def exists(self, template_name: str) -> bool:
        """Whether a template of that name is in the search path."""
        return any((path / template_name).is_file() for path in self.search_path)

    def languages_of(self, relative: str) -> list[str]:
        """The languages a directory of per-language templates has (``web/status`` holds
        ``en.j2`` and ``fr.j2``: ``["en", "fr"]``), the operator's too, sorted."""
        found = {
            path.name.removesuffix(".j2")
            for root in self.search_path
            if (root / relative).is_dir()
            for path in (root / relative).glob("*.j2")
        }
        return sorted(found)

    def find_dir(self, relative: str) -> Path | None:
        """The first directory of that name in the search path (operator's first)."""
        return next((p / relative for p in self.search_path if (p / relative).is_dir()), None)

    def postmortem_template(self, language: str, style: str) -> str:
        """The template of a postmortem style in a language: the language's own copy of it if
        there is one (an operator's), else the skeleton every language shares."""
        own = own_postmortem_template(language, style)
        return own if self.exists(own) else postmortem_template(language, style)

    def postmortem_choices(self) -> dict[str, list[str]]:
        """The postmortem styles each language has: ``{"en": ["atlassian", "default", "sre"]}``.
        A language is a directory with a ``language.yaml``; it has every shared skeleton
        (``postmortem/<style>.md.j2``) and the styles of its own directory."""
        shared: set[str] = set()
        choices: dict[str, set[str]] = {}
        for path in self.search_path:
            shared |= {_style_of(template) for template in path.glob("postmortem/*.md.j2")}
            for found in path.glob("postmortem/*/language.yaml"):
                choices.setdefault(found.parent.name, set())
            for template in path.glob("postmortem/*/*.md.j2"):
                choices.setdefault(template.parent.name, set()).add(_style_of(template))
        return {
            language: sorted((styles | shared) - {""})
            for language, styles in sorted(choices.items())
        }

    def render(self, template_name: str, *, outside: bool = False, **context: Any) -> str:
        """Render a template to text. ``outside``: a Slack message (or view) outside the
        incident's channel (an announcement, a DM, the Home tab, a workflow's post elsewhere),
        where people's words are repeated by the bot to people who did not see them written:
        a link whose label is not its address shows its address too."""
        environment = self._environment_for(template_name, outside=outside)
        text = environment.get_template(template_name).render(**context).strip()
        if environment is self._markdown:
            # Sections rendered by macros bring their own blank lines: one between blocks is enough.
            text = one_blank_line(text)
        return text

    def render_plain(self, template_name: str, **context: Any) -> str:
        """Render a template with nothing escaped and people named from ``names``: text for a
        caller that escapes it for its own output (a Markdown item, an HTML page, JSON)."""
        return self._plain.get_template(template_name).render(**context).strip()

    def entries_for(self, language: str) -> str:
        """The template of the entry sentences in ``language``; English when the language has
        none (an operator's postmortem language may bring only its postmortem styles)."""
        template = entries_template(language)
        return template if self.exists(template) else entries_template("en")

    def render_json(self, template_name: str, *, outside: bool = False, **context: Any) -> Any:
        """Render a template whose output is JSON (Block Kit views) and parse it."""
        return json.loads(self.render(template_name, outside=outside, **context))
