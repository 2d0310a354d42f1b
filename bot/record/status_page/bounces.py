"""Bounces reported later: each subscription's return address, and what a report sent back to it
says.

**The return address** (VERP): ``bounces+<id>-<mac>@<bounce domain>``, where ``<id>`` is the
subscription's row id and ``<mac>`` the first 130 bits of HMAC-SHA256(secret, the id), in
lowercase base32 (mail servers may change a local part's case; base32 survives it). It names no
address, and without the secret nobody can make the one of another subscription, so a forged
report cannot stop someone else's mail. What the report's text says of the recipient
(``Original-Recipient``, ``Final-Recipient``) is not read: the address it was sent to is the
authority.

**A report** is read with the standard library's ``email`` package, as RFC 3464 defines it: a
top-level ``multipart/report; report-type=delivery-status`` whose ``message/delivery-status``
part (as it is, or in base64 or quoted-printable) holds a block of fields per recipient. Only
``Action: failed`` with a ``5.x.x`` ``Status`` (RFC 3463: permanent) counts, and only when no
block of the same report says the mail was delivered, relayed or expanded (an alias whose other
members got it). ``delayed``, a ``4.x.x`` failure (a relay that gave up after days of temporary
trouble: the address may work tomorrow) and anything else is not counted: this module counts no
soft bounces. A reply that is not such a report (an out-of-office answer, another server's
plain-text bounce, a complaint report) is not one; a report without a readable Action and
Status is unreadable.
"""

from __future__ import annotations

import base64
import email
import email.errors
import email.policy
import hashlib
import hmac
import re
from email.message import Message
from enum import StrEnum

LOCAL_PREFIX = "bounces+"
MAC_CHARACTERS = 26  # of base32: 130 bits
_STATUS = re.compile(r"^([245])\.\d{1,3}\.\d{1,3}$")
# What a block's Action says when the mail reached someone (RFC 3464, section 2.3.3).
_REACHED = frozenset({"delivered", "relayed", "expanded"})


def _mac(subscription_id: int, secret: str) -> str:
    digest = hmac.new(
        secret.encode(), f"warroom-bounce:v1:{subscription_id}".encode(), hashlib.sha256
    ).digest()
    return base64.b32encode(digest).decode().lower()[:MAC_CHARACTERS]


def bounce_address(subscription_id: int, *, domain: str, secret: str) -> str:
    """The return address (SMTP's MAIL FROM) of a mail to the subscription."""
    return f"{LOCAL_PREFIX}{subscription_id}-{_mac(subscription_id, secret)}@{domain}"


def token_of(address: str, *, domain: str) -> str | None:
    """What follows ``bounces+`` in an address of the shape of a return address at
    ``domain`` (lowercased), whether its token is valid or not; None for any other."""
    local, at, host = address.strip().strip("<>").lower().rpartition("@")
    if not at or host.rstrip(".") != domain or not local.startswith(LOCAL_PREFIX):
        return None
    return local.removeprefix(LOCAL_PREFIX)


def subscription_of(address: str, *, domain: str, secret: str) -> int | None:
    """The subscription whose return address this is (case aside); None for any other
    address, a forged or damaged token included."""
    token = token_of(address, domain=domain)
    if token is None:
        return None
    number, dash, mac = token.partition("-")
    if not dash or not number.isascii() or not number.isdigit() or len(number) > 18:
        return None
    subscription_id = int(number)
    if not hmac.compare_digest(mac.encode(), _mac(subscription_id, secret).encode()):
        return None
    return subscription_id


class Verdict(StrEnum):
    """What a message sent to a return address says of the subscription's address."""

    # Action: failed, Status 5.x.x: mailed no more.
    FAILED = "failed for good"
    # delayed, a 4.x.x failure, delivered, relayed: nothing changes.
    NOT_FOR_GOOD = "not failed for good"
    # Not an RFC 3464 report: an out-of-office reply, a plain-text bounce.
    NOT_A_REPORT = "not a delivery report"
    # A delivery report without one block whose Action and Status can be read.
    UNREADABLE = "an unreadable delivery report"


def read_report(content: bytes) -> Verdict:
    """What the message ``content`` (as it came after DATA) says; never raises."""
    try:
        message = email.message_from_bytes(content, policy=email.policy.compat32)
        if message.get_content_type() != "multipart/report":
            return Verdict.NOT_A_REPORT
        if str(message.get_param("report-type", "")).lower() != "delivery-status":
            return Verdict.NOT_A_REPORT
        return _verdict(_recipient_blocks(message))
    except (email.errors.MessageError, ValueError, LookupError, TypeError):
        # A malformed message (a header or charset the parser trips on): unread.
        return Verdict.UNREADABLE


def _recipient_blocks(report: Message) -> list[Message]:
    """The per-recipient blocks of the report's ``message/delivery-status`` part (the first
    block is the per-message one)."""
    parts = report.get_payload()
    if not isinstance(parts, list):
        return []
    for part in parts:
        if not isinstance(part, Message) or part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
        if encoding not in ("base64", "quoted-printable"):
            listed = blocks if isinstance(blocks, list) else []
            return [block for block in listed[1:] if isinstance(block, Message)]
        return _decoded_blocks(blocks, encoding)[1:]
    return []


def _decoded_blocks(parsed: object, encoding: str) -> list[Message]:
    """The blocks of a ``message/delivery-status`` part sent in base64 or quoted-printable (a
    few gateways do): the parser read its encoded text as one block's body."""
    if isinstance(parsed, list):
        text = "".join(str(block.get_payload()) for block in parsed if isinstance(block, Message))
    else:
        text = str(parsed)
    carrier = Message()
    carrier["Content-Transfer-Encoding"] = encoding
    carrier.set_payload(text)
    raw = carrier.get_payload(decode=True)
    fields = raw.decode("ascii", "replace") if isinstance(raw, bytes) else ""
    return [
        email.message_from_string(chunk.strip() + "\n", policy=email.policy.compat32)
        for chunk in re.split(r"\r?\n[ \t]*\r?\n", fields.strip())
        if chunk.strip()
    ]


def _verdict(blocks: list[Message]) -> Verdict:
    failed = reached = readable = False
    for block in blocks:
        action = str(block.get("Action", "")).strip().lower()
        status = _STATUS.match(str(block.get("Status", "")).strip().split(" ")[0])
        if not action or status is None:
            continue
        readable = True
        failed |= action == "failed" and status.group(1) == "5"
        reached |= action in _REACHED
    if not readable:
        return Verdict.UNREADABLE
    return Verdict.FAILED if failed and not reached else Verdict.NOT_FOR_GOOD
