"""Amazon SNS's messages checked before they are parsed (CloudWatch alarms): the gate the
dispatcher (``webhooks``) passes a ``cloudwatch`` body through once its key is known.

Each message's signature is checked as AWS asks
(https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html): its
certificate's URL must be SNS's own (``https://sns.<region>.amazonaws.com/…``), or the message
is refused with 403 and nothing is fetched; the certificate is fetched from there (kept a day:
``bot.clients.sns``) and the signature checked against it, in a worker process
(``bot/basics/untrusted.py``), 403 when it does not match. A message of a topic other than the
integration's is refused with 403 before anything is fetched, and so is one whose
``Timestamp`` is more than an hour and five minutes old (SNS retries for an hour at most:
``sns.fresh``), a replay.

A ``SubscriptionConfirmation`` of the integration's topic is confirmed by visiting its
``SubscribeURL`` (https://docs.aws.amazon.com/sns/latest/dg/SendMessageToHttp.confirm.html)
only when that is SNS's URL confirming that topic, in its region; any other is refused with
403 and never fetched. Neither a confirmation nor an ``UnsubscribeConfirmation`` nor an
alarm's ``INSUFFICIENT_DATA`` is stored: each is answered 200. A notification of ``ALARM`` or
``OK`` goes on to the dispatcher's parse and store.
"""

from __future__ import annotations

import logging
from typing import Protocol

from bot.basics.untrusted import ParseTooSlow
from bot.clients.sns import NotSns, SnsUnreachable
from bot.record.alerting.payloads import PayloadError
from bot.record.alerting.sources.cloudwatch.receiver import INSUFFICIENT_DATA, opened
from bot.record.alerting.sources.cloudwatch.sns import (
    NOTIFICATION,
    SUBSCRIPTION,
    Envelope,
    aws_url,
    confirms,
    fresh,
    genuine,
)
from bot.record.alerting.sources.source import Delivery, Refusal, Reply, Why
from bot.services import Services
from bot.store.models import Integration

log = logging.getLogger(__name__)


def _forbidden(message: str) -> tuple[str, Reply]:
    """Not SNS's message, or not for this integration: 403, as AWS's own verifiers refuse."""
    return "unauthorized", Reply(403, {"error": message})


class Refuses(Protocol):
    """What the gate asks of a source: its answer to a refusal, in its vendor's words."""

    def refused(self, refusal: Refusal) -> Reply: ...


async def sns_gate(
    services: Services,
    source: Refuses,
    delivery: Delivery,  # noqa: ARG001
    body: bytes,
    integration: Integration | None,
) -> tuple[str, Reply] | None:
    """(the outcome counted, the answer) for a message answered here; None for an alarm's
    notification whose signature is SNS's, to be parsed and stored."""
    parsing = services.parsing.bodies
    try:
        envelope, state = await parsing.run_sized(len(body), opened, body.decode("utf-8"))
    except UnicodeDecodeError:
        problems: tuple[str, ...] = ("body is not UTF-8 text",)
        return "invalid", source.refused(Refusal(Why.INVALID, "invalid payload", problems))
    except PayloadError as error:
        refusal = Refusal(Why.INVALID, "invalid payload", tuple(error.problems))
        return "invalid", source.refused(refusal)
    except ParseTooSlow as slow:
        message = f"the payload took longer than {slow.seconds:g} s to read"
        return "too_slow", source.refused(Refusal(Why.TOO_SLOW, message))
    if not aws_url(envelope.signing_cert_url):
        return _forbidden(
            "SigningCertURL is not an Amazon SNS URL (https://sns.<region>.amazonaws.com)"
        )
    topic = integration.topic if integration is not None else None
    if topic is not None and envelope.topic_arn != topic:
        return _forbidden("TopicArn is not this integration's topic")
    if not fresh(envelope, services.clock()):
        # A replay of a message SNS stopped sending an hour ago: nothing is fetched for it.
        return _forbidden("Timestamp is more than an hour old (or ahead of now): a replay")
    if (unsigned := await _unsigned(services, envelope)) is not None:
        return unsigned
    if envelope.type == SUBSCRIPTION:
        return await _confirm(services, envelope.subscribe_url, topic)
    if envelope.type != NOTIFICATION or state == INSUFFICIENT_DATA:
        # An unsubscription said, or an alarm that neither pages nor resolves.
        return "ignored", Reply(200, {"status": "ignored"})
    return None


async def _unsigned(services: Services, envelope: Envelope) -> tuple[str, Reply] | None:
    """The refusal of a message whose signature is not SNS's (its certificate fetched from
    SNS, checked in a worker process); None for one that is."""
    parsing = services.parsing.bodies
    try:
        certificate = await services.sns.certificate(envelope.signing_cert_url)
    except NotSns as error:
        log.info("an SNS message refused: its certificate could not be fetched (%s)", error)
        return _forbidden("the signing certificate could not be fetched from Amazon SNS")
    except SnsUnreachable as error:
        log.warning("Amazon SNS's certificate could not be fetched (%s)", error)
        return "unavailable", Reply(503, {"error": "could not fetch the signing certificate"})
    try:
        signed = await parsing.run(genuine, envelope, certificate)
    except ParseTooSlow:
        signed = False
    if not signed:
        return _forbidden("the message's signature is not Amazon SNS's")
    return None


async def _confirm(services: Services, subscribe_url: str, topic: str | None) -> tuple[str, Reply]:
    """Visit ``subscribe_url`` when it confirms the integration's own topic."""
    if topic is None:
        return _forbidden("a subscription is confirmed for an integration's topic only")
    if not confirms(subscribe_url, topic):
        return _forbidden("SubscribeURL does not confirm this integration's topic")
    try:
        await services.sns.confirm(subscribe_url)
    except NotSns as error:
        log.warning("an SNS subscription of %s not confirmed: %s", topic, error)
        return "unavailable", Reply(502, {"error": "Amazon SNS refused the confirmation"})
    except SnsUnreachable as error:
        log.warning("an SNS subscription of %s not confirmed: %s", topic, error)
        return "unavailable", Reply(503, {"error": "could not reach Amazon SNS; send it again"})
    log.info("Amazon SNS: the subscription of %s confirmed", topic)
    return "confirmed", Reply(200, {"status": "confirmed", "topic": topic})
