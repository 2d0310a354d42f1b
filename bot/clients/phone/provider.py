"""What a phone provider is to warroom: the ``PhoneProvider`` protocol every vendor folder
implements (``bot/clients/phone/<vendor>/provider.py``) and the registry names.

A provider sends an SMS and places a call (a page's call waits for a key; a code's call only
speaks), says whether the operator set it up, and owns its webhooks: the paths it is told to
call back, the signature on each request (checked before anything is read), and what a
request says, in vendor-neutral words (``Reported``, ``SmsReply``, ``Keypress``; a provider
that ``RoutesCalls`` also ``CallArrived``, ``DialEnded``, ``Recorded``, ``Transcribed``,
answered with a ``RouteStep``). What a
reply *means* ("1" acknowledges, "2" escalates) is paging's, in bot/flows/escalation/
answers.py; the provider only parses its vendor's format and answers in it (TwiML, NCCO, an
SMS sent back).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import aiohttp

from bot.clients.phone.reports import Report
from bot.config import Settings


@dataclass(frozen=True)
class Call:
    """What a call says. ``keys``: a page's call, which waits for a key (posted to the
    provider's keypress webhook) and says ``again``, then ``goodbye``, when none comes;
    otherwise it says ``prompt`` and hangs up (a verification code, said twice by the
    caller)."""

    prompt: str
    again: str = ""
    goodbye: str = ""
    keys: bool = True


@dataclass(frozen=True)
class Hook:
    """A request to one of a provider's webhooks, as the route table hands it over."""

    path: str
    path_qs: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Reported:
    """A status callback: what became of the SMS or call the provider knows by
    ``vendor_id`` (``report`` None: nothing yet, e.g. ringing)."""

    vendor_id: str
    report: Report | None


@dataclass(frozen=True)
class SmsReply:
    """An SMS sent to warroom's number (``sender`` in E.164), kept once by ``message_id``."""

    sender: str
    body: str
    message_id: str


@dataclass(frozen=True)
class Keypress:
    """The key pressed in a page's call (``digits`` empty: none). ``asked``: how many times
    the call has said its prompt when the provider asks warroom what to say next (0: the
    provider says ``again`` and ``goodbye`` itself)."""

    call_id: str
    digits: str
    asked: int = 0


@dataclass(frozen=True)
class Refused:
    """Not signed by the provider (or the provider is not set): nothing is done."""

    status: int
    text: str


@dataclass(frozen=True)
class Malformed:
    """Signed, but missing what it must say."""

    text: str


@dataclass(frozen=True)
class CallArrived:
    """Live call routing: someone calls ``called``, a service's number (the number's voice
    webhook). ``caller`` is never logged."""

    call_id: str
    called: str
    caller: str

    def __repr__(self) -> str:  # numbers stay out of logs and tracebacks
        return f"CallArrived({self.call_id!r})"


@dataclass(frozen=True)
class DialEnded:
    """A leg of a routed call ended (a ``<Dial>``'s action): ``step`` of the call's plan,
    ``status`` the vendor's (Twilio's DialCallStatus: completed, answered, busy, no-answer,
    failed, canceled)."""

    call_id: str
    step: int
    status: str


@dataclass(frozen=True)
class Recorded:
    """A voicemail left on a routed call: the recording's address (``recording_url``), how
    long (``seconds``); ``final``: the recording's status callback (else the ``<Record>``
    action, which asks what the call says next)."""

    call_id: str
    recording_url: str
    seconds: int | None
    final: bool = False


@dataclass(frozen=True)
class Transcribed:
    """A voicemail's transcription (``text`` empty when it failed) and where it is kept."""

    call_id: str
    text: str
    completed: bool
    recording_url: str
    transcription_url: str


Routing = CallArrived | DialEnded | Recorded | Transcribed
Incoming = Reported | SmsReply | Keypress | Refused | Malformed | Routing


@dataclass(frozen=True)
class Connect:
    """What a routed call does next: say ``say`` (may be empty), then ring ``number`` for
    ``ring_seconds``; the leg's end is reported as ``DialEnded`` for ``step``."""

    say: str
    number: str
    ring_seconds: int
    step: int

    def __repr__(self) -> str:  # numbers stay out of logs and tracebacks
        return f"Connect(step={self.step})"


@dataclass(frozen=True)
class Voicemail:
    """Say ``say``, then record a message of at most ``max_seconds``, transcribed."""

    say: str
    max_seconds: int


@dataclass(frozen=True)
class Goodbye:
    """Say ``say`` (may be empty) and hang up."""

    say: str


RouteStep = Connect | Voicemail | Goodbye


@dataclass(frozen=True)
class HttpAnswer:
    """What a webhook answers, in the provider's format."""

    status: int = 200
    text: str = ""
    content_type: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


class PhoneProvider(Protocol):
    """One SMS and voice provider. ``name`` is how the contacts file, ``/oncall contact add
    … via <name>``, the record and the metrics name it; ``title`` how people read it."""

    @property
    def name(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def needs(self) -> str:
        """The settings that set it up, as the settings' checks name them."""
        ...

    @property
    def webhooks(self) -> tuple[str, ...]:
        """The paths (POST) its webhooks are sent to, under ``WARROOM_PUBLIC_URL``."""
        ...

    def configured(self, settings: Settings) -> bool: ...

    def api_url(self, settings: Settings) -> str:
        """The base address of its API: the watchdog asks whether it answers at all."""
        ...

    async def send_sms(
        self, http: aiohttp.ClientSession, settings: Settings, *, to: str, text: str, ref: str
    ) -> str:
        """Send an SMS; the id its status callbacks will name (raises VendorFailure)."""
        ...

    async def place_call(
        self, http: aiohttp.ClientSession, settings: Settings, *, to: str, call: Call
    ) -> str:
        """Place a call; the id its status callbacks and keypresses will name."""
        ...

    async def read(self, settings: Settings, hook: Hook) -> Incoming:
        """What a request to one of its webhooks says, once its signature is checked."""
        ...

    def reported(self) -> HttpAnswer:
        """The answer to a status callback."""
        ...

    async def answer_sms(
        self, http: aiohttp.ClientSession, settings: Settings, reply: SmsReply, said: str | None
    ) -> HttpAnswer:
        """Say ``said`` back to an SMS reply's sender (None: nothing, it came again)."""
        ...

    def answer_call(self, settings: Settings, said: str, *, listen: bool) -> HttpAnswer:
        """What the call says next: ``said``; ``listen``: then wait for a key once more."""
        ...


@runtime_checkable
class RoutesCalls(Protocol):
    """A provider that routes calls to services' numbers (live call routing): its ``read``
    also says ``Routing`` requests, and it answers each with what the call does next."""

    def answer_route(self, settings: Settings, step: RouteStep) -> HttpAnswer: ...
