"""Text people typed in Slack: one model, decoded once, shown right in every output.

Slack sends text *encoded* ("Formatting text for app surfaces", section "Escaping text",
https://api.slack.com/reference/surfaces/formatting#escaping): ``& < >`` arrive as ``&amp;
&lt; &gt;``, and everything between ``<`` and ``>`` is a construct, never literal text: links
(``<https://…>``, ``<https://…|label>``), mentions of people (``<@U…>``, ``<@U…|name>``),
channels (``<#C…|name>``), user groups (``<!subteam^S…|@handle>``), broadcasts (``<!here>``,
``<!channel>``, ``<!everyone>``) and dates (``<!date^1392734382^{date}|fallback>``). Message
events always arrive so; slash-command text does when the manifest's ``should_escape`` is
true (ours is); a modal's ``plain_text_input`` value does not (it is what the person typed).

warroom keeps every person's words in that encoding (``SlackText``), because it is the one
form that says unambiguously what is a construct and what is a character (a ``<`` a person
typed is ``&lt;``), it is what most of the record (message events) arrives in, and Slack
takes it back unchanged. Text that arrives plain (a modal's input, an alert's summary) is
encoded once where it enters (``SlackText.from_plain``). Every output parses it (``parse``,
cached) and renders it with one function of its own:

- ``to_mrkdwn``: back into a Slack message (``&<>`` encoded exactly once, people's mentions
  kept, group mentions and broadcasts shown and never obeyed, quotes and code fences taken
  apart so a person's words cannot swallow the message around them; outside the incident
  a labelled link shows its address too, ``addresses``);
- ``to_plain``: no markup at all, for Block Kit's ``plain_text``, channel names, tracker
  titles and PagerDuty (people by name, links by label or URL);
- ``to_html``: the web view and the status page (names, never ids; links as anchors only
  where the page allows them);
- ``to_public_plain`` (and ``to_html(public=True)``): what customers read (Statuspage, the
  status page and its feed): what was typed, never the directory: a person by the label the
  mention carried, else not at all, a channel not at all;
- Markdown (drafts, canvases, tracker bodies) is ``to_plain`` through Markdown's own
  escaping (``bot.basics.markdown_text.markdown_escape``).

A bare carriage return (``\\r`` or ``\\r\\n``) is a line break in every output.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup

from bot.basics import safe_html

# What Slack decodes in text, and only that (not every HTML entity: "You shouldn't HTML
# entity-encode the entire text, as only the specific characters shown above will be decoded").
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITY_CHARS = {"amp": "&", "lt": "<", "gt": ">"}
_ENCODE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_CONSTRUCT = re.compile(r"<([^<>]*)>")
_NEWLINES = re.compile(r"\r\n?")
# A Slack id: a letter and then letters and digits (U0BOB00000, C123ABC, S0ONCALL, W123).
_SLACK_ID = re.compile(r"^[A-Z][A-Z0-9]{1,31}$")
_LINK_SCHEMES = ("http://", "https://", "mailto:")
# Slack has no escape for a quote or a code block: a zero-width space before the `>` or
# between the backticks keeps the text as typed and takes the markup away.
_ZWSP = "\u200b"
_SLACK_QUOTE = re.compile(r"^([ \t]*)(?=&gt;)", re.MULTILINE)
_BACKTICK_RUN = re.compile(r"`{3,}")
BROADCASTS = ("here", "channel", "everyone")
# Who a mention names when nobody knows the name: never an id, in any output but Slack's.
SOMEONE = "someone"


class SlackText(str):
    """A person's words in Slack's encoding (see the module's docstring). A ``str``, so it is
    stored, compared and sent as one; its type tells each output to decode it first."""

    __slots__ = ()

    @classmethod
    def from_plain(cls, text: str) -> SlackText:
        """Text as typed (a modal's input, an alert's summary), encoded for the record."""
        return cls(normalize_newlines(text).translate(_ENCODE))

    @classmethod
    def of(cls, text: str | None) -> SlackText:
        """Text that is already in Slack's encoding (an event's, a slash command's)."""
        return text if isinstance(text, SlackText) else cls(text or "")


def normalize_newlines(text: str) -> str:
    """``\\r\\n`` and a bare ``\\r`` as the line break they are."""
    return _NEWLINES.sub("\n", text) if "\r" in text else text


def decode_entities(text: str) -> str:
    """Slack's three entities as the characters they stand for (in one pass: ``&amp;lt;`` is
    the four characters ``&lt;`` a person typed)."""
    return _ENTITY.sub(lambda m: _ENTITY_CHARS[m.group(1)], text) if "&" in text else text


def encode(text: str) -> str:
    """Characters as Slack text: ``& < >`` as entities, exactly once."""
    return text.translate(_ENCODE)


# -- the model -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Literal:
    text: str


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    label: str | None = None


@dataclass(frozen=True, slots=True)
class UserMention:
    user_id: str
    label: str | None = None


@dataclass(frozen=True, slots=True)
class ChannelMention:
    channel_id: str
    label: str | None = None


@dataclass(frozen=True, slots=True)
class GroupMention:
    group_id: str
    label: str | None = None


@dataclass(frozen=True, slots=True)
class Broadcast:
    name: str  # here, channel, everyone


@dataclass(frozen=True, slots=True)
class SlackDate:
    """``<!date^1392734382^Posted {date_num}|Posted 2014-02-18>``: shown by its fallback."""

    construct: str
    fallback: str


Run = Literal | Link | UserMention | ChannelMention | GroupMention | Broadcast | SlackDate


@lru_cache(maxsize=4096)
def parse(text: str) -> tuple[Run, ...]:
    """Slack-encoded text as runs of literal text and constructs."""
    text = normalize_newlines(text)
    runs: list[Run] = []
    last = 0
    for match in _CONSTRUCT.finditer(text):
        if match.start() > last:
            runs.append(Literal(decode_entities(text[last : match.start()])))
        runs.append(_construct(match.group(1)))
        last = match.end()
    if last < len(text):
        runs.append(Literal(decode_entities(text[last:])))
    return tuple(runs)


def _construct(inner: str) -> Run:
    target, bar, rest = inner.partition("|")
    label = decode_entities(rest) if bar and rest else None
    if target.startswith("@") and _SLACK_ID.match(target[1:]):
        return UserMention(target[1:], label.lstrip("@") if label else None)
    if target.startswith("#") and _SLACK_ID.match(target[1:]):
        return ChannelMention(target[1:], label.lstrip("#") if label else None)
    if target.startswith("!subteam^") and _SLACK_ID.match(target.removeprefix("!subteam^")):
        return GroupMention(target.removeprefix("!subteam^"), label.lstrip("@") if label else None)
    if target.startswith("!date^"):
        return SlackDate(inner, label or "")
    if target.startswith("!") and target[1:] in BROADCASTS:
        return Broadcast(target[1:])
    if target.startswith(_LINK_SCHEMES):
        return Link(decode_entities(target), label)
    # Not a construct Slack documents: shown as the characters it is made of.
    return Literal(decode_entities(f"<{inner}>"))


# -- names -------------------------------------------------------------------------------------
def name_of_user(run: UserMention, names: Mapping[str, str] | None, unnamed: str = SOMEONE) -> str:
    """A mentioned person's name: what warroom knows, else the label Slack sent, else
    ``unnamed``."""
    return (names or {}).get(run.user_id) or run.label or unnamed


def _is_literal(text: str) -> bool:
    """Text with no construct, entity or carriage return: every output's words are its own
    characters (most messages; a long timeline's parses were much of its draft's time:
    bench/RESULTS.md, "Figures behind the code's choices")."""
    return "<" not in text and "&" not in text and "\r" not in text


def mentioned_users(text: str) -> list[str]:
    """The user ids the text mentions, in order."""
    if "<@" not in text:
        return []
    return [run.user_id for run in parse(text) if isinstance(run, UserMention)]


def _named(
    run: Run,
    names: Mapping[str, str] | None,
    *,
    anonymous: bool,
    unnamed: str = SOMEONE,
    public: bool = False,
) -> str:
    """A construct as words: what every output but Slack's shows (``public``: what customers
    may read, see ``to_public_plain``)."""
    if isinstance(run, UserMention):
        if public:
            return "@" + run.label if run.label else ""
        if anonymous:
            return unnamed
        name = name_of_user(run, names, unnamed)
        return "@" + name if name else ""
    if isinstance(run, ChannelMention):
        return "" if public else "#" + (run.label or "channel")
    if isinstance(run, GroupMention):
        return "@" + (run.label or "group")
    if isinstance(run, Broadcast):
        return "@" + run.name
    if isinstance(run, SlackDate):
        return run.fallback
    if isinstance(run, Link):
        return run.label or run.url
    return run.text


def construct_words(run: Run, names: Mapping[str, str] | None, *, public: bool = False) -> str:
    """A construct (a mention, a link, a date) as the words a page shows for it (``public``:
    what customers may read, see ``to_public_plain``)."""
    return _named(run, names, anonymous=False, public=public)


# -- outputs -----------------------------------------------------------------------------------
def to_plain(
    text: str,
    names: Mapping[str, str] | None = None,
    *,
    anonymous: bool = False,
    unnamed: str = SOMEONE,
) -> str:
    """No markup at all: people and groups by name (``anonymous``: nobody named; a person
    whose name is unknown is ``unnamed``), links by their label or, unlabelled, their URL,
    dates by their fallback text."""
    if _is_literal(text):
        return str(text)
    return "".join(_named(run, names, anonymous=anonymous, unnamed=unnamed) for run in parse(text))


def to_readable(
    text: str,
    names: Mapping[str, str] | None = None,
    *,
    anonymous: bool = False,
    public: bool = False,
) -> str:
    """``to_plain`` keeping every link's address (``label (url)``): a document's text, for
    Markdown's escaping to make safe (``public``: see ``to_public_plain``)."""
    if _is_literal(text):
        return str(text)
    parts = []
    for run in parse(text):
        if isinstance(run, Link) and hides_address(run):
            parts.append(f"{run.label} ({run.url})")
        else:
            parts.append(_named(run, names, anonymous=anonymous, public=public))
    return "".join(parts)


def to_public_plain(text: str) -> str:
    """What customers read (Statuspage, the status feed, a public title or component): what
    was typed, never what the directory knows. A person is the label the mention carried
    (``<@U0CLAIRE01|claire>`` is ``@claire``), else nothing of them; a channel is left out
    (its name may be an incident's title, and customers cannot open it); links keep their
    address (``label (url)``)."""
    return to_readable(text, public=True)


def hides_address(link: Link) -> bool:
    """Whether a link's label is something else than its address (``<https://evil.example/
    login|Re-authenticate>``). A label that is the address, with or without its scheme or a
    last ``/``, hides nothing: Slack labels a URL a person typed bare with the URL itself
    (``<http://example.com|example.com>``)."""
    if not link.label:
        return False

    def bare(text: str) -> str:
        for scheme in _LINK_SCHEMES:
            if text.lower().startswith(scheme):
                text = text[len(scheme) :]
                break
        return text.rstrip("/")

    return bare(link.label) != bare(link.url)


def to_mrkdwn(
    text: str,
    *,
    names: Mapping[str, str] | None = None,
    ping: bool = True,
    addresses: bool = False,
) -> str:
    """Back into a Slack message: characters encoded once, people's mentions kept (``ping``
    false: named instead), channel links and links kept, user groups and broadcasts shown as
    their handles (warroom never pings a group or a channel for a person's words), and a
    quote or code fence in the words taken apart so it cannot swallow the message.

    ``addresses``: the words are repeated by the bot outside the incident (another channel,
    a DM, the Home tab), where nobody saw who wrote them: a link whose label is not its
    address is shown as its label and its address (``Re-authenticate (<https://…>)``), so
    the bot never posts a disguised link."""
    parts = []
    for run in parse(text):
        if isinstance(run, Literal):
            parts.append(encode(run.text))
        elif isinstance(run, UserMention) and ping:
            parts.append(f"<@{run.user_id}>")
        elif addresses and isinstance(run, Link) and hides_address(run):
            parts.append(f"{encode(run.label or '')} (<{encode(run.url)}>)")
        elif isinstance(run, ChannelMention | Link | SlackDate):
            parts.append(_encoded(run))
        else:
            parts.append(encode(_named(run, names, anonymous=False)))
    return take_apart_structure("".join(parts))


def take_apart_structure(encoded: str) -> str:
    """Encoded Slack text with its quotes (``&gt;`` first on a line) and code fences taken
    apart by a zero-width space: shown the same, never obeyed."""
    unquoted = _SLACK_QUOTE.sub(lambda m: _ZWSP + m.group(1), encoded)
    # Every backtick of a run of three or more apart: replacing "```" once per three left the
    # end of a longer run ("`````") a fence again.
    return _BACKTICK_RUN.sub(lambda m: _ZWSP.join(m.group(0)), unquoted)


def to_html(
    text: str,
    names: Mapping[str, str] | None = None,
    *,
    links: bool = True,
    anonymous: bool = False,
    public: bool = False,
) -> Markup:
    """HTML: characters escaped, people by name, links as anchors (``links`` false: as text)
    that open apart from the page and pass it no referrer. ``public``: a page customers read
    (the status page): people and channels as ``to_public_plain`` shows them. Built from
    escaped pieces only (``bot.basics.safe_html``)."""
    return safe_html.join(
        safe_html.anchor(run.url, run.label or run.url)
        if isinstance(run, Link) and links
        else safe_html.text(_named(run, names, anonymous=anonymous, public=public))
        for run in parse(text)
    )


# What may not end a cut text: a joiner or a variation selector would cling to the ellipsis,
# and a combining mark without what follows it is half a letter's accents.
_DANGLING = re.compile(r"[\s\u200d\ufe0e\ufe0f\u0300-\u036f]+$")


def cut_plain(text: str, limit: int, ellipsis: str = "…") -> str:
    """Plain text (no Slack encoding) of at most ``limit`` characters: cut between
    characters, never inside one, and ended with ``ellipsis`` when it was cut."""
    if len(text) <= limit:
        return text
    return _DANGLING.sub("", text[: limit - len(ellipsis)]) + ellipsis


def truncate(text: str, limit: int, ellipsis: str = "…") -> SlackText:
    """At most ``limit`` characters as people read them, cut between runs or inside a
    literal, never inside a construct or an entity; still Slack-encoded."""
    kept, shown = [], 0
    for run in parse(text):
        width = len(_named(run, None, anonymous=False))
        if shown + width <= limit:
            kept.append(_encoded(run))
            shown += width
            continue
        if isinstance(run, Literal) and limit - shown > 1:
            kept.append(encode(run.text[: limit - shown - 1]))
        kept.append(ellipsis)
        break
    return SlackText("".join(kept))


def _encoded(run: Run) -> str:
    """One run in Slack's encoding, as it arrived."""
    if isinstance(run, Literal):
        return encode(run.text)
    if isinstance(run, UserMention):
        return f"<@{run.user_id}|{encode(run.label)}>" if run.label else f"<@{run.user_id}>"
    if isinstance(run, ChannelMention):
        return f"<#{run.channel_id}|{encode(run.label)}>" if run.label else f"<#{run.channel_id}>"
    if isinstance(run, GroupMention):
        label = f"|@{encode(run.label)}" if run.label else ""
        return f"<!subteam^{run.group_id}{label}>"
    if isinstance(run, Broadcast):
        return f"<!{run.name}>"
    if isinstance(run, SlackDate):
        return f"<{run.construct}>"
    label = f"|{encode(run.label)}" if run.label else ""
    return f"<{encode(run.url)}{label}>"
