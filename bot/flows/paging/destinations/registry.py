"""Every destination, one ``register`` line each (GoAlert's notification/nfydest/registry.go),
and the one sender (its messagesender.go): incident pages, alert pages, contact verification,
test pages and the drill ask ``send`` to deliver a message through a person's method, and
name no method; which methods there are is this registry's alone.

Adding a method is a module beside this one (a ``Destination`` with its ``send``) and one line
here; a test adds one through ``registered`` alone. Registering a method that is not built in
tells the record its name (``contacts.learn_method``), so the contacts file may name it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bot.clients.vendor_http import VendorFailure
from bot.flows.paging.destinations import (
    email,
    ntfy,
    pushover,
    slack,
    sms,
    teams,
    voice,
    webhook,
)
from bot.flows.paging.destinations.destination import Destination
from bot.flows.paging.destinations.messages import Message
from bot.record.paging import contacts
from bot.record.paging.contacts import Method
from bot.services import Services

_DESTINATIONS: dict[str, Destination] = {}


def register(destination: Destination) -> None:
    """Add ``destination`` (its name not taken by another)."""
    if destination.name in _DESTINATIONS:
        raise ValueError(f"a destination named {destination.name!r} is registered already")
    _DESTINATIONS[destination.name] = destination
    contacts.learn_method(destination.name)


register(slack.DESTINATION)
register(ntfy.DESTINATION)
register(pushover.DESTINATION)
register(sms.DESTINATION)
register(voice.DESTINATION)
register(email.DESTINATION)
register(webhook.DESTINATION)
register(teams.DESTINATION)


@contextmanager
def registered(destination: Destination) -> Iterator[Destination]:
    """``destination`` registered for the duration of a ``with`` block (tests, a plug-in)."""
    register(destination)
    try:
        yield destination
    finally:
        del _DESTINATIONS[destination.name]
        contacts.forget_method(destination.name)


def destinations() -> tuple[Destination, ...]:
    """Every destination, in the order registered."""
    return tuple(_DESTINATIONS.values())


def find(name: str) -> Destination | None:
    """The destination of the method ``name``; None when none is (a method since removed)."""
    return _DESTINATIONS.get(name)


def named(name: str) -> Destination:
    """The destination of the method ``name``; a failure for good when none is."""
    found = _DESTINATIONS.get(name)
    if found is None:
        known = ", ".join(_DESTINATIONS)
        raise VendorFailure(f"{name} is not a method warroom sends ({known})", retryable=False)
    return found


async def send(services: Services, message: Message, method: Method) -> str | None:
    """Send ``message`` through ``method``: the provider's id for it (None when it gives
    none), or a VendorFailure that says whether trying again may help."""
    return await named(method.kind).send(services, message, method)
