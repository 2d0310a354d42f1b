"""The JSON API's answers as models, and the bodies it takes: the one place their shapes are
written down.

The handlers in api.py build these and answer ``model.model_dump(mode="json")``; openapi.py
takes the document's component schemas from the same classes, so an answer and its
description cannot disagree. Every model forbids fields it does not declare, so a handler that
adds one fails at once instead of answering something the document does not describe.
Every field is required (no defaults): a nullable field is always present, as null.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.web.filters import ReviewName, SeverityName, StatusName

Count = Annotated[int, Field(ge=0)]
# A custom field's value (WARROOM_INCIDENT_TYPES): a select's option, a multi-select's
# options, a number, a user id, or text (readable: people by name, Slack's markup resolved).
FieldValuePublic = int | float | str | list[str]
Seconds = Annotated[int, Field(ge=0)]


class PublicModel(BaseModel):
    """What every answer model shares: undeclared fields are an error, and a field whose
    name is a Python keyword (``from``) is written under its alias."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_by_name=True, serialize_by_alias=True
    )


class ErrorPublic(PublicModel):
    """Every 4xx answer of the API: a stable code for programs, a sentence for people."""

    error: str
    message: str


class PersonPublic(PublicModel):
    id: str
    name: str


class ChannelPublic(PublicModel):
    id: str
    name: str | None


class ReviewPublic(PublicModel):
    """The postmortem's review state: ``draft``, ``in_review`` or ``published``, who moved it
    there and when (both null while nobody has moved it from the draft it starts as)."""

    state: ReviewName
    by: PersonPublic | None
    at: datetime | None


class IncidentSummaryPublic(PublicModel):
    """An incident as the list shows it."""

    reference: str = Field(pattern=r"^INC-[0-9]+$")
    title: str
    severity: SeverityName
    status: StatusName
    private: bool
    type: str | None = Field(description="The incident type (WARROOM_INCIDENT_TYPES); null: none.")
    fields: dict[str, FieldValuePublic] = Field(
        description="Custom field values by field name; a field with no value is absent."
    )
    commander: PersonPublic | None
    channel: ChannelPublic | None
    timezone: str
    started_at: datetime | None
    detected_at: datetime | None
    declared_at: datetime
    paged_at: datetime | None = Field(
        description="When its alert's first page started, where time to acknowledge counts "
        "from it (a metric's `from` is then `paged`); null: it counts from detected_at."
    )
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    ended_at: datetime | None = Field(
        description="When the impact ended: set, else proposed from the record; null: unknown."
    )
    resolved_at: datetime | None
    impact_lasted_seconds: Seconds | None = Field(
        description="The impact's span, started_at to ended_at; null while either is unknown."
    )
    open_for_seconds: Seconds = Field(
        description="How long the incident was open: declared_at to resolved_at, or to now."
    )
    postmortem_review: ReviewPublic
    service: str | None = Field(description="The service it is about (WARROOM_SERVICES).")
    url: str


class MetricPublic(PublicModel):
    """The time between two milestones; null when one is unknown or they are out of order."""

    key: str
    from_: str = Field(alias="from")
    to: str
    seconds: Seconds | None


class TimelineLinePublic(PublicModel):
    at: datetime
    kind: str
    text: str
    author: str | None
    link: str | None


class EscalationPublic(PublicModel):
    target: str
    at: datetime
    by: str | None  # null: the escalation policy's timer
    reason: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None


class IssuePublic(PublicModel):
    """A follow-up's issue in a tracker. ``state``: ``waiting`` (being filed, or retried
    while the tracker is down), ``filed``, ``refused`` (``error`` says why) or ``closed``
    (closed in the tracker: done). ``key`` and ``url`` are null until it is filed."""

    tracker: Literal["github", "jira", "linear"]
    key: str | None
    url: str | None
    state: Literal["waiting", "filed", "refused", "closed"]
    filed_at: datetime | None
    closed_at: datetime | None
    error: str | None


class ActionPublic(PublicModel):
    """A follow-up task; ``done`` when its owner marked it done (``marked_done_by``) or its
    issue was closed in the tracker; ``overdue`` when ``due_at`` has passed and it is not
    done; ``reads_like``: the text of an earlier follow-up of the incident it may duplicate
    (both are kept)."""

    text: str
    owner: str | None
    noted_by: str | None
    at: datetime
    link: str | None
    issue: IssuePublic | None
    done: bool
    due_at: datetime | None
    overdue: bool
    marked_done_by: str | None
    reads_like: str | None


class SectionPublic(PublicModel):
    """One written section of the postmortem; null text while nobody has written it."""

    key: str
    prompt: str
    text: str | None
    author: str | None
    edited_at: datetime | None


class PostmortemPublic(PublicModel):
    gaps: Count
    sections: list[SectionPublic]


class AlertLinkPublic(PublicModel):
    text: str
    url: str


class AlertPublic(PublicModel):
    """One firing of an alert of the incident (its fingerprint and start), as the monitoring
    system last said it: every label and annotation, and the links it gave."""

    name: str
    fingerprint: str
    status: Literal["firing", "resolved"]
    starts_at: datetime
    ends_at: datetime | None = Field(description="When it stopped firing; null: it fires.")
    summary: str
    labels: dict[str, str]
    annotations: dict[str, str]
    links: list[AlertLinkPublic]


class IncidentPublic(IncidentSummaryPublic):
    """One incident with its record: the summary's fields first, then these."""

    description: str
    metrics: list[MetricPublic]
    timeline: list[TimelineLinePublic]
    alerts: list[AlertPublic] = Field(
        description="The alerts that opened or joined the incident, oldest first."
    )
    escalations: list[EscalationPublic]
    actions: list[ActionPublic]
    postmortem: PostmortemPublic


class IncidentListPublic(PublicModel):
    """One page of incidents, newest first."""

    items: list[IncidentSummaryPublic]
    total: Count
    page: int = Field(ge=1)
    per_page: int = Field(ge=1)
    pages: int = Field(ge=1)


class OncallShiftPublic(PublicModel):
    """A stretch of the same people on call: ``users``, in the order of the layers that name
    them (several only where a schedule has ``overlap: all``), empty in a gap; ``user`` is
    the first of them, null in a gap."""

    start: datetime
    end: datetime
    user: PersonPublic | None
    users: list[PersonPublic]


class OncallNowPublic(PublicModel):
    """One schedule at ``at``: the shift holding that instant (as long as the same person,
    or nobody, holds it) and the one after it (null when nothing changes within a year)."""

    schedule: str
    timezone: str
    current: OncallShiftPublic
    next: OncallShiftPublic | None
    url: str


class OncallListPublic(PublicModel):
    """Every schedule, in the schedule file's order."""

    at: datetime
    items: list[OncallNowPublic]


class OverridePublic(PublicModel):
    """An override of a schedule (``layer`` null), or of one of its layers: ``user`` on call
    from ``start`` to ``end`` (null: nobody, a deliberate gap), who made it and when, who
    cancelled it and when (null while it stands), and whom it displaced when it was made (on
    a cancelling answer, empty)."""

    id: int
    schedule: str
    layer: str | None
    user: PersonPublic | None
    start: datetime
    end: datetime
    created_by: str
    created_at: datetime
    cancelled_by: str | None
    cancelled_at: datetime | None
    displaced: list[OncallShiftPublic]


# A Slack user id, as the API takes one.
UserId = Annotated[str, Field(pattern=r"^[UW][A-Z0-9]{2,}$", max_length=40)]


class OverrideCreate(BaseModel):
    """The body of ``POST /api/oncall/{schedule}/overrides``: whom to put on call (a Slack
    user id, or null for nobody: a deliberate gap), from when to when (ISO 8601 with an
    offset; the start is now at the earliest, the end in the future and at most a year after
    the start), and the layer it overrides (left out or null: the whole schedule)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user: UserId | None = Field(description="A Slack user id like U024BE7LH, or null: nobody.")
    start: datetime = Field(description="ISO 8601 with its offset, e.g. 2026-03-13T18:00:00Z.")
    end: datetime = Field(description="ISO 8601 with its offset, after start.")
    layer: str | None = Field(
        default=None, max_length=200, description="One layer's name; null: the whole schedule."
    )


class OncallShiftsPublic(PublicModel):
    """A schedule's final shifts (overrides included) from ``from`` to ``to``, consecutive
    and cut at the window's edges."""

    schedule: str
    timezone: str
    from_: datetime = Field(alias="from")
    to: datetime
    shifts: list[OncallShiftPublic]


# -- Alerts that page without an incident (docs/alerts-without-incidents.md): /api/alerts ----
AlertStateName = Literal["triggered", "acknowledged", "snoozed", "attached", "resolved"]
UrgencyName = Literal["high", "low"]


class AlertGroupPublic(PublicModel):
    """An alert of a route that pages without an incident (``action: page``): its current
    episode (firing again once resolved starts a new one, under the same id)."""

    id: int
    title: str
    route: str
    service: str | None = Field(description="The service it carries (WARROOM_SERVICES).")
    severity: str | None
    urgency: UrgencyName = Field(
        description="Its route's urgency when it fired: low follows the people's low-urgency rules."
    )
    state: AlertStateName
    shadow: bool = Field(
        default=False,
        description="A shadow (WARROOM_SHADOW or its service's shadow: true): its pages were "
        "computed and kept as who would have been notified, and nobody was.",
    )
    incident: str | None = Field(
        description="The incident it was declared as or attached to (its state 'attached', "
        "or resolved with it), e.g. INC-12."
    )
    incident_declared: bool | None = Field(
        description="True: declared as that incident (Declare incident); false: attached to "
        "one declared before (/incident alert attach)."
    )
    policy: str | None = Field(description="The escalation policy it pages.")
    fired_count: Count = Field(description="How many notifications of the episode said it fires.")
    first_seen_at: datetime
    last_seen_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: PersonPublic | None
    acknowledged_via: str | None = Field(description="slack, sms, voice, ntfy or email.")
    snoozed_until: datetime | None
    snoozed_by: PersonPublic | None
    resolved_at: datetime | None
    resolved_by: PersonPublic | None = Field(
        description="Who resolved it; null once resolved: its source said so."
    )
    escalated_at: datetime | None = Field(
        description="When it was last escalated by hand in its episode; null: never."
    )
    escalated_by: PersonPublic | None = Field(description="Who escalated it by hand last.")
    escalated_level: int | None = Field(
        description="The level of its policy it was escalated to by hand (null: to a person)."
    )
    escalated_to: PersonPublic | None = Field(
        description="The person it was escalated to by hand, paged by their own rules "
        "(null: to a level of its policy)."
    )
    joined_count: Count = Field(
        default=0,
        description="How many alerts of its route, sender and service joined its episode "
        "(the route's group_window; 0 when it does not group).",
    )
    url: str


class JoinedAlertPublic(PublicModel):
    """An alert that joined this one's episode (its route's ``group_window``): its own
    title, source and state. Its sender's resolve of its key resolves it; the alert it
    joined resolves once none of its alerts fires."""

    id: int
    title: str
    source: str = Field(description="Its sender: alertmanager, grafana, pagerduty, opsgenie…")
    state: AlertStateName = Field(
        description="Its own: resolved once none of its alerts fires, else the state of the "
        "alert it joined."
    )
    joined_at: datetime | None


class AlertGroupListPublic(PublicModel):
    """The alerts the filters keep: the open ones (latest triggered first), then the latest
    resolved (at most 50)."""

    at: datetime
    open: list[AlertGroupPublic]
    resolved: list[AlertGroupPublic]


class AlertNotificationPublic(PublicModel):
    """One notification of a page: through which method and contact (by the name people gave
    it; never its number or address), who carried it, and what they last reported."""

    method: str = Field(
        description="slack, ntfy (push), pushover (push), sms, voice, email, webhook or teams."
    )
    contact: str
    provider: str
    state: str = Field(
        description="pending, sending, sent, delivered, answered, failed or cancelled."
    )
    reported: str | None = Field(
        description="What its provider last said of it, in the provider's own word: "
        "Twilio's delivered, undelivered or failed, a call's completed, busy or no-answer; "
        "Pushover's acknowledged or expired; ntfy's accepted. None when it said none."
    )
    due_at: datetime
    sent_at: datetime | None
    updated_at: datetime
    detail: str | None = Field(description="Why it failed, in words.")


class AlertPagePublic(PublicModel):
    """One person paged for the alert by a level of its policy, and their notifications."""

    person: PersonPublic
    level: int | None
    after_snooze: bool = Field(
        description="Paged again in a later cycle: after a snooze ended, or an alert joined it."
    )
    started_at: datetime
    state: str = Field(description="open, acknowledged or ended.")
    acknowledged_at: datetime | None
    acknowledged_via: str | None
    notifications: list[AlertNotificationPublic]


class AlertEscalationPublic(PublicModel):
    """One escalation of the alert by hand: who escalated it, when, and to whom: a level of
    its policy, or a person chosen (paged by their own rules)."""

    escalated_at: datetime
    escalated_by: PersonPublic
    policy: str | None = Field(description="The escalation policy whose level was paged.")
    level: int | None = Field(
        description="The level of its policy escalated to (null: to a person)."
    )
    to: PersonPublic | None = Field(
        description="The person escalated to, paged by their own rules (null: to a level)."
    )


class AlertNotePublic(PublicModel):
    """A note the alert's sender added to it (Opsgenie's "Add Note to Alert"): its words, who
    (the request's user, else the integration's name), from where, when."""

    noted_at: datetime
    noted_by: str = Field(description="Who, as the sender named them (not a Slack user).")
    source: str | None = Field(description="Where it came from, as the sender said.")
    via: str = Field(description="The alert source whose API added it (opsgenie).")
    note: str


class AlertEpisodePublic(PublicModel):
    """One past episode of the alert (before its current one): what it was, who
    acknowledged, escalated and resolved it, and when."""

    episode: int = Field(ge=1, description="Its number: 1 for the alert's first.")
    title: str
    severity: str | None
    state: str | None = Field(description="Where it ended (resolved, or as it was left).")
    fired_count: Count
    triggered_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: PersonPublic | None
    acknowledged_via: str | None
    escalated_at: datetime | None
    escalated_by: PersonPublic | None
    resolved_at: datetime | None
    resolved_by: PersonPublic | None = Field(
        description="Who resolved it; null once resolved: its source said so."
    )


class AlertGroupDetailPublic(AlertGroupPublic):
    """One alert with its history: its runbook and labels, every escalation by hand (the
    latest first said by the ``escalated_*`` fields), each page and notification, each note
    its sender added."""

    runbook: str | None
    labels: dict[str, str]
    escalations: list[AlertEscalationPublic] = Field(
        description="Every escalation by hand in its episode, in the order they were made."
    )
    pages: list[AlertPagePublic]
    joined: list[JoinedAlertPublic] = Field(
        default_factory=list,
        description="The alerts that joined its episode, oldest first, each as its own.",
    )
    notes: list[AlertNotePublic] = Field(
        default_factory=list,
        description="The notes its sender added to its episode, oldest first.",
    )
    past_episodes: list[AlertEpisodePublic] = Field(
        default_factory=list,
        description="Its episodes before the current one, the latest first (at most 20).",
    )


class ServiceOwnerPublic(PublicModel):
    """Who owns a service: a person, a user group (its handle), or an on-call schedule."""

    kind: Literal["user", "usergroup", "schedule"]
    ref: str = Field(description="A Slack user id, a user group's handle, a schedule's name.")
    name: str = Field(description="The person's name as the record keeps it, else ``ref``.")


class ServiceIncidentPublic(PublicModel):
    """An incident of a service, as its page lists it (private ones the caller may not see are
    left out)."""

    reference: str = Field(pattern=r"^INC-[0-9]+$")
    title: str
    severity: SeverityName
    status: StatusName
    declared_at: datetime
    resolved_at: datetime | None
    url: str


class ServicePublic(PublicModel):
    """A service of the services file (WARROOM_SERVICES), with what is open on it now."""

    name: str
    description: str
    owners: list[ServiceOwnerPublic]
    policy: str | None = Field(description="The escalation policy its alerts page.")
    urgency: UrgencyName
    runbook: str | None
    channel: str | None = Field(description="The Slack channel its alerts go to.")
    depends_on: list[str]
    depended_on_by: list[str]
    system: str | None
    pagerduty_service_id: str | None
    opsgenie_component_selector: str | None
    open_alerts: Count
    open_incidents: Count = Field(description="Its open incidents the caller may see.")
    url: str


class ServiceListPublic(PublicModel):
    """Every service of the file, in its order."""

    at: datetime
    services: list[ServicePublic]


class ChangePublic(PublicModel):
    """A change made to a service (a deploy, a flag, configuration...), as its sender said."""

    id: int
    service: str | None = Field(
        description="The service it was made to; null for a change channel's message that "
        "could not be read (kept as its text, never guessed into a service)."
    )
    kind: Literal["deploy", "feature_flag", "configuration", "infrastructure", "database", "other"]
    who: str | None = Field(description="Who made it, as the sender named them.")
    at: datetime = Field(description="When it was made (UTC): the sender's time, else arrival.")
    summary: str
    link: str | None
    source: str = Field(
        description="What sent it: pagerduty, github, argocd, slack (a change channel's "
        "message) or api."
    )
    origin: str | None = Field(
        description="The system or repository the sender names (PagerDuty's payload.source, "
        "GitHub's owner/name, the API's source)."
    )


class ChangeAcceptedPublic(PublicModel):
    """A change kept by ``POST /api/changes`` (the same ``id`` when sent again)."""

    status: Literal["accepted"]
    id: int


class ChangeListPublic(PublicModel):
    """Changes, newest first: on the services asked for, since a time."""

    since: datetime
    services: list[str] | None = Field(description="The services asked for; null: every one.")
    changes: list[ChangePublic]


class ServiceDetailPublic(ServicePublic):
    """A service with its open alerts, its incidents, and who is on call for it now."""

    changes: list[ChangePublic] = Field(
        description="What changed on it in the last 24 hours, newest first (at most 20)."
    )

    on_call: list[PersonPublic] = Field(
        description="Who its policy's first level reaches now: its people and whoever its "
        "schedules name (a user group's members are asked of Slack when it pages)."
    )
    alerts: list[AlertGroupPublic]
    incidents: list[ServiceIncidentPublic] = Field(
        description="Its open incidents, then its latest resolved (at most 10)."
    )
