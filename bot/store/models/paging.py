"""The tables of pages to people, their notifications, contact methods and rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from bot.store.columns import (
    utc_column,
)


class PersonPage(SQLModel, table=True):
    """A page to one person an escalation reached: their notification rules fire, each a
    ``Notification``, until anyone acknowledges the escalation (or the incident resolves)."""

    __tablename__ = "person_page"
    __table_args__ = (
        # One page per person and escalation, however many replicas decide it.
        UniqueConstraint("escalation_id", "user_id", name="uq_person_page_escalation_user"),
        # An alert's pages: one per person and step of its policy (bot/flows/alerting/paging.py).
        UniqueConstraint(
            "alert_group_id", "alert_step", "user_id", name="uq_person_page_alert_step"
        ),
        # A period's pages (Insights' paging figures and on-call load, the paging SLO) by
        # when they started and when what started them arrived (0102).
        Index("ix_person_page_started_at", "started_at"),
        Index("ix_person_page_arrived_at", "arrived_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # An incident's page (its escalation's), or an alert's (its group's, at a step of the
    # route's policy): exactly one of the two.
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    escalation_id: int | None = Field(default=None, foreign_key="escalation.id", index=True)
    alert_group_id: int | None = Field(default=None, foreign_key="alert_group.id", index=True)
    # "<episode>:<round>:<level>" of the alert group's policy; None for an incident's page.
    alert_step: str | None = None
    user_id: str = Field(index=True)
    started_at: datetime = Field(sa_column=utc_column(nullable=False))
    state: str = "open"  # open | acknowledged | ended (the incident resolved)
    acknowledged_at: datetime | None = Field(default=None, sa_column=utc_column())
    acknowledged_by: str | None = None
    # How it was acknowledged: slack (the button, /incident ack), sms, voice, ntfy, email.
    acknowledged_via: str | None = None
    # When its first notification left: set once, by whichever sender settles first.
    first_sent_at: datetime | None = Field(default=None, sa_column=utc_column())
    # When what started it reached warroom: the alert's HTTP request, the ``/incident start``
    # command; None for a page of a level that started by itself (a timeout, a snooze's end,
    # an escalation by hand). The paging SLI counts from it (``first_sent_after``).
    arrived_at: datetime | None = Field(default=None, sa_column=utc_column())


class Notification(SQLModel, table=True):
    """One notification a page's rule sends through one of the person's methods, due at the
    page's start plus the rule's offset; its job is written in the transaction that decided
    the page. The number or address stays in the contacts, never here."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("page_id", "rule", "contact", name="uq_notification_page_rule_contact"),
    )

    id: int | None = Field(default=None, primary_key=True)
    page_id: int = Field(foreign_key="person_page.id", index=True)
    # As its page's: an incident's, or an alert group's.
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    alert_group_id: int | None = Field(default=None, foreign_key="alert_group.id", index=True)
    user_id: str
    rule: int  # the rule's position among the person's rules, from 1
    contact: str  # the contact's name, or "slack"
    method: str  # slack | ntfy | sms | voice | email
    due_at: datetime = Field(sa_column=utc_column(nullable=False))
    # pending -> sending -> sent -> delivered | answered, or failed, or cancelled (acknowledged
    # first); resending: taken again after a sender stopped mid-send (bot/record/paging/pages.py)
    state: str = "pending"
    # The service's own id for it (a phone provider's id, ntfy's message id): status callbacks
    # find it.
    vendor_id: str | None = Field(default=None, index=True)
    # The first provider's id for it when that provider reported it failed and the fallback
    # carried it instead: that provider's repeated reports are known, and change nothing.
    given_up_vendor_id: str | None = Field(default=None, index=True)
    # Who carried it, once sent, when that is not the method's own (an SMS through a fallback
    # provider).
    provider: str | None = None
    sent_at: datetime | None = Field(default=None, sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column(nullable=False))
    # When its provider confirmed it reached the person (an SMS's delivery receipt, a call
    # answered: bot/record/paging/slo.py, ``confirms_delivery``), set once with that state.
    delivered_at: datetime | None = Field(default=None, sa_column=utc_column())
    # Why it failed, in words without the number or address.
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # What its provider last said of it, in the provider's own word (Twilio's undelivered,
    # no-answer; Pushover's acknowledged; ntfy's accepted): bot/record/paging/reported.py.
    reported: str | None = None


class ContactMethod(SQLModel, table=True):
    """A contact method a person added from Slack (``/oncall contact add``): used for paging
    only once verified with the code sent to it. Above the contacts file's entry of the same
    name."""

    __tablename__ = "contact_method"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_contact_method_user_name"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(index=True)
    name: str
    kind: str  # ntfy | sms | voice | email
    address: str
    # SMS and voice: who carries it (a phone provider's name); None: the default
    # (bot/record/paging/contacts.py, DEFAULT_PHONE_PROVIDER).
    provider: str | None = None
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    verified_at: datetime | None = Field(default=None, sa_column=utc_column())
    # SHA-256 of the verification code sent; None once verified.
    code_hash: str | None = None
    code_sent_at: datetime | None = Field(default=None, sa_column=utc_column())
    # Wrong codes typed since the last one was sent: at 5 the code is void.
    code_tries: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    tested_at: datetime | None = Field(default=None, sa_column=utc_column())


class ContactCode(SQLModel, table=True):
    """A verification code sent for ``/oncall contact add``: counted against the limits per
    person and per destination (kept here, so every replica counts alike). ``destination`` is
    a digest of the method and its address, never the address."""

    __tablename__ = "contact_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(index=True)
    destination: str = Field(index=True)
    sent_at: datetime = Field(sa_column=utc_column(nullable=False))


class NotificationRules(SQLModel, table=True):
    """A person's own notification rules, set from Slack (``/oncall rules``): above the
    contacts file's. [{"after_seconds": 0, "notify": ["slack", "push"]}, ...]"""

    __tablename__ = "notification_rules"

    user_id: str = Field(primary_key=True)
    rules: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(sa_column=utc_column(nullable=False))


class PageTest(SQLModel, table=True):
    """A test page a person sent themselves (``/oncall test-page``): outside any incident,
    what went out through each method and what failed, in words without the number or
    address. [{"contact": "sms", "method": "sms", "failure": null}, ...]"""

    __tablename__ = "page_test"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(index=True)
    tested_at: datetime = Field(sa_column=utc_column(nullable=False))
    results: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))


class DrillCheck(SQLModel, table=True):
    """One provider exercised by a paging drill (``warroom paging drill``, or
    ``WARROOM_PAGING_DRILL``'s schedule): pending until the provider's outcome is known
    (the provider's status callback finds it by ``vendor_id``), then ok or failed with why, in words
    without the number or address. The checks of one drill share its ``drill`` key."""

    __tablename__ = "drill_check"

    id: int | None = Field(default=None, primary_key=True)
    drill: str = Field(index=True)  # the drill's key: when and how it was started
    provider: str  # ntfy | a phone provider's name | smtp
    method: str  # ntfy | sms | voice | email
    user_id: str | None = None  # the person who opted in and was reached, None: nobody
    state: str = "pending"  # pending -> ok | failed
    vendor_id: str | None = Field(default=None, index=True)
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    started_at: datetime = Field(sa_column=utc_column(nullable=False))
    settled_at: datetime | None = Field(default=None, sa_column=utc_column())


class AckToken(SQLModel, table=True):
    """An acknowledgement link's secret, bound to one page (one person, one escalation): only
    its SHA-256 is kept, so the database never holds a working link. Used once."""

    __tablename__ = "ack_token"

    token_hash: str = Field(primary_key=True)
    page_id: int = Field(foreign_key="person_page.id", index=True)
    incident_id: int | None = Field(default=None, foreign_key="incident.id")  # None: an alert's
    method: str  # the notification's method that carried the link: ntfy | email
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=utc_column())


class DrillChoice(SQLModel, table=True):
    """Whether a person takes part in paging drills, as they said from Slack (``/oncall
    contact drill on|off``): above the contacts file's ``drill:``. A drill reaches only those
    whose choice (or, without one, the file) says yes."""

    __tablename__ = "drill_choice"

    user_id: str = Field(primary_key=True)
    drill: bool
    updated_at: datetime = Field(sa_column=utc_column(nullable=False))
