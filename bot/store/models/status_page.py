"""The tables of public incidents and their updates, and of the customers subscribed to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from bot.store.columns import (
    utc_column,
)


class PublicIncident(SQLModel, table=True):
    """An incident shown on the status pages (``/incident public``), with what it affects.

    Only what is here and in its ``PublicUpdate`` rows is ever shown in public: never the
    incident's title, timeline, people or channel.
    """

    __tablename__ = "public_incident"

    incident_id: int = Field(foreign_key="incident.id", primary_key=True)
    # The affected components as people named them, in order (a JSON list of strings).
    components: list[str] = Field(
        default_factory=list, sa_column=Column(JSON(), nullable=False, default=list)
    )
    # The language its status announcements are written in first (the incident's, then).
    language: str = "en"
    made_public_by: str
    made_public_at: datetime = Field(sa_column=utc_column(nullable=False))
    # `/incident public off`: shown nowhere from then on (Statuspage keeps what it was sent).
    withdrawn_at: datetime | None = Field(default=None, sa_column=utc_column())
    # The incident's id on Atlassian Statuspage once it was created there.
    statuspage_id: str | None = None
    # The name customers read, by language ({"fr": "...", "en": "..."}, in the order given):
    # `/incident public --title`; none: a name warroom makes from the components.
    titles: dict[str, str] = Field(
        default_factory=dict,
        sa_column=Column(JSON(), nullable=False, default=dict, server_default="{}"),
    )
    # The name Statuspage was last sent (a changed title is sent once, by the sync job).
    statuspage_name: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class PublicUpdate(SQLModel, table=True):
    """One update published on the status pages: a person's text in one or more languages,
    or (``texts`` empty) an announcement of the new status that templates word in each
    language."""

    __tablename__ = "public_update"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="public_incident.incident_id", index=True)
    status: str  # investigating | identified | monitoring | resolved
    # {"fr": "...", "en": "..."}, in the order they were given; {} for a status announcement.
    texts: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON(), nullable=False, default=dict)
    )
    published_by: str | None = None  # None: warroom announced a status change
    published_at: datetime = Field(sa_column=utc_column(nullable=False))
    # Bumped by each change of its text (a translation, a person's words replacing an
    # announcement), so Statuspage is sent the change.
    revision: int = 1
    edited_at: datetime | None = Field(default=None, sa_column=utc_column())
    # Statuspage: the incident update's id, the revision it shows, and when it got it; or
    # why Statuspage refused it for good.
    statuspage_update_id: str | None = None
    statuspage_revision: int = 0
    statuspage_at: datetime | None = Field(default=None, sa_column=utc_column())
    statuspage_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class StatusSubscription(SQLModel, table=True):
    """A customer subscribed to the status page's updates, by e-mail or by webhook.

    E-mail is double opt-in: mailed nothing but its confirmation until ``confirmed_at``. An
    unsubscribed or bouncing row is kept (``unsubscribed_at``, ``bounced_at``): it is mailed
    nothing, and signing up again asks for a new confirmation.
    """

    __tablename__ = "status_subscription"
    __table_args__ = (
        UniqueConstraint("kind", "address_key", name="uq_status_subscription_address"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str  # email | webhook
    # The address mail goes to, or the webhook's URL: never shown back, never logged.
    address: str = Field(sa_column=Column(Text, nullable=False))
    # SHA-256 of the address as compared (lowercased): the unique key and the rate limit's.
    address_key: str
    # The components it wants updates of (as named publicly); empty: all of them.
    components: list[str] = Field(
        default_factory=list, sa_column=Column(JSON(), nullable=False, default=list)
    )
    # Hex SHA-256 of the confirmation mail's link while it waits for it (the link itself is
    # made when the mail is sent, and is kept nowhere).
    confirm_hash: str | None = Field(default=None, unique=True)
    confirm_sent_at: datetime | None = Field(default=None, sa_column=utc_column())
    # The random token of the link in every mail (and webhook document) that unsubscribes: kept
    # as it is, since every mail carries it; it can do nothing else.
    unsubscribe_token: str = Field(unique=True)
    # A webhook's HMAC-SHA256 key, shown once when it signs up.
    secret: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    confirmed_at: datetime | None = Field(default=None, sa_column=utc_column())
    unsubscribed_at: datetime | None = Field(default=None, sa_column=utc_column())
    # The mail server refused the address for good (a 5xx at RCPT): mailed no more.
    bounced_at: datetime | None = Field(default=None, sa_column=utc_column())
    # The hashed client (an IPv4 address, an IPv6 /64) that last signed it up: what the
    # per-client caps on waiting sign-ups and on webhooks count (never the address in clear).
    client_key: str | None = Field(default=None, index=True)


class StatusSignUp(SQLModel, table=True):
    """One sign-up asked for on the status page: what its rate limits count (by the hashed
    client address and the hashed subscriber address, never either in clear)."""

    __tablename__ = "status_sign_up"

    id: int | None = Field(default=None, primary_key=True)
    client_key: str = Field(index=True)
    address_key: str = Field(index=True)
    at: datetime = Field(sa_column=utc_column(nullable=False))


class StatusDelivery(SQLModel, table=True):
    """One notice (a public update, a public maintenance window) for one subscriber: written
    with the notice, in its transaction, once per subscriber; sent by the notice's job."""

    __tablename__ = "status_delivery"
    __table_args__ = (
        UniqueConstraint("subscription_id", "notice", name="uq_status_delivery_notice"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="status_subscription.id")
    # ``update:<id>`` or ``maintenance:<id>``.
    notice: str = Field(index=True)
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=utc_column())
    # Not sent, for good (a bouncing address, a webhook that refused it), and why.
    gave_up_at: datetime | None = Field(default=None, sa_column=utc_column())
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Being sent until then (by the database's clock): a second run of the notice's job (its
    # lease lapsed, another replica) skips it, so no subscriber is sent a notice twice; past
    # it, the run that claimed it died mid-send and another sends it.
    sending_until: datetime | None = Field(default=None, sa_column=utc_column())
