"""What warroom sends a person, a closed set of kinds (GoAlert's notification/nfymsg/): a page
of an incident, a page of an alert of its own, a contact's verification code, the paging
drill's message and a test page. Each is a small class carrying what its words need, and
``words`` reads the rest (people's names) once, for every part a destination renders: the
words themselves are templates keyed by (kind, method), ``templates/paging/<kind>/<method>.j2``
(bot/flows/paging/destinations/words.py).

A page is answered (acknowledged, escalated) from where it lands, so each destination says it
in its own way; a notice (verification, drill, test) is a subject and a text, which every
destination sends alike. A new subject is one class here, added to ``Message`` and ``KINDS``,
and its templates (``templates/paging/<kind>/default.j2`` at least).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from bot.basics.slack_text import mentioned_users, to_plain
from bot.flows.paging.alert_pages import PHONE_SNOOZE_MINUTES
from bot.record.people import known_names
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import AlertGroup, Escalation, Incident, Notification


@dataclass(frozen=True)
class IncidentPage:
    """One notification of a person's page for an incident: the incident, the escalation that
    paged them, and the notification (its id keys its acknowledgement link and its record)."""

    kind: ClassVar[str] = "incident_page"
    incident: Incident
    escalation: Escalation
    notification: Notification

    async def words(self, services: Services, *also: str | None) -> dict[str, Any]:
        """The incident, its title in plain text, who escalated, and the names of the people
        in ``also`` (``names``)."""
        return await incident_words(services, self.incident, self.escalation, *also)


@dataclass(frozen=True)
class AlertPage:
    """One notification of a person's page for an alert of its own (no incident): the alert
    group, the notification, and its console link when issued already (``console``)."""

    kind: ClassVar[str] = "alert_page"
    group: AlertGroup
    notification: Notification
    console: str | None = None

    async def words(self, _services: Services) -> dict[str, Any]:
        """The alert, its title, and how long a phone's 3 snoozes it."""
        return alert_words(self.group)


@dataclass(frozen=True)
class Verification:
    """A code a person types to verify a method they added, and who asked for it where."""

    kind: ClassVar[str] = "verification"
    code: str
    asker: str
    workspace: str

    async def words(self, _services: Services) -> dict[str, Any]:
        return {"code": self.code, "asker": self.asker, "workspace": self.workspace}


@dataclass(frozen=True)
class Drill:
    """The paging drill's message; ``through``: the phone provider drilled (an SMS or a call
    goes through it, whoever carries the contact's pages)."""

    kind: ClassVar[str] = "drill"
    through: str | None = None

    async def words(self, _services: Services) -> dict[str, Any]:
        return {}


@dataclass(frozen=True)
class Test:
    """``/oncall test-page``: a page would reach the person here."""

    kind: ClassVar[str] = "test"

    async def words(self, _services: Services) -> dict[str, Any]:
        return {}


Page = IncidentPage | AlertPage
# Sent alike by every destination: a subject and a text.
Notice = Verification | Drill | Test
Message = Page | Notice
KINDS: tuple[type[Message], ...] = (IncidentPage, AlertPage, Verification, Drill, Test)


async def incident_words(
    services: Services, incident: Incident, escalation: Escalation, *also: str | None
) -> dict[str, Any]:
    """What an incident's page is said with: the incident, its title in plain text, the name
    of whoever escalated, and ``names`` of the people in ``also`` (an SMS's answer names who
    acknowledged first)."""
    async with session_scope(services.engine) as session:
        wanted = [*mentioned_users(incident.title), escalation.requested_by, *also]
        names = await known_names(session, [user for user in wanted if user])
    return {
        "incident": incident,
        "escalation": escalation,
        "title": to_plain(incident.title, names),
        "requester": names.get(escalation.requested_by or ""),
        "names": names,
    }


def alert_words(group: AlertGroup) -> dict[str, Any]:
    """What an alert's page is said with: the alert, its title, the snooze of a phone's 3."""
    return {"alert": group, "title": group.title, "snooze": PHONE_SNOOZE_MINUTES * 60}
