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

A literal IP is read here, not left to the HTTP library: besides the dotted quad, IPv4 has the
spellings inet_aton(3) takes and getaddrinfo passes on (``127.1``, ``2130706434``,
``0177.0.0.2``, ``0x7f000002``), which some releases of aiohttp and yarl connect to without
asking the resolver. warroom reads them as inet_aton does and refuses them by the same rules,
whatever the library's version.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
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
    """The IP address ``host`` is written as, if it is one (any of inet_aton's spellings)."""
    host = normal_host(host)
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return inet_aton_address(host)


# One part of inet_aton's spelling: hexadecimal (0x…, "0x" alone being 0), octal (a leading
# 0) or decimal.
_HEX, _OCTAL, _DECIMAL = (re.compile(p) for p in (r"0[xX][0-9a-fA-F]*", r"0[0-7]*", r"[1-9]\d*"))


def inet_aton_address(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address inet_aton(3) reads ``host`` as: one to four dot-separated numbers, the
    last filling the bytes the others leave (``127.1`` is 127.0.0.1, ``2130706434`` is
    127.0.0.2); None when it reads no address there (a name)."""
    numbers = [_inet_number(part) for part in host.split(".")]
    if not 1 <= len(numbers) <= 4 or None in numbers:
        return None
    *leading, last = [n for n in numbers if n is not None]
    if any(n > 255 for n in leading) or last >= 256 ** (4 - len(leading)):
        return None
    value = last + sum(n << (8 * (3 - i)) for i, n in enumerate(leading))
    return ipaddress.IPv4Address(value)


def _inet_number(part: str) -> int | None:
    if _HEX.fullmatch(part):
        return int(part[2:] or "0", 16)
    if _OCTAL.fullmatch(part):
        return int(part, 8)
    return int(part) if _DECIMAL.fullmatch(part) else None


@dataclass(frozen=True)
class Refusing:
    """How a refusal is said: what warroom does not do there, and the setting that allows a
    host (iCal feeds by default; a status page's webhook subscriptions say theirs)."""

    what: str = "fetches no feed from"
    setting: str = ALLOWED_HOSTS_ENV
    over: str = "feeds are fetched"


FEEDS = Refusing()


def refused_address(host: str, address: IpAddress, refusing: Refusing = FEEDS) -> str:
    """Why ``host`` is not fetched from (or posted to): the address it is, or resolves to."""
    said = host if normal_host(host) == str(address) else f"{host} resolves to {address}, which"
    return (
        f"{said} is a {address_kind(address)} address: warroom {refusing.what} loopback, "
        f"link-local, private or reserved addresses unless {refusing.setting} names the host"
    )


def address_refusal(
    scheme: str, host: str, allowed: Collection[str], refusing: Refusing = FEEDS
) -> str | None:
    """Why ``scheme://host`` is not fetched from (or posted to), from the address alone; None
    when it may be (its resolved addresses are checked as it connects)."""
    host = normal_host(host)
    if not host:
        return "the address names no host"
    if host in allowed:
        return None
    if scheme.lower() != "https":
        return (
            f"{scheme}:// is refused: {refusing.over} over https:// unless "
            f"{refusing.setting} names the host ({host})"
        )
    if host == "localhost" or host.endswith(".localhost"):
        return (
            f"{host} is this machine (loopback): warroom {refusing.what} it unless "
            f"{refusing.setting} names it"
        )
    address = literal_address(host)
    if address is not None and address_kind(address) is not None:
        return refused_address(host, address, refusing)
    return None


def url_refusal(url: str, allowed: Collection[str], refusing: Refusing = FEEDS) -> str | None:
    """``address_refusal`` for a whole address."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return "the address cannot be read"
    return address_refusal(parts.scheme, host, allowed, refusing)


def feed_address_problems(schedules: Iterable[Schedule], allowed: Collection[str]) -> list[str]:
    """Each iCal layer whose feed address would be refused, and why (the schedule file's
    check and the start-up's)."""
    return [
        f"schedule {schedule.name!r}: layer {layer.name!r}: ical_url: {refusal}"
        for schedule in schedules
        for layer in schedule.layers
        if layer.ical is not None and (refusal := url_refusal(layer.ical.url, allowed))
    ]
