"""Everything a person reads is rendered here from the Jinja2 files in ``templates/``.

Every value interpolated into a template is escaped for Slack (``& < >``), so text typed by a
user (``<!channel>``, ``<@U123>``) is shown, never obeyed. Templates produce mentions and links
only through the ``mention`` and ``channel_link`` filters, which check what they are given.
The same escaping is right for the Markdown postmortem, where ``&lt;`` renders as ``<``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from dateutil import tz
from dateutil.relativedelta import relativedelta
from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markdown_it import MarkdownIt
from markupsafe import Markup

import bot
from bot.basics.timestamps import ts_to_datetime

_SLACK_ID = re.compile(r"^[A-Z0-9]{2,32}$")
_SLACK_TOKEN = re.compile(r"<([^<>]*)>")
_MARKDOWN_SYNTAX = re.compile(r"[\\`*_\[\]()#!|~]")
_BLANK_LINES = re.compile(r"\n{3,}")
# What makes a line a list item, a setext underline or a thematic break once the inline
# syntax is escaped: `-`, `+` or `=` first, or a number and `.` (`)` is escaped inline).
_LINE_MARKER = re.compile(r"^(?:[-+](?=[-+ \t]|$)|=|\d{1,9}(?=\.(?:[ \t]|$)))")
_INDENT = re.compile(r"^[ \t]*")
# Four columns of indentation make a code block.
_CODE_INDENT = 4
# Shown as the space it stands for, but not indentation to Markdown (CommonMark counts only
# spaces and tabs), so an indented line stays a line of text.
_NBSP = "\u00a0"
# Slack has no escape for a quote or a code block: a zero-width space before the `>` or
# between the backticks keeps the text as typed and takes the markup away.
_ZWSP = "\u200b"
_SLACK_QUOTE = re.compile(r"^([ \t]*)(?=&gt;)", re.MULTILINE)
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def builtin_templates_dir() -> Path:
    """``bot/templates`` in an installed wheel, ``templates/`` beside ``bot/`` in a checkout."""
    package_dir = Path(bot.__file__).parent
    for candidate in (package_dir / "templates", package_dir.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("warroom's templates directory is missing from this installation")


def slack_escape(value: object) -> str:
    """Text shown as itself in a Slack message: the three characters Slack treats as markup
    escaped, and no line of it a quote or a code block."""
    return _slack_structure(str(value).translate(_ESCAPES))


def slack_quote(value: object) -> Markup:
    """A person's text as a Slack block quote: each line shown as typed, then quoted (the
    quote is ours; a ``>`` the person typed stays a character, a mention pings nobody). Text
    Slack sent arrives escaped (``&gt;``) and a form's does not: both are shown the same."""
    lines = html.unescape(str(value)).split("\n")
    return Markup("\n".join(">" + slack_escape(line) for line in lines))


def _slack_structure(escaped: str) -> str:
    """Escaped Slack text with its quotes (``&gt;`` first on a line) and code fences taken
    apart by a zero-width space: shown the same, never obeyed."""
    return _SLACK_QUOTE.sub(lambda m: _ZWSP + m.group(1), escaped).replace(
        "```", f"`{_ZWSP}`{_ZWSP}`"
    )


def _finalize(value: object) -> object:
    if isinstance(value, Markup):
        return value
    return slack_escape(value)


def markdown_escape(value: object) -> str:
    """Text shown as itself in Markdown: ``& < >`` as entities, other syntax backslashed, and
    the start of each line escaped (list markers, setext underlines, indentation), so a
    message cannot add images, links, headings, lists, quotes, code blocks, emphasis or table
    cells to a document. Every person's text in a Markdown document comes through here."""
    lines = str(value).split("\n")
    return "\n".join(_escape_line(line, first=i == 0) for i, line in enumerate(lines))


def _escape_line(line: str, *, first: bool) -> str:
    indent = _INDENT.match(line).group(0)  # type: ignore[union-attr]
    rest = _MARKDOWN_SYNTAX.sub(r"\\\g<0>", line[len(indent) :]).translate(_ESCAPES)
    rest = _LINE_MARKER.sub(_backslash_marker, rest)
    # A value's first line usually sits in the middle of a template's line, where spaces are
    # spaces; only there is enough of them to start a code block is it taken apart too.
    if indent and (not first or len(indent.expandtabs(_CODE_INDENT)) >= _CODE_INDENT):
        indent = _NBSP * len(indent.expandtabs(_CODE_INDENT))
    return indent + rest


def _backslash_marker(match: re.Match[str]) -> str:
    marker = match.group(0)
    # `1.` is escaped at its dot, `-`, `+` and `=` themselves.
    return marker + "\\" if marker[0].isdigit() else "\\" + marker


def _finalize_markup(value: object) -> object:
    if isinstance(value, Markup):
        return value
    return Markup(markdown_escape(value))


def mention(user_id: str | None) -> Markup | str:
    """``<@U123>`` for a real Slack user id; anything else is shown as plain text."""
    if user_id and _SLACK_ID.match(user_id):
        return Markup(f"<@{user_id}>")
    return "someone" if not user_id else Markup(slack_escape(user_id))


def record_text(value: object) -> Markup:
    """Text from the record in a Slack message: mentions of people kept, any other Slack markup
    (``<!channel>``, links) shown as it was typed, never obeyed. Text Slack sent arrives escaped
    and text from elsewhere (alert summaries) does not; both are shown the same."""
    text, shown, last = str(value), [], 0
    for match in _SLACK_TOKEN.finditer(text):
        shown.append(_plain_slack_escape(html.unescape(text[last : match.start()])))
        token = match.group(1)
        user = token[1:].split("|", 1)[0] if token.startswith("@") else ""
        if _SLACK_ID.match(user):
            shown.append(str(mention(user)))
        else:
            shown.append(_plain_slack_escape(html.unescape(match.group(0))))
        last = match.end()
    shown.append(_plain_slack_escape(html.unescape(text[last:])))
    # Quotes and fences are a matter of whole lines: taken apart once the pieces are joined.
    return Markup(_slack_structure("".join(shown)))


def _plain_slack_escape(text: str) -> str:
    return text.translate(_ESCAPES)


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


def postmortem_template(language: str, style: str) -> str:
    """Where a postmortem style lives in a language's template set."""
    return f"postmortem/{language}/{style}.md.j2"


def prose(value: object) -> Markup:
    """A section a person wrote in the web view, as text: through the same escaping as every
    message, so it cannot mention (``![](@U123)``), notify, link, show an image or add
    structure to the canvas, the Markdown or the page. Its paragraphs stay paragraphs and its
    lines stay lines (two trailing spaces: CommonMark's hard line break)."""
    lines = markdown_escape(value).split("\n")
    return Markup(
        "\n".join(
            line + "  " if line.strip() and i + 1 < len(lines) and lines[i + 1].strip() else line
            for i, line in enumerate(lines)
        )
    )


def markdown_item(value: object) -> Markup:
    """Text inside a Markdown list item, escaped as text, continuation lines indented so the
    item holds them."""
    return Markup("\n  ".join(markdown_escape(value).split("\n")))


def markdown_to_html(markdown: str) -> Markup:
    """A Markdown document as HTML. Raw HTML in the Markdown is shown as text, never kept."""
    return Markup(MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown))


class Renderer:
    """Renders templates by name; an operator's directory overrides the built-in files.

    Each output format escapes what templates interpolate in its own way: Slack messages and
    Markdown documents (``*.md.j2``) escape ``& < >``, HTML pages (``*.html.j2``) escape HTML.
    """

    def __init__(self, override_dir: Path | None = None) -> None:
        self.search_path = [override_dir] if override_dir else []
        self.search_path.append(builtin_templates_dir())
        loader = ChoiceLoader([FileSystemLoader(str(path)) for path in self.search_path])
        self._env = self._environment(loader, autoescape=False, finalize=_finalize)
        # Macros in Markdown documents return Markup, so their output is escaped only once.
        self._markdown = self._environment(loader, autoescape=True, finalize=_finalize_markup)
        self._html = self._environment(loader, autoescape=True, finalize=None)

    def _environment(
        self,
        loader: ChoiceLoader,
        *,
        autoescape: bool,
        finalize: Callable[[object], object] | None,
    ) -> SandboxedEnvironment:
        env = SandboxedEnvironment(
            loader=loader,
            undefined=StrictUndefined,
            autoescape=autoescape,
            finalize=finalize,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        env.filters.update(
            mention=mention,
            channel_link=channel_link,
            usergroup=usergroup,
            record_text=record_text,
            local_time=local_time,
            duration_words=duration_words,
            slack_time=lambda ts, zone: local_time(ts_to_datetime(ts), zone),
            json=lambda value: Markup(json.dumps(value)),
            # A Markdown table cell is one line (the Markdown escaping takes care of pipes).
            table_cell=lambda value: " ".join(str(value).split()),
            item=markdown_item,
            prose=prose,
            quote=slack_quote,
        )
        return env

    def _environment_for(self, template_name: str) -> SandboxedEnvironment:
        if template_name.endswith(".md.j2"):
            return self._markdown
        if template_name.endswith(".html.j2"):
            return self._html
        return self._env

    def exists(self, template_name: str) -> bool:
        """Whether a template of that name is in the search path."""
        return any((path / template_name).is_file() for path in self.search_path)

    def find_dir(self, relative: str) -> Path | None:
        """The first directory of that name in the search path (operator's first)."""
        return next((p / relative for p in self.search_path if (p / relative).is_dir()), None)

    def postmortem_choices(self) -> dict[str, list[str]]:
        """The postmortem styles each language has: ``{"en": ["atlassian", "default", "sre"]}``."""
        choices: dict[str, set[str]] = {}
        for path in self.search_path:
            for template in path.glob("postmortem/*/*.md.j2"):
                if not template.name.startswith("_"):
                    style = template.name.removesuffix(".md.j2")
                    choices.setdefault(template.parent.name, set()).add(style)
        return {language: sorted(styles) for language, styles in sorted(choices.items())}

    def render(self, template_name: str, **context: Any) -> str:
        """Render a template to text."""
        environment = self._environment_for(template_name)
        text = environment.get_template(template_name).render(**context).strip()
        if environment is self._markdown:
            # Sections rendered by macros bring their own blank lines: one between blocks is enough.
            text = _BLANK_LINES.sub("\n\n", text)
        return text

    def render_json(self, template_name: str, **context: Any) -> Any:
        """Render a template whose output is JSON (Block Kit views) and parse it."""
        return json.loads(self.render(template_name, **context))
