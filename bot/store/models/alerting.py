"""The tables of alert payloads, groups, alerts, heartbeats, maintenance windows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from bot.store.columns import (
    UTCDateTime,
    utc_column,
)


class AlertPayload(SQLModel, table=True):
    """A webhook body from a monitoring system, stored raw before it is processed.

    Processing reads it back from here, so a failure can be replayed and nothing is lost.
    """

    __tablename__ = "alert_payload"

    id: int | None = Field(default=None, primary_key=True)
    source: str  # alertmanager | grafana | generic
    body: str = Field(sa_column=Column(Text, nullable=False))
    group_key: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(sa_column=utc_column(nullable=False))
    # received -> processed, or failed (with the error) until replayed
    state: str = Field(default="received", index=True)
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    attempts: int = 0
    processed_at: datetime | None = Field(default=None, sa_column=utc_column())
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    # Why the payload's times look wrong (in the future, far past), if they do.
    flags: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # The integration whose key it came with (None: the default, WARROOM_ALERT_TOKEN): its
    # alerts carry that integration's service, and group apart from every other's.
    integration_id: int | None = Field(default=None, foreign_key="integration.id")


class Integration(SQLModel, table=True):
    """A way alerts reach warroom, with its own key (``warroom integrations create``): its
    kind (the alert source it speaks as: ``pagerduty``), its name, the service its alerts are
    for, and its key, of which only the SHA-256 is kept. Revoking one sets ``revoked_at``:
    its next delivery is refused. Never deleted, so stored payloads still say whose they were."""

    __tablename__ = "integration"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)
    name: str = Field(unique=True)
    service: str
    key_hash: str = Field(unique=True)  # hex SHA-256 of the key
    # A kind whose sender signs its bodies (GitHub's X-Hub-Signature-256, Sentry's
    # Sentry-Hook-Signature with its client secret) needs the secret itself to check an HMAC:
    # kept for those kinds only, and it opens nothing but this integration's deliveries.
    # Never listed, logged or shown again.
    signing_key: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=utc_column())
    # Its last delivery accepted, and how many it sent (the list says them).
    last_alert_at: datetime | None = Field(default=None, sa_column=utc_column())
    alerts: int = 0
    # A ``cloudwatch`` integration's SNS topic (its ARN): the only topic whose subscription it
    # confirms and whose messages it takes.
    topic: str | None = None
    # Who made it on the web (a Slack user id, ``local``); None: on the command line.
    created_by: str | None = None


class EpisodeFacts(SQLModel):
    """What one episode of an alert (a ``page`` route's group) holds, from its triggering to
    its resolution: the columns of its own row (``AlertEpisode``) and of its group's current
    episode (``AlertGroup``). The defaults are a fresh episode's: a new one is built from
    them (``bot.store.episodes.begin_episode``), nothing of the last carried over."""

    # triggered -> acknowledged -> resolved, paged to ``policy``; None for the groups of
    # other routes. Firing again once resolved starts a new ``episode`` (a new message, a
    # new page).
    state: str | None = None
    episode: int = Field(default=0, nullable=False, sa_column_kwargs={"default": 0})
    title: str = Field(default="", sa_type=Text, nullable=False, sa_column_kwargs={"default": ""})
    severity: str | None = None
    policy: str | None = None
    # How many notifications of the episode said it fires, and when the last did.
    fired_count: int = Field(default=0, nullable=False, sa_column_kwargs={"default": 0})
    triggered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_by: str | None = None
    acknowledged_via: str | None = None  # slack, sms, voice, ntfy, email
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by: str | None = None  # a Slack user, None: the source said it resolved
    # The episode's one message in the route's channel, updated in place.
    message_channel: str | None = None
    message_ts: str | None = None
    # Snoozed by a person until a time: paging stopped, paged again from level 1 then if it
    # still fires (a new ``cycle`` of the episode: its pages' steps and jobs' keys are new).
    snoozed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    snoozed_by: str | None = None
    cycle: int = Field(default=0, nullable=False, sa_column_kwargs={"default": 0})
    # The policy's round and level reached last in this cycle (0: none paged yet), and the
    # last escalation by hand: who, when, to which level (or to which person: ``escalated_to``,
    # the level then None).
    level_round: int = Field(default=1, nullable=False, sa_column_kwargs={"default": 1})
    level: int = Field(default=0, nullable=False, sa_column_kwargs={"default": 0})
    escalated_by: str | None = None
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_level: int | None = None
    escalated_to: str | None = None
    # Its route's urgency when it fired (high, or low: the people's low-urgency rules), and
    # until when a low-urgency one waits for its route's support hours before paging.
    urgency: str = Field(
        default="high", sa_type=Text, nullable=False, sa_column_kwargs={"default": "high"}
    )
    waits_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Grouped: this group's alerts joined another route's open alert, arrived within its
    # grouping window (``group_window``); they count on that one, paged nobody, while its
    # ``episode`` lasts.
    joined_to: int | None = None
    joined_episode: int | None = None
    last_fired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When it fired again after its source resolved it (a JSON list of times, within the
    # route's ``flapping.within``), and since when it is held open as flapping.
    flips: str = Field(
        default="[]", sa_type=Text, nullable=False, sa_column_kwargs={"default": "[]"}
    )
    flapping_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Resolved by itself after this many seconds quiet (``auto_resolve``, or flapping ended).
    resolved_after: int | None = None
    # The policy it named, no longer configured: it was paged to ``policy`` instead (the
    # policy its severity names), or to nobody when that is None.
    policy_gone: str | None = None
    # When the last snooze began; who declared the incident from it or attached it to one
    # (``incident_id``), and when: the incident's paging and timeline take it over.
    snoozed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    incident_id: int | None = None
    attached_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attached_by: str | None = None
    # A shadow week (0077): its episode's pages are kept as who would have been notified,
    # and nobody is (WARROOM_SHADOW, or its service's ``shadow: true``, when it triggered).
    shadow: bool = False


# What an episode holds, named alike on ``alert_episode`` and ``alert_group``.
EPISODE_FIELDS = tuple(EpisodeFacts.model_fields)


class AlertGroup(EpisodeFacts, table=True):
    """Alerts a source groups together (Alertmanager's ``groupKey``, a generic dedup key).

    One incident per group at a time: the row is locked while a notification is applied. A
    ``page`` route's group is an alert of its own (no incident), its current episode's facts
    its own columns (``EpisodeFacts``), each episode also a row (``AlertEpisode``).
    """

    __tablename__ = "alert_group"
    __table_args__ = (
        UniqueConstraint("source", "key_hash", name="uq_alert_group_key"),
        # The alerts' worklist: open ones by trigger time, the latest resolved (0069).
        Index("ix_alert_group_state_triggered", "state", "triggered_at"),
        Index("ix_alert_group_state_resolved", "state", "resolved_at"),
        # Insights' on-call load: a period's alerts, whatever their state (0099).
        Index("ix_alert_group_triggered_at", "triggered_at"),
        # A service's open alerts (its page), not all it ever had (0102).
        Index("ix_alert_group_service_state", "service", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str
    # SHA-256 of the group key: group keys are long, and unique indexes want short values.
    key_hash: str
    group_key: str = Field(sa_column=Column(Text, nullable=False))
    route: str = ""
    first_seen_at: datetime = Field(sa_column=utc_column(nullable=False))
    last_seen_at: datetime = Field(sa_column=utc_column(nullable=False))
    # The service its alerts carry (WARROOM_SERVICES): its route's, else its ``service``
    # label's when that names one (0074).
    service: str | None = Field(default=None, index=True)
    # The group's own, as ``EpisodeFacts`` has them, with their keys and indexes.
    state: str | None = Field(default=None, index=True)
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    joined_to: int | None = Field(default=None, foreign_key="alert_group.id", index=True)


class AlertEpisode(EpisodeFacts, table=True):
    """One episode of an alert, with its own facts (``EpisodeFacts``): a row per episode,
    so a past episode stays readable once the next begins. The current one is also its
    group's own columns, which every read uses, written here by each transaction that
    changes them, as it commits (``bot.store.episodes``) (0101)."""

    __tablename__ = "alert_episode"
    __table_args__ = (UniqueConstraint("group_id", "episode", name="uq_alert_episode"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="alert_group.id", index=True)


class AlertEscalation(SQLModel, table=True):
    """An alert escalated by hand: who, when, in which episode, to which level of
    its policy or to which person chosen. A row each, never changed, so every one is kept
    (``alert_group`` holds the latest for the message) (0085)."""

    __tablename__ = "alert_escalation"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="alert_group.id", index=True)
    episode: int
    escalated_by: str
    escalated_at: datetime = Field(sa_column=utc_column(nullable=False))
    policy: str | None = None
    level: int | None = None  # the policy's level paged then; None: to a person
    person: str | None = None  # the person chosen, paged by their own rules


class AlertNote(SQLModel, table=True):
    """A note a sender added to an alert (Opsgenie's "Add Note to Alert"): its words, who
    (the request's ``user``, else the integration), the request's ``source``, when, in which
    episode. A row each, never changed (0094)."""

    __tablename__ = "alert_note"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="alert_group.id", index=True)
    episode: int
    noted_by: str
    noted_at: datetime = Field(sa_column=utc_column(nullable=False))
    source: str | None = None  # what the sender says it came from (a script, a tool)
    via: str  # the alert source's kind whose API added it (``opsgenie``)
    note: str = Field(sa_column=Column(Text, nullable=False))
    # The stored request that added it (its request id is read back from it).
    payload_id: int | None = Field(default=None, foreign_key="alert_payload.id", index=True)


class RoutedCall(SQLModel, table=True):
    """A call to a service's number (live call routing, 0095): who was to be rung, in order
    (``plan``: ``{"level", "user"}``), each leg as it went (``legs``: ``{"step", "level",
    "user", "at", "status"}``), the voicemail left, and the alert it raised. No phone number
    is kept: a person's is read from their contacts when they are rung."""

    __tablename__ = "routed_call"

    id: int | None = Field(default=None, primary_key=True)
    call_sid: str = Field(unique=True)  # the provider's id of the inbound call
    provider: str
    service: str
    started_at: datetime = Field(sa_column=utc_column(nullable=False))
    plan: list[dict[str, object]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    legs: list[dict[str, object]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    # answered (someone took it), voicemail, nobody_on_call, or ringing while it goes on.
    outcome: str = "ringing"
    recording_url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    recording_seconds: int | None = None
    transcription: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    transcription_url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The alert it raised (its dedup key, ``call:<call_sid>``), when it raised one.
    alerted_at: datetime | None = Field(default=None, sa_column=utc_column())


class ShadowReport(SQLModel, table=True):
    """A ``warroom shadow compare`` run: the vendor, the window, the report as JSON (0077);
    the web page shows the latest."""

    __tablename__ = "shadow_report"

    id: int | None = Field(default=None, primary_key=True)
    vendor: str
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    since: datetime = Field(sa_column=utc_column(nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))


class Alert(SQLModel, table=True):
    """One firing of one alert (fingerprint and start time), as its group's notifications said."""

    __table_args__ = (
        UniqueConstraint("group_id", "fingerprint", "starts_at", name="uq_alert_firing"),
    )

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="alert_group.id", index=True)
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    fingerprint: str
    name: str = Field(sa_column=Column(Text, nullable=False))
    status: str  # firing | resolved; never back to firing (a new firing has a new start)
    starts_at: datetime = Field(sa_column=utc_column(nullable=False))
    ends_at: datetime | None = Field(default=None, sa_column=utc_column())
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    labels: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    annotations: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    links: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    first_payload_id: int = Field(foreign_key="alert_payload.id")
    last_payload_id: int = Field(foreign_key="alert_payload.id")
    # The status last shown in the incident channel, so each change is posted once.
    posted_status: str | None = None


class Heartbeat(SQLModel, table=True):
    """A heartbeat of the heartbeats file (``WARROOM_HEARTBEATS``) and where it stands."""

    name: str = Field(primary_key=True)
    # The first start that knew it: one never seen is missed counting from then.
    watched_since: datetime = Field(sa_column=utc_column(nullable=False))
    last_beat_at: datetime | None = Field(default=None, sa_column=utc_column())
    beats: int = 0
    # The start of the miss whose alert is firing (the deadline it passed); None: none open.
    missed_since: datetime | None = Field(default=None, sa_column=utc_column())
    misses: int = 0


class MaintenanceWindow(SQLModel, table=True):
    """A time during which alerts whose labels all match are recorded and open nothing."""

    __tablename__ = "maintenance_window"

    id: int | None = Field(default=None, primary_key=True)
    # {"label": "value", ...}: an alert matches when it has every one of them.
    matchers: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    starts_at: datetime = Field(sa_column=utc_column(nullable=False))
    ends_at: datetime = Field(sa_column=utc_column(nullable=False))
    # Who made it: a Slack user id (from Slack or the web view), or "cli" (the command line).
    created_by: str
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    cancelled_at: datetime | None = Field(default=None, sa_column=utc_column())
    cancelled_by: str | None = None
    # What customers read of it on the status page; None: an internal window, never shown.
    public_description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The status page's components it touches, as customers read them (a public window's;
    # its matchers are alert labels, never shown): None or [] names none.
    components: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class SilencedAlert(SQLModel, table=True):
    """An alert a maintenance window kept from opening an incident, as it arrived."""

    __tablename__ = "silenced_alert"
    __table_args__ = (
        # A payload applied again (a replay) silences its alerts once.
        UniqueConstraint("window_id", "payload_id", "fingerprint", name="uq_silenced_alert"),
    )

    id: int | None = Field(default=None, primary_key=True)
    window_id: int = Field(foreign_key="maintenance_window.id", index=True)
    payload_id: int = Field(foreign_key="alert_payload.id")
    fingerprint: str
    name: str = Field(sa_column=Column(Text, nullable=False))
    labels: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    starts_at: datetime = Field(sa_column=utc_column(nullable=False))
    silenced_at: datetime = Field(sa_column=utc_column(nullable=False))
