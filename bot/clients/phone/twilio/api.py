"""Twilio's Programmable Messaging and Voice REST API (2010-04-01): an SMS, a call that says
its TwiML, and the signature Twilio puts on the requests it sends warroom.

Requests are form-encoded with HTTP Basic auth (the account SID and the auth token); an
answer's error body is ``{"code", "message", "more_info", "status"}``. Twilio's ``message``
quotes the number it refused, so a failure's text is made from the code alone: numbers stay
out of the channel, the record and the logs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import aiohttp

from bot.clients.phone.reports import Report
from bot.clients.vendor_http import Answer, VendorFailure, retry_after_seconds
from bot.config import Secret

API_VERSION = "2010-04-01"
TIMEOUT = 10.0
# Twilio's error codes warroom says in its own words (https://www.twilio.com/docs/api/errors).
TOO_MANY_REQUESTS = 20429
REFUSED_FOR_GOOD = {
    20003: "Twilio refused the account SID or auth token (error 20003)",
    21211: "Twilio says the number is not a valid phone number (error 21211)",
    21614: "Twilio says the number cannot receive SMS (error 21614)",
    21608: "a trial Twilio account may only reach verified numbers (error 21608)",
    21610: "the person has unsubscribed from this number's SMS (error 21610)",
}
# Codes that say the number itself will not work: its owner is told (bot/flows/paging/trouble.py).
BAD_NUMBER = frozenset({21211, 21610, 21614})
# What a status callback's ErrorCode says of an SMS or a call that did not arrive (Twilio's
# error dictionary, https://www.twilio.com/docs/api/errors/<code>: log types CARRIER for SMS,
# Programmable Voice for calls).
CARRIER_ERRORS = {
    30003: "the carrier could not reach the phone: off, out of coverage or roaming (error 30003)",
    30004: "the carrier or the person blocks messages from warroom's number (error 30004)",
    30005: "the carrier does not know the number: inactive or no longer in service (error 30005)",
    30006: "the number is a landline or its carrier cannot be reached (error 30006)",
    30007: "the carrier filtered the message as unwanted (error 30007)",
    30008: "the carrier failed for a reason it did not say (error 30008)",
    21610: "the person has unsubscribed from this number's SMS (error 21610)",
    21614: "Twilio says the number cannot receive SMS (error 21614)",
    21211: "Twilio says the number is not a valid phone number (error 21211)",
    13223: "Twilio says the number is not a phone number it can dial (error 13223)",
    13224: "Twilio cannot call this number: it is invalid or not supported (error 13224)",
    13227: "the Twilio account may not call this country: its geographic permissions (error 13227)",
    21215: "the Twilio account's geographic permissions do not allow this call (error 21215)",
    21217: "Twilio says the number does not appear to be valid (error 21217)",
    34002: "the phone was busy (error 34002)",
}
# A call's final SIP response (the status callback's SipResponseCode; RFC 3261, section 21),
# in words, when Twilio gives no ErrorCode.
SIP_RESPONSES = {
    404: "the network does not know the number (SIP 404)",
    408: "the network did not answer in time (SIP 408)",
    410: "the number is no longer in service (SIP 410)",
    480: "the phone was unavailable: off or out of coverage (SIP 480)",
    484: "the number is incomplete (SIP 484)",
    486: "the phone was busy (SIP 486)",
    487: "the call was cut off before it was answered (SIP 487)",
    503: "the carrier's network was unavailable (SIP 503)",
    603: "the person declined the call (SIP 603)",
    604: "the number does not exist anywhere (SIP 604)",
}
# Those that say the number itself will not take pages until someone changes something (it
# is unknown, a landline, blocking, unsubscribed, invalid): its owner and their schedules'
# owners are told. 30003 (phone off), 30007 (the carrier's filter of warroom's text or number),
# 30008, a busy or declined call pass or are the operator's (13227, 21215: the account's
# permissions): the next rule fires, nobody is told their number is wrong.
BAD_NUMBER_REPORTED = frozenset({30004, 30005, 30006, 21211, 21610, 21614, 13223, 13224, 21217})
BAD_NUMBER_SIP = frozenset({404, 410, 484, 604})
# Reports that say an SMS or a call did not reach the person.
FAILED_STATUSES = frozenset({"failed", "undelivered", "busy", "no-answer", "canceled"})


def reported_error(code: str | None, sip: str | None = None) -> tuple[str | None, bool]:
    """A status callback's ``ErrorCode`` (an SMS's or a call's), else a call's
    ``SipResponseCode``, in words (None without either), and whether it says the number
    itself will not work."""
    number = int(code) if code and code.isdigit() else None
    sip_number = int(sip) if sip and sip.isdigit() else None
    if code:
        words = CARRIER_ERRORS.get(number or 0) or f"the carrier reported error {code}"
        return words, number in BAD_NUMBER_REPORTED or sip_number in BAD_NUMBER_SIP
    if sip_number is not None and sip_number >= 300:
        words = SIP_RESPONSES.get(sip_number) or f"the network answered SIP {sip_number}"
        return words, sip_number in BAD_NUMBER_SIP
    return None, False


def report(form: Mapping[str, str]) -> Report | None:
    """A status callback (an SMS's ``MessageStatus``, a call's ``CallStatus``) as a Report;
    None without a status. Why it failed is read only for a failure: a completed call's
    ``SipResponseCode`` 200 says nothing."""
    status = form.get("MessageStatus") or form.get("CallStatus") or ""
    if not status:
        return None
    why, bad = None, False
    if status in FAILED_STATUSES:
        why, bad = reported_error(form.get("ErrorCode"), form.get("SipResponseCode"))
    return Report("Twilio", status, status, why, bad)


# What a call reports to its StatusCallback: each of these, not only "completed".
CALL_EVENTS = ("initiated", "ringing", "answered", "completed")


class TwilioFailure(VendorFailure):
    """Twilio did not take the request; ``code`` is Twilio's error code when it gave one."""

    def __init__(
        self, detail: str, *, retryable: bool, code: int | None = None, **rest: object
    ) -> None:
        super().__init__(detail, retryable=retryable, **rest)  # type: ignore[arg-type]
        self.code = code


@dataclass(frozen=True)
class TwilioAccount:
    """Where and as whom to call Twilio."""

    api_url: str
    account_sid: str
    auth_token: Secret
    from_number: str

    def resource(self, name: str) -> str:
        return f"{self.api_url}/{API_VERSION}/Accounts/{self.account_sid}/{name}.json"


async def send_sms(
    http: aiohttp.ClientSession, account: TwilioAccount, *, to: str, body: str, status_callback: str
) -> str:
    """Send an SMS; its SID (``SM…``). TwilioFailure when Twilio does not take it."""
    form = [("To", to), ("From", account.from_number), ("Body", body)]
    form.append(("StatusCallback", status_callback))
    return await _create(http, account, "Messages", form)


async def place_call(
    http: aiohttp.ClientSession,
    account: TwilioAccount,
    *,
    to: str,
    twiml: str,
    status_callback: str,
) -> str:
    """Place a call that runs ``twiml``; its SID (``CA…``)."""
    form = [("To", to), ("From", account.from_number), ("Twiml", twiml)]
    form.append(("StatusCallback", status_callback))
    form += [("StatusCallbackEvent", event) for event in CALL_EVENTS]
    return await _create(http, account, "Calls", form)


async def _create(
    http: aiohttp.ClientSession, account: TwilioAccount, resource: str, form: list[tuple[str, str]]
) -> str:
    # HTTP Basic: the account SID as the user, the auth token as the password.
    auth = aiohttp.BasicAuth(account.account_sid, str(account.auth_token)).encode()
    try:
        async with http.post(
            account.resource(resource),
            data=form,
            headers={"Authorization": auth},
            timeout=aiohttp.ClientTimeout(total=TIMEOUT),
            # A number and a page's words go to Twilio only: a redirect is a failure.
            allow_redirects=False,
        ) as response:
            answer = Answer(response.status, await response.text(), response.headers)
    except TimeoutError:
        raise TwilioFailure(
            f"no answer from Twilio within {TIMEOUT:g} seconds", retryable=True
        ) from None
    except aiohttp.ClientError as error:
        raise TwilioFailure(
            f"connection to Twilio failed ({type(error).__name__})", retryable=True
        ) from None
    if answer.status in (200, 201):
        return str(answer.body_object.get("sid", ""))
    raise _failure(answer)


def _failure(answer: Answer) -> TwilioFailure:
    code = answer.body_object.get("code")
    code = code if isinstance(code, int) else None
    wait = retry_after_seconds(answer.headers.get("Retry-After"))
    if answer.status == 429 or code == TOO_MANY_REQUESTS:
        return TwilioFailure(
            "Twilio said too many requests (error 20429)",
            retryable=True,
            code=code,
            retry_after=wait,
            status=answer.status,
        )
    if answer.status >= 500:
        return TwilioFailure(
            f"Twilio answered HTTP {answer.status}", retryable=True, code=code, status=answer.status
        )
    said = (
        REFUSED_FOR_GOOD.get(code or 0) or f"Twilio refused it (HTTP {answer.status}, error {code})"
    )
    bad = code in BAD_NUMBER
    return TwilioFailure(said, retryable=False, code=code, status=answer.status, bad_address=bad)


def signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """X-Twilio-Signature as Twilio computes it ("Secure webhooks"): the full URL it requested,
    then each POST parameter's name and value, sorted by name, HMAC-SHA1 with the auth token,
    in Base64."""
    signed = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signed_by_twilio(
    auth_token: str, url: str, params: Iterable[tuple[str, str]], given: str
) -> bool:
    """Whether ``given`` is Twilio's signature of this request (compared in constant time)."""
    return bool(given) and hmac.compare_digest(signature(auth_token, url, params), given)


def gather(say: str, *, action: str, retry_say: str, goodbye: str) -> str:
    """TwiML that says ``say`` and waits for one key, posted to ``action``; said twice before
    ``goodbye``."""
    prompt = f"<Say>{escape(say)}</Say>"
    again = f"<Say>{escape(retry_say)}</Say>"
    attributes = f'numDigits="1" timeout="8" method="POST" action={quoteattr(action)}'
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f"<Gather {attributes}>{prompt}</Gather>"
        f"<Gather {attributes}>{again}</Gather>"
        f"<Say>{escape(goodbye)}</Say></Response>"
    )


def say(text: str) -> str:
    """TwiML that says ``text`` and hangs up (a Gather action's answer)."""
    return f'<?xml version="1.0" encoding="UTF-8"?><Response><Say>{escape(text)}</Say></Response>'


def dial(say_first: str, number: str, *, timeout: int, action: str) -> str:
    """TwiML that says ``say_first`` (if any), then rings ``number`` for ``timeout`` seconds
    (TwiML <Dial>: 5 to 600, default 30) and posts how it ended (``DialCallStatus``) to
    ``action``, whose answer is what the call does next."""
    spoken = f"<Say>{escape(say_first)}</Say>" if say_first else ""
    attributes = f'timeout="{timeout}" method="POST" action={quoteattr(action)}'
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f"{spoken}<Dial {attributes}><Number>{escape(number)}</Number></Dial></Response>"
    )


def record(
    say_first: str,
    *,
    action: str,
    max_length: int,
    recording_callback: str,
    transcribe_callback: str,
    empty: str,
) -> str:
    """TwiML that says ``say_first``, then records a message after a beep (TwiML <Record>):
    ``action`` gets RecordingUrl and RecordingDuration when it ends, ``recording_callback``
    the recording's status once it is kept, ``transcribe_callback`` its transcription
    (Twilio transcribes recordings of 2 to 120 seconds). An empty recording requests no
    action: the document goes on, to the ``<Redirect>`` to ``empty``."""
    attributes = (
        f'action={quoteattr(action)} method="POST" maxLength="{max_length}" playBeep="true" '
        f'finishOnKey="#" transcribe="true" transcribeCallback={quoteattr(transcribe_callback)} '
        f"recordingStatusCallback={quoteattr(recording_callback)} "
        'recordingStatusCallbackEvent="completed"'
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f"<Say>{escape(say_first)}</Say><Record {attributes}/>"
        f'<Redirect method="POST">{escape(empty)}</Redirect></Response>'
    )


def hang_up(say_first: str) -> str:
    """TwiML that says ``say_first`` (if any) and hangs up."""
    spoken = f"<Say>{escape(say_first)}</Say>" if say_first else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{spoken}<Hangup/></Response>'


def message(text: str | None) -> str:
    """TwiML that answers an incoming SMS with ``text`` (None: with nothing)."""
    inner = f"<Message>{escape(text)}</Message>" if text else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>'


def form_pairs(form: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    items = form.items() if isinstance(form, Mapping) else form
    return [(str(k), str(v)) for k, v in items]
