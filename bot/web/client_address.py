"""Who sent a request, for limits that count clients (the status page's sign-ups).

Behind a reverse proxy every request comes from the proxy. Only a peer the operator lists in
``WARROOM_TRUSTED_PROXIES`` is believed about the client it forwards for: its
``X-Forwarded-For`` is read from the right (each proxy appends the address it got the request
from), past the trusted proxies, and the first address that is not one is the client. From
any other peer the header is ignored, so a client cannot name itself someone else to get
round a limit (MDN, "X-Forwarded-For": "Security and privacy concerns"; the rightmost
untrusted address is the one to use).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from aiohttp import web

from bot.config.subscriptions import IpNetwork


def _address(raw: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = raw.strip()
    if text.startswith("["):  # [2001:db8::1]:443
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # 192.0.2.1:443
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(raw: str, proxies: Sequence[IpNetwork]) -> bool:
    address = _address(raw)
    return address is not None and any(address in network for network in proxies)


def client_address(request: web.Request, proxies: Sequence[IpNetwork]) -> str:
    """The client's address: the peer's, or, when the peer is a trusted proxy, the rightmost
    address of ``X-Forwarded-For`` that is not a trusted proxy (the peer's when every one is,
    or one cannot be read)."""
    peer = request.remote or ""
    if not proxies or not _trusted(peer, proxies):
        return peer
    hops = [
        hop for header in request.headers.getall("X-Forwarded-For", []) for hop in header.split(",")
    ]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            address = _address(hop)
            return str(address) if address is not None else peer
    return peer
