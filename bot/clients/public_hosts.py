"""Connecting only to public addresses: what an iCal feed's fetch and a status page
subscriber's webhook share (the addresses a stranger or a file names, not the operator).

``PublicOnly`` is aiohttp's default resolver keeping only the addresses
``bot/basics/addresses.py`` calls public (all of them for a host the operator
allowed by name), so the address checked is the address connected to, whatever the name
resolves to next time (DNS rebinding). A literal IP, which no resolver sees, is checked before
the request by ``address_refusal``. ``resolved_refusal`` asks the same question ahead of time
(a sign-up's form), and ``public_session`` is a client session that connects through it.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from bot.basics.addresses import (
    Refusing,
    address_kind,
    literal_address,
    normal_host,
    refused_address,
)
from bot.record.oncall.feed_addresses import FEEDS

# A sign-up waits this long for the name's addresses; past it, sending checks them.
RESOLVE_SECONDS = 5.0


class PublicOnly(AbstractResolver):
    """The default resolver, keeping only public addresses (all of them for a host the
    operator allowed by name); ``refused`` says why when none is left, and ``refusals`` by
    host, for a session whose requests run at once (a notice's deliveries)."""

    def __init__(self, allowed: Collection[str], refusing: Refusing = FEEDS) -> None:
        self._resolver = DefaultResolver()
        self._allowed = allowed
        self._refusing = refusing
        self.refused: str | None = None
        self.refusals: dict[str, str] = {}

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._resolver.resolve(host, port, family)
        if normal_host(host) in self._allowed:
            return found
        kept = []
        for entry in found:
            address = literal_address(entry["host"])
            if address is not None and address_kind(address) is None:
                kept.append(entry)
            elif address is not None:
                self.refused = refused_address(host, address, self._refusing)
                self.refusals[normal_host(host)] = self.refused
        if not kept:
            # An OSError is what the connector expects of a resolver: it fails the request.
            raise OSError(self.refused or f"{host} resolves to no address")
        return kept

    async def close(self) -> None:
        await self._resolver.close()


async def resolved_refusal(
    host: str, allowed: Collection[str], refusing: Refusing = FEEDS
) -> str | None:
    """Why ``host`` (a name) would not be connected to now: one of the addresses it resolves
    to is not public; None when each is (or the operator allowed the host, or it resolves to
    nothing within RESOLVE_SECONDS: sending checks again)."""
    if normal_host(host) in allowed or literal_address(host) is not None:
        return None
    resolver = DefaultResolver()
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            found = await resolver.resolve(host, 0, socket.AF_UNSPEC)
    except (OSError, TimeoutError):
        return None
    finally:
        await resolver.close()
    for entry in found:
        address = literal_address(entry["host"])
        if address is not None and address_kind(address) is not None:
            return refused_address(host, address, refusing)
    return None


@asynccontextmanager
async def public_session(
    allowed: Collection[str], refusing: Refusing = FEEDS
) -> AsyncIterator[tuple[aiohttp.ClientSession, PublicOnly]]:
    """A client session that connects to public addresses only (no proxy from the
    environment, no DNS cache), and its resolver (``refused`` after a failure)."""
    resolver = PublicOnly(allowed, refusing)
    connector = aiohttp.TCPConnector(resolver=resolver, use_dns_cache=False)
    async with aiohttp.ClientSession(connector=connector, trust_env=False) as http:
        yield http, resolver
