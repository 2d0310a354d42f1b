"""Twilio's side of live call routing: the webhooks of a service's number and the TwiML that
answers them.

- ``/twilio/route/voice``: the number's "A call comes in" webhook (Twilio's console, or the
  IncomingPhoneNumber's ``VoiceUrl``): ``CallSid``, ``From``, ``To``;
- ``/twilio/route/dial?step=N``: a ``<Dial>``'s ``action``, with ``DialCallStatus``
  (completed, answered, busy, no-answer, failed, canceled; TwiML <Dial>, "action");
- ``/twilio/route/record``: the ``<Record>``'s ``action``, with ``RecordingUrl`` and
  ``RecordingDuration`` (TwiML <Record>, "action");
- ``/twilio/route/recording``: its ``recordingStatusCallback`` (``RecordingStatus``,
  ``RecordingUrl``, ``RecordingDuration``);
- ``/twilio/route/transcription``: its ``transcribeCallback`` (``TranscriptionStatus``
  completed or failed, ``TranscriptionText``, ``TranscriptionUrl``, ``RecordingUrl``);
- ``/twilio/route/missed``: the ``<Redirect>`` after the ``<Record>``, which Twilio reaches
  only when the recording is empty (it then requests no action and goes on with the
  document's next verb).

Each is signed as every Twilio webhook (checked by the provider before this reads it).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.clients.phone.provider import (
    CallArrived,
    Connect,
    DialEnded,
    Goodbye,
    HttpAnswer,
    Malformed,
    Recorded,
    RouteStep,
    Routing,
    Transcribed,
    Voicemail,
)
from bot.clients.phone.twilio import api

TWIML = "text/xml"
VOICE_PATH = "/twilio/route/voice"
DIAL_PATH = "/twilio/route/dial"
RECORD_PATH = "/twilio/route/record"
RECORDING_PATH = "/twilio/route/recording"
TRANSCRIPTION_PATH = "/twilio/route/transcription"
MISSED_PATH = "/twilio/route/missed"
PATHS = (VOICE_PATH, DIAL_PATH, RECORD_PATH, RECORDING_PATH, TRANSCRIPTION_PATH, MISSED_PATH)


def read(path: str, query: Mapping[str, str], form: Mapping[str, str]) -> Routing | Malformed:
    """What a signed request to one of ``PATHS`` says."""
    call = form.get("CallSid", "")
    if not call:
        return Malformed("CallSid is required")
    if path == MISSED_PATH:
        return Recorded(call, "", None)
    if path == VOICE_PATH:
        if not form.get("To"):
            return Malformed("To is required")
        return CallArrived(call, form["To"], form.get("From", ""))
    if path == DIAL_PATH:
        step = query.get("step", "")
        if not step.isdigit() or not form.get("DialCallStatus"):
            return Malformed("step and DialCallStatus are required")
        return DialEnded(call, int(step), form["DialCallStatus"])
    if path in (RECORD_PATH, RECORDING_PATH):
        if not form.get("RecordingUrl"):
            return Malformed("RecordingUrl is required")
        seconds = form.get("RecordingDuration", "")
        return Recorded(
            call,
            form["RecordingUrl"],
            int(seconds) if seconds.isdigit() else None,
            final=path == RECORDING_PATH,
        )
    status = form.get("TranscriptionStatus", "")
    if status not in ("completed", "failed"):
        return Malformed("TranscriptionStatus must be completed or failed")
    return Transcribed(
        call,
        form.get("TranscriptionText", "") if status == "completed" else "",
        status == "completed",
        form.get("RecordingUrl", ""),
        form.get("TranscriptionUrl", ""),
    )


def answer(public_url: str, step: RouteStep) -> HttpAnswer:
    """What the call does next, in TwiML."""
    match step:
        case Connect():
            action = f"{public_url}{DIAL_PATH}?step={step.step}"
            twiml = api.dial(step.say, step.number, timeout=step.ring_seconds, action=action)
        case Voicemail():
            twiml = api.record(
                step.say,
                action=public_url + RECORD_PATH,
                max_length=step.max_seconds,
                recording_callback=public_url + RECORDING_PATH,
                transcribe_callback=public_url + TRANSCRIPTION_PATH,
                empty=public_url + MISSED_PATH,
            )
        case Goodbye():
            twiml = api.hang_up(step.say)
    return HttpAnswer(text=twiml, content_type=TWIML)
