"""The vendors' HTTP client (``bot/clients/vendor_http.py``) against servers on 127.0.0.1 that
redirect (RFC 9110, 15.4): a redirect to another host, port or scheme is refused before
anything is sent there (a 307 or 308 would re-send the body: an incident's record to the
model, a page to ntfy); one on the same host is followed, the body kept on a 307."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.clients.vendor_http import VendorFailure, call_json
from emulator.fake_http import FakeHttpServer

RECORD = {"messages": [{"role": "user", "content": "INC-1 timeline: the payments database"}]}


class Collector(FakeHttpServer):
    """Keeps every request (method, path, body); answers 200 with JSON."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str, Any]] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.seen.append((request.method, request.path, json.loads(body) if body else None))
        return web.json_response({"ok": True})


class Redirecting(FakeHttpServer):
    """``/moved`` answers ``status`` to ``location``; ``/here`` is answered like Collector."""

    def __init__(self, status: int, location: str) -> None:
        super().__init__()
        self.status, self.location = status, location
        self.seen: list[tuple[str, str, Any]] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.seen.append((request.method, request.path, json.loads(body) if body else None))
        if request.path == "/moved":
            return web.Response(status=self.status, headers={"Location": self.location})
        return web.json_response({"ok": True})


async def post(url: str) -> Any:
    async with aiohttp.ClientSession() as http:
        answer = await call_json(http, "POST", url, RECORD, timeout=5, failure=VendorFailure)
    return answer.body


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_to_another_host_is_refused_and_nothing_goes_there(status: int) -> None:
    async with Collector() as elsewhere:
        await elsewhere.stop()
        await elsewhere.start(host="127.0.0.2")
        async with Redirecting(status, f"{elsewhere.root}/v1/chat/completions") as vendor:
            with pytest.raises(VendorFailure) as refused:
                await post(f"{vendor.root}/moved")
    assert elsewhere.seen == []
    assert not refused.value.retryable
    assert str(refused.value) == (
        f"{vendor.root} redirected to another address ({elsewhere.root}): warroom follows a "
        "vendor's redirects on the same scheme, host and port only; set the address it "
        "redirects to if that is where the service is"
    )


async def test_another_port_or_scheme_on_the_same_host_is_another_address() -> None:
    async with Collector() as elsewhere, Redirecting(307, "") as vendor:
        for location in (f"{elsewhere.root}/x", vendor.root.replace("http:", "https:") + "/x"):
            vendor.location = location
            with pytest.raises(VendorFailure, match="redirected to another address"):
                await post(f"{vendor.root}/moved")
    assert elsewhere.seen == []


async def test_a_same_host_redirect_is_followed_307_keeping_the_body_303_as_a_get() -> None:
    async with Redirecting(307, "/here") as vendor:
        assert await post(f"{vendor.root}/moved") == {"ok": True}
        vendor.status = 303
        assert await post(f"{vendor.root}/moved") == {"ok": True}
    assert vendor.seen == [
        ("POST", "/moved", RECORD),
        ("POST", "/here", RECORD),
        ("POST", "/moved", RECORD),
        ("GET", "/here", None),
    ]


async def test_a_redirect_that_goes_round_is_given_up() -> None:
    async with Redirecting(302, "/moved") as vendor:
        with pytest.raises(VendorFailure, match="redirected more than 5 times"):
            await post(f"{vendor.root}/moved")
    assert len(vendor.seen) == 6
