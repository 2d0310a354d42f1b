"""Every phone provider, one ``register`` line each (GoAlert's notification/nfydest/
registry.go, with its ``RegisterProvider`` lines in app/startup.go): paging, own contacts,
drills, the settings' checks and the route table ask this registry which providers there are
and never name one. The first registered carries a contact that names none (the contacts
file's and the record's default, ``DEFAULT_PHONE_PROVIDER``).

Adding a provider is a folder (``bot/clients/phone/<vendor>/``: a class with the
``PhoneProvider`` protocol's members) and one line here; a test adds one through
``register`` alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bot.clients.phone.provider import PhoneProvider
from bot.clients.phone.twilio.provider import Twilio
from bot.clients.phone.vonage.provider import Vonage
from bot.config import ConfigError, Settings
from bot.record.paging.contacts import DEFAULT_PHONE_PROVIDER

_PROVIDERS: dict[str, PhoneProvider] = {}


def register(provider: PhoneProvider) -> None:
    """Add ``provider`` (its name, and each webhook path, not taken by another)."""
    if provider.name in _PROVIDERS:
        raise ValueError(f"a phone provider named {provider.name!r} is registered already")
    taken = {path for other in _PROVIDERS.values() for path in other.webhooks}
    if clash := taken.intersection(provider.webhooks):
        raise ValueError(f"{provider.name}: webhook paths taken already: {sorted(clash)}")
    _PROVIDERS[provider.name] = provider


register(Twilio())
register(Vonage())


@contextmanager
def registered(provider: PhoneProvider) -> Iterator[PhoneProvider]:
    """``provider`` registered for the duration of a ``with`` block (tests, a plug-in)."""
    register(provider)
    try:
        yield provider
    finally:
        del _PROVIDERS[provider.name]


def providers() -> tuple[PhoneProvider, ...]:
    """Every provider, in the order registered (the default first)."""
    return tuple(_PROVIDERS.values())


def named(name: str) -> PhoneProvider:
    """The provider called ``name`` (``""``: the default); KeyError when none is."""
    return _PROVIDERS[name or DEFAULT_PHONE_PROVIDER]


def known(name: str) -> bool:
    return name in _PROVIDERS


def title(name: str) -> str:
    """How people read a provider's name (the name itself for one no longer registered)."""
    found = _PROVIDERS.get(name or DEFAULT_PHONE_PROVIDER)
    return found.title if found is not None else name


def problems(settings: Settings) -> list[str]:
    """What the contacts file asks of the providers that they cannot give: a provider or
    fallback nobody registered, a fallback that is the contact's own provider, or a provider
    named by contacts whose settings are not set (SMS and voice contacts that name none need
    the default one: bot/config/paging.py says so with its own settings)."""
    found: list[str] = []
    unset: dict[str, set[str]] = {}
    names = ", ".join(_PROVIDERS)
    for person in settings.paging.contacts.people.values():
        for contact, method in person.contacts.items():
            for key, value in (("provider", method.provider), ("fallback", method.fallback)):
                if value and value not in _PROVIDERS:
                    found.append(
                        f"WARROOM_CONTACTS: {contact}: {key}: {value!r} is not a provider ({names})"
                    )
                elif value and not _PROVIDERS[value].configured(settings):
                    unset.setdefault(value, set()).add(contact)
            if method.fallback and method.fallback == (method.provider or DEFAULT_PHONE_PROVIDER):
                found.append(
                    f"WARROOM_CONTACTS: {contact}: fallback: the same provider as the contact's own"
                )
    for name, contacts in unset.items():
        provider = _PROVIDERS[name]
        found.append(
            f"WARROOM_CONTACTS: {', '.join(sorted(contacts))} contacts name {provider.title}: "
            f"set {provider.needs}"
        )
    return found


def check(settings: Settings) -> None:
    """Raise ConfigError naming every problem ``problems`` finds."""
    if found := problems(settings):
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(found))
