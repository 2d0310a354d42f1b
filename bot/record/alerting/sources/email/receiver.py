"""A message sent to an e-mail integration's address, read as an alert: the subject is its
title, the body its description (the ``text/plain`` part preferred; an HTML one's text, its
tags, scripts and styles dropped, never rendered); the same subject again while the alert is
open is the same alert (the subject, its spaces and case aside, is its key).

Not alerts, answered 250 and dropped: mail a machine sent in answer to mail, as RFC 3834
(section 5) marks it (``Auto-Submitted`` other than ``no``: out-of-office replies, other
autoresponders), and bounces: a null reverse-path (``MAIL FROM:<>``, RFC 5321 section 4.5.5),
or a delivery status notification (RFC 3464: ``multipart/report; report-type=delivery-status``
or a ``message/delivery-status`` part). Answering those would loop.

Read with the standard library's ``email`` parser (RFC 5322 and MIME, its ``default``
policy), whose time is not linear in some malformed headers: in a worker process
(``bot/basics/untrusted.py``). The stored body is the message as text, read again alone when
it is applied.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import Parser
from html.parser import HTMLParser

from bot.record.alerting.payloads import AlertSeen, Notification, PayloadError

# Its kind, as its registry line names it: each body it sends is stored as this source's.
KIND = "email"

TITLE_MAX = 250
DESCRIPTION_MAX = 10_000
# The header the listener adds with the envelope's reverse-path, before the message: a bounce
# has an empty one (kept with the body, so that a stored one reads as it arrived).
RETURN_PATH = "Return-Path"
_SPACES = re.compile(r"\s+")


class _Text(HTMLParser):
    """An HTML part's text: its data, without what scripts, styles and heads hold."""

    _SKIP = frozenset({"script", "style", "head", "title"})
    _BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:  # noqa: ARG002
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_text(html: str) -> str:
    """The text of an HTML document, as plain text (nothing of it rendered or kept as HTML)."""
    reader = _Text()
    reader.feed(html)
    reader.close()
    lines = (" ".join(line.split()) for line in "".join(reader.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _message(text: str) -> EmailMessage:
    message = Parser(policy=policy.default).parsestr(text)
    assert isinstance(message, EmailMessage)
    return message


def unwanted(message: EmailMessage) -> str | None:
    """Why the message is no alert (an automatic reply, a bounce); None when it is one."""
    submitted = str(message.get("Auto-Submitted", "no")).split(";")[0].strip().lower()
    if submitted != "no":
        return f"Auto-Submitted: {submitted}"
    if str(message.get(RETURN_PATH, "")).strip() == "<>":
        return "a bounce (null reverse-path)"
    if message.get_content_type() == "multipart/report" or any(
        part.get_content_type() == "message/delivery-status" for part in message.walk()
    ):
        return "a delivery status notification"
    return None


def _description(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    try:
        content = body.get_content()
    except (LookupError, ValueError):  # an unknown charset, a broken encoding
        return ""
    if not isinstance(content, str):
        return ""
    text = html_text(content) if body.get_content_type() == "text/html" else content
    return text.strip()[:DESCRIPTION_MAX]


def subject_key(subject: str) -> str:
    """The alert's key of a subject: its words, spaces and case aside."""
    words = _SPACES.sub(" ", subject).strip().casefold()
    return hashlib.sha256(words.encode()).hexdigest()


def read_mail(text: str, received_at: datetime) -> Notification:
    """A message in the one shape; PayloadError when it is no alert (naming why)."""
    message = _message(text)
    if (why := unwanted(message)) is not None:
        raise PayloadError([f"not an alert: {why}"])
    subject = _SPACES.sub(" ", str(message.get("Subject", ""))).strip()
    if not subject:
        raise PayloadError(["Subject: required, the alert's title"])
    title = subject[:TITLE_MAX]
    description = _description(message)
    key = subject_key(subject)
    annotations = {"summary": title} | ({"description": description} if description else {})
    alert = AlertSeen(
        fingerprint=key,
        status="firing",
        labels={"alertname": title},
        annotations=annotations,
        starts_at=received_at,
        ends_at=None,
        start_given=False,
    )
    return Notification(
        source=KIND,
        group_key=key,
        status="firing",
        alerts=(alert,),
        common_labels={"alertname": title},
        common_annotations=annotations,
        title=title,
        message=description,
        sender="e-mail",
    )


def mail_verdict(text: str, received_at: datetime) -> Notification | str:
    """The listener's read, in a worker: the alert, or why the message is none (words)."""
    message = _message(text)
    if (why := unwanted(message)) is not None:
        return why
    try:
        return read_mail(text, received_at)
    except PayloadError as error:
        return "; ".join(error.problems)


@dataclass(frozen=True)
class MailAlerts:
    """E-mail as a source: read from the SMTP listener, never over HTTP (no paths)."""

    def parse(self, body: str, *, received_at: datetime) -> Notification:
        return read_mail(body, received_at)


EMAIL = MailAlerts()
