"""Which addresses warroom fetches from or posts to, and why not: an address outside warroom's
own network (a calendar feed, a subscriber's webhook) is reached over https:// at a public
address, unless the operator names its host in the setting of that use (then plain http:// and
loopback, link-local, private or reserved addresses are allowed too). Names are compared whole
and case-insensitively: no wildcards, and allowing ``calendar.internal`` allows neither its
subdomains nor its addresses under another name.

Pure functions, shared by the domains that reach out (on-call's iCal feeds:
bot/record/oncall/feed_addresses.py; the status page's webhook subscriptions:
bot/record/status_page/subscriptions.py) and the client that connects
(bot/clients/public_hosts.py checks every address a name resolves to, as it connects).

A literal IP is read here, not left to the HTTP library: besides the dotted quad, IPv4 has the
spellings inet_aton(3) takes and getaddrinfo passes on (``127.1``, ``2130706434``,
``0177.0.0.2``, ``0x7f000002``), which some releases of aiohttp and yarl connect to without
asking the resolver. warroom reads them as inet_aton does and refuses them by the same rules,
whatever the library's version.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

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
    """How a refusal is said: what warroom does not do there (``fetches no feed from``), the
    setting that allows a host, and how it is done (``feeds are fetched``): each use says its
    own (an iCal layer's feed, a status page's webhook subscription)."""

    what: str
    setting: str
    over: str


def refused_address(host: str, address: IpAddress, refusing: Refusing) -> str:
    """Why ``host`` is not fetched from (or posted to): the address it is, or resolves to."""
    said = host if normal_host(host) == str(address) else f"{host} resolves to {address}, which"
    return (
        f"{said} is a {address_kind(address)} address: warroom {refusing.what} loopback, "
        f"link-local, private or reserved addresses unless {refusing.setting} names the host"
    )


def address_refusal(
    scheme: str, host: str, allowed: Collection[str], refusing: Refusing
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


def url_refusal(url: str, allowed: Collection[str], refusing: Refusing) -> str | None:
    """``address_refusal`` for a whole address."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return "the address cannot be read"
    return address_refusal(parts.scheme, host, allowed, refusing)
