"""Status page subscriptions: who may sign up how often, and whether a webhook may point at a
private network."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.config.paging import at_least_one
from bot.config.reading import Feature, boolean, duration, setting

DEFAULT_CONFIRM_WITHIN = timedelta(hours=48)


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
        doc="sign-ups one client address (IP) may ask for in an hour; more are answered 429",
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
        doc="e-mail sign-ups waiting for their confirmation at once; past it sign-ups are "
        "answered 429 until some are confirmed or expire",
    )
    confirm_within: timedelta = setting(
        env="WARROOM_SUBSCRIBE_CONFIRM_WITHIN",
        default=DEFAULT_CONFIRM_WITHIN,
        parse=duration(at_least=timedelta(minutes=10)),
        doc="how long a confirmation link works",
        shown="`48h`",
    )
    private_webhooks: bool = setting(
        env="WARROOM_SUBSCRIBE_PRIVATE_WEBHOOKS",
        default=False,
        parse=boolean,
        doc="`true`: a webhook subscription may name a loopback or private address "
        "(`127.0.0.1`, `10.0.0.0/8`, `localhost`...); by default anyone on the internet "
        "could make warroom POST into your network, so they are refused",
        shown="`false`",
    )
