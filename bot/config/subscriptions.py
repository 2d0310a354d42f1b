"""Status page subscriptions: who may sign up how often (behind which trusted proxies), and
which private hosts a webhook may point at."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import timedelta

from bot.basics.addresses import allowed_hosts
from bot.config.paging import at_least_one
from bot.config.reading import Feature, boolean, duration, seconds, setting

DEFAULT_CONFIRM_WITHIN = timedelta(hours=48)
# A subscriber's webhook answers within this long, or the try counts as failed (as paging's).
DEFAULT_WEBHOOK_TIMEOUT = 10.0
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(raw: str) -> tuple[IpNetwork, ...]:
    """``10.0.0.5, 10.1.0.0/16, ::1``: each an address or a network (strict=False: host bits
    are dropped, so ``10.1.2.3/16`` is ``10.1.0.0/16``)."""
    found = []
    for part in raw.split(","):
        if part.strip():
            try:
                found.append(ipaddress.ip_network(part.strip().strip("[]"), strict=False))
            except ValueError:
                raise ValueError(f"{part.strip()!r} is not an IP address or network") from None
    return tuple(found)


def positive_seconds(raw: str) -> float:
    """A number of seconds above 0 (``2.5``)."""
    number = seconds(raw)
    if number <= 0:
        raise ValueError(f"expected a number of seconds above 0, got {raw!r}")
    return number


@dataclass(frozen=True)
class SubscriptionSettings(Feature):
    """Customers subscribed to the status page by e-mail (mailed through `WARROOM_SMTP_URL`,
    from `WARROOM_SMTP_FROM`) or by webhook, and the limits on signing up."""

    enabled: bool = setting(
        env="WARROOM_STATUS_SUBSCRIPTIONS",
        default=True,
        parse=boolean,
        doc="`false`: the status page offers no subscriptions (its Atom feed stays); e-mail "
        "ones also need `WARROOM_SMTP_URL`, `WARROOM_SMTP_FROM` and `WARROOM_PUBLIC_URL`",
        shown="`true`",
    )
    per_client_hour: int = setting(
        env="WARROOM_SUBSCRIBE_PER_CLIENT_HOUR",
        default=5,
        parse=at_least_one,
        doc="sign-ups one client (an IPv4 address, an IPv6 /64) may ask for in an hour; more are "
        "answered 429",
    )
    per_address_day: int = setting(
        env="WARROOM_SUBSCRIBE_PER_ADDRESS_DAY",
        default=3,
        parse=at_least_one,
        doc="confirmation mails one e-mail address may be sent in a day, whoever asks (more "
        "sign-ups get the same answer and no mail)",
    )
    pending_max: int = setting(
        env="WARROOM_SUBSCRIBE_PENDING_MAX",
        default=1000,
        parse=at_least_one,
        doc="e-mail sign-ups waiting for their confirmation at once; past it each link "
        "mailed takes the room of the oldest waiting sign-up of the clients that asked for the "
        "most (whose link then works no more): strangers never close sign-ups for everyone",
    )
    # Well below pending_max: filling the whole cap takes pending_max / pending_per_client
    # clients (IPv6 counted by /64), so a few addresses cannot close sign-ups for everyone.
    pending_per_client: int = setting(
        env="WARROOM_SUBSCRIBE_PENDING_PER_CLIENT",
        default=10,
        parse=at_least_one,
        doc="e-mail sign-ups from one client (an IPv4 address, an IPv6 /64) waiting for their "
        "confirmation at once; past it that client is answered 429, everyone else still signs "
        "up (keep it well below `WARROOM_SUBSCRIBE_PENDING_MAX`)",
    )
    webhooks_max: int = setting(
        env="WARROOM_SUBSCRIBE_WEBHOOKS_MAX",
        default=500,
        parse=at_least_one,
        doc="webhook subscriptions, confirmed or waiting for their challenge's echo, at once; "
        "past it new webhooks are answered 429 (e-mail sign-ups go on)",
    )
    webhooks_per_client: int = setting(
        env="WARROOM_SUBSCRIBE_WEBHOOKS_PER_CLIENT",
        default=5,
        parse=at_least_one,
        doc="webhook subscriptions, confirmed or waiting, that one client (an IPv4 address, an "
        "IPv6 /64) signed up; past it that client's new webhooks are answered 429",
    )
    send_concurrency: int = setting(
        env="WARROOM_SUBSCRIBE_SEND_CONCURRENCY",
        default=8,
        parse=at_least_one,
        doc="a notice's deliveries (mails, webhook POSTs) in flight at once: a subscriber "
        "that hangs holds one of them for its time-out, never the others",
    )
    webhook_timeout: float = setting(
        env="WARROOM_SUBSCRIBE_WEBHOOK_TIMEOUT",
        default=DEFAULT_WEBHOOK_TIMEOUT,
        parse=positive_seconds,
        doc="seconds a subscriber's webhook may take to answer a notice or its challenge "
        "before that try counts as failed (tried again later)",
        shown="`10`",
    )
    confirm_within: timedelta = setting(
        env="WARROOM_SUBSCRIBE_CONFIRM_WITHIN",
        default=DEFAULT_CONFIRM_WITHIN,
        parse=duration(at_least=timedelta(minutes=10)),
        doc="how long a confirmation link works",
        shown="`48h`",
    )
    # Hosts a webhook subscription may name over http:// or at a loopback, link-local or
    # private address, as WARROOM_ICAL_ALLOWED_HOSTS does for feeds (one check for both:
    # bot/basics/addresses.py, and bot/clients/public_hosts.py as it connects).
    webhook_allowed_hosts: frozenset[str] = setting(
        env="WARROOM_SUBSCRIBE_WEBHOOK_ALLOWED_HOSTS",
        default=frozenset(),
        parse=allowed_hosts,
        doc="hosts (comma-separated, whole names or IPs, no wildcards) a webhook subscription "
        "may name over plain http:// or at a loopback, link-local or private address; any "
        "other host must be https:// and resolve to public addresses only, checked at "
        "sign-up and again at every send, so a stranger cannot make warroom POST into your "
        "network",
        shown="none",
    )
    # The reverse proxies whose X-Forwarded-For is believed for the per-client sign-up limit.
    trusted_proxies: tuple[IpNetwork, ...] = setting(
        env="WARROOM_TRUSTED_PROXIES",
        default=(),
        parse=networks,
        doc="addresses or networks (comma-separated: `10.0.0.5, 10.1.0.0/16`) of the reverse "
        "proxies in front of warroom: only a request from one of them has its "
        "`X-Forwarded-For` read for the status page's per-client sign-up limit (the last "
        "address in it that is not a trusted proxy); from anyone else the header is ignored",
        shown="none",
    )
