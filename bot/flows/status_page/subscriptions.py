"""Customers subscribed to the status page: signing up (e-mail double opt-in, webhooks),
confirming, unsubscribing, and the jobs that send each confirmation and each notice.

A notice (a public update, a public maintenance window) is written once per confirmed
subscriber in the transaction that publishes it (``bot.record.status_page.status_notices``); its job
sends
each delivery and records it, so a subscriber is sent it once, retried through a mail server's
or a webhook's outage. An address is never logged (a subscription is named by its id).

Strangers cannot hold a notice back: its deliveries go out ``WARROOM_SUBSCRIBE_SEND_CONCURRENCY``
at a time, each on its own (a hang holds its own slot for its time-out, a failure or a bad
header marks its own row), and each row is claimed as it is taken (``claim_delivery``), so a
second run of the job (its lease lapsed, another replica) skips what is sent or in flight.
A webhook is sent nothing until it echoes its challenge (``challenges``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr, parseaddr
from typing import Any
from urllib.parse import quote, urlsplit
from uuid import uuid4

import aiohttp
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.addresses import address_refusal, normal_host
from bot.basics.backoff import backoff
from bot.clients.mail import Mail, MailFailure, send_mail
from bot.clients.public_hosts import PublicOnly, public_session, resolved_refusal
from bot.clients.vendor_http import VendorFailure
from bot.clients.webhook import ANSWER_MAX, post_page
from bot.config import Secret, Settings
from bot.config.subscriptions import SubscriptionSettings
from bot.flows.scheduler import Wait
from bot.flows.status_page.publishing import named_publicly, public_text, update_texts
from bot.record.alerting.maintenance import window_components
from bot.record.status_page import publications as public
from bot.record.status_page import status_notices
from bot.record.status_page import subscriptions as subscribers
from bot.record.status_page.bounces import bounce_address
from bot.services import Services
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import (
    Job,
    MaintenanceWindow,
    PublicUpdate,
    StatusDelivery,
    StatusSubscription,
)

log = logging.getLogger(__name__)
# Waits before sending a notice's remaining deliveries again: 30 s, 1 min ... then hourly.
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
# A delivery that failed this many times is given up (about a day at the longest wait).
ATTEMPTS_MAX = 30
# A mail server that answers 4xx to an address (mailbox full, greylisting, over quota) this
# many times in a row for one notice (about 8 minutes of waits): the address counts as
# bouncing. A connection or server failure (not the address's) is tried ATTEMPTS_MAX times.
SOFT_BOUNCES_MAX = 5
MAIL_TEMPLATES = "subscribe/mail"


# How long a delivery is its run's once taken: far above the longest send (an SMTP exchange
# times out after 20 s, a webhook after WARROOM_SUBSCRIBE_WEBHOOK_TIMEOUT); past it, the run
# that took it died mid-send and another run sends it.
SENDING_LEASE = timedelta(minutes=5)


class TooManySignUps(Exception):
    """A sign-up refused by a limit that says nothing of the address: the client's; ``why``
    names it for the form (``too_many``, or
    ``webhooks_client`` / ``webhooks_full`` for a webhook past its caps)."""

    def __init__(self, why: str = "too_many") -> None:
        super().__init__(why)
        self.why = why


@dataclass(frozen=True)
class Subscribed:
    """What a sign-up's page says: nothing of the address; a webhook's secret, once."""

    kind: str
    secret: str | None = None


async def subscribe(
    services: Services,
    *,
    kind: str,
    address: str,
    components: Sequence[str],
    client: str,
) -> Subscribed:
    """Sign up ``address`` (checked already: ``subscriptions.email_address`` or
    ``webhook_url``) for ``components`` (empty: all). E-mail waits for its confirmation,
    mailed by a job; the answer is the same for a new, waiting, confirmed, unsubscribed or
    bouncing address. TooManySignUps past a limit that names no address."""
    try:
        return await _sign_up(services, kind, address, components, client)
    except IntegrityError:
        # The same address signed up at the same moment by another request, which won the
        # row: this one is a sign-up of a known address now.
        return await _sign_up(services, kind, address, components, client)


async def _sign_up(
    services: Services, kind: str, address: str, components: Sequence[str], client: str
) -> Subscribed:
    limits = services.settings.subscriptions
    now = services.clock()
    within = limits.confirm_within
    async with session_scope(services.engine) as session:
        if await subscribers.client_sign_ups(session, client, now=now) >= limits.per_client_hour:
            raise TooManySignUps
        if kind == subscribers.WEBHOOK_KIND:
            await _webhook_room(session, limits, client, now=now)
            subscribers.count_sign_up(session, client, address, now=now)
            signed = await subscribers.sign_up_webhook(
                session, address, components, now=now, within=within, client=client
            )
            if signed.to_confirm:
                await _schedule_challenge(session, signed.subscription)
            await session.commit()
            log.info("Status page: webhook subscription %s", signed.subscription.id)
            services.wake_jobs()
            return Subscribed(kind, signed.secret)
        # Per client: a few clients fill their own share. Past everyone's cap, the link
        # mailed makes room (``send_subscriber_confirmation``): never a 429 to all.
        mine = await subscribers.client_pending(session, client, now=now, within=within)
        if mine >= limits.pending_per_client:
            raise TooManySignUps
        over = await subscribers.address_sign_ups(session, address, now=now)
        subscribers.count_sign_up(session, client, address, now=now)
        signed = await subscribers.sign_up_email(
            session, address, components, now=now, client=client
        )
        if signed.to_confirm and over < limits.per_address_day:
            await jobs.schedule(
                session,
                kind=JobKind.SUBSCRIBER_CONFIRM,
                key=f"subscriber-confirm:{signed.subscription.id}:{now.isoformat()}",
                due_at=now,
                payload={"subscription": signed.subscription.id},
            )
        await session.commit()
    services.wake_jobs()
    return Subscribed(kind)


async def _webhook_room(
    session: AsyncSession, limits: SubscriptionSettings, client: str, *, now: datetime
) -> None:
    """TooManySignUps past the webhooks' caps: this client's, then everyone's."""
    within = limits.confirm_within
    mine = await subscribers.live_webhooks(session, now=now, within=within, client=client)
    if mine >= limits.webhooks_per_client:
        raise TooManySignUps("webhooks_client")
    if await subscribers.live_webhooks(session, now=now, within=within) >= limits.webhooks_max:
        raise TooManySignUps("webhooks_full")


async def _schedule_challenge(session: AsyncSession, subscription: StatusSubscription) -> None:
    await jobs.schedule(
        session,
        kind=JobKind.SUBSCRIBER_CHALLENGE,
        # Each sign-up's own challenge, even two in the same instant.
        key=f"subscriber-challenge:{subscription.id}:{uuid4().hex}",
        due_at=subscription.confirm_sent_at or subscription.created_at,
        payload={"subscription": subscription.id},
    )


async def confirm(services: Services, token: str) -> bool:
    """The confirmation link's button: subscribed from now on; False for a link unknown,
    used or expired."""
    async with session_scope(services.engine) as session:
        found = await subscribers.confirm(
            session,
            token,
            now=services.clock(),
            within=services.settings.subscriptions.confirm_within,
        )
        await session.commit()
    if found is not None:
        log.info("Status page: subscription %s confirmed", found.id)
    return found is not None


async def unsubscribe(services: Services, token: str) -> bool:
    """The unsubscribe link (a person's button, or a mail client's one-click POST)."""
    async with session_scope(services.engine) as session:
        done = await subscribers.unsubscribe(session, token, now=services.clock())
        await session.commit()
    return done


@dataclass(frozen=True)
class Managed:
    """What a manage link's page says: the address masked, the components chosen (none: all)
    and whether it is still subscribed."""

    masked: str
    components: list[str]
    subscribed: bool


async def managed(services: Services, token: str) -> Managed | None:
    """The subscription a manage link is for; None for a link unknown."""
    async with session_scope(services.engine) as session:
        found = await subscribers.by_unsubscribe_token(session, token)
    if found is None:
        return None
    return Managed(subscribers.masked(found), list(found.components), subscribers.active(found))


async def change_components(services: Services, token: str, components: Sequence[str]) -> bool:
    """The manage link's Save: the components chosen from now on (none: all); False for a
    link unknown or a subscription that has ended."""
    async with session_scope(services.engine) as session:
        found = await subscribers.change_components(session, token, components)
        await session.commit()
    if found is not None:
        log.info("Status page: subscription %s changed its components", found.id)
    return found is not None


async def check_webhook(services: Services, url: str) -> None:
    """BadAddress("private") when the webhook's host name resolves to an address that is not
    public (loopback, private, link-local...), unless the operator allowed the host; the same
    check is made again as each notice is sent (``public_session``)."""
    allowed = services.settings.subscriptions.webhook_allowed_hosts
    refusal = await resolved_refusal(urlsplit(url).hostname or "", allowed, subscribers.WEBHOOKS)
    if refusal is not None:
        log.info("Status page: a webhook sign-up refused: its host is not public")
        raise subscribers.BadAddress("private")


async def known_components(services: Services) -> list[str]:
    """The components a subscriber may choose: those named publicly, by name."""
    async with session_scope(services.engine) as session:
        return [public.clean(name) for name in await subscribers.public_components(session)]


async def page_components(services: Services) -> list[str]:
    """The components the status page knows, each once whatever its case: those public
    incidents and public maintenance windows named, and Statuspage's configured
    (``STATUSPAGE_COMPONENTS``). What a window made in Slack may name."""
    async with session_scope(services.engine) as session:
        named = [
            *await subscribers.public_components(session),
            *await window_components(session),
        ]
    names: dict[str, str] = {}
    for name in [*named, *services.settings.status_page.components]:
        names.setdefault(name.strip().casefold(), name.strip())
    return sorted((name for name in names.values() if name), key=str.casefold)


# -- the jobs -------------------------------------------------------------------------------
def _url(services: Services, path: str) -> str:
    return f"{services.settings.web.public_url.rstrip('/')}{path}"


def unsubscribe_url(services: Services, subscription: StatusSubscription) -> str:
    return _url(services, f"/status/unsubscribe/{quote(subscription.unsubscribe_token)}")


def manage_url(services: Services, subscription: StatusSubscription) -> str:
    return _url(services, f"/status/manage/{quote(subscription.unsubscribe_token)}")


def mail_on(settings: Settings) -> bool:
    """Whether subscribers can be mailed: a mail server, a sender and the public address the
    mails' links name. Without them the form offers no e-mail (nothing would be sent)."""
    return settings.paging.smtp_on and bool(settings.web.public_url)


async def send_subscriber_confirmation(services: Services, job: Job) -> Wait | None:
    """The job handler: mail a waiting sign-up its confirmation link (made now, kept only
    hashed), past ``WARROOM_SUBSCRIBE_PENDING_MAX`` the room made by another's
    (``make_room``). A server's refusal of the address for good marks it bouncing."""
    if not mail_on(services.settings):
        log.error("Status page: a confirmation mail needs WARROOM_SMTP_URL, _FROM and PUBLIC_URL")
        return None
    limits = services.settings.subscriptions
    now = services.clock()
    async with session_scope(services.engine) as session:
        wanted = int(jobs.payload_of(job)["subscription"])
        started = await subscribers.start_confirmation(session, wanted, now=now)
        if started is not None:
            # Waiting from now on: past the cap, the sign-ups of the clients that asked for
            # the most make room, the oldest first.
            within = limits.confirm_within
            waiting = await subscribers.pending(session, now=now, within=within)
            for _ in range(waiting - limits.pending_max):
                await subscribers.make_room(session, now=now, within=within, keep=wanted)
        await session.commit()
    if started is None:
        return None
    subscription, token = started
    words = {
        "confirm_url": _url(services, f"/status/confirm/{quote(token)}"),
        "within": services.settings.subscriptions.confirm_within.total_seconds(),
        "page_url": _url(services, "/status"),
        "company": services.settings.status_page.company,
    }
    try:
        await _mail(services, subscription, "confirm", words, unsubscribe=False)
    except MailFailure as failure:
        retry = failure.retryable and job.attempts + 1 < _tries(failure)
        if retry:
            return Wait(services.clock() + _backoff(job.attempts))
        await _bounced(services, subscription, failure)
    return None


async def _bounced(
    services: Services, subscription: StatusSubscription, failure: MailFailure
) -> None:
    log.warning("Status page: subscription %s not mailed: %s", subscription.id, failure)
    if _bouncing(failure, retry=False):
        async with session_scope(services.engine) as session:
            await subscribers.mark_bouncing(session, subscription.id or 0, now=services.clock())
            await session.commit()


async def send_subscriber_notice(services: Services, job: Job) -> Wait | None:
    """The job handler: send a notice to each subscriber it was written for and not sent yet,
    ``WARROOM_SUBSCRIBE_SEND_CONCURRENCY`` at a time, each row taken by this run alone. A
    failure that may pass is tried again later (the others are not held up); a mail server
    refusing the address for good stops that address being mailed; a webhook that refuses
    it (4xx) is not sent it again; anything else marks its own row, never the others."""
    settings = services.settings.subscriptions
    if not settings.enabled:
        return None  # turned off: subscribers are sent nothing (their deliveries stay unsent)
    notice = str(jobs.payload_of(job)["notice"])
    async with session_scope(services.engine) as session:
        waiting = await subscribers.unsent(session, notice)
        content = await _notice(services, session, notice)
    queue = iter(waiting)
    outcomes: list[bool] = []
    async with public_session(settings.webhook_allowed_hosts, subscribers.WEBHOOKS) as web:
        workers = min(settings.send_concurrency, len(waiting))
        await asyncio.gather(
            *(_worker(services, web, queue, notice, content, outcomes) for _ in range(workers))
        )
    waits = [_backoff(job.attempts)] if any(outcomes) else []
    if len(outcomes) < len(waiting):
        # Rows another run holds (it may die mid-send): looked at again once its claim ends.
        waits.append(SENDING_LEASE)
    return Wait(services.clock() + min(waits)) if waits else None


async def _worker(
    services: Services,
    web: tuple[aiohttp.ClientSession, PublicOnly],
    queue: Iterator[int],
    notice: str,
    content: Notice | None,
    outcomes: list[bool],
) -> None:
    """One of a notice's senders: takes the next delivery no run holds, sends it, records it;
    ``outcomes`` gets, for each one taken, whether it is to be tried again later."""
    for delivery_id in queue:  # one iterator for all the workers: each row taken once here
        async with session_scope(services.engine) as session:
            delivery = await subscribers.claim_delivery(session, delivery_id, lease=SENDING_LEASE)
            await session.commit()
        if delivery is not None:
            outcomes.append(await _send_one(services, web, delivery, notice, content))


async def _send_one(
    services: Services,
    web: tuple[aiohttp.ClientSession, PublicOnly],
    delivery: StatusDelivery,
    notice: str,
    content: Notice | None,
) -> bool:
    """Send one delivery and record it on its row; whether it is to be tried again later."""
    async with session_scope(services.engine) as session:
        subscription = await session.get(StatusSubscription, delivery.subscription_id)
    if content is None or subscription is None or not subscribers.active(subscription):
        await _record(services, delivery.id or 0, error="not sent: no longer subscribed")
        return False
    try:
        await _deliver(services, web, subscription, notice, content)
    except VendorFailure as failure:
        retry = failure.retryable and delivery.attempts + 1 < _tries(failure)
        log.warning(
            "Status page: %s to subscription %s failed: %s", notice, subscription.id, failure
        )
        mail = subscription.kind == subscribers.EMAIL_KIND
        await _record(
            services,
            delivery.id or 0,
            error=failure.detail,
            final=not retry,
            # Refused for good (5xx), or refused for a while (4xx) time after time: bouncing.
            bounced=mail and _bouncing(failure, retry),
        )
        return retry
    except Exception as error:
        # Not a vendor's answer: a bug, or text this delivery cannot carry. It fails this row
        # for good (tried again it would fail again), never the notice's other subscribers.
        log.exception("Status page: %s to subscription %s failed", notice, subscription.id)
        await _record(
            services, delivery.id or 0, error=f"not sent: {type(error).__name__}", final=True
        )
        return False
    await _record(services, delivery.id or 0)
    return False


def _tries(failure: VendorFailure) -> int:
    """How many times a delivery failing so is tried before it is given up."""
    soft = isinstance(failure, MailFailure) and failure.soft_bounce
    return SOFT_BOUNCES_MAX if soft else ATTEMPTS_MAX


def _bouncing(failure: VendorFailure, retry: bool) -> bool:
    """Whether the address is mailed no more: refused for good (5xx at RCPT or DATA), or for
    a while (4xx) each of SOFT_BOUNCES_MAX times."""
    soft = isinstance(failure, MailFailure) and failure.soft_bounce and not retry
    return failure.bad_address or soft


def _backoff(attempts: int) -> timedelta:
    return backoff(attempts, first=FIRST_RETRY, longest=LONGEST_RETRY)


async def _record(services: Services, delivery_id: int, **outcome: Any) -> None:
    async with session_scope(services.engine) as session:
        await subscribers.record_delivery(session, delivery_id, now=services.clock(), **outcome)
        await session.commit()


@dataclass(frozen=True)
class Notice:
    """What a notice says, for every subscriber alike: the mail's words and the webhook's
    document (each gets its own unsubscribe link added)."""

    words: dict[str, Any]
    document: dict[str, Any]


async def _notice(services: Services, session: Any, notice: str) -> Notice | None:
    kind, _, row_id = notice.partition(":")
    if kind in (status_notices.MAINTENANCE, status_notices.MAINTENANCE_CANCELLED):
        window = await session.get(MaintenanceWindow, int(row_id))
        if window is None or not window.public_description:
            return None
        return _maintenance_notice(
            services, notice, window, cancelled=kind == status_notices.MAINTENANCE_CANCELLED
        )
    update = await session.get(PublicUpdate, int(row_id))
    record = await public.public_record(session, update.incident_id) if update else None
    if update is None or record is None or record.withdrawn_at is not None:
        return None
    updates = await public.updates_of(session, record.incident_id)
    earlier = [u for u in updates if (u.id or 0) < (update.id or 0)]
    language, name = named_publicly(services, record, record.language)
    texts = {
        lang: public_text(text) for lang, text in update_texts(services, record, update, earlier)
    }
    first = updates[0].id if updates else update.id
    url = _url(services, f"/status#incident-{first}")
    words = {
        "kind": "update",
        "name": public.clean(name),
        "status": update.status,
        "components": [public.clean(c) for c in record.components],
        "texts": texts,
        "at": update.published_at,
        "url": url,
    }
    document = {
        "type": "incident_update",
        "notice": notice,
        "incident": {
            "name": words["name"],
            "name_language": language,
            "components": words["components"],
            "url": url,
        },
        "update": {
            "status": update.status,
            "published_at": _iso(update.published_at),
            "texts": texts,
        },
    }
    return Notice(words, document)


def _maintenance_notice(
    services: Services, notice: str, window: MaintenanceWindow, *, cancelled: bool
) -> Notice:
    description = public.clean(window.public_description or "")
    url = _url(services, "/status#maintenance")
    words = {
        "kind": "maintenance",
        "description": description,
        "starts_at": window.starts_at,
        "ends_at": window.ends_at,
        "cancelled": cancelled,
        "zone": services.settings.incidents.timezone,
        "url": url,
    }
    document = {
        "type": "maintenance",
        "notice": notice,
        "maintenance": {
            "description": description,
            "starts_at": _iso(window.starts_at),
            "ends_at": _iso(window.ends_at),
            "cancelled": cancelled,
            "url": url,
        },
    }
    return Notice(words, document)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def _deliver(
    services: Services,
    web: tuple[aiohttp.ClientSession, PublicOnly],
    subscription: StatusSubscription,
    notice: str,
    content: Notice,
) -> None:
    if subscription.kind == subscribers.WEBHOOK_KIND:
        document = {
            **content.document,
            "unsubscribe_url": unsubscribe_url(services, subscription),
            "manage_url": manage_url(services, subscription),
        }
        await post_to_webhook(
            services, web, subscription, document, delivery=f"{notice}:{subscription.id}"
        )
        return
    if not mail_on(services.settings):
        raise VendorFailure(
            "WARROOM_SMTP_URL, _FROM or WARROOM_PUBLIC_URL is not set", retryable=False
        )
    await _mail(services, subscription, "notice", content.words, unsubscribe=True)


async def post_to_webhook(
    services: Services,
    web: tuple[aiohttp.ClientSession, PublicOnly],
    subscription: StatusSubscription,
    document: dict[str, Any],
    *,
    delivery: str,
    answer: bool = False,
) -> bytes:
    """POST a signed document to a subscriber's webhook, at a public address only, within
    ``WARROOM_SUBSCRIBE_WEBHOOK_TIMEOUT``; with ``answer``, the start of its answer's body
    (a challenge's echo). VendorFailure says why not (``not sent: ...`` for an address
    refused, for good)."""
    # A literal address (no resolver sees it) is checked here; a name, as it connects.
    parts = urlsplit(subscription.address)
    allowed = services.settings.subscriptions.webhook_allowed_hosts
    host = parts.hostname or ""
    if refusal := address_refusal(parts.scheme, host, allowed, subscribers.WEBHOOKS):
        raise VendorFailure(f"not sent: {refusal}", retryable=False)
    http, resolver = web
    try:
        return await post_page(
            http,
            subscription.address,
            Secret(subscription.secret or ""),
            document,
            timestamp=int(services.clock().timestamp()),
            delivery=delivery,
            timeout=services.settings.subscriptions.webhook_timeout,
            answer_max=ANSWER_MAX if answer else 0,
        )
    except VendorFailure:
        # Its name resolves to no public address now (this host's, of the requests at once).
        if (refused := resolver.refusals.get(normal_host(host))) is not None:
            raise VendorFailure(f"not sent: {refused}", retryable=False) from None
        raise


def named_sender(address: str, company: str) -> str:
    """The From address with the company's name (``Acme <status@acme.example>``), unless
    ``WARROOM_SMTP_FROM`` names one itself; the name is encoded as RFC 2047 needs."""
    name, bare = parseaddr(address)
    if name or not company or not bare:
        return address
    return formataddr((company, bare))


async def _mail(
    services: Services,
    subscription: StatusSubscription,
    template: str,
    words: dict[str, Any],
    *,
    unsubscribe: bool,
) -> None:
    """One mail from ``templates/subscribe/mail/<template>.{subject,txt,html}.j2``; with
    ``unsubscribe``, the link in its text and RFC 8058's one-click headers."""
    link = unsubscribe_url(services, subscription) if unsubscribe else ""
    manage = manage_url(services, subscription) if unsubscribe else ""
    said = {
        **words,
        "unsubscribe_url": link,
        "manage_url": manage,
        "page_url": _url(services, "/status"),
        "company": services.settings.status_page.company,
    }
    renderer = services.renderer
    headers = (
        {
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
        if unsubscribe
        else {}
    )
    paging, bounces = services.settings.paging, services.settings.bounces
    mail = Mail(
        sender=named_sender(paging.smtp_from, services.settings.status_page.company),
        to=subscription.address,
        # One line whatever the words in it: a line break in a header is refused by the mail
        # library (header injection), and would fail the mail.
        subject=" ".join(
            renderer.render_plain(f"{MAIL_TEMPLATES}/{template}.subject.j2", **said).split()
        ),
        text=renderer.render_plain(f"{MAIL_TEMPLATES}/{template}.txt.j2", **said),
        html=renderer.render(f"{MAIL_TEMPLATES}/{template}.html.j2", **said),
        headers=headers,
        # Its bounces, reported later, come back to warroom's listener (flows' bounces).
        envelope_from=bounce_address(
            subscription.id or 0, domain=bounces.domain, secret=str(bounces.secret)
        )
        if bounces.on
        else "",
    )
    await send_mail(paging.smtp_url, mail, plaintext=paging.smtp_plaintext)
