"""Who may act: one table of what a person can do that reaches beyond the incident's channel
(publishing to customers, paging, silencing, spending, changing on call, accepting for
someone) and which kinds of people may do each. The flow that does the act asks
(``bot.flows.rights.require``), so a new command, button or form calling that flow is checked
by default; the commands and buttons themselves check nothing.

The kinds are Slack's (https://docs.slack.dev/reference/objects/user-object): a member, a
multi-channel guest (``is_restricted``), a single-channel guest (``is_ultra_restricted``);
and the operator, who runs ``warroom`` on the command line and is never asked. Some acts are
narrowed further among members, by their own rule: a maintenance window to the owners of what
it silences (``bot.flows.alerting.maintenance_rights``), on call to the schedule's own people
(``bot.record.oncall.rights``), administering warroom to the workspace's admins and owners and
``WARROOM_ADMINS`` (``bot.flows.rights.require_admin``); ``narrowed`` names that rule, and
the refusal words it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """Who someone is to the workspace."""

    MEMBER = "member"
    MULTI_CHANNEL_GUEST = "multi_channel_guest"
    SINGLE_CHANNEL_GUEST = "single_channel_guest"
    OPERATOR = "operator"


GUESTS = frozenset({Kind.MULTI_CHANNEL_GUEST, Kind.SINGLE_CHANNEL_GUEST})
MEMBERS = frozenset({Kind.MEMBER, Kind.OPERATOR})


class Reach(StrEnum):
    """What an act does beyond the channel: the columns of docs/security.md's table."""

    PUBLISH = "publish to customers"
    PAGE = "page"
    SILENCE = "silence"
    SPEND = "spend"
    CHANGE_ONCALL = "change on call"
    SEE_ONCALL = "see on call"
    ACCEPT_FOR = "accept for someone"
    LET_IN = "let a system in"


class Act(StrEnum):
    """Each act a flow checks before doing it."""

    PUBLISH = "publish"  # /status, Statuspage, subscribers: public, --title, off, update --public
    DECLARE_PAGING = "declare_paging"  # declaring, or a severity or type, that starts a policy
    ESCALATE = "escalate"  # /incident escalate
    ACKNOWLEDGE = "acknowledge"  # the Acknowledge button, /incident ack: stops every page
    SNOOZE = "snooze"  # an alert's Snooze: stops its paging until a time
    # An alert's Declare incident, /incident alert attach: its paging becomes an incident's.
    ATTACH_ALERT = "attach_alert"
    MAINTENANCE = "maintenance"  # a maintenance window: see, make, cancel
    CONTACTS = "contacts"  # /oncall contact and rules: codes sent, test pages, a person's own
    TEST_PAGE = "test_page"  # /oncall test-page
    MODEL = "model"  # /incident postmortem: the draft again, the team's model asked again
    ONCALL_SEE = "oncall_see"  # who is on call, calendar links
    ONCALL_CHANGE = "oncall_change"  # overrides, swaps, cancelling them
    COVER_ACCEPT = "cover_accept"  # an owner's Accept puts someone else on call
    MERGE_FOLLOW_UPS = "merge_follow_ups"  # two follow-ups made one, for their owners
    # Resolving stands every escalation down (a silence) and, the first time, has the team's
    # model asked for the draft (a spend): a guest may do neither, so may not resolve.
    RESOLVE = "resolve"
    # An agent's proposed timeline note or the model's suggested section, accepted: words
    # someone else wrote put in the record under the accepter's name.
    ACCEPT_PROPOSAL = "accept_proposal"
    # Agents' tokens and integrations made or revoked on the web, and the admin record read:
    # each lets a system read the record or page people.
    ADMINISTER = "administer"


@dataclass(frozen=True)
class Rule:
    """Who may do an act: the kinds of people, and the narrower rule among them, if any."""

    reach: Reach
    kinds: frozenset[Kind]
    narrowed: str | None = None


RULES: Mapping[Act, Rule] = {
    Act.PUBLISH: Rule(Reach.PUBLISH, MEMBERS),
    Act.DECLARE_PAGING: Rule(Reach.PAGE, MEMBERS),
    Act.ESCALATE: Rule(Reach.PAGE, MEMBERS),
    Act.ACKNOWLEDGE: Rule(Reach.SILENCE, MEMBERS),
    Act.SNOOZE: Rule(Reach.SILENCE, MEMBERS),
    Act.MAINTENANCE: Rule(Reach.SILENCE, MEMBERS, narrowed="policy owners"),
    Act.CONTACTS: Rule(Reach.SPEND, MEMBERS, narrowed="themselves"),
    Act.TEST_PAGE: Rule(Reach.SPEND, MEMBERS, narrowed="themselves"),
    Act.MODEL: Rule(Reach.SPEND, MEMBERS),
    Act.ONCALL_SEE: Rule(Reach.SEE_ONCALL, MEMBERS),
    Act.ONCALL_CHANGE: Rule(Reach.CHANGE_ONCALL, MEMBERS, narrowed="schedule's people"),
    Act.COVER_ACCEPT: Rule(Reach.ACCEPT_FOR, MEMBERS, narrowed="schedule owners"),
    Act.MERGE_FOLLOW_UPS: Rule(Reach.ACCEPT_FOR, MEMBERS),
    Act.RESOLVE: Rule(Reach.SILENCE, MEMBERS),
    Act.ATTACH_ALERT: Rule(Reach.SILENCE, MEMBERS),
    Act.ACCEPT_PROPOSAL: Rule(Reach.ACCEPT_FOR, MEMBERS),
    Act.ADMINISTER: Rule(Reach.LET_IN, MEMBERS, narrowed="workspace admins"),
}


def may(kind: Kind, act: Act) -> bool:
    """Whether someone of ``kind`` may do ``act`` (before any narrower rule)."""
    return kind in RULES[act].kinds
