"""The phone provider seam: a provider added through the registry alone (no product file
edited) pages a person. "Beeper" is a vendor made up for this test, served on 127.0.0.1
(so there is no vendor documentation to follow: its API is the smallest a phone provider
has, a JSON POST per SMS or call answered with an id, and webhooks signed with an HMAC-SHA256
of the body). The test's provider class is all warroom is told of it: the registry adds its
webhook routes, paging, fallback and delivery reports go through it, and "1" pressed on its
call acknowledges the page as on any provider's (what a key means is paging's)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.clients.phone import registry
from bot.clients.phone.provider import (
    Call,
    Hook,
    HttpAnswer,
    Incoming,
    Keypress,
    Malformed,
    Refused,
    Reported,
    SmsReply,
)
from bot.clients.phone.reports import Report
from bot.clients.vendor_http import VendorFailure
from bot.config import Settings
from tests.conftest import CAROL, Clock, Warroom
from tests.paging.scenario import NOW, declare_sev1, notifications, paging_settings, person_pages

PHONE = "+15555550123"
PUBLIC_URL = "https://warroom.example.com"
SECRET = b"beeper-webhook-secret"
CONTACTS = {
    "people": {
        CAROL: {
            "contacts": {
                "sms": {"sms": PHONE, "provider": "beeper"},
                "call": {"voice": PHONE, "provider": "beeper"},
            },
            "rules": [
                {"after": "0s", "notify": ["slack", "sms"]},
                {"after": "2m", "notify": ["call"]},
            ],
        }
    }
}


@dataclass
class Sent:
    """What the vendor took: an SMS (``text``) or a call (``say``), with its callbacks."""

    id: str
    to: str
    text: str = ""
    say: str = ""
    keys_url: str = ""
    status_url: str = ""


@dataclass
class FakeBeeper:
    """The vendor: takes SMS and calls, and sends warroom signed reports and keypresses."""

    root: str = ""
    sent: list[Sent] = field(default_factory=list)
    reach: tuple[str, str] = ("", "")  # warroom's public URL, and where it really listens
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def take(self, request: web.Request) -> web.Response:
        body = await request.json()
        if request.headers.get("Authorization") != "Bearer beeper-key":
            return web.json_response({"error": "unauthorized"}, status=401)
        kind = request.match_info["kind"]
        taken = Sent(id=f"{kind}-{next(self._ids)}", **body)
        self.sent.append(taken)
        return web.json_response({"id": taken.id})

    async def post(self, url: str, document: dict[str, Any]) -> tuple[int, str]:
        """POST to warroom as the vendor does, signed."""
        body = json.dumps(document).encode()
        signature = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        public, local = self.reach
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                url.replace(public, local), data=body, headers={"X-Beeper-Signature": signature}
            ) as answer,
        ):
            return answer.status, await answer.text()

    async def report(self, sent: Sent, status: str) -> int:
        status_code, _ = await self.post(sent.status_url, {"id": sent.id, "status": status})
        return status_code

    async def press(self, call: Sent, digits: str) -> str:
        status, said = await self.post(call.keys_url, {"id": call.id, "digits": digits})
        assert status == 200, said
        return str(json.loads(said)["say"])


class Beeper:
    """Beeper as a PhoneProvider: the only code warroom gets for it."""

    name = "beeper"
    title = "Beeper"
    needs = "nothing (a test's provider)"
    webhooks = ("/beeper/status", "/beeper/keys", "/beeper/sms")

    def __init__(self, vendor: FakeBeeper) -> None:
        self.vendor = vendor

    def configured(self, settings: Settings) -> bool:
        return True

    def api_url(self, settings: Settings) -> str:
        return self.vendor.root

    async def _send(self, http: aiohttp.ClientSession, kind: str, body: dict[str, str]) -> str:
        async with http.post(
            f"{self.vendor.root}/{kind}", json=body, headers={"Authorization": "Bearer beeper-key"}
        ) as answer:
            if answer.status != 200:
                raise VendorFailure(f"Beeper answered {answer.status}", retryable=True)
            return str((await answer.json())["id"])

    async def send_sms(
        self, http: aiohttp.ClientSession, settings: Settings, *, to: str, text: str, ref: str
    ) -> str:
        status = settings.web.public_url + "/beeper/status"
        return await self._send(http, "sms", {"to": to, "text": text, "status_url": status})

    async def place_call(
        self, http: aiohttp.ClientSession, settings: Settings, *, to: str, call: Call
    ) -> str:
        public = settings.web.public_url
        body = {"to": to, "say": call.prompt, "status_url": public + "/beeper/status"}
        if call.keys:
            body["keys_url"] = public + "/beeper/keys"
        return await self._send(http, "calls", body)

    async def read(self, settings: Settings, hook: Hook) -> Incoming:
        given = hook.headers.get("X-Beeper-Signature", "")
        expected = hmac.new(SECRET, hook.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(given, expected):
            return Refused(403, "not signed by Beeper")
        document = json.loads(hook.body)
        if hook.path == "/beeper/keys":
            return Keypress(document["id"], document.get("digits", ""))
        if hook.path == "/beeper/sms":
            return SmsReply(document["from"], document["text"], document["id"])
        if "status" not in document:
            return Malformed("status is required")
        status = {"delivered": "delivered", "answered": "in-progress", "lost": "failed"}
        said = document["status"]
        return Reported(document["id"], Report("Beeper", status.get(said, said), said))

    def reported(self) -> HttpAnswer:
        return HttpAnswer(status=204)

    async def answer_sms(
        self, http: aiohttp.ClientSession, settings: Settings, reply: SmsReply, said: str | None
    ) -> HttpAnswer:
        return HttpAnswer(text=json.dumps({"reply": said}), content_type="application/json")

    def answer_call(self, settings: Settings, said: str, *, listen: bool) -> HttpAnswer:
        return HttpAnswer(text=json.dumps({"say": said}), content_type="application/json")


@pytest.fixture
async def beeper() -> AsyncIterator[FakeBeeper]:
    vendor = FakeBeeper()
    app = web.Application()
    app.router.add_post("/{kind}", vendor.take)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    vendor.root = f"http://127.0.0.1:{port}"
    try:
        with registry.registered(Beeper(vendor)):
            yield vendor
    finally:
        await runner.cleanup()


@pytest.fixture
def warroom_settings(tmp_path: Path, beeper: FakeBeeper) -> dict[str, object]:
    settings = paging_settings(tmp_path, CONTACTS, WARROOM_PUBLIC_URL=PUBLIC_URL)

    async def ready(running: Warroom) -> None:
        beeper.reach = (PUBLIC_URL, running.url)

    return {
        "clock": Clock(NOW),
        **settings,
        "ready": ready,
    }


async def test_a_provider_added_through_the_registry_alone_pages_her_and_her_key_acks(
    warroom: Warroom, beeper: FakeBeeper
) -> None:
    await declare_sev1(warroom)
    (sms,) = beeper.sent
    assert (sms.to, sms.status_url) == (PHONE, f"{PUBLIC_URL}/beeper/status")
    assert sms.text.startswith("INC-1 SEV1 Checkout API returns 500s.")
    assert await beeper.report(sms, "delivered") == 204

    await warroom.advance(minutes=2)
    _, call = beeper.sent
    assert "Press 1 to acknowledge, 2 to escalate." in call.say
    assert call.keys_url == f"{PUBLIC_URL}/beeper/keys"
    assert await beeper.report(call, "answered") == 204
    said = await beeper.press(call, "1")
    assert said.startswith("Acknowledged INC-1 SEV1 Checkout API returns 500s.")
    await warroom.run_jobs()

    (page,) = await person_pages(warroom)
    assert (page.state, page.acknowledged_via) == ("acknowledged", "voice")
    assert [(n.method, n.state, n.provider) for n in await notifications(warroom)] == [
        ("slack", "sent", None),
        ("sms", "delivered", "beeper"),
        ("voice", "answered", "beeper"),
    ]


async def test_its_webhooks_refuse_what_it_did_not_sign(
    warroom: Warroom, beeper: FakeBeeper
) -> None:
    await declare_sev1(warroom)
    (sms,) = beeper.sent
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{warroom.url}/beeper/status", json={"id": sms.id, "status": "lost"}) as answer,
    ):
        assert answer.status == 403
    (notification,) = [n for n in await notifications(warroom) if n.method == "sms"]
    assert notification.state == "sent"
