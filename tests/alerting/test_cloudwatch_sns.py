"""Amazon CloudWatch alarms through Amazon SNS, over real HTTP: AWS's documented
examples (``tests/payloads/vendors/cloudwatch_sns.json``, with the pages each comes from)
signed as SNS signs them (https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html:
SHA1withRSA for SignatureVersion 1, SHA256withRSA for 2, of the ``name\\nvalue\\n`` string
of each type's fields) with a key and certificate made here, and posted to a running
warroom. A fake SNS serves the certificate and the subscription's confirmation over HTTPS on
127.0.0.1, reached as ``sns.us-west-2.amazonaws.com`` through the SNS client's resolver and
trusted through its TLS context: the hosts warroom fetches from stay AWS's alone.

A subscription of the integration's topic is confirmed by visiting its SubscribeURL; an
ALARM pages, the same alarm again is the same alert, OK resolves it; a bad signature, a
certificate URL off AWS's hosts, another topic's message or SubscribeURL are refused (403)
and nothing of theirs is fetched.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from bot.record.alerting.sources.cloudwatch.sns import aws_url, confirms
from bot.store.models import AlertPayload
from bot.web.monitoring import loggable_path
from emulator import Channel, FakeNtfy
from tests.alerting.conftest import NIGHT, TOPIC, night_paging
from tests.alerting.test_vendor_apis import checkout_routes, documented, groups, integration
from tests.conftest import Warroom
from tests.helpers.alerts import count

ARN = "arn:aws:sns:us-west-2:123456789012:MyTopic"
HOST = "sns.us-west-2.amazonaws.com"
CERT_PATH = "/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem"
CERT_URL = f"https://{HOST}{CERT_PATH}"
BIG_CERT_PATH = "/SimpleNotificationService-big.pem"
SIGNED = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}


def certificate(
    subject: str,
    key: rsa.RSAPrivateKey,
    issuer: tuple[str, rsa.RSAPrivateKey] | None = None,
    hosts: tuple[str, ...] = (),
) -> bytes:
    """An X.509 certificate (PEM) of ``key`` for ``subject``, signed by ``issuer`` (its name
    and key; itself when None), naming ``hosts`` (a TLS server's)."""
    issuer_name, issuer_key = issuer or (subject, key)
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
    )
    if hosts:
        names = [x509.DNSName(host) for host in hosts]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    else:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
    return builder.sign(issuer_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def tls_contexts(tmp_path: Path, *hosts: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(the fake's server context, a client context trusting it): a test CA of its own."""
    ca_key, server_key = rsa_key(), rsa_key()
    ca = certificate("warroom test CA", ca_key)
    (tmp_path / "server.pem").write_bytes(
        certificate(hosts[0], server_key, ("warroom test CA", ca_key), hosts)
    )
    (tmp_path / "server.key").write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(tmp_path / "server.pem", tmp_path / "server.key")
    client = ssl.create_default_context(cadata=ca.decode())
    return server, client


class Signer:
    """SNS's signing key and its certificate (PEM), made for the test."""

    def __init__(self) -> None:
        self.key = rsa_key()
        self.pem = certificate("sns.amazonaws.com", self.key)

    def sign(self, message: dict[str, Any], version: str = "1") -> dict[str, Any]:
        """``message`` signed as SNS signs it: the string of its type's fields, in order."""
        names = SIGNED[
            "Notification" if message["Type"] == "Notification" else "SubscriptionConfirmation"
        ]
        text = "".join(f"{name}\n{message[name]}\n" for name in names if name in message)
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
        signature = self.key.sign(text.encode(), padding.PKCS1v15(), algorithm)
        return {
            **message,
            "SignatureVersion": version,
            "Signature": base64.b64encode(signature).decode(),
        }


class FakeSns:
    """SNS over HTTPS on 127.0.0.1: the signing certificate at ``CERT_PATH``, and
    ``?Action=ConfirmSubscription`` answered as SNS answers (its XML); every request kept."""

    def __init__(self, signer: Signer, tls: ssl.SSLContext) -> None:
        self.signer = signer
        self.tls = tls
        self.requests: list[str] = []
        self.port = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(f"{request.host}{request.path_qs}")
        if request.path == CERT_PATH:
            return web.Response(body=self.signer.pem, content_type="application/x-x509-ca-cert")
        if request.path == BIG_CERT_PATH:  # far more than a certificate
            return web.Response(
                body=self.signer.pem * 20, content_type="application/x-x509-ca-cert"
            )
        if request.path == "/" and request.query.get("Action") == "ConfirmSubscription":
            arn = request.query["TopicArn"]
            xml = (
                '<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">'
                f"<ConfirmSubscriptionResult><SubscriptionArn>{arn}:c9135db0"
                "</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>"
            )
            return web.Response(text=xml, content_type="text/xml")
        return web.Response(status=404)

    async def __aenter__(self) -> FakeSns:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0, ssl_context=self.tls)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.runner.cleanup()


class ToFake(AbstractResolver):
    """Every name resolves to the fake SNS: whatever warroom fetches, the fake sees."""

    def __init__(self, port: int) -> None:
        self.port = port

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": self.port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        return None


@pytest.fixture
def signer() -> Signer:
    return Signer()


@pytest.fixture
async def fake_sns(signer: Signer, tmp_path: Path) -> AsyncIterator[tuple[FakeSns, ssl.SSLContext]]:
    # It answers for every name warroom might fetch from, so that a fetch it must not make
    # would be seen here.
    server, client = tls_contexts(tmp_path, HOST, "evil.example.com", "sns.us-east-1.amazonaws.com")
    async with FakeSns(signer, server) as fake:
        yield fake, client


@pytest.fixture
def warroom_settings(
    database_url: str,
    tmp_path: Path,
    ops: Channel,
    ntfy: FakeNtfy,
    fake_sns: tuple[FakeSns, ssl.SSLContext],
) -> dict[str, object]:
    """Checkout's alerts page Carol; warroom's SNS client reaches the fake SNS."""

    async def reach_sns(running: Warroom) -> None:
        fake, trust = fake_sns
        running.services.sns.resolver = ToFake(fake.port)
        running.services.sns.ssl = trust

    return {**night_paging(database_url, tmp_path, ntfy, checkout_routes(ops)), "ready": reach_sns}


def sns_time(at: dt.datetime) -> str:
    """SNS's ``Timestamp``: ISO 8601 in UTC, milliseconds, a ``Z``."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def example(name: str, **changes: Any) -> dict[str, Any]:
    """AWS's documented message ``name``, published as warroom's clock starts (the tests'
    warroom runs at NIGHT): an older one is a replay (``test_a_replayed_message...``)."""
    message: dict[str, Any] = copy.deepcopy(documented("cloudwatch_sns.json")[name])
    return {**message, "SigningCertURL": CERT_URL, "Timestamp": sns_time(NIGHT), **changes}


def alarm(state: str) -> dict[str, Any]:
    """The documented alarm's notification, in ``state``."""
    message = example("notification")
    body = json.loads(message["Message"])
    body["NewStateValue"] = state
    return {**message, "Message": json.dumps(body), "Subject": f'{state}: "EXAMPLE"'}


async def post(warroom: Warroom, key: str, message: dict[str, Any]) -> tuple[int, Any]:
    """``message`` posted as SNS posts it (its headers, a text/plain JSON body)."""
    headers = {
        "x-amz-sns-message-type": message["Type"],
        "x-amz-sns-message-id": message["MessageId"],
        "x-amz-sns-topic-arn": message["TopicArn"],
        "Content-Type": "text/plain; charset=UTF-8",
        "User-Agent": "Amazon Simple Notification Service Agent",
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{warroom.url}/alerts/cloudwatch/{key}", data=json.dumps(message), headers=headers
        ) as answer,
    ):
        return answer.status, await answer.json()


async def cloudwatch(warroom: Warroom) -> str:
    """A cloudwatch integration of checkout, naming the topic; its key."""
    return await integration(warroom, "cloudwatch", "checkout", topic=ARN)


async def test_a_subscription_is_confirmed_then_alarm_pages_and_ok_resolves(
    warroom: Warroom,
    signer: Signer,
    fake_sns: tuple[FakeSns, ssl.SSLContext],
    ntfy: FakeNtfy,
) -> None:
    fake, _ = fake_sns
    key = await cloudwatch(warroom)
    confirmation = signer.sign(example("subscription_confirmation"))
    status, answer = await post(warroom, key, confirmation)
    assert (status, answer) == (200, {"status": "confirmed", "topic": ARN})
    subscribe = confirmation["SubscribeURL"].removeprefix("https://")
    assert fake.requests == [f"{HOST}{CERT_PATH}", subscribe]
    assert await count(warroom, AlertPayload) == 0

    # ALARM pages Carol (SignatureVersion 2 this time); the certificate is kept.
    status, answer = await post(warroom, key, signer.sign(alarm("ALARM"), "2"))
    assert (status, answer["status"]) == (200, "accepted")
    await warroom.run_jobs()
    (push,) = ntfy.phone(TOPIC)
    assert "EXAMPLE" in push.title
    (group,) = await groups(warroom)
    assert group.state == "triggered"

    # The same alarm again is the same alert (by AlarmArn): nobody paged twice.
    status, _ = await post(warroom, key, signer.sign(alarm("ALARM")))
    assert status == 200
    await warroom.run_jobs()
    assert len(ntfy.phone(TOPIC)) == 1

    # INSUFFICIENT_DATA neither pages nor resolves: answered, not kept.
    status, answer = await post(warroom, key, signer.sign(alarm("INSUFFICIENT_DATA")))
    assert (status, answer) == (200, {"status": "ignored"})

    # OK resolves it; published without a Subject, it is signed without one (as SNS does).
    resolved = alarm("OK")
    del resolved["Subject"]
    status, _ = await post(warroom, key, signer.sign(resolved, "2"))
    assert status == 200
    await warroom.run_jobs()
    (group,) = await groups(warroom)
    assert group.state == "resolved"
    assert fake.requests.count(f"{HOST}{CERT_PATH}") == 1
    assert await count(warroom, AlertPayload) == 3

    # Unsubscribed (https://docs.aws.amazon.com/sns/latest/dg/http-unsubscribe-confirmation-json.html):
    # answered, nothing visited nor kept.
    unsubscribed = example("subscription_confirmation", Type="UnsubscribeConfirmation")
    status, answer = await post(warroom, key, signer.sign(unsubscribed))
    assert (status, answer) == (200, {"status": "ignored"})
    assert len(fake.requests) == 2
    assert await count(warroom, AlertPayload) == 3


async def test_what_is_not_snss_or_not_this_topics_is_refused_and_never_fetched(
    warroom: Warroom, signer: Signer, fake_sns: tuple[FakeSns, ssl.SSLContext]
) -> None:
    fake, _ = fake_sns
    key = await cloudwatch(warroom)
    forbidden = 403

    # A certificate URL off AWS's hosts (or not HTTPS, or another port): refused, not fetched.
    for url in (
        "https://evil.example.com/cert.pem",
        f"http://{HOST}{CERT_PATH}",
        f"https://{HOST}:8443{CERT_PATH}",
        f"https://user@{HOST}{CERT_PATH}",
        f"https://{HOST}.evil.example.com{CERT_PATH}",
    ):
        status, answer = await post(
            warroom, key, signer.sign(alarm("ALARM") | {"SigningCertURL": url})
        )
        assert status == forbidden, url
        assert "SigningCertURL" in answer["error"]
    assert fake.requests == []

    # A "certificate" of more than a certificate's size on SNS's host: refused, not read on.
    status, answer = await post(
        warroom,
        key,
        signer.sign(alarm("ALARM") | {"SigningCertURL": f"https://{HOST}{BIG_CERT_PATH}"}),
    )
    assert (status, answer) == (
        forbidden,
        {"error": "the signing certificate could not be fetched from Amazon SNS"},
    )
    fake.requests.clear()

    # A signature that is not SNS's (another key's, or the message changed after signing).
    status, answer = await post(warroom, key, Signer().sign(alarm("ALARM")))
    assert (status, answer) == (forbidden, {"error": "the message's signature is not Amazon SNS's"})
    tampered = signer.sign(alarm("OK")) | {"Message": alarm("ALARM")["Message"]}
    status, _ = await post(warroom, key, tampered)
    assert status == forbidden

    # A SubscribeURL for another topic (or off AWS's hosts) is never visited.
    other = "arn:aws:sns:us-west-2:123456789012:OtherTopic"
    for url in (
        f"https://{HOST}/?Action=ConfirmSubscription&TopicArn={other}&Token=1",
        f"https://evil.example.com/?Action=ConfirmSubscription&TopicArn={ARN}&Token=1",
        f"https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn={ARN}&Token=1",
    ):
        status, answer = await post(
            warroom, key, signer.sign(example("subscription_confirmation", SubscribeURL=url))
        )
        assert (status, answer) == (
            forbidden,
            {"error": "SubscribeURL does not confirm this integration's topic"},
        )
    # Another topic's messages are refused before anything is fetched for them.
    status, answer = await post(warroom, key, signer.sign(alarm("ALARM") | {"TopicArn": other}))
    assert (status, answer) == (forbidden, {"error": "TopicArn is not this integration's topic"})
    # Only the certificate was fetched (for the signatures checked), never a SubscribeURL.
    assert set(fake.requests) == {f"{HOST}{CERT_PATH}"}
    # A key nobody has: warroom's 401.
    status, _ = await post(warroom, "wr_int_nobodys", signer.sign(alarm("ALARM")))
    assert status == 401
    assert await count(warroom, AlertPayload) == 0


async def test_a_replayed_message_is_refused_by_its_age_and_never_fetched_for(
    warroom: Warroom, signer: Signer, fake_sns: tuple[FakeSns, ssl.SSLContext]
) -> None:
    """SNS tries an HTTP/S delivery again for at most 3,600 seconds
    (https://docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html) and keeps
    its ``Timestamp`` ("The time (GMT) when the notification was published",
    https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html): a message,
    validly signed, published more than an hour (and five minutes of clocks apart) ago, or
    ahead of now, is a replay: 403, nothing fetched, nothing stored."""
    fake, _ = fake_sns
    key = await cloudwatch(warroom)
    for published in (
        NIGHT - dt.timedelta(hours=1, minutes=6),
        NIGHT - dt.timedelta(days=400),
        NIGHT + dt.timedelta(minutes=6),
    ):
        message = signer.sign(alarm("ALARM") | {"Timestamp": sns_time(published)})
        status, answer = await post(warroom, key, message)
        assert (status, answer) == (
            403,
            {"error": "Timestamp is more than an hour old (or ahead of now): a replay"},
        ), published
        confirmation = example("subscription_confirmation", Timestamp=sns_time(published))
        status, _ = await post(warroom, key, signer.sign(confirmation))
        assert status == 403
    assert fake.requests == []
    assert await count(warroom, AlertPayload) == 0
    # One SNS still retries (an hour old, within its retry policy) is taken.
    retried = signer.sign(alarm("ALARM") | {"Timestamp": sns_time(NIGHT - dt.timedelta(hours=1))})
    status, answer = await post(warroom, key, retried)
    assert (status, answer["status"]) == (200, "accepted")
    assert await count(warroom, AlertPayload) == 1


def test_the_key_in_the_url_stays_out_of_the_access_log() -> None:
    assert loggable_path("/alerts/cloudwatch/wr_int_abc") == "/alerts/cloudwatch/[redacted]"


def test_the_hosts_warroom_fetches_from_are_snss_alone() -> None:
    assert aws_url("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem")
    assert aws_url("https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-1.pem")
    assert aws_url("https://sns.us-gov-west-1.amazonaws.com/x.pem")
    for url in (
        "https://sns.us-east-1.amazonaws.com.evil.com/x.pem",
        "https://sqs.us-east-1.amazonaws.com/x.pem",
        "https://sns.amazonaws.com/x.pem",
        "https://127.0.0.1/x.pem",
        "https://sns.us-east-1.amazonaws.com:444/x.pem",
        "https://a@sns.us-east-1.amazonaws.com/x.pem",
        "ftp://sns.us-east-1.amazonaws.com/x.pem",
    ):
        assert not aws_url(url), url
    url = f"https://{HOST}/?Action=ConfirmSubscription&TopicArn={ARN}&Token=t"
    assert confirms(url, ARN)
    assert not confirms(url.replace("ConfirmSubscription", "Unsubscribe"), ARN)
    assert not confirms(url, ARN.replace("MyTopic", "Other"))
