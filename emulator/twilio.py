"""A fake Twilio (Programmable Messaging and Voice, API 2010-04-01) on 127.0.0.1, for tests
and the demo; and the phones it reaches.

Strict where Twilio's API reference is (each rule cites it where it is checked): requests
are form-encoded, HTTP Basic auth with the account SID and auth token (else 401, error 20003),
``To`` in E.164 (else 400, error 21211), an SMS to a number that cannot take one 400, error
21614, a message needs ``Body`` (21602), a call ``Twiml`` or ``Url`` (21205), ``From`` one of
the account's numbers (21212); 201 answers the resource with its SID. ``fail(429)`` answers
error 20429 ("Too Many Requests"). What a phone does comes back as Twilio sends it: status
callbacks (``deliver``, ``answer``, ``hang_up``), the ``<Gather>`` action (``press``) and an
incoming SMS (``reply``), each form-encoded and signed with ``X-Twilio-Signature`` over the
public URL as Twilio computes it ("Secure webhooks"). A call to one of the account's
numbers (``incoming_call``) asks its voice webhook and follows the TwiML answered, strictly
(``twilio_calls``).

    async with FakeTwilio(auth_token=..., numbers=["+15005550006"]) as twilio:
        twilio.reach = (public_url, warroom_url)   # where the public address leads
        (sms,) = twilio.phone("+15555550123").messages
        await twilio.press(call, "1")
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from multidict import MultiDictProxy

from emulator.fake_http import FakeHttpServer
from emulator.twilio_calls import Caller, CallFollower, InboundCall

E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_RESOURCE = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC\w+)/(?P<kind>Messages|Calls)\.json$")
_ERRORS = {
    20003: (401, "Authenticate"),
    20429: (429, "Too Many Requests"),
    21205: (400, "Url parameter is required."),
    21211: (400, "The 'To' number {to} is not a valid phone number."),
    21212: (400, "The 'From' number {from_} is not a valid phone number."),
    21602: (400, "Message body is required."),
    21614: (400, "'To' number {to} is not a valid mobile number"),
    # https://www.twilio.com/docs/api/errors/21610: the recipient replied STOP.
    21610: (400, "Attempt to send to unsubscribed recipient"),
}


@dataclass
class SentMessage:
    sid: str
    to: str
    from_: str
    body: str
    status_callback: str | None
    status: str = "queued"


@dataclass
class PlacedCall:
    sid: str
    to: str
    from_: str
    twiml: str
    status_callback: str | None
    events: list[str]
    status: str = "queued"
    said: list[str] = field(default_factory=list)  # what the call said after a keypress


@dataclass
class Phone:
    """What one number has received: SMS (the bodies) and calls."""

    messages: list[str] = field(default_factory=list)
    calls: list[PlacedCall] = field(default_factory=list)


class FakeTwilio(FakeHttpServer):
    """Twilio's REST API for one account, and the phones it rings."""

    def __init__(
        self,
        *,
        account_sid: str = "AC" + "0" * 32,
        auth_token: str = "f" * 32,
        numbers: tuple[str, ...] = ("+15005550006",),
    ) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.numbers = numbers
        self.messages: list[SentMessage] = []
        self.calls: list[PlacedCall] = []
        self.refused: list[dict[str, Any]] = []
        self.landlines: set[str] = set()  # numbers that cannot receive SMS (21614)
        self.unsubscribed: set[str] = set()  # numbers that replied STOP (21610)
        # Where Twilio's requests go: (public address, the server it leads to).
        self.reach = ("", "")
        # The number's "A message comes in" webhook, as set in Twilio's console.
        self.sms_webhook = ""
        self.callbacks: list[tuple[str, int]] = []  # (URL, status answered)
        # The number's "A call comes in" webhook (live call routing), and the calls made to
        # the account's numbers (``twilio_calls``).
        self.voice_webhook = ""
        self.inbound: list[InboundCall] = []

    def phone(self, number: str) -> Phone:
        phone = Phone()
        phone.messages = [m.body for m in self.messages if m.to == number]
        phone.calls = [c for c in self.calls if c.to == number]
        return phone

    def describe(self) -> str:
        return f"{len(self.messages)} SMS, {len(self.calls)} calls, refused: {self.refused}"

    # -- the REST API ----------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.Response:
        matched = _RESOURCE.match(request.path)
        if matched is None or request.method != "POST":
            return self._error(404, 20404, "The requested resource was not found")
        if not self._authorized(request, matched["sid"]):
            return self._twilio_error(20003)
        if (mishap := await self.next_mishap()) is not None:
            if mishap.status == 429:
                return self._twilio_error(20429, headers=mishap.headers)
            return self._error(mishap.status, mishap.status * 100, "Service unavailable")
        # "Requests to the API are form-encoded" (REST API: Twilio's response and request formats).
        if request.content_type != "application/x-www-form-urlencoded":
            return self._error(400, 20001, "Content-Type must be application/x-www-form-urlencoded")
        form = await request.post()
        to, from_ = str(form.get("To", "")), str(form.get("From", ""))
        if not E164.match(to):
            return self._twilio_error(21211, to=to)
        if from_ not in self.numbers:
            return self._twilio_error(21212, from_=from_)
        sid_prefix = "SM" if matched["kind"] == "Messages" else "CA"
        sid = sid_prefix + secrets.token_hex(16)
        callback = str(form["StatusCallback"]) if "StatusCallback" in form else None
        if (refused := self._keep(matched["kind"], form, (sid, to, from_), callback)) is not None:
            return refused
        return web.json_response(
            {
                "sid": sid,
                "account_sid": self.account_sid,
                "to": to,
                "from": from_,
                "status": "queued",
            },
            status=201,
        )

    def _keep(
        self,
        kind: str,
        form: MultiDictProxy[str | bytes | bytearray | web.FileField],
        ids: tuple[str, str, str],
        callback: str | None,
    ) -> web.Response | None:
        """The message sent or the call placed, kept; Twilio's refusal when it is not."""
        sid, to, from_ = ids
        if kind == "Messages":
            if not form.get("Body"):
                return self._twilio_error(21602)
            if to in self.landlines:
                return self._twilio_error(21614, to=to)
            if to in self.unsubscribed:
                return self._twilio_error(21610)
            self.messages.append(SentMessage(sid, to, from_, str(form["Body"]), callback))
        else:
            if not form.get("Twiml") and not form.get("Url"):
                return self._twilio_error(21205)
            events = [str(e) for e in form.getall("StatusCallbackEvent", [])]
            self.calls.append(
                PlacedCall(sid, to, from_, str(form.get("Twiml", "")), callback, events)
            )
        return None

    def _authorized(self, request: web.Request, sid: str) -> bool:
        """HTTP Basic auth: the account SID as the user, the auth token as the password."""
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return (
            sid == self.account_sid and request.headers.get("Authorization") == f"Basic {expected}"
        )

    def _twilio_error(
        self, code: int, headers: dict[str, str] | None = None, **values: str
    ) -> web.Response:
        status, text = _ERRORS[code]
        return self._error(status, code, text.format(**values), headers)

    def _error(
        self, status: int, code: int, text: str, headers: dict[str, str] | None = None
    ) -> web.Response:
        """Twilio's error body: ``{"code", "message", "more_info", "status"}``."""
        body = {
            "code": code,
            "message": text,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        self.refused.append(body)
        return web.json_response(body, status=status, headers=headers)

    # -- what phones do, as Twilio reports it ----------------------------------------------
    async def deliver(
        self, sms: SentMessage, status: str = "delivered", *, error_code: int = 30003
    ) -> int:
        """The carrier's report on an SMS: ``MessageStatus`` to its StatusCallback; a failed
        or undelivered one carries the ``ErrorCode`` saying why (Twilio's error dictionary,
        log type CARRIER: 30003 handset unreachable, 30005 unknown number, 30006 landline,
        30007 filtered, 21610 unsubscribed...)."""
        sms.status = status
        fields = {"MessageSid": sms.sid, "MessageStatus": status, "AccountSid": self.account_sid,
                  "From": sms.from_, "To": sms.to}  # fmt: skip
        if status in ("failed", "undelivered"):
            fields["ErrorCode"] = str(error_code)
        return await self._callback(sms.status_callback, fields)

    async def answer(self, call: PlacedCall) -> int:
        """The person picks up: ``CallStatus=in-progress`` (the ``answered`` event)."""
        call.status = "in-progress"
        return await self._call_event(call, "answered")

    async def hang_up(
        self,
        call: PlacedCall,
        status: str = "completed",
        *,
        error_code: int | None = None,
        sip_code: int | None = None,
    ) -> int:
        """The call ends: ``completed``, or ``busy``, ``no-answer``, ``failed``. The status
        callback carries the call's final SIP response (``SipResponseCode``: 200 when it was
        answered, else ``sip_code`` when given) and, for a failed call, Twilio's
        ``ErrorCode`` when given (Call resource, "StatusCallback parameters"; Twilio's
        error dictionary, e.g. 13224 invalid number, 13227 no international permission)."""
        call.status = status
        extra = {}
        if status == "completed" or sip_code is not None:
            extra["SipResponseCode"] = str(200 if status == "completed" else sip_code)
        if error_code is not None:
            extra["ErrorCode"] = str(error_code)
        return await self._call_event(call, "completed", extra)

    async def press(self, call: PlacedCall, digit: str) -> str:
        """Press a key during the call's ``<Gather>``: its action gets ``Digits``; what the
        call says next (the TwiML answered)."""
        gathering = ElementTree.fromstring(call.twiml).find("Gather")
        assert gathering is not None, call.twiml
        fields = {"CallSid": call.sid, "AccountSid": self.account_sid, "From": call.from_,
                  "To": call.to, "Digits": digit, "CallStatus": "in-progress",
                  "Direction": "outbound-api"}  # fmt: skip
        status, text = await self._post(gathering.attrib["action"], fields)
        assert status == 200, (status, text)
        said = [element.text or "" for element in ElementTree.fromstring(text).iter("Say")]
        call.said += said
        return " ".join(said)

    async def reply(
        self, from_number: str, body: str, *, message_sid: str | None = None
    ) -> tuple[int, str | None]:
        """An SMS from ``from_number`` to the account's number: the number's messaging webhook
        gets it; the status answered and the SMS its TwiML sends back (``<Message>``). The
        same ``message_sid`` again is the same request again, signed alike: Twilio's retry of
        a webhook it got no answer to, or a captured request replayed."""
        message_sid = message_sid or "SM" + secrets.token_hex(16)
        fields = {"MessageSid": message_sid, "AccountSid": self.account_sid,
                  "From": from_number, "To": self.numbers[0], "Body": body,
                  "NumMedia": "0"}  # fmt: skip
        status, text = await self._post(self.sms_webhook, fields)
        if status != 200:
            return status, None
        answered = ElementTree.fromstring(text).find("Message")
        if answered is None:
            return status, None
        reply = answered.text or ""
        self.messages.append(
            SentMessage(
                "SM" + secrets.token_hex(16), from_number, self.numbers[0], reply, None, "delivered"
            )
        )
        return status, reply

    async def incoming_call(
        self, from_number: str, caller: Caller | None = None, *, to: str | None = None
    ) -> InboundCall:
        """Someone at ``from_number`` calls ``to`` (the account's first number): the voice
        webhook is asked, its TwiML followed as ``caller`` behaves (``twilio_calls``); the
        call as it went."""
        call = InboundCall("CA" + secrets.token_hex(16), from_number, to or self.numbers[0])
        self.inbound.append(call)
        follower = CallFollower(self.account_sid, self._post, call, caller or Caller())
        await follower.run(self.voice_webhook)
        return call

    async def forged_call(
        self, from_number: str, *, signature: str | None, to: str | None = None
    ) -> int:
        """A request to the voice webhook as an inbound call's, signed with ``signature``
        (None: not signed): what anyone but Twilio can send. The status answered."""
        fields = {"CallSid": "CA" + secrets.token_hex(16), "AccountSid": self.account_sid,
                  "From": from_number, "To": to or self.numbers[0], "CallStatus": "ringing",
                  "Direction": "inbound", "ApiVersion": "2010-04-01"}  # fmt: skip
        headers = {} if signature is None else {"X-Twilio-Signature": signature}
        public, actual = self.reach
        target = self.voice_webhook.replace(public, actual, 1) if public else self.voice_webhook
        async with (
            aiohttp.ClientSession() as session,
            session.post(target, data=fields, headers=headers) as answer,
        ):
            return answer.status

    async def _call_event(
        self, call: PlacedCall, event: str, extra: dict[str, str] | None = None
    ) -> int:
        if event not in call.events:
            return 0  # Twilio reports only the events asked for
        fields = {"CallSid": call.sid, "CallStatus": call.status, "AccountSid": self.account_sid,
                  "From": call.from_, "To": call.to, "Direction": "outbound-api",
                  **(extra or {})}  # fmt: skip
        return await self._callback(call.status_callback, fields)

    async def _callback(self, url: str | None, fields: dict[str, str]) -> int:
        if not url:
            return 0
        status, _ = await self._post(url, fields)
        self.callbacks.append((url, status))
        return status

    async def _post(
        self, url: str, fields: dict[str, str], *, signed: bool = True
    ) -> tuple[int, str]:
        """POST ``fields`` form-encoded to ``url`` as Twilio does, signed over ``url``."""
        headers = (
            {"X-Twilio-Signature": twilio_signature(self.auth_token, url, fields)} if signed else {}
        )
        public, actual = self.reach
        target = url.replace(public, actual, 1) if public else url
        async with (
            aiohttp.ClientSession() as session,
            session.post(target, data=fields, headers=headers) as answer,
        ):
            return answer.status, await answer.text()


def twilio_signature(auth_token: str, url: str, fields: dict[str, str]) -> str:
    """Twilio's X-Twilio-Signature ("Secure webhooks"): Base64 of HMAC-SHA1, keyed with the
    auth token, of the URL followed by each parameter's name and value sorted by name. Kept
    apart from warroom's own (the emulator imports nothing of the bot)."""
    signed = url + "".join(name + fields[name] for name in sorted(fields))
    return base64.b64encode(
        hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    ).decode()
