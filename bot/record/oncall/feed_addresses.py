"""Which addresses an iCal layer's feed may be fetched from, and why not.

warroom fetches each ``ical_url`` on a timer and lets the answer decide who is on call, so
the address is the operator's to vouch for, not anyone's who can edit the schedule file or
answer with a redirect: a feed is fetched over https:// from a public address. A host the
operator names in ``WARROOM_ICAL_ALLOWED_HOSTS`` (a calendar server inside the network, a
sidecar on 127.0.0.1) may also use plain http:// and resolve to loopback, link-local,
private or reserved addresses. The rules are every outside address's
(bot/basics/addresses.py); here, how a feed's refusal is said and the schedule file's check.

The file's check (``feed_address_problems``) sees what the address says (its scheme, a literal
IP, ``localhost``); the fetch (``bot/clients/ical_feeds.py``) checks every address a name
resolves to, as it connects, and every redirect.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from bot.basics import addresses
from bot.basics.addresses import Refusing
from bot.record.oncall.schedules import Schedule

ALLOWED_HOSTS_ENV = "WARROOM_ICAL_ALLOWED_HOSTS"
# How a feed's refusal is said.
FEEDS = Refusing(what="fetches no feed from", setting=ALLOWED_HOSTS_ENV, over="feeds are fetched")


def url_refusal(url: str, allowed: Collection[str]) -> str | None:
    """Why a feed is not fetched from ``url``, from the address alone; None when it may be."""
    return addresses.url_refusal(url, allowed, FEEDS)


def feed_address_problems(schedules: Iterable[Schedule], allowed: Collection[str]) -> list[str]:
    """Each iCal layer and holiday calendar whose feed address would be refused, and why
    (the schedule file's check and the start-up's)."""
    schedules = list(schedules)
    problems = [
        f"schedule {schedule.name!r}: layer {layer.name!r}: ical_url: {refusal}"
        for schedule in schedules
        for layer in schedule.layers
        if layer.ical is not None and (refusal := url_refusal(layer.ical.url, allowed))
    ]
    return problems + [
        f"schedule {schedule.name!r}: holidays: ical_url: {refusal}"
        for schedule in schedules
        if schedule.holidays is not None
        and schedule.holidays.ical_url is not None
        and (refusal := url_refusal(schedule.holidays.ical_url, allowed))
    ]
