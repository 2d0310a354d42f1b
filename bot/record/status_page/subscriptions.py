"""Customers subscribed to the status page: signing up (e-mail double opt-in, webhooks), the
limits on signing up, confirming, unsubscribing, a bouncing address, and what each notice
still has to send.

An address is never written to a log and never shown back: what a page answers a sign-up is
the same whether the address was new, waiting, confirmed or unsubscribed.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.addresses import Refusing, address_refusal, normal_host
from bot.store.db import database_now
from bot.store.models import PublicIncident, StatusDelivery, StatusSignUp, StatusSubscription

EMAIL_KIND = "email"
WEBHOOK_KIND = "webhook"
# RFC 5321's limits: 254 characters a path, 64 the local part; the domain a dotted host name.
ADDRESS_MAX = 254
LOCAL_MAX = 64
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
URL_MAX = 2000
TOKEN_BYTES = 32
# A client's sign-ups are counted over this long, an address's over a day.
CLIENT_WINDOW = timedelta(hours=1)
ADDRESS_WINDOW = timedelta(days=1)


class BadAddress(ValueError):
    """What a person typed is not an address warroom can send to: ``why`` names the problem
    (the form says each in ``templates/web/subscribe.html.j2``)."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def email_address(raw: str) -> str:
    """The address typed, checked: one ``local@domain.tld`` with no space, no quoting, no
    comment and no second address; BadAddress otherwise."""
    address = raw.strip()
    if not address:
        raise BadAddress("empty")
    if len(address) > ADDRESS_MAX or address.count("@") != 1:
        raise BadAddress("email")
    local, domain = address.split("@")
    labels = domain.split(".")
    if (
        not local
        or len(local) > LOCAL_MAX
        or not _LOCAL.match(local)
        or local.startswith(".")
        or local.endswith(".")
        or ".." in local
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise BadAddress("email")
    return address


# How a webhook subscription's refused address is said (in logs and on delivery rows).
WEBHOOKS = Refusing(
    what="posts no subscriber's webhook to",
    setting="WARROOM_SUBSCRIBE_WEBHOOK_ALLOWED_HOSTS",
    over="webhooks are posted",
)


def webhook_url(raw: str, *, allowed: Collection[str]) -> str:
    """The URL typed, checked: ``https://`` (``http://`` only to a host in ``allowed``), with
    a host, no user or password, and no loopback, private or link-local address (any of
    inet_aton's spellings, ``localhost``) unless ``allowed`` names the host; BadAddress
    otherwise. A name is resolved and checked by the caller, and again at every send."""
    url = raw.strip()
    if not url:
        raise BadAddress("empty")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise BadAddress("url") from None
    host = normal_host(parts.hostname or "")
    schemes = ("https", "http") if host in allowed else ("https",)
    if len(url) > URL_MAX or parts.scheme not in schemes or not host:
        raise BadAddress("url")
    if parts.username or parts.password or any(c.isspace() for c in url):
        raise BadAddress("url")
    if address_refusal(parts.scheme, host, allowed, WEBHOOKS) is not None:
        raise BadAddress("private")
    return url


def address_key(address: str) -> str:
    """The hashed address the table and the limits compare (lowercased)."""
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


# An IPv6 client is counted by its /64: one subscriber line or host is handed a whole /64
# (RFC 6177, RFC 7421), and would otherwise be a new client with each address it picks.
IPV6_CLIENT_PREFIX = 64


def client_group(client: str) -> str:
    """What the per-client limits count a client as: its IPv4 address (an IPv4-mapped IPv6
    address is that IPv4 address), or its IPv6 address's /64; anything else as it is."""
    try:
        found = ipaddress.ip_address(client.strip().strip("[]").partition("%")[0])
    except ValueError:
        return client
    if isinstance(found, ipaddress.IPv6Address):
        if found.ipv4_mapped is not None:
            return str(found.ipv4_mapped)
        return str(ipaddress.ip_network(f"{found}/{IPV6_CLIENT_PREFIX}", strict=False))
    return str(found)


def client_key(client: str) -> str:
    """The hashed client (``client_group``) the limits compare."""
    return hashlib.sha256(f"client:{client_group(client)}".encode()).hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


# The public incidents whose components are offered to subscribers, the latest first.
COMPONENTS_FROM = 1000


async def public_components(session: AsyncSession) -> list[str]:
    """The components public incidents name (withdrawn ones aside), as first written, each
    once whatever its case, sorted: what a subscriber may choose from."""
    rows = await session.exec(
        select(PublicIncident.components)
        .where(col(PublicIncident.withdrawn_at).is_(None))
        .order_by(col(PublicIncident.made_public_at).desc())
        .limit(COMPONENTS_FROM)
    )
    names: dict[str, str] = {}
    for components in rows.all():
        for name in components:
            names.setdefault(name.strip().casefold(), name.strip())
    return sorted((name for name in names.values() if name), key=str.casefold)


# -- limits --------------------------------------------------------------------------------
async def client_sign_ups(session: AsyncSession, client: str, *, now: datetime) -> int:
    """Sign-ups from this client address in the last hour."""
    return await _count(
        session,
        col(StatusSignUp.client_key) == client_key(client),
        col(StatusSignUp.at) > now - CLIENT_WINDOW,
    )


async def address_sign_ups(session: AsyncSession, address: str, *, now: datetime) -> int:
    """Sign-ups for this address in the last day, from anyone."""
    return await _count(
        session,
        col(StatusSignUp.address_key) == address_key(address),
        col(StatusSignUp.at) > now - ADDRESS_WINDOW,
    )


async def _count(session: AsyncSession, *where: object, table: type = StatusSignUp) -> int:
    rows = await session.exec(select(func.count()).select_from(table).where(*where))  # type: ignore[arg-type]
    return int(rows.one())


def _waiting(now: datetime, within: timedelta) -> list[Any]:
    """E-mail sign-ups waiting for their confirmation, whose link still works."""
    return [
        StatusSubscription.kind == EMAIL_KIND,
        col(StatusSubscription.confirmed_at).is_(None),
        col(StatusSubscription.confirm_hash).is_not(None),
        col(StatusSubscription.confirm_sent_at) > now - within,
    ]


async def pending(session: AsyncSession, *, now: datetime, within: timedelta) -> int:
    """E-mail sign-ups waiting for their confirmation, whose link still works."""
    return await _count(session, *_waiting(now, within), table=StatusSubscription)


async def make_room(
    session: AsyncSession, *, now: datetime, within: timedelta, keep: int | None = None
) -> None:
    """One waiting e-mail sign-up less (the caller commits), never ``keep`` (the sign-up
    making room): the oldest of those whose client asked for the most sign-ups in
    ``within`` (the hashed clients ``status_sign_up`` counts). Its link works no more; a
    sign-up never confirmed is deleted (its address kept nowhere), one that was (unsubscribed
    since, signing up again) keeps its row, unsubscribed. So a flood takes room from itself
    first: a customer who asked once loses a waiting sign-up only to clients who asked no
    more than once each, the oldest first."""
    asked = (
        select(col(StatusSignUp.client_key), func.count().label("asked"))
        .where(col(StatusSignUp.at) > now - within)
        .group_by(col(StatusSignUp.client_key))
        .subquery()
    )
    oldest = (
        await session.exec(
            select(StatusSubscription)
            .outerjoin(asked, asked.c.client_key == col(StatusSubscription.client_key))
            .where(*_waiting(now, within), col(StatusSubscription.id) != keep)
            .order_by(
                func.coalesce(asked.c.asked, 0).desc(),
                col(StatusSubscription.confirm_sent_at),
                col(StatusSubscription.id),
            )
            .limit(1)
            .with_for_update(of=StatusSubscription)
        )
    ).first()
    if oldest is None:
        return
    if oldest.unsubscribed_at is None and oldest.bounced_at is None:
        await session.delete(oldest)
        return
    oldest.confirm_hash, oldest.confirm_sent_at = None, None
    session.add(oldest)


async def client_pending(
    session: AsyncSession, client: str, *, now: datetime, within: timedelta
) -> int:
    """E-mail sign-ups this client made that wait for their confirmation, link still working."""
    mine = col(StatusSubscription.client_key) == client_key(client)
    return await _count(session, *_waiting(now, within), mine, table=StatusSubscription)


async def live_webhooks(
    session: AsyncSession, *, now: datetime, within: timedelta, client: str | None = None
) -> int:
    """Webhook subscriptions confirmed, or waiting for their challenge's echo (for ``within``
    since they signed up); of one client only when ``client`` is given."""
    where = [
        StatusSubscription.kind == WEBHOOK_KIND,
        col(StatusSubscription.unsubscribed_at).is_(None),
        col(StatusSubscription.bounced_at).is_(None),
        or_(
            col(StatusSubscription.confirmed_at).is_not(None),
            col(StatusSubscription.confirm_sent_at) > now - within,
        ),
    ]
    if client is not None:
        where.append(col(StatusSubscription.client_key) == client_key(client))
    return await _count(session, *where, table=StatusSubscription)


def count_sign_up(session: AsyncSession, client: str, address: str, *, now: datetime) -> None:
    session.add(
        StatusSignUp(client_key=client_key(client), address_key=address_key(address), at=now)
    )


# -- signing up ----------------------------------------------------------------------------
@dataclass(frozen=True)
class SignedUp:
    subscription: StatusSubscription
    # E-mail: whether a confirmation mail is to be sent (not to a confirmed or bouncing one).
    to_confirm: bool
    # Webhook: its secret, to show once (None: the URL was subscribed already).
    secret: str | None = None


async def _by_address(session: AsyncSession, kind: str, address: str) -> StatusSubscription | None:
    rows = await session.exec(
        select(StatusSubscription)
        .where(
            StatusSubscription.kind == kind,
            StatusSubscription.address_key == address_key(address),
        )
        .with_for_update()
    )
    return rows.first()


async def sign_up_email(
    session: AsyncSession,
    address: str,
    components: Sequence[str],
    *,
    now: datetime,
    client: str = "",
) -> SignedUp:
    """Keep an e-mail sign-up, waiting for its confirmation (the caller commits). A confirmed
    address keeps its subscription (its components are not changed by a stranger); an
    unsubscribed one must confirm again; a bouncing one is sent nothing."""
    found = await _by_address(session, EMAIL_KIND, address)
    if found is None:
        found = StatusSubscription(
            kind=EMAIL_KIND,
            address=address,
            address_key=address_key(address),
            components=list(components),
            unsubscribe_token=new_token(),
            created_at=now,
            client_key=client_key(client),
        )
        session.add(found)
        await session.flush()
        return SignedUp(found, to_confirm=True)
    if found.bounced_at is not None:
        return SignedUp(found, to_confirm=False)
    if found.confirmed_at is not None and found.unsubscribed_at is None:
        return SignedUp(found, to_confirm=False)
    # Waiting, or unsubscribed: a new confirmation, for the components asked for now.
    found.components = list(components)
    found.confirmed_at = None
    found.client_key = client_key(client)
    session.add(found)
    return SignedUp(found, to_confirm=True)


def waiting_for_echo(subscription: StatusSubscription, *, now: datetime, within: timedelta) -> bool:
    """Whether a webhook waits for its challenge's echo (for ``within`` since it signed up)."""
    return (
        subscription.confirmed_at is None
        and subscription.unsubscribed_at is None
        and subscription.bounced_at is None
        and subscription.confirm_sent_at is not None
        and subscription.confirm_sent_at > now - within
    )


async def sign_up_webhook(
    session: AsyncSession,
    url: str,
    components: Sequence[str],
    *,
    now: datetime,
    within: timedelta,
    client: str = "",
) -> SignedUp:
    """Keep a webhook sign-up with a new secret, sent nothing but its challenge until it echoes
    it (the caller commits, and schedules the challenge when ``to_confirm``). A URL confirmed
    or waiting already is left as it is (no secret shown: it would let a stranger read its
    documents' signatures); an unsubscribed, refused or lapsed one starts again."""
    found = await _by_address(session, WEBHOOK_KIND, url)
    if found is not None and (active(found) or waiting_for_echo(found, now=now, within=within)):
        return SignedUp(found, to_confirm=False)
    secret = new_token()
    if found is None:
        found = StatusSubscription(
            kind=WEBHOOK_KIND,
            address=url,
            address_key=address_key(url),
            unsubscribe_token=new_token(),
            created_at=now,
        )
    found.components, found.secret = list(components), secret
    found.confirmed_at, found.unsubscribed_at, found.bounced_at = None, None, None
    # For a webhook, when its challenge window began (an e-mail's: when its link was mailed).
    found.confirm_sent_at, found.client_key = now, client_key(client)
    session.add(found)
    await session.flush()
    return SignedUp(found, to_confirm=True, secret=secret)


async def webhook_answered(
    session: AsyncSession, subscription_id: int, *, echoed: bool, now: datetime
) -> StatusSubscription | None:
    """What a webhook's challenge came to (the caller commits): ``echoed``, it is sent notices
    from now on; otherwise it never is (signing it up again starts over). None when it was not
    waiting for it any more (unsubscribed, confirmed by another run)."""
    found = await session.get(StatusSubscription, subscription_id)
    if found is None or found.confirmed_at is not None or found.unsubscribed_at is not None:
        return None
    if echoed:
        found.confirmed_at = now
    else:
        # Refused for good: not counted against the caps, and posted nothing.
        found.unsubscribed_at = now
    session.add(found)
    return found


async def start_confirmation(
    session: AsyncSession, subscription_id: int, *, now: datetime
) -> tuple[StatusSubscription, str] | None:
    """A new confirmation link for a waiting sign-up (the caller commits, then mails it): the
    subscription and the link's token, kept only hashed; None when it needs none now."""
    found = await session.get(StatusSubscription, subscription_id)
    if found is None or found.confirmed_at is not None or found.bounced_at is not None:
        return None
    token = new_token()
    found.confirm_hash, found.confirm_sent_at = token_hash(token), now
    session.add(found)
    return found, token


async def confirm(
    session: AsyncSession, token: str, *, now: datetime, within: timedelta
) -> StatusSubscription | None:
    """Confirm the sign-up whose link this is (the caller commits); None for a link unknown,
    used, or older than ``within``."""
    rows = await session.exec(
        select(StatusSubscription).where(StatusSubscription.confirm_hash == token_hash(token))
    )
    found = rows.first()
    if found is None or found.confirm_sent_at is None or found.confirm_sent_at < now - within:
        return None
    found.confirm_hash, found.confirmed_at, found.unsubscribed_at = None, now, None
    session.add(found)
    return found


async def by_unsubscribe_token(session: AsyncSession, token: str) -> StatusSubscription | None:
    rows = await session.exec(
        select(StatusSubscription).where(StatusSubscription.unsubscribe_token == token)
    )
    return rows.first()


async def unsubscribe(session: AsyncSession, token: str, *, now: datetime) -> bool:
    """Unsubscribe whoever holds this link (the caller commits); kept, so that signing up again
    asks for a new confirmation. False for an unknown link; True again for one unsubscribed."""
    found = await by_unsubscribe_token(session, token)
    if found is None:
        return False
    if found.unsubscribed_at is None:
        found.unsubscribed_at, found.confirm_hash = now, None
        session.add(found)
    return True


def masked(subscription: StatusSubscription) -> str:
    """The address as its manage page says it, never in full: ``d…@example.com`` for a
    mailbox (its first character and its domain), ``https://hooks.example.com/…`` for a
    webhook (its host, not its path, which may hold a key)."""
    if subscription.kind == WEBHOOK_KIND:
        parts = urlsplit(subscription.address)
        return f"{parts.scheme}://{parts.hostname or ''}/…"
    local, _, domain = subscription.address.partition("@")
    return f"{local[:1]}…@{domain}"


async def change_components(
    session: AsyncSession, token: str, components: Sequence[str]
) -> StatusSubscription | None:
    """Set the components of whoever holds the manage link (the caller commits; empty: all);
    None for an unknown link, or a subscription unsubscribed or bouncing."""
    found = await by_unsubscribe_token(session, token)
    if found is None or found.unsubscribed_at is not None or found.bounced_at is not None:
        return None
    found.components = list(components)
    session.add(found)
    return found


# -- sending -------------------------------------------------------------------------------
def active(subscription: StatusSubscription) -> bool:
    """Whether it is sent notices: confirmed, not unsubscribed, not bouncing."""
    return (
        subscription.confirmed_at is not None
        and subscription.unsubscribed_at is None
        and subscription.bounced_at is None
    )


async def unsent(session: AsyncSession, notice: str) -> list[int]:
    """The ids of the notice's deliveries neither sent nor given up, oldest first (some may
    be in flight in another run: ``claim_delivery`` says)."""
    rows = await session.exec(
        select(StatusDelivery.id)
        .where(
            StatusDelivery.notice == notice,
            col(StatusDelivery.sent_at).is_(None),
            col(StatusDelivery.gave_up_at).is_(None),
        )
        .order_by(col(StatusDelivery.id))
    )
    return [found for found in rows.all() if found is not None]


async def claim_delivery(
    session: AsyncSession, delivery_id: int, *, lease: timedelta
) -> StatusDelivery | None:
    """Take one delivery to send for ``lease`` (by the database's clock; the caller commits):
    None when it is sent, given up, or being sent by another run whose claim holds. One
    conditional UPDATE, so two runs never both take it."""
    dialect = session.get_bind().dialect.name
    taken = await session.exec(
        update(StatusDelivery)
        .where(
            col(StatusDelivery.id) == delivery_id,
            col(StatusDelivery.sent_at).is_(None),
            col(StatusDelivery.gave_up_at).is_(None),
            or_(
                col(StatusDelivery.sending_until).is_(None),
                col(StatusDelivery.sending_until) < database_now(dialect),
            ),
        )
        .values(sending_until=database_now(dialect, lease))
        .execution_options(synchronize_session=False)
    )
    if not taken.rowcount:
        return None
    return await session.get(StatusDelivery, delivery_id, populate_existing=True)


async def record_delivery(
    session: AsyncSession,
    delivery_id: int,
    *,
    now: datetime,
    error: str | None = None,
    final: bool = False,
    bounced: bool = False,
) -> None:
    """What sending a delivery came to (the caller commits): sent (no ``error``), to try again,
    or given up (``final``); ``bounced``: the address is mailed no more."""
    delivery = await session.get(StatusDelivery, delivery_id)
    if delivery is None:
        return
    delivery.attempts += 1
    delivery.last_error = error
    delivery.sending_until = None  # a retry's next run may take it
    if error is None:
        delivery.sent_at = now
    elif final:
        delivery.gave_up_at = now
    session.add(delivery)
    if bounced:
        await mark_bouncing(session, delivery.subscription_id, now=now)


async def mark_bouncing(session: AsyncSession, subscription_id: int, *, now: datetime) -> bool:
    """The subscription's address is mailed no more (the caller commits): a mail server
    refused it for good while sending, or reported so later (``bounces``). Whether it was
    not bouncing already."""
    subscription = await session.get(StatusSubscription, subscription_id)
    if subscription is None or subscription.bounced_at is not None:
        return False
    subscription.bounced_at = now
    session.add(subscription)
    return True
