"""A fake healthchecks.io pinging API on 127.0.0.1, for the watchdog's tests.

As its documentation says (https://healthchecks.io/docs/http_api/, "Pinging API"): a check is
pinged by ``HEAD``, ``GET`` or ``POST`` at ``/<uuid>``, answered ``200`` with ``OK``; a
failure is signalled at ``/<uuid>/fail`` (https://healthchecks.io/docs/signaling_failures/);
an unknown check is ``404 not found``. It keeps every ping, and ``fail`` injects an outage.

    async with FakeHealthchecks() as checks:
        url = checks.ping_url(uuid)
        await checks.wait_for(lambda: checks.pings_of(uuid))
"""

from __future__ import annotations

import time
import uuid as uuids
from dataclasses import dataclass, field

from aiohttp import web

from emulator.fake_http import FakeHttpServer


@dataclass(frozen=True)
class Ping:
    """One ping received: its check, whether it signalled a failure, and its headers."""

    check: str
    method: str
    failed: bool
    authorization: str | None
    at: float = field(default_factory=time.monotonic)


class FakeHealthchecks(FakeHttpServer):
    """healthchecks.io's ``hc-ping.com``, for checks made with ``new_check``."""

    def __init__(self) -> None:
        super().__init__()
        self.checks: set[str] = set()
        self.pings: list[Ping] = []

    def new_check(self) -> str:
        """A check's UUID, as the web UI gives it."""
        check = str(uuids.uuid4())
        self.checks.add(check)
        return check

    def ping_url(self, check: str) -> str:
        return f"{self.root}/{check}"

    def pings_of(self, check: str) -> list[Ping]:
        return [ping for ping in self.pings if ping.check == check]

    def describe(self) -> str:
        return f"{len(self.pings)} pings: {self.pings}"

    async def handle(self, request: web.Request) -> web.Response:
        if request.method not in ("HEAD", "GET", "POST"):
            return web.Response(status=405, text="method not allowed")
        check, _, signal = request.path.strip("/").partition("/")
        if check not in self.checks or signal not in ("", "fail"):
            return web.Response(status=404, text="not found")
        if (mishap := await self.next_mishap()) is not None:
            return web.Response(status=mishap.status, text="injected failure")
        await request.read()
        self.pings.append(
            Ping(check, request.method, signal == "fail", request.headers.get("Authorization"))
        )
        return web.Response(text="OK")
