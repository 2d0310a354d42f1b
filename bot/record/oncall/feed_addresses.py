"""Which addresses an iCal layer's feed may be fetched from, and why not.

warroom fetches each ``ical_url`` on a timer and lets the answer decide who is on call, so
the address is the operator's to vouch for, not anyone's who can edit the schedule file or
answer with a redirect: a feed is fetched over https:// from a public address. A host the
operator names in ``WARROOM_ICAL_ALLOWED_HOSTS`` (a calendar server inside the network, a
sidecar on 127.0.0.1) may also use plain http:// and resolve to loopback, link-local,
private or reserved addresses. Names are compared whole and case-insensitively: no
wildcards, and allowing ``calendar.internal`` allows neither its subdomains nor its
addresses under another name.

Pure functions: the file's check (``feed_address_problems``) sees what the address says
(its scheme, a literal IP, ``localhost``); the fetch (``bot/clients/ical_feeds.py``) checks
every address a name resolves to, as it connects, and every redirect.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Iterable
from urllib.parse import urlsplit

from bot.record.oncall.schedules import Schedule

ALLOWED_HOSTS_ENV = "WARROOM_ICAL_ALLOWED_HOSTS"
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def allowed_hosts(raw: str | None) -> frozenset[str]:
    """``calendar.internal, 127.0.0.1, [::1]``: the names, lowercased, without brackets."""
    return frozenset(normal_host(name) for name in (raw or "").split(",") if normal_host(name))


def normal_host(host: str) -> str:
    """A host as compared: lowercase, no brackets (IPv6), no trailing dot (``example.com.``)."""
    return host.strip().strip("[]").rstrip(".").lower()


def address_kind(address: IpAddress) -> str | None:
    """What kind of address this is when warroom fetches no feed from it; None: public."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    kinds = (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        # Shared (100.64.0.0/10), documentation ranges and the like: not on the internet.
        ("non-public", not address.is_global),
    )
    return next((kind for kind, found in kinds if found), None)


def literal_address(host: str) -> IpAddress | None:
    """The IP address ``host`` is written as, if it is one."""
    try:
        return ipaddress.ip_address(normal_host(host))
    except ValueError:
        return None


def refused_address(host: str, address: IpAddress) -> str:
    """Why ``host`` is not fetched from: the address it is, or resolves to."""
    said = host if normal_host(host) == str(address) else f"{host} resolves to {address}, which"
    return (
        f"{said} is a {address_kind(address)} address: warroom fetches no feed from loopback, "
        f"link-local, private or reserved addresses unless {ALLOWED_HOSTS_ENV} names the host"
    )


def address_refusal(scheme: str, host: str, allowed: Collection[str]) -> str | None:
    """Why a feed at ``scheme://host`` is not fetched, from the address alone; None when it
    may be (its resolved addresses are checked as it connects)."""
    host = normal_host(host)
    if not host:
        return "the address names no host"
    if host in allowed:
        return None
    if scheme.lower() != "https":
        return (
            f"{scheme}:// is refused: feeds are fetched over https:// unless "
            f"{ALLOWED_HOSTS_ENV} names the host ({host})"
        )
    if host == "localhost" or host.endswith(".localhost"):
        return (
            f"{host} is this machine (loopback): warroom fetches no feed from it unless "
            f"{ALLOWED_HOSTS_ENV} names it"
        )
    address = literal_address(host)
    if address is not None and address_kind(address) is not None:
        return refused_address(host, address)
    return None


def url_refusal(url: str, allowed: Collection[str]) -> str | None:
    """``address_refusal`` for a whole address."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return "the address cannot be read"
    return address_refusal(parts.scheme, host, allowed)


def feed_address_problems(schedules: Iterable[Schedule], allowed: Collection[str]) -> list[str]:
    """Each iCal layer whose feed address would be refused, and why (the schedule file's
    check and the start-up's)."""
    return [
        f"schedule {schedule.name!r}: layer {layer.name!r}: ical_url: {refusal}"
        for schedule in schedules
        for layer in schedule.layers
        if layer.ical is not None and (refusal := url_refusal(layer.ical.url, allowed))
    ]
