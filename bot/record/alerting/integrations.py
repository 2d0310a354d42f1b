"""Integrations, one key each (``warroom integrations create``): a way alerts (or change
events: ``github``, ``changes``, and ``pagerduty``'s change events) reach warroom, of one kind
(the source it speaks as), for one service, with a key shown once and kept as SHA-256 only (as
agents' tokens are, ``bot.record.agents.tokens``), except a signing kind's (GitHub's), whose
HMAC is checked with the secret itself. A revoked one opens
nothing from its next delivery on: every delivery looks its key up again.

What an integration sends is its service's alone: its alerts carry the service as their
``service`` label (routes match on it), and their groups are apart from every other
integration's (its id before the sender's key), so no key can page, acknowledge or resolve
another integration's alerts. ``WARROOM_ALERT_TOKEN`` is the default integration: any kind,
no service, the sender's labels as they are.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.key_digest import digest
from bot.record.alerting.payloads import Notification
from bot.record.alerting.sources.cloudwatch.sns import TOPIC_ARN
from bot.record.alerting.sources.registry import SOURCES
from bot.record.alerting.sources.source import KeyPlace
from bot.store.models import Integration

# What a key starts with, so a leaked one is recognised (secret scanners, logs). PagerDuty's
# clients send any string as a routing key; Opsgenie's, any string after "GenieKey ".
PREFIX = "wr_int_"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
SERVICE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
# The label an integration's alerts carry its service as.
SERVICE_LABEL = "service"
# Where a key or a name stands in a URL shown without it (a list never shows a key).
KEY_SHOWN, NAME_SHOWN = "<key>", "<name>"


def url_for(
    public_url: str | None,
    kind: str,
    *,
    key: str = KEY_SHOWN,
    name: str = NAME_SHOWN,
    mail_domain: str | None = None,
) -> str:
    """The URL a sender of ``kind`` is pointed to, at warroom's public URL: the integration's
    key or name in it for a kind whose path holds one; an e-mail integration's, its address
    on the inbound SMTP listener (``mail_domain``, WARROOM_BOUNCE_DOMAIN's). Where each kind
    posts is its registry line's (``bot.record.alerting.sources.registry``)."""
    entry = SOURCES.entry(kind)
    if entry is None:
        raise IntegrationRefused(f"kind {kind!r}: one of {', '.join(SOURCES.kinds())}")
    if entry.key is KeyPlace.ADDRESS:
        return f"{key}@{mail_domain or 'WARROOM_BOUNCE_DOMAIN'}"
    base = (public_url or "http://localhost:8080").rstrip("/")
    return f"{base}{entry.shown_path.format(key=key, name=name, integration=name)}"


class IntegrationRefused(ValueError):
    """An integration that cannot be made or revoked: the message says why."""


async def create(
    session: AsyncSession,
    *,
    kind: str,
    service: str,
    name: str | None,
    now: datetime,
    topic: str | None = None,
    secret: str | None = None,
) -> tuple[Integration, str]:
    """Make an integration (the caller commits): the row, and its key, shown once and kept
    nowhere but a signing kind's (a vendor-signed kind's: ``secret``, the vendor's).
    IntegrationRefused for an unknown kind, a bad name or service, a name taken, a
    ``cloudwatch`` one without its SNS topic's ARN (``topic``) or another kind with one, a
    vendor-signed kind without its secret."""
    secret = _checked_kind(kind, service, topic, secret)
    name = await _free_name(session, name or f"{service}-{kind}")
    # An e-mail integration's key is its address's local part: lowercase, as some relays
    # lowercase addresses.
    key = secret or made_key(kind)
    if (
        secret
        and (
            await session.exec(select(Integration).where(Integration.key_hash == digest(key)))
        ).first()
    ):
        raise IntegrationRefused("that secret is an integration's already (revoked ones keep it)")
    row = Integration(
        kind=kind,
        name=name,
        service=service,
        key_hash=digest(key),
        signing_key=key if SOURCES.signed(kind) else None,
        created_at=now,
        topic=topic,
    )
    session.add(row)
    await session.flush()
    return row, key


def _checked_kind(kind: str, service: str, topic: str | None, secret: str | None) -> str | None:
    """The secret given (stripped, None when blank), once the kind, its topic and secret and
    the service are what an integration may have; IntegrationRefused says what is not."""
    if kind not in SOURCES.kinds():
        raise IntegrationRefused(f"kind {kind!r}: one of {', '.join(SOURCES.kinds())}")
    if (kind == "cloudwatch") != (topic is not None):
        raise IntegrationRefused(
            "--topic-arn: a cloudwatch integration names its SNS topic, another kind none"
        )
    if topic is not None and not TOPIC_ARN.fullmatch(topic):
        raise IntegrationRefused(
            f"--topic-arn {topic!r}: an SNS topic's ARN, arn:aws:sns:REGION:ACCOUNT:NAME"
        )
    secret = secret.strip() if secret else None
    vendor_secret = SOURCES.vendor_secret(kind)
    if vendor_secret and not secret:
        raise IntegrationRefused(f"kind {kind!r}: its key is the vendor's signing secret; give it")
    if not vendor_secret and secret:
        raise IntegrationRefused(f"kind {kind!r}: warroom makes its key; give no secret")
    if not SERVICE.fullmatch(service):
        raise IntegrationRefused(
            f"service {service!r}: letters, digits, '.', '_' and '-', at most 63"
        )
    return secret


async def _free_name(session: AsyncSession, name: str) -> str:
    """``name``, when an integration may have it and none has it yet (revoked ones keep
    theirs)."""
    if not NAME.fullmatch(name):
        raise IntegrationRefused(
            f"name {name!r}: letters, digits, '.', '_' and '-', at most 63, starting with a "
            "letter or digit"
        )
    if await by_name(session, name) is not None:
        raise IntegrationRefused(
            f"name {name!r}: an integration has it already (revoked ones keep theirs)"
        )
    return name


def made_key(kind: str) -> str:
    """A new key of ``kind``'s form: an e-mail integration's is its address's local part,
    lowercase (as some relays lowercase addresses); a PagerDuty integration's is 32 hex
    digits, the length of PagerDuty's own integration keys, which senders that check the
    length of a routing key accept (a key of the older ``wr_int_`` form keeps working: keys
    are looked up by their digest, whatever their form); any other's is ``wr_int_`` and 32
    URL-safe characters, a prefix secret scanners can be taught."""
    if kind == "email":
        return PREFIX + secrets.token_hex(20)
    if kind == "pagerduty":
        return secrets.token_hex(16)
    return PREFIX + secrets.token_urlsafe(24)


async def by_name(session: AsyncSession, name: str) -> Integration | None:
    return (await session.exec(select(Integration).where(Integration.name == name))).first()


async def every_integration(
    session: AsyncSession, *, service: str | None = None
) -> list[Integration]:
    """Every integration (of ``service`` only, when given), oldest first."""
    statement = select(Integration).order_by(col(Integration.id))
    if service is not None:
        statement = statement.where(Integration.service == service)
    rows = await session.exec(statement)
    return list(rows.all())


async def revoke(session: AsyncSession, name: str, *, now: datetime) -> Integration:
    """Revoke the integration named ``name`` (the caller commits); IntegrationRefused when
    there is none or it was revoked already."""
    row = await by_name(session, name)
    if row is None:
        raise IntegrationRefused(f"no integration named {name!r}")
    if row.revoked_at is not None:
        raise IntegrationRefused(f"{name!r} was revoked already")
    row.revoked_at = now
    session.add(row)
    return row


async def keyed(session: AsyncSession, kind: str, presented: str | None) -> Integration | None:
    """The working integration of ``kind`` whose key ``presented`` is, if any: every one of
    the kind's hashes compared in constant time, so how long the answer takes says nothing
    of which (or how much of one) matched."""
    if not presented:
        return None
    given = digest(presented).encode()
    rows = await session.exec(
        select(Integration).where(Integration.kind == kind, col(Integration.revoked_at).is_(None))
    )
    found = None
    for row in rows.all():
        if hmac.compare_digest(given, row.key_hash.encode()):
            found = row
    return found


async def signing(session: AsyncSession, kind: str, name: str) -> Integration | None:
    """The working integration of ``kind`` named ``name`` whose sender signs its bodies
    (its secret kept), if any."""
    row = await by_name(session, name)
    working = row is not None and row.kind == kind and row.revoked_at is None
    return row if working and SOURCES.signed(kind) else None


async def signed_by(
    session: AsyncSession, kind: str, signs: Callable[[str], bool]
) -> Integration | None:
    """The working integration of signed ``kind`` whose secret ``signs`` the body, if any:
    every one's checked, so how long the answer takes says nothing of which matched."""
    rows = await session.exec(
        select(Integration).where(Integration.kind == kind, col(Integration.revoked_at).is_(None))
    )
    found = None
    for row in rows.all():
        if row.signing_key and signs(row.signing_key):
            found = row
    return found


async def count_alerts(session: AsyncSession, counts: dict[int, int], *, at: datetime) -> None:
    """Add deliveries accepted to their integrations' counts, ``at`` as their last (the
    caller commits, with the payloads). In the integrations' order, so that two replicas'
    batches counting the same ones never wait for each other in a circle."""
    for integration_id, more in sorted(counts.items()):
        await session.exec(
            update(Integration)
            .where(col(Integration.id) == integration_id)
            .values(alerts=col(Integration.alerts) + more, last_alert_at=at)
        )


def sender_prefix(group_key: str) -> str:
    """What ``scoped`` put before a group's key: ``integration:<id>/``, or "" for the default
    integration's."""
    head, slash, _ = group_key.partition("/")
    return f"{head}/" if slash and head.startswith("integration:") else ""


def scoped(notification: Notification, integration: Integration | None) -> Notification:
    """The notification as ``integration`` sent it: its group apart from every other
    integration's, each alert labelled with the integration's service. A label ``service``
    the sender gave that names another service is kept as ``sender_service``: an
    integration's alerts are its service's only. The default integration's: unchanged, and
    so is one scoped already (read as it arrived, then applied in that transaction)."""
    prefix = f"integration:{integration.id}/" if integration is not None else ""
    if integration is None or notification.group_key.startswith(prefix):
        return notification
    service = integration.service

    def own(labels: dict[str, str]) -> dict[str, str]:
        stated = labels.get(SERVICE_LABEL)
        said = {"sender_service": stated} if stated and stated != service else {}
        return {**labels, **said, SERVICE_LABEL: service}

    alerts = tuple(replace(alert, labels=own(dict(alert.labels))) for alert in notification.alerts)
    return replace(
        notification,
        group_key=f"{prefix}{notification.group_key}",
        alerts=alerts,
        common_labels=own(dict(notification.common_labels)),
    )
