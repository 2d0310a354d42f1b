"""What a destination is (GoAlert's notification/nfydest/provider.go): one way warroom reaches a
person, named as contacts name their method (``ntfy``, ``sms``), and the one thing it must do,
``send``: any message of the closed set (bot/flows/paging/destinations/messages.py) to one
address, returning the provider's id for it (None when it gives none), or raising a
VendorFailure that says whether trying again may help. The rest is optional, each a field
with a default, so a destination states only what it has (no empty methods):

- ``reported_later``: its provider reports delivery after the send (a phone provider's status
  webhook): a page waits for it (bot/flows/paging/delivery.py).
- ``awaited_report``: that report in the words of a page not confirmed in time ("Twilio did
  not report *it delivered*"; a call's: *the call answered*).
- ``console_first``: an alert's page by it carries the alert's console link, issued in the
  transaction that writes the notification when it can (bot/flows/paging/handed.py).
- ``said_on_send``: the provider's word for a notification it took (ntfy: ``accepted``), kept
  as what it reported.
- ``drilled``: the providers the paging drill exercises through it, and whether each is set up.
- ``drill_address``: where the drill sends when nobody has the method (e-mail: the mail
  server's own sender), so a drill checks the provider all the same.
- ``makes_address``: warroom makes the address, not the person (ntfy: a random topic nobody
  can guess); a person adding the method names none, and one they name is refused.
- ``subscribe_link``: where a person subscribes to the address warroom made them (ntfy: the
  topic's page on the server), told to them alone with their verification code.
- ``after_sent``: what follows a sent page in the transaction that keeps it sent (Pushover:
  the job that reads an emergency push's receipt).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.flows.paging.destinations.messages import Message
from bot.record.paging.contacts import Method
from bot.services import Services
from bot.store.models import Notification

# Sends one message to one address: the provider's id for it, or a VendorFailure.
Send = Callable[[Services, Message, Method], Awaitable[str | None]]
# What follows a page's notification kept sent, in that transaction (the caller commits).
AfterSent = Callable[[AsyncSession, Services, Notification, datetime], Awaitable[None]]
# The providers a drill exercises through a destination, and whether each is set up.
Drilled = Callable[[Settings], Mapping[str, bool]]
# Where a drill sends when nobody has the method.
DrillAddress = Callable[[Settings], str]
# Where a person subscribes to an address warroom made them.
SubscribeLink = Callable[[Settings, str], str]


@dataclass(frozen=True)
class Destination:
    """One method people are reached by: its name and its ``send`` (see the module)."""

    name: str
    send: Send
    reported_later: bool = False
    awaited_report: str = "it delivered"
    console_first: bool = False
    said_on_send: str | None = None
    drilled: Drilled | None = None
    drill_address: DrillAddress | None = None
    makes_address: Callable[[], str] | None = None
    subscribe_link: SubscribeLink | None = None
    after_sent: AfterSent | None = None
