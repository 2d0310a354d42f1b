"""Reading ``/oncall``'s words: an optional @person, then a schedule's name, then the rest.

Command text arrives in Slack's encoding (the manifest sets ``should_escape``): a person as
``<@U024BE7LH|bob>``, ``& < >`` as entities, decoded here once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from bot.basics.durations import parse_duration
from bot.basics.slack_patterns import USER_MENTION
from bot.basics.slack_text import decode_entities
from bot.flows.oncall.common import OncallRefused
from bot.flows.oncall.overrides import Window
from commands.arguments import first_word

_UNTIL = re.compile(r"\s+(?:to|until|till)\s+", re.IGNORECASE)
# A Slack client may make "--" a dash as it is typed.
_LAYER = re.compile(r"(?:^|\s)(?:--|\u2014|\u2013)layer(?:(?:\s+|=)(\S*)|$)", re.IGNORECASE)
_NOBODY = re.compile(r"^\s*nobody(?:\s+|$)", re.IGNORECASE)
_FOR = re.compile(r"^(.+?)\s+for\s+(\S+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Addressed:
    """Who (None: the person typing), which schedule, and what follows."""

    person: str | None
    schedule: str
    rest: str


def person_and_schedule(args: str, *, person_required: bool) -> Addressed:
    """``<@U1|erin> payments-primary Fri 18:00`` -> ``Addressed("U1", "payments-primary",
    "Fri 18:00")``; OncallRefused naming the field that is missing."""
    word, rest = first_word(args)
    person = None
    if match := USER_MENTION.match(word):
        person, (word, rest) = match.group(1), first_word(rest)
    elif person_required or word.startswith(("@", "<")):
        # "@someone" Slack did not make a mention of is nobody it knows.
        typed = decode_entities(word) if word.startswith(("@", "<")) else ""
        raise OncallRefused("person", field="person", text=typed)
    schedule = decode_entities(word).lower()
    if not schedule:
        raise OncallRefused("missing_schedule", field="schedule")
    return Addressed(person, schedule, decode_entities(rest).strip())


def said_nobody(args: str) -> tuple[bool, str]:
    """Whether the words begin with ``nobody`` (a deliberate gap), and the words after it."""
    match = _NOBODY.match(args)
    return (True, args[match.end() :]) if match else (False, args)


def layer_option(text: str, schedule: str) -> tuple[str | None, str]:
    """``--layer NAME`` (or ``--layer=NAME``) wherever it stands, and the words without it;
    OncallRefused when the name is missing or given twice."""
    found = _LAYER.findall(text)
    if not found:
        return None, text
    if len(found) > 1 or not found[0]:
        raise OncallRefused("layer_option", schedule=schedule, field="layer")
    return found[0], " ".join(_LAYER.sub(" ", text).split())


def window(text: str, schedule: str) -> Window:
    """``Fri 18:00 to Mon 09:00`` or ``now for 2h`` (the times are read by the flow)."""
    parts = _UNTIL.split(text)
    if len(parts) == 2 and all(part.strip() for part in parts):
        return Window(parts[0].strip(), end=parts[1].strip())
    if (match := _FOR.match(text)) and (length := _length(match.group(2))):
        return Window(match.group(1).strip(), length=length)
    raise OncallRefused("window", schedule=schedule, field="when", text=text)


def _length(text: str) -> timedelta | None:
    try:
        length = parse_duration(text)
    except ValueError:
        return None
    return length if length > timedelta(0) else None
