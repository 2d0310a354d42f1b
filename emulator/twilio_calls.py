"""The fake Twilio's inbound calls (live call routing): a caller dials one of the account's
numbers, Twilio asks the number's voice webhook ("A call comes in") for TwiML and follows it,
as Twilio's TwiML reference says, strictly: a verb, an attribute or a value the reference
does not give is refused (``TwimlRefused``), never guessed at.

Followed (TwiML Voice, https://www.twilio.com/docs/voice/twiml):

- ``<Say>`` (voice, language, loop): its words are what the caller hears (``said``).
- ``<Dial>`` (action, method, timeout 5 to 600, default 30, callerId, answerOnBridge,
  timeLimit, hangupOnStar, record, ringTone) with up to ten ``<Number>`` nouns (or a number as
  its text), rung at once: the first that picks up is connected. When the dialled call ends,
  its ``action`` is requested with ``DialCallStatus`` (``completed`` when it was answered and
  then hung up, else ``busy``, ``no-answer``, ``failed``), ``DialCallSid`` and
  ``DialCallDuration``, and the call goes on with the TwiML it answers; without an action,
  with the document's next verb ("<Dial>", "action" and "Request parameters").
- ``<Record>`` (action, method, timeout, finishOnKey, maxLength, playBeep, trim,
  recordingStatusCallback, recordingStatusCallbackMethod, recordingStatusCallbackEvent,
  transcribe, transcribeCallback): an empty recording (the caller hangs up without a word)
  requests no action and the document goes on; else the action gets ``RecordingUrl``,
  ``RecordingDuration`` and ``Digits`` and the call goes on with its answer; then the
  ``recordingStatusCallback`` gets ``RecordingSid``, ``RecordingUrl``, ``RecordingStatus``
  (completed), ``RecordingDuration``, ``RecordingChannels`` and ``RecordingSource``
  (RecordVerb); then, with ``transcribe="true"``, the ``transcribeCallback`` gets
  ``TranscriptionSid``, ``TranscriptionText``, ``TranscriptionStatus`` (completed, or failed:
  Twilio transcribes recordings of 2 to 120 seconds only), ``TranscriptionUrl``,
  ``RecordingSid`` and ``RecordingUrl`` ("<Record>", "action", "recordingStatusCallback",
  "transcribeCallback").
- ``<Redirect>`` (method): its text, a URL, is requested and the call goes on with the
  TwiML it answers; the verbs after it are never reached ("<Redirect>").
- ``<Hangup>``: the call ends.

Every request carries the standard voice parameters (``CallSid``, ``AccountSid``, ``From``,
``To``, ``CallStatus``, ``Direction`` inbound, ``ApiVersion``) and is signed with
``X-Twilio-Signature`` over its URL and parameters ("Webhooks security"). A webhook that
answers anything but 200 ends the call (the caller hears Twilio's application error, 11200).
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ElementTree
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from urllib.parse import urljoin

ATTRIBUTES: dict[str, set[str]] = {
    "Say": {"voice", "language", "loop"},
    "Dial": {
        "action",
        "method",
        "timeout",
        "callerId",
        "answerOnBridge",
        "timeLimit",
        "hangupOnStar",
        "record",
        "ringTone",
    },
    "Number": {
        "sendDigits",
        "url",
        "method",
        "statusCallback",
        "statusCallbackEvent",
        "statusCallbackMethod",
    },
    "Record": {
        "action",
        "method",
        "timeout",
        "finishOnKey",
        "maxLength",
        "playBeep",
        "trim",
        "recordingStatusCallback",
        "recordingStatusCallbackMethod",
        "recordingStatusCallbackEvent",
        "transcribe",
        "transcribeCallback",
    },
    "Redirect": {"method"},
    "Hangup": set(),
}
DIAL_TIMEOUT = (5, 600)
TRANSCRIBED_SECONDS = (2, 120)
Post = Callable[[str, dict[str, str]], Awaitable[tuple[int, str]]]


class TwimlRefused(AssertionError):
    """TwiML the fake does not understand, as Twilio's reference gives it."""


@dataclass
class Leg:
    """A ``<Dial>`` of the call: the numbers rung at once, for how long, how it ended."""

    numbers: list[str]
    timeout: int
    status: str


@dataclass
class Caller:
    """What the caller does: the numbers that pick up, are busy or fail (the rest ring out),
    the message left (None: they say nothing at the tone, an empty recording) and its
    length."""

    picks_up: Collection[str] = ()
    busy: Collection[str] = ()
    failing: Collection[str] = ()
    voicemail: str | None = None
    seconds: int = 12
    # Twilio's transcription callback lost on the way (a failure warroom must survive).
    lose_transcription: bool = False


@dataclass
class InboundCall:
    """A call to one of the account's numbers, as it went."""

    sid: str
    from_: str
    to: str
    said: list[str] = field(default_factory=list)
    legs: list[Leg] = field(default_factory=list)
    recording_url: str | None = None
    requests: list[tuple[str, int]] = field(default_factory=list)  # (URL, status answered)
    hung_up_by_twiml: bool = False


class CallFollower:
    """Follows one call's TwiML, posting each request through ``post`` (signed)."""

    def __init__(self, account_sid: str, post: Post, call: InboundCall, caller: Caller) -> None:
        self.account_sid = account_sid
        self.post = post
        self.call = call
        self.caller = caller
        self.after: list[tuple[str, dict[str, str]]] = []  # callbacks once the call ends

    def fields(self, status: str = "in-progress") -> dict[str, str]:
        """The standard voice parameters of every request ("TwiML Voice: Your response")."""
        return {"CallSid": self.call.sid, "AccountSid": self.account_sid,
                "From": self.call.from_, "To": self.call.to, "CallStatus": status,
                "Direction": "inbound", "ApiVersion": "2010-04-01"}  # fmt: skip

    async def request(self, url: str, extra: dict[str, str], status: str = "in-progress") -> str:
        answered, text = await self.post(url, {**self.fields(status), **extra})
        self.call.requests.append((url, answered))
        if answered != 200:
            raise _Ended
        return text

    async def run(self, voice_url: str) -> None:
        """The call from its first request to its end, then the callbacks it left."""
        try:
            document = await self.request(voice_url, {}, status="ringing")
            await self.follow(document, voice_url)
        except _Ended:
            pass
        for url, extra in self.after:
            answered, _ = await self.post(url, extra)
            self.call.requests.append((url, answered))

    async def follow(self, document: str, url: str) -> None:
        """Run a TwiML document: each verb in turn; a verb that fetches new TwiML runs that."""
        try:
            root = ElementTree.fromstring(document)
        except ElementTree.ParseError as error:
            raise TwimlRefused(f"not XML: {error}") from None
        if root.tag != "Response":
            raise TwimlRefused(f"the root must be <Response>, not <{root.tag}>")
        for verb in root:
            _check(verb)
            if verb.tag == "Say":
                self.call.said.append(verb.text or "")
            elif verb.tag == "Hangup":
                self.call.hung_up_by_twiml = True
                return
            elif (next_document := await self.verb(verb, url)) is not None:
                next_url, text = next_document
                await self.follow(text, next_url)
                return
        raise _Ended

    async def verb(self, verb: ElementTree.Element, url: str) -> tuple[str, str] | None:
        if verb.tag == "Dial":
            return await self.dial(verb, url)
        if verb.tag == "Redirect":
            target = urljoin(url, (verb.text or "").strip())
            if not target:
                raise TwimlRefused("<Redirect> needs a URL")
            return target, await self.request(target, {})
        return await self.record(verb, url)

    async def dial(self, verb: ElementTree.Element, url: str) -> tuple[str, str] | None:
        timeout = _number(verb, "timeout", 30)
        if not DIAL_TIMEOUT[0] <= timeout <= DIAL_TIMEOUT[1]:
            raise TwimlRefused(f"<Dial timeout> must be 5 to 600, got {timeout}")
        numbers = [(n.text or "").strip() for n in verb.findall("Number")]
        if not numbers and (verb.text or "").strip():
            numbers = [(verb.text or "").strip()]
        if not 1 <= len(numbers) <= 10 or any(child.tag != "Number" for child in verb):
            raise TwimlRefused("<Dial> takes a number, or one to ten <Number> nouns here")
        status = self.dialled(numbers)
        self.call.legs.append(Leg(numbers, timeout, status))
        action = verb.get("action")
        if action is None:
            return None
        target = urljoin(url, action)
        extra = {"DialCallStatus": status, "DialCallSid": "CA" + secrets.token_hex(16),
                 "DialCallDuration": "42" if status == "completed" else "0"}  # fmt: skip
        return target, await self.request(target, extra)

    def dialled(self, numbers: list[str]) -> str:
        if any(number in self.caller.picks_up for number in numbers):
            return "completed"
        if any(number in self.caller.busy for number in numbers):
            return "busy"
        if all(number in self.caller.failing for number in numbers):
            return "failed"
        return "no-answer"

    async def record(self, verb: ElementTree.Element, url: str) -> tuple[str, str] | None:
        if verb.get("transcribe", "false") not in ("true", "false"):
            raise TwimlRefused("<Record transcribe> must be true or false")
        if verb.get("action") is None:
            raise TwimlRefused("<Record> without an action requests its own document again")
        seconds = self.caller.seconds
        if self.caller.voicemail is None:
            return None  # an empty recording: no action, the document goes on
        seconds = min(seconds, _number(verb, "maxLength", 3600))
        recording = "RE" + secrets.token_hex(16)
        base = f"https://api.twilio.com/2010-04-01/Accounts/{self.account_sid}"
        self.call.recording_url = f"{base}/Recordings/{recording}"
        self._callbacks(verb, url, recording, seconds)
        target = urljoin(url, verb.get("action", ""))
        extra = {"RecordingUrl": self.call.recording_url, "RecordingDuration": str(seconds),
                 "Digits": "hangup"}  # fmt: skip
        return target, await self.request(target, extra)

    def _callbacks(self, verb: ElementTree.Element, url: str, recording: str, seconds: int) -> None:
        """The recording's status callback and its transcription, sent once the call ends."""
        recording_url = self.call.recording_url or ""
        base = {**self.fields("completed"), "RecordingSid": recording,
                "RecordingUrl": recording_url}  # fmt: skip
        if callback := verb.get("recordingStatusCallback"):
            events = verb.get("recordingStatusCallbackEvent", "completed").split()
            if "completed" in events:
                self.after.append((urljoin(url, callback), {**base, "RecordingStatus": "completed",
                    "RecordingDuration": str(seconds), "RecordingChannels": "1",
                    "RecordingSource": "RecordVerb"}))  # fmt: skip
        callback = verb.get("transcribeCallback")
        if verb.get("transcribe") == "true" and callback and not self.caller.lose_transcription:
            low, high = TRANSCRIBED_SECONDS
            done = low <= seconds <= high
            transcription = "TR" + secrets.token_hex(16)
            self.after.append((urljoin(url, callback), {**base,
                "TranscriptionSid": transcription,
                "TranscriptionText": (self.caller.voicemail or "") if done else "",
                "TranscriptionStatus": "completed" if done else "failed",
                "TranscriptionUrl": recording_url.replace(
                    f"Recordings/{recording}", f"Transcriptions/{transcription}")}))  # fmt: skip


class _Ended(Exception):
    """The call ended (its TwiML ran out, or a webhook failed)."""


def _check(verb: ElementTree.Element) -> None:
    if verb.tag not in ATTRIBUTES or verb.tag == "Number":
        raise TwimlRefused(f"<{verb.tag}> is not a verb this fake follows")
    if unknown := set(verb.attrib) - ATTRIBUTES[verb.tag]:
        raise TwimlRefused(f"<{verb.tag}> has no attribute {sorted(unknown)}")
    if verb.get("method", "POST") not in ("GET", "POST") or verb.get("method") == "GET":
        raise TwimlRefused(f"<{verb.tag} method> GET is not followed here: POST")
    for child in verb:
        if child.tag != "Number" or set(child.attrib) - ATTRIBUTES["Number"]:
            raise TwimlRefused(f"<{verb.tag}> may not hold <{child.tag}> here")


def _number(verb: ElementTree.Element, name: str, default: int) -> int:
    raw = verb.get(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise TwimlRefused(f"<{verb.tag} {name}> must be a whole number, got {raw!r}")
    return int(raw)
