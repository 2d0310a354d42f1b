"""What each tool answers, as types: the SDK makes each tool's ``outputSchema`` from them and
checks every answer against it, so the schema an agent reads (tools/list, docs/agents.md) is
what it gets. The readers' answers are the JSON API's models (api_models.py) with the links
to the web view and to Slack; the others are declared here."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.web.api.models import (
    AlertGroupDetailPublic,
    AlertGroupListPublic,
    AlertGroupPublic,
    ChangeListPublic,
    ChangePublic,
    IncidentListPublic,
    IncidentPublic,
    IncidentSummaryPublic,
    OncallListPublic,
    OncallShiftsPublic,
    ReviewPublic,
    ServiceListPublic,
    ServicePublic,
)

WebUrl = Annotated[
    str, Field(description="The incident's page in the web view (absolute with a public URL).")
]
SlackUrl = Annotated[str | None, Field(description="Its Slack channel, when it has one.")]
Moment = Annotated[str | None, Field(description="ISO 8601, in the incident's zone.")]


class Answer(BaseModel):
    """What every answer of the tools declared here shares: nothing undeclared."""

    model_config = ConfigDict(extra="forbid")


class Linked(Answer):
    """An answer about one incident: its page and its channel."""

    web_url: WebUrl
    slack_url: SlackUrl = None


class IncidentSummaryAnswer(IncidentSummaryPublic):
    """An incident of a list, as the API's list gives it, with its links."""

    web_url: WebUrl
    slack_url: SlackUrl = None


class IncidentListAnswer(IncidentListPublic):
    """A page of incidents, newest first, each with its links."""

    items: list[IncidentSummaryAnswer]  # type: ignore[assignment]


class IncidentAnswer(IncidentPublic):
    """One incident as the API gives it, times in its zone, with its links."""

    web_url: WebUrl
    slack_url: SlackUrl = None


OncallAnswer = OncallListPublic
ShiftsAnswer = OncallShiftsPublic


class EntryAnswer(Answer):
    """One entry of the record, as the team's model reads it and a proposal cites it."""

    ref: str = Field(description="What a proposal cites it by: E42.")
    kind: str
    at: Moment
    author: str | None
    text: str
    link: str | None = Field(description="Its Slack message, when it was one.")


class TimelineAnswer(Answer):
    """A page of the record, oldest first."""

    reference: str
    timezone: str
    total: int
    page: int
    per_page: int
    pages: int
    entries: list[EntryAnswer]


class Reason(BaseModel):
    """Why a sentence was left out: the rule, as data (what it stated, the entries), and
    ``because``, the sentence the postmortem draft says it with."""

    model_config = ConfigDict(extra="allow")

    rule: str = Field(description="time, number, person, unknown_cite, contradicted…")
    because: str = Field(description="The reason in the draft's words.")


class LeftOut(Answer):
    text: str | None
    why: list[dict[str, Any]]


class SuggestionAnswer(Answer):
    """A section's suggestion nobody has accepted yet: the model's or an agent's."""

    id: int
    by: str = Field(description="The team's model, or the agent's token name.")
    made_at: Moment
    text: str
    meaning: str = Field(description="checked, not_checked, off or mixed.")
    left_out: list[LeftOut]


class SectionAnswer(Answer):
    key: str
    prompt: str
    text: str | None
    author: str | None
    state: Literal["written", "suggested", "gap"]
    suggestion: SuggestionAnswer | None


class PostmortemAnswer(Linked):
    """The draft as it stands, its review state (as the web view moves it: a person's act,
    no tool's) and each written section's state."""

    reference: str
    markdown: str
    gaps: int
    review: ReviewPublic
    sections: list[SectionAnswer]


class FollowUpAnswer(Linked):
    text: str
    owner: str | None = Field(description="A Slack user id.")
    due_at: Moment
    overdue: bool
    incident: str
    incident_title: str


AlertUrl = Annotated[
    str, Field(description="The alert's page in the web view (absolute with a public URL).")
]


class AlertAnswer(AlertGroupPublic):
    """An alert of a list, as the API's list gives it, times in the team's zone."""

    web_url: AlertUrl


class AlertListAnswer(AlertGroupListPublic):
    """The open alerts, then the latest resolved, each with its page's link."""

    open: list[AlertAnswer]  # type: ignore[assignment]
    resolved: list[AlertAnswer]  # type: ignore[assignment]


class AlertDetailAnswer(AlertGroupDetailPublic):
    """One alert with its pages and notifications, as the API gives it, with its link."""

    web_url: AlertUrl


ServiceUrl = Annotated[
    str, Field(description="The service's page in the web view (absolute with a public URL).")
]


class ServiceAnswer(ServicePublic):
    """A service, as the API's list gives it, with its page's link."""

    web_url: ServiceUrl


class ServiceListAnswer(ServiceListPublic):
    """Every service of the services file, each with its page's link."""

    services: list[ServiceAnswer]  # type: ignore[assignment]


class FollowUpsAnswer(Answer):
    at: str | None
    items: list[FollowUpAnswer]


class Why(Answer):
    """One thing a related incident shares with the one asked about."""

    by: Literal["field", "alert", "label"]
    name: str
    value: str | None = None


class RelatedAnswer(Linked):
    reference: str
    title: str
    severity: str
    status: str
    declared_at: Moment
    why: list[Why]
    cause: str | None = Field(description="The latest message marked root cause.")
    open_follow_ups: list[str]


class RelatedBy(Answer):
    """The traits looked for: (field, value), alert names, (label, value)."""

    fields: list[list[str]]
    alert_names: list[str]
    labels: list[list[str]]


class RelatedIncidentsAnswer(Answer):
    reference: str | None
    related_by: RelatedBy
    items: list[RelatedAnswer]


class KeptSentence(Answer):
    text: str
    cites: list[str]
    meaning: dict[str, Any] | None = Field(
        description='{"state": "checked" | "not_checked" | "off", "why": …}'
    )


class RefusedSentence(Answer):
    text: str
    cites: list[str]
    why: list[Reason]


class FindingAnswer(Linked):
    """What a proposal became: the sentences kept (one suggestion, shown in the channel)
    and those refused, with why."""

    reference: str
    section: str
    proposed_by: str
    kept: list[KeptSentence]
    refused: list[RefusedSentence]
    shown_in_channel: bool


class NoteShown(Answer):
    id: int
    text: str
    at: Moment
    cites: list[str]
    meaning: dict[str, Any] | None


class NoteAnswer(Linked):
    """What a proposed timeline note became: shown for a person to accept, or refused."""

    reference: str
    proposed_by: str
    state: Literal["proposed", "refused"]
    note: NoteShown | None
    refused: list[Reason]
    shown_in_channel: bool


class ChangeAnswer(ChangePublic):
    """A change as the API gives it, its link as a reader may be shown it (as Slack and the
    web view show it): the host it goes to named, one that passes for the workspace's own
    host refused."""

    link: str | None = Field(
        description="Its link (http or https); null when it has none or it is refused "
        "(link_refused says why)."
    )
    link_host: str | None = Field(
        description="The host its link goes to, in IDNA's ASCII form (xn--... for another "
        "script), to name beside it: the sender chose the link's words; null without a link."
    )
    link_refused: str | None = Field(
        description="Why its link is not given, when it is not: its host passes for the "
        "workspace's own (WARROOM_PUBLIC_URL's, the Slack workspace's) without being it "
        "(warr00m.example.com for warroom.example.com), or it is not a web address."
    )


class ChangeListAnswer(ChangeListPublic):
    """What changed on the services asked for, newest first, as the API gives it, each
    change's link as a reader may be shown it."""

    changes: list[ChangeAnswer]  # type: ignore[assignment]
