"""The incident page's timeline filter: its lines in a few groups a person thinks in
(marked messages and notes, updates, changes, escalations and paging, alerts), chosen with
``?show=<group>`` (repeatable) in a plain form or a link, no JavaScript. Without a choice
every group but paging is shown: a long incident's escalations and acknowledgements are
folded into one line that says how many there are and shows them (the Escalations section
lists them all anyway)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from multidict import MultiMapping

from bot.store.models import Milestone, TimelineKind

K = TimelineKind


@dataclass(frozen=True)
class KindGroup:
    key: str
    kinds: frozenset[str]


GROUPS: tuple[KindGroup, ...] = (
    KindGroup(
        "messages",
        frozenset(
            {
                *(K.KEY_EVENT, K.INVESTIGATION, K.MISLEADING, "ruled_out", K.ROOT_CAUSE),
                *(K.MITIGATION, K.RECOVERED, K.FOLLOW_UP, K.IMPACT, K.TRIGGER, K.DETECTION),
            }
        ),
    ),
    KindGroup("updates", frozenset({K.UPDATE})),
    KindGroup(
        "changes",
        frozenset(
            {
                *(K.DECLARED, K.STATUS, K.SEVERITY, K.COMMANDER, K.ROLE, K.TYPE, K.FIELD),
                *(K.CHANNEL, K.RESOLVED),
                *(f"milestone_{milestone.value}" for milestone in Milestone),
            }
        ),
    ),
    KindGroup("paging", frozenset({K.ESCALATION, K.ACKNOWLEDGED, K.NOTIFICATION})),
    KindGroup("alerts", frozenset({K.ALERT, K.PAGED, K.WORKFLOW})),
)
GROUP_KEYS = tuple(group.key for group in GROUPS)
# Folded unless asked for.
FOLDED = ("paging",)
# A kind no group names (a new one) is a change: shown, in its own words.
_GROUP_OF: Mapping[str, str] = {kind: group.key for group in GROUPS for kind in group.kinds}


def group_of(kind: str) -> str:
    return _GROUP_OF.get(kind, "changes")


@dataclass(frozen=True)
class KindChoice:
    """The groups shown, and whether the person chose them (``?show=``) or took the default."""

    shown: tuple[str, ...]
    chosen: bool

    @property
    def hidden_kinds(self) -> frozenset[str]:
        """The kinds of line the choice leaves out."""
        every = {*_GROUP_OF, *(kind.value for kind in TimelineKind)}
        return frozenset(kind for kind in every if group_of(kind) not in self.shown)

    def query(self, *groups: str) -> str:
        """The query string that shows these groups besides the ones shown now."""
        wanted = [key for key in GROUP_KEYS if key in self.shown or key in groups]
        return "&".join(f"show={key}" for key in wanted)


def chosen_kinds(query: MultiMapping[str]) -> KindChoice:
    """``?show=messages&show=paging``: those groups; unknown names are ignored; none: all
    groups but the folded ones (``show=all``: every one)."""
    asked = set(query.getall("show", []))
    if "all" in asked:
        return KindChoice(GROUP_KEYS, chosen=True)
    shown = tuple(key for key in GROUP_KEYS if key in asked)
    if shown:
        return KindChoice(shown, chosen=True)
    return KindChoice(tuple(key for key in GROUP_KEYS if key not in FOLDED), chosen=False)


def counts_by_group(kinds: Mapping[str, int]) -> dict[str, int]:
    """How many lines each group has in the whole timeline."""
    counts = dict.fromkeys(GROUP_KEYS, 0)
    for kind, count in kinds.items():
        counts[group_of(kind)] += count
    return counts
