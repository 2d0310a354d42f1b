"""What flows ask Slack about a person, with the answer when Slack cannot say.

May import: what ``bot.flows`` may (``bot.services`` and everything below it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.clients.slack_errors import (
    SlackFailure,
    SlackRateLimited,
    SlackTokenRevoked,
    SlackTurnLater,
    SlackUnavailable,
)
from bot.record.oncall.zones import known_zone
from bot.services import Services

log = logging.getLogger(__name__)


async def zone_of(services: Services, user: str, *, otherwise: str | None = None) -> str:
    """The person's time zone as Slack has it (``users.info`` ``tz``, kept once asked); else
    ``otherwise``, else warroom's own (``WARROOM_TIMEZONE``)."""
    try:
        zone = await services.slack.time_zone(user)
    except SlackTurnLater:
        raise  # a job's call whose turn is later: the job runs again then, the zone is asked
    except SlackFailure as error:
        log.info("no time zone for %s from Slack: %s", user, error.code)
        zone = None
    return zone if zone and known_zone(zone) else otherwise or services.settings.incidents.timezone


async def is_guest(services: Services, user: str, *, retried: bool = False) -> bool:
    """Whether the person is a guest of the workspace (``users.info`` ``is_restricted`` or
    ``is_ultra_restricted``, as at sign-in to the web view: ``SlackClient.member_facts``),
    asked afresh; taken for one when Slack will not say: a guest sees less and is put on call
    and invited nowhere, never more. ``retried``: a job that runs again on a failure asks,
    and a failure that may pass (Slack down or rate-limited, the app's token revoked) is raised, so
    that someone is not said to be a guest because Slack did not answer once."""
    try:
        return (await services.slack.member_facts(user)).guest
    except SlackTurnLater:
        raise  # a job's call whose turn is later: the job runs again then, Slack is asked
    except SlackFailure as error:
        if retried and isinstance(error, SlackUnavailable | SlackRateLimited | SlackTokenRevoked):
            raise
        log.info("users.info for %s failed: %s; taken for a guest", user, error.code)
        return True


async def guests_among(
    services: Services, users: Iterable[str | None], *, retried: bool = False
) -> frozenset[str]:
    """Which of ``users`` (None left out) are guests of the workspace: ``is_guest`` asked
    once a person, in a steady order."""
    named = sorted({user for user in users if user})
    return frozenset([user for user in named if await is_guest(services, user, retried=retried)])
