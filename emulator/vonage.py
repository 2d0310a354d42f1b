"""A fake Vonage (Messages API v1 and Voice API v1) on 127.0.0.1, for tests; and the phones it
reaches.

Strict where Vonage's API references are (developer.vonage.com/en/api/messages and
/en/api/voice; each rule is cited where it is checked):

- Authentication ("Authentication", JSON Web Tokens): ``Authorization: Bearer`` a JWT signed
  RS256 with the application's private key, whose public key the fake holds, with
  ``application_id``, ``iat``, ``jti`` and an ``exp`` not passed; else 401.
- ``POST /v1/messages``: JSON; ``message_type: text``, ``channel: sms``, ``to`` and ``from``
  in E.164 *without* the leading ``+`` or ``00`` ("Don't use a leading + or 00"), ``from``
  one of the account's numbers, ``text`` of 1 to 1000 characters, ``client_ref`` at most 100;
  else 422 with ``invalid_parameters``; answered 202 ``{"message_uuid"}``.
- ``POST /v1/calls``: ``to`` a list of ``{"type": "phone", "number"}``, ``from`` one such
  object, ``ncco`` or ``answer_url``, ``event_url`` a list of one URL; else 400; answered 201
  ``{"uuid", "status": "started", "direction": "outbound", "conversation_uuid"}``.
- Errors are RFC 7807 documents: ``type``, ``title``, ``detail``, ``instance``.

What phones do comes back as Vonage sends it: the message status webhook to the
application's Status URL (``deliver``), the call's events to its ``event_url`` (``answer``,
``hang_up``), the ``input`` action's DTMF event to its ``eventUrl`` (``press``, ``silence``),
each JSON signed as Vonage signs webhooks ("Signed webhooks"): ``Authorization: Bearer`` a
JWT, HS256 with the account's signature secret, with ``api_key``, ``iat``, ``jti`` and
``payload_hash`` (the SHA-256 of the body in hex).

    key_file, public_pem = application_key(tmp_path)
    async with FakeVonage(public_key=public_pem) as vonage:
        vonage.reach = (public_url, warroom_url)
        (sms,) = vonage.messages
        await vonage.press(call, "1")
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from emulator.fake_http import FakeHttpServer

# E.164 without the "+": a country code that does not start with 0, at most 15 digits.
VONAGE_NUMBER = re.compile(r"^[1-9]\d{6,14}$")
ERRORS = "https://developer.vonage.com/api-errors"
# RFC 8017, 9.2 note 1: the DER DigestInfo prefix of a SHA-256 digest.
_SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


@dataclass
class SentMessage:
    uuid: str
    to: str
    from_: str
    text: str
    client_ref: str
    status: str = "submitted"


@dataclass
class PlacedCall:
    uuid: str
    to: str
    from_: str
    ncco: list[dict[str, Any]]
    event_url: str
    conversation_uuid: str
    status: str = "started"
    said: list[str] = field(default_factory=list)  # what the call said after a key or none


def application_key(directory: Path) -> tuple[Path, str]:
    """A new application key pair, as the dashboard makes one: the private key's PEM file
    (PKCS#8) and the public key's PEM. Made with the openssl command."""
    private = directory / "vonage-private.key"
    subprocess.run(
        ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
         "-out", str(private)],
        check=True, capture_output=True,
    )  # fmt: skip
    public = subprocess.run(
        ["openssl", "pkey", "-in", str(private), "-pubout"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return private, public


class FakeVonage(FakeHttpServer):
    """Vonage's Messages and Voice APIs for one application, and the phones they reach."""

    def __init__(
        self,
        *,
        public_key: str,
        application_id: str = "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
        api_key: str = "abcd1234",
        signature_secret: str = "s" * 32,
        numbers: tuple[str, ...] = ("15005550007",),
    ) -> None:
        super().__init__()
        self.n, self.e = _public_numbers(public_key)
        self.application_id = application_id
        self.api_key = api_key
        self.signature_secret = signature_secret
        self.numbers = numbers
        self.messages: list[SentMessage] = []
        self.calls: list[PlacedCall] = []
        self.refused: list[dict[str, Any]] = []
        # Where Vonage's requests go: (public address, the server it leads to).
        self.reach = ("", "")
        # The application's Messages Status and Inbound URLs, as set in Vonage's dashboard.
        self.status_url = ""
        self.inbound_url = ""
        self.callbacks: list[tuple[str, int]] = []  # (URL, status answered)
        # Every webhook request sent, as sent (URL, body, headers): what a thief on the way
        # could keep and send again (``replay``).
        self.sent: list[tuple[str, bytes, dict[str, str]]] = []

    def phone(self, number: str) -> tuple[list[str], list[PlacedCall]]:
        """What ``number`` (E.164 with its +) received: SMS texts and calls."""
        bare = number.removeprefix("+")
        return [m.text for m in self.messages if m.to == bare], [
            c for c in self.calls if c.to == bare
        ]

    def describe(self) -> str:
        return f"{len(self.messages)} SMS, {len(self.calls)} calls, refused: {self.refused}"

    # -- the REST APIs ---------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.Response:
        if request.method != "POST" or request.path not in ("/v1/messages", "/v1/calls"):
            return self._problem(404, "not-found", "Not Found", "No such resource")
        if not self._authorized(request):
            return self._problem(
                401, "unauthorized", "Unauthorized", "You did not provide correct credentials."
            )
        if (mishap := await self.next_mishap()) is not None:
            if mishap.status == 429:
                return self._problem(429, "throttled", "Throttled", "Rate limit hit",
                                     headers=mishap.headers)  # fmt: skip
            return self._problem(mishap.status, "internal-error", "Internal Error", "Try again")
        try:
            body = await request.json()
        except ValueError:
            return self._problem(400, "bad-request", "Bad Request", "The body is not JSON")
        if not isinstance(body, dict):
            return self._problem(400, "bad-request", "Bad Request", "The body is not an object")
        if request.path == "/v1/messages":
            return self._message(body)
        return self._call(body)

    def _message(self, body: dict[str, Any]) -> web.Response:
        """Messages API, "Send a message" (SMS): 422 "Invalid params" naming each one."""
        invalid = []
        if body.get("message_type") != "text":
            invalid.append(("message_type", "must be text for an SMS"))
        if body.get("channel") != "sms":
            invalid.append(("channel", "must be sms"))
        to, from_ = body.get("to"), body.get("from")
        if not isinstance(to, str) or not VONAGE_NUMBER.match(to):
            invalid.append(("to", "E.164 without a leading + or 00"))
        if from_ not in self.numbers:
            invalid.append(("from", "not one of the account's numbers"))
        text = body.get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= 1000:
            invalid.append(("text", "1 to 1000 characters"))
        if len(str(body.get("client_ref", ""))) > 100:
            invalid.append(("client_ref", "at most 100 characters"))
        if invalid:
            return self._problem(422, "messages#1150", "Invalid params",
                                 "The value of one or more parameters is invalid.",
                                 invalid=invalid)  # fmt: skip
        sent = SentMessage(str(uuid.uuid4()), str(to), str(from_), str(text),
                           str(body.get("client_ref", "")))  # fmt: skip
        self.messages.append(sent)
        return web.json_response({"message_uuid": sent.uuid}, status=202)

    def _call(self, body: dict[str, Any]) -> web.Response:
        """Voice API, "Create an outbound call"."""
        invalid = []
        to, from_ = body.get("to"), body.get("from")
        if (not isinstance(to, list) or len(to) != 1 or not isinstance(to[0], dict)
                or to[0].get("type") != "phone"
                or not VONAGE_NUMBER.match(str(to[0].get("number", "")))):  # fmt: skip
            invalid.append(("to", "a list of one {type: phone, number} without a +"))
        if not isinstance(from_, dict) or from_.get("number") not in self.numbers:
            invalid.append(("from", "{type: phone, number} of one of the account's numbers"))
        ncco = body.get("ncco")
        if not isinstance(ncco, list) and not body.get("answer_url"):
            invalid.append(("ncco", "ncco or answer_url is required"))
        events = body.get("event_url")
        if not isinstance(events, list) or len(events) != 1 or not isinstance(events[0], str):
            invalid.append(("event_url", "a list of one URL"))
        if invalid:
            return self._problem(400, "bad-request", "Bad Request",
                                 "The request failed due to validation errors",
                                 invalid=invalid)  # fmt: skip
        assert isinstance(to, list) and isinstance(from_, dict) and isinstance(events, list)
        call = PlacedCall(str(uuid.uuid4()), str(to[0]["number"]), str(from_["number"]),
                          list(ncco or []), events[0], "CON-" + str(uuid.uuid4()))  # fmt: skip
        self.calls.append(call)
        return web.json_response(
            {"uuid": call.uuid, "status": "started", "direction": "outbound",
             "conversation_uuid": call.conversation_uuid},
            status=201,
        )  # fmt: skip

    def _authorized(self, request: web.Request) -> bool:
        """A JWT signed RS256 with the application's key, for this application, not expired."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        parts = token.split(".")
        if scheme != "Bearer" or len(parts) != 3:
            return False
        try:
            header, claims = (json.loads(_unb64(part)) for part in parts[:2])
            signature = int.from_bytes(_unb64(parts[2]), "big")
        except ValueError:
            return False
        if header.get("alg") != "RS256":
            return False
        size = (self.n.bit_length() + 7) // 8
        digest = _SHA256_PREFIX + hashlib.sha256(f"{parts[0]}.{parts[1]}".encode()).digest()
        expected = b"\x00\x01" + b"\xff" * (size - len(digest) - 3) + b"\x00" + digest
        if pow(signature, self.e, self.n).to_bytes(size, "big") != expected:
            return False
        now = time.time()
        return (
            claims.get("application_id") == self.application_id
            and isinstance(claims.get("iat"), int)
            and bool(claims.get("jti"))
            and claims.get("exp", now + 1) > now
        )

    def _problem(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str,
        *,
        invalid: list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        """An RFC 7807 problem, as Vonage's APIs answer errors."""
        body: dict[str, Any] = {
            "type": f"{ERRORS}/{kind}" if "#" in kind else f"{ERRORS}#{kind}",
            "title": title,
            "detail": detail,
            "instance": str(uuid.uuid4()),
        }
        if invalid:
            body["invalid_parameters"] = [{"name": n, "reason": r} for n, r in invalid]
        self.refused.append(body)
        return web.json_response(
            body, status=status, headers=headers, content_type="application/problem+json"
        )

    # -- what phones do, as Vonage reports it ----------------------------------------------
    async def deliver(self, sms: SentMessage, status: str = "delivered") -> int:
        """The message status webhook: ``delivered``, ``rejected``, ``undeliverable``..."""
        sms.status = status
        document: dict[str, Any] = {
            "message_uuid": sms.uuid, "to": sms.to, "from": sms.from_, "timestamp": _now(),
            "status": status, "channel": "sms", "client_ref": sms.client_ref,
        }  # fmt: skip
        # "Rejected Status Callbacks": sent "with an error object describing the failure";
        # undeliverable: Vonage could not reach the messaging provider.
        if status in ("rejected", "undelivered", "undeliverable"):
            document["error"] = {
                "type": f"{ERRORS}/messages#1320",
                "title": "1320",
                "detail": "Message failed",
                "instance": str(uuid.uuid4()),
            }
        return await self._callback(self.status_url, document)

    async def reply(self, from_number: str, text: str, *, message_uuid: str = "") -> int:
        """An SMS from ``from_number`` (E.164 with its +) to the account's number: the
        inbound message webhook gets it (Messages API, "Inbound message", SMS) with the
        numbers without their +. The same ``message_uuid`` again is the same request again:
        Vonage's retry, or a captured request replayed."""
        document = {
            "channel": "sms", "message_uuid": message_uuid or str(uuid.uuid4()),
            "to": self.numbers[0], "from": from_number.removeprefix("+"), "text": text,
            "timestamp": _now(), "message_type": "text",
            "sms": {"num_messages": "1"},
        }  # fmt: skip
        return await self._callback(self.inbound_url, document)

    async def answer(self, call: PlacedCall) -> int:
        """The person picks up: the ``answered`` event."""
        return await self._event(call, "answered")

    async def hang_up(
        self, call: PlacedCall, status: str = "completed", *, detail: str | None = None
    ) -> int:
        """The call ends: ``completed``, or ``busy``, ``timeout``, ``unanswered``,
        ``rejected``, ``failed``; those carry a ``detail`` when given (Voice API, "Event
        webhook": ``invalid_number``, ``restricted``, ``declined``, ``cannot_route``...)."""
        return await self._event(call, status, detail)

    async def press(self, call: PlacedCall, digit: str) -> str:
        """Press a key during the NCCO's ``input``: its eventUrl gets the DTMF event; what
        the call says next (the NCCO answered)."""
        return await self._input(call, {"digits": digit, "timed_out": False})

    async def silence(self, call: PlacedCall) -> str:
        """No key within the input's ``timeOut``: its eventUrl gets ``timed_out``."""
        return await self._input(call, {"digits": "", "timed_out": True})

    async def _input(self, call: PlacedCall, dtmf: dict[str, Any]) -> str:
        inputs = [action for action in call.ncco if action.get("action") == "input"]
        assert inputs and inputs[-1]["type"] == ["dtmf"], call.ncco
        document = {
            "uuid": call.uuid,
            "conversation_uuid": call.conversation_uuid,
            "timestamp": _now(),
            "dtmf": dtmf,
            "from": call.from_,
            "to": call.to,
        }
        status, text = await self.post(inputs[-1]["eventUrl"][0], document)
        assert status == 200, (status, text)
        call.ncco = json.loads(text)
        said = [action["text"] for action in call.ncco if action.get("action") == "talk"]
        call.said += said
        return " ".join(said)

    async def _event(self, call: PlacedCall, status: str, detail: str | None = None) -> int:
        call.status = status
        document = {"uuid": call.uuid, "conversation_uuid": call.conversation_uuid,
                    "status": status, "direction": "outbound", "timestamp": _now(),
                    "from": call.from_, "to": call.to}  # fmt: skip
        if detail is not None:
            document["detail"] = detail
        return await self._callback(call.event_url, document)

    async def _callback(self, url: str, document: dict[str, Any]) -> int:
        if not url:
            return 0
        status, _ = await self.post(url, document)
        self.callbacks.append((url, status))
        return status

    async def post(
        self,
        url: str,
        document: dict[str, Any],
        *,
        secret: str | None = None,
        issued_at: int | None = None,
    ) -> tuple[int, str]:
        """POST ``document`` as JSON to ``url`` as Vonage does, signed with ``secret`` (the
        account's signature secret unless another is given), at ``issued_at`` (now unless
        given: Vonage signs a delivery as it sends it)."""
        body = json.dumps(document).encode()
        token = webhook_token(
            secret or self.signature_secret, self.api_key, body, issued_at=issued_at
        )
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.sent.append((url, body, headers))
        return await self._send(url, body, headers)

    async def replay(self, sent: tuple[str, bytes, dict[str, str]]) -> tuple[int, str]:
        """Send a request kept from ``sent`` again, byte for byte: its token and body as they
        were (a captured request replayed, which Vonage itself never sends)."""
        return await self._send(*sent)

    async def _send(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        public, actual = self.reach
        target = url.replace(public, actual, 1) if public else url
        async with (
            aiohttp.ClientSession() as session,
            session.post(target, data=body, headers=headers) as answer,
        ):
            return answer.status, await answer.text()


def webhook_token(secret: str, api_key: str, body: bytes, *, issued_at: int | None = None) -> str:
    """A webhook's JWT as Vonage signs it ("Signed webhooks"): HS256 with the signature
    secret, the body's SHA-256 in ``payload_hash``, issued now (or at ``issued_at``). Kept
    apart from warroom's own checker (the emulator imports nothing of the bot)."""
    issued = int(time.time()) if issued_at is None else issued_at
    claims = {"iat": issued, "jti": str(uuid.uuid4()), "iss": "Vonage",
              "payload_hash": hashlib.sha256(body).hexdigest(), "api_key": api_key,
              "application_id": ""}  # fmt: skip
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    signing = f"{header}.{_b64(json.dumps(claims).encode())}"
    mac = hmac.new(secret.encode(), signing.encode(), hashlib.sha256).digest()
    return f"{signing}.{_b64(mac)}"


def _public_numbers(pem: str) -> tuple[int, int]:
    """n and e of a ``BEGIN PUBLIC KEY`` PEM (SubjectPublicKeyInfo with an RSA key)."""
    body = "".join(line for line in pem.strip().splitlines() if "-----" not in line)
    der = base64.b64decode(body)
    info = _items(_contents(der))  # algorithm, BIT STRING
    key = info[1][1:]  # the BIT STRING's unused-bits byte first
    n, e = (int.from_bytes(value, "big") for value in _items(_contents(key)))
    return n, e


def _contents(der: bytes) -> bytes:
    return _element(der, 0)[1]


def _items(body: bytes) -> list[bytes]:
    items, at = [], 0
    while at < len(body):
        _, value, at = _element(body, at)
        items.append(value)
    return items


def _element(der: bytes, at: int) -> tuple[int, bytes, int]:
    tag, length = der[at], der[at + 1]
    at += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(der[at : at + count], "big")
        at += count
    return tag, der[at : at + length], at + length


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
