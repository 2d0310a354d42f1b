"""Amazon SNS's messages to an HTTPS endpoint, read and their signatures checked, as AWS
documents them:

- the message's JSON (https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html,
  https://docs.aws.amazon.com/sns/latest/dg/http-subscription-confirmation-json.html,
  https://docs.aws.amazon.com/sns/latest/dg/http-unsubscribe-confirmation-json.html):
  ``Type``, ``MessageId``, ``TopicArn``, ``Message``, ``Timestamp``, ``SignatureVersion``,
  ``Signature``, ``SigningCertURL``, and ``Subject`` (a notification's, optional) or
  ``SubscribeURL`` and ``Token`` (a confirmation's);
- its signature (https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html):
  the Base64 ``Signature`` is an RSA PKCS #1 v1.5 signature, SHA1withRSA for
  ``SignatureVersion`` 1 and SHA256withRSA for 2, of the string of ``name\\nvalue\\n`` pairs
  in byte order of the names: ``Message``, ``MessageId``, ``Subject`` (when present),
  ``Timestamp``, ``TopicArn``, ``Type`` for a notification; ``Message``, ``MessageId``,
  ``SubscribeURL``, ``Timestamp``, ``Token``, ``TopicArn``, ``Type`` for a confirmation;
  checked with the public key of the X.509 certificate at ``SigningCertURL``.

AWS asks that the certificate come over HTTPS from SNS itself, and that a message whose
``TopicArn`` is not the one expected be refused: ``aws_url`` is the one test of a URL warroom
fetches (a certificate, a ``SubscribeURL``): ``https``, port 443, no user or password, the host
``sns.<region>.amazonaws.com`` (``.amazonaws.com.cn`` in China's regions), nothing else. It is
fixed here, not a setting: tests reach their fake SNS through their client's resolver and
trust (docs/security.md).

Pure functions on plain values: the parse and the check run in a worker process
(``bot/basics/untrusted.py``).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bot.record.alerting.payloads import PayloadError, json_object

NOTIFICATION = "Notification"
SUBSCRIPTION = "SubscriptionConfirmation"
UNSUBSCRIBED = "UnsubscribeConfirmation"
TYPES = (NOTIFICATION, SUBSCRIPTION, UNSUBSCRIBED)
# The fields each type's signature covers, in byte order of their names.
_SIGNED_NOTIFICATION = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
_SIGNED_CONFIRMATION = (
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}
# sns.<region>.amazonaws.com: the regions' names (us-east-1, eu-central-2, us-gov-west-1).
AWS_HOST = re.compile(r"sns\.[a-z]{2}(-[a-z]+)+-\d\.amazonaws\.com(\.cn)?")
# An SNS topic's ARN: arn:<partition>:sns:<region>:<account>:<name>.
TOPIC_ARN = re.compile(
    r"arn:aws(-cn|-us-gov)?:sns:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):([A-Za-z0-9_-]{1,256}(\.fifo)?)"
)
# How old a message may be (SNS's longest retry, plus clocks apart), and how far ahead.
SKEW = timedelta(minutes=5)
FRESH = timedelta(seconds=3600) + SKEW
# A certificate is a few kilobytes; a signature of a 2048- or 4096-bit key 256 or 512 bytes.
CERTIFICATE_BYTES_MAX = 16 * 1024
_SIGNATURE_BYTES_MAX = 1024


@dataclass(frozen=True)
class Envelope:
    """An SNS message as posted: its type, topic, ``Message``, and what its signature is
    checked with."""

    type: str
    topic_arn: str
    message: str
    signing_cert_url: str
    signature: bytes
    signature_version: str
    signed: bytes  # the string its signature is of
    subscribe_url: str = ""
    # When SNS published it (``Timestamp``, signed): a replay is refused by its age (``fresh``).
    timestamp: str = ""


def read_envelope(body: str) -> Envelope:
    """The message posted, read; PayloadError names every field wrong."""
    document = json_object(body)
    problems: list[str] = []
    kind = document.get("Type")
    if kind not in TYPES:
        problems.append(f"'Type' must be one of {', '.join(TYPES)}")
    names = _SIGNED_NOTIFICATION if kind == NOTIFICATION else _SIGNED_CONFIRMATION
    for name in (*names, "SigningCertURL", "Signature", "SignatureVersion"):
        if name == "Subject" and name not in document:
            continue  # a notification published without one
        if not isinstance(document.get(name), str):
            problems.append(f"'{name}' is missing or not a string")
    version = document.get("SignatureVersion")
    if isinstance(version, str) and version not in _HASHES:
        problems.append("'SignatureVersion' must be 1 or 2")
    signature = b""
    try:
        signature = base64.b64decode(str(document.get("Signature", "")), validate=True)
    except (binascii.Error, ValueError):
        problems.append("'Signature' is not Base64")
    if not 0 < len(signature) <= _SIGNATURE_BYTES_MAX:
        problems.append("'Signature' is missing or too long")
    if problems:
        raise PayloadError(problems)
    signed = "".join(f"{name}\n{document[name]}\n" for name in names if name in document)
    return Envelope(
        type=str(kind),
        topic_arn=document["TopicArn"],
        message=document["Message"],
        signing_cert_url=document["SigningCertURL"],
        signature=signature,
        signature_version=str(version),
        signed=signed.encode(),
        subscribe_url=str(document.get("SubscribeURL", "")),
        timestamp=document["Timestamp"],
    )


def fresh(envelope: Envelope, now: datetime) -> bool:
    """Whether the message was published within ``FRESH`` of ``now`` (and not more than
    ``SKEW`` ahead of it): SNS tries an HTTP/S delivery again for at most 3,600 seconds
    ("The total policy retry time for an HTTP/S endpoint cannot be greater than 3,600
    seconds", https://docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html)
    and keeps the message's ``Timestamp`` ("The time (GMT) when the notification was
    published", https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html),
    so an older message, its signature still good, is a replay."""
    try:
        published = datetime.fromisoformat(envelope.timestamp.replace("Z", "+00:00"))
    except ValueError:
        return False
    if published.tzinfo is None:
        return False
    return now - FRESH <= published <= now + SKEW


def aws_url(url: str) -> bool:
    """Whether ``url`` is SNS's own: ``https://sns.<region>.amazonaws.com/…`` (``.com.cn`` in
    China), on port 443, with no user or password: the only URLs warroom fetches for SNS."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    return (
        parts.scheme == "https"
        and port in (None, 443)
        and parts.username is None
        and parts.password is None
        and parts.hostname is not None
        and AWS_HOST.fullmatch(parts.hostname) is not None
        and "@" not in parts.netloc
    )


def region_of(topic_arn: str) -> str | None:
    """The region of an SNS topic's ARN; None when it is not one."""
    match = TOPIC_ARN.fullmatch(topic_arn)
    return match.group(2) if match else None


def confirms(subscribe_url: str, topic_arn: str) -> bool:
    """Whether ``subscribe_url`` is SNS's confirmation of a subscription to ``topic_arn``:
    SNS's own URL, in the topic's region, its ``TopicArn`` that topic, its action
    ``ConfirmSubscription``."""
    region = region_of(topic_arn)
    if region is None or not aws_url(subscribe_url):
        return False
    parts = urlsplit(subscribe_url)
    query = parse_qs(parts.query)
    return (
        parts.hostname in (f"sns.{region}.amazonaws.com", f"sns.{region}.amazonaws.com.cn")
        and query.get("Action") == ["ConfirmSubscription"]
        and query.get("TopicArn") == [topic_arn]
    )


def genuine(envelope: Envelope, certificate: bytes) -> bool:
    """Whether ``envelope``'s signature is of its string, by the RSA key of ``certificate``
    (PEM), with the hash its ``SignatureVersion`` names. A certificate that cannot be read, or
    whose key is not RSA, signs nothing."""
    if len(certificate) > CERTIFICATE_BYTES_MAX:
        return False
    try:
        key: Any = x509.load_pem_x509_certificate(certificate).public_key()
    except ValueError:
        return False
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    algorithm = _HASHES[envelope.signature_version]()
    try:
        key.verify(envelope.signature, envelope.signed, padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        return False
    return True
