"""Who may acknowledge and escalate from Slack: the workspace's members. An acknowledgement
stops every page of the incident and an escalation pages people (an SMS, a call), so a guest
of the workspace (Slack asked afresh; taken for one when it will not say), even one invited
into the incident's channel, does neither, as PagerDuty's and Opsgenie's stakeholders cannot."""

from __future__ import annotations

from typing import Literal

from bot.basics.errors import BotError
from bot.flows.people import is_guest
from bot.services import Services


class GuestMayNotPage(BotError):
    """A guest of the workspace pressed Acknowledge or typed ``/incident ack`` or
    ``escalate``; ``action`` says which."""

    template = "messages/escalation_guest_refused.j2"


async def refuse_guest(
    services: Services, user: str, *, action: Literal["acknowledge", "escalate"]
) -> None:
    """GuestMayNotPage when ``user`` is a guest of the workspace."""
    if await is_guest(services, user):
        raise GuestMayNotPage(action=action)
