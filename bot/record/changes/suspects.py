"""Changes ranked by what the record shows of them, the likeliest suspect first (not the
newest): "What changed before" (the message beside an incident or an alert, the incident's
page) and the possible causes' request list them so, each with why beside it.

A change ranks by, in this order:

1. whether a person in the channel named it (an identifier of it: a commit, a version, a
   release) or rolled it back;
2. whether it is on the service or one it depends on (both alike: a dependency's change
   caused both shipped seeds' outages), before one on another service (a list no service
   filters);
3. whether it was made before impact started (a change after it did not start it);
4. its kind: a deploy, a feature flag or a configuration before the rest;
5. how long before impact started it was made, the nearest first.

Pure: the changes, the services and the words said in the channel come from the caller.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.store.models import ChangeEvent

# The kinds that start outages most (bot/record/changes/events.py KINDS).
FIRST_KINDS = frozenset({"deploy", "feature_flag", "configuration"})
# Where a change is, as ``Suspect.where`` says it.
OWN, DEPENDENCY, OTHER = "own", "dependency", "other"
# A change's identifiers: a version (2.14.1, 2023.03.14-2), a release id (gw-2.14.1), a
# commit (55e1a2b, 7 hex digits or more), a revision (main@sha1:a1b2c3d).
_IDENTIFIER = re.compile(
    r"(?<![\w.-])(?:[A-Za-z][\w-]*-)?\d+(?:\.\d+)+(?:-\w+)?(?![\w-])|(?<!\w)[0-9a-f]{7,40}(?!\w)"
)
_ROLLED_BACK = re.compile(
    r"\broll(?:ed|ing|s)?[\s-]?back\b|\brollback\b|\brevert(?:ed|ing|s)?\b"
    r"|\bannul\w*|\brevenu\w* en arri[eè]re",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Suspect:
    """A change and what the record shows of it: where it is (``own``, ``dependency``,
    ``other``), how long before impact started it was made (None: after), whether its kind
    is one that starts outages most, whether a person in the channel named it, rolled it
    back."""

    change: ChangeEvent
    where: str
    before_impact: timedelta | None
    first_kind: bool
    named: bool
    rolled_back: bool

    @property
    def minutes_before(self) -> int | None:
        """How many minutes before impact started it was made, to the nearest (None: after)."""
        if self.before_impact is None:
            return None
        return round(self.before_impact.total_seconds() / 60)

    def key(self) -> tuple[bool, bool, bool, bool, float]:
        """The order: smaller first."""
        return (
            not (self.named or self.rolled_back),
            self.where == OTHER,
            self.before_impact is None,
            not self.first_kind,
            self.before_impact.total_seconds() if self.before_impact is not None else 0.0,
        )


def identifiers(change: ChangeEvent) -> set[str]:
    """The identifiers a change's summary and link hold (lowercase): what a person names it by."""
    said = f"{change.summary} {change.link or ''}"
    return {match.casefold() for match in _IDENTIFIER.findall(said)}


def named_in(change: ChangeEvent, said: Iterable[str]) -> tuple[bool, bool]:
    """Whether a message of ``said`` names the change by one of its identifiers, and whether
    one that names it rolls it back."""
    own = identifiers(change)
    named = rolled = False
    for text in said:
        folded = text.casefold()
        if own and any(each in folded for each in own):
            named = True
            rolled = rolled or _ROLLED_BACK.search(text) is not None
    return named, rolled


def ranked(
    changes: Sequence[ChangeEvent],
    *,
    services: Collection[str],
    dependencies: Collection[str],
    impact: datetime,
    said: Sequence[str] = (),
) -> list[Suspect]:
    """``changes`` as suspects, the likeliest first (``impact``: when impact started, else
    when the incident was detected or declared, or the alert triggered; ``said``: what
    people said in the channel)."""
    suspects = []
    for change in changes:
        where = OWN if change.service in services else OTHER
        if where == OTHER and change.service in dependencies:
            where = DEPENDENCY
        before = impact - change.at if change.at <= impact else None
        named, rolled = named_in(change, said)
        suspects.append(Suspect(change, where, before, change.kind in FIRST_KINDS, named, rolled))
    return sorted(suspects, key=lambda each: (*each.key(), -(each.change.id or 0)))
