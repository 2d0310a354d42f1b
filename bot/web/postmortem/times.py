"""Times typed on the draft's page, read as the incident's (``read_incident_time``) and, when
typed without their date, shown back in words before they are kept: the form comes back
(200) with the reading under the field and the moment in a hidden field; sent again as it
is, it is kept. A time typed with its date is kept as typed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from bot.flows.replies import refusal_words
from bot.record.incident.typed_times import read_incident_time
from bot.record.moments import MomentRefused, without_date
from bot.services import Services
from bot.store.models import Incident
from bot.web.postmortem.page import Refusal, draft_again

CONFIRMED = "confirmed-"  # the hidden field that sends a reading back: confirmed-<field>


@dataclass(frozen=True)
class About:
    """Whose time a field holds (``what``: templates/web/_time_read.j2), and what it is
    measured from (``since``: ``declared``, ``escalation``, ``idea``) at ``since_at``."""

    what: str
    since: str = "declared"
    since_at: datetime | None = None
    who: str = ""
    target: str = ""


def read_times(
    services: Services, incident: Incident, typed: Mapping[str, str], fields: Mapping[str, About]
) -> tuple[dict[str, datetime], dict[str, str]]:
    """The moments of the time fields typed, and the refusal's words of those not read."""
    moments: dict[str, datetime] = {}
    problems: dict[str, str] = {}
    now = services.clock()
    for name in fields:
        if typed.get(name):
            try:
                moments[name] = read_incident_time(typed[name], incident, now)
            except MomentRefused as refusal:
                problems[name] = refusal_words(services, refusal)
    return moments, problems


def to_confirm(
    services: Services,
    incident: Incident,
    sent: tuple[Mapping[str, str], Mapping[str, str]],
    moments: Mapping[str, datetime],
    fields: Mapping[str, About],
) -> dict[str, tuple[str, str]]:
    """The times read without their date that the form has not sent back as read (``sent``:
    what was typed, and the form's confirmed fields): their words and moments."""
    typed, confirmed = sent
    asked: dict[str, tuple[str, str]] = {}
    for name, at in moments.items():
        moment = at.isoformat()
        if not without_date(typed[name]) or confirmed.get(name) == moment:
            continue
        about = fields[name]
        words = services.renderer.render(
            "web/_time_read.j2",
            at=at,
            zone=incident.timezone,
            what=about.what,
            since=about.since,
            since_at=about.since_at or incident.declared_at,
            who=about.who,
            target=about.target,
        )
        asked[name] = (" ".join(words.split()), moment)
    return asked


def confirmed_fields(form: Mapping[str, object], names: Mapping[str, About]) -> dict[str, str]:
    """The readings the form sends back, by field."""
    sent = {name: form.get(CONFIRMED + name) for name in names}
    return {name: value.strip() for name, value in sent.items() if isinstance(value, str)}


async def confirm_at(
    request: web.Request,
    form_name: str,
    asked: Mapping[str, tuple[str, str]],
    typed: Mapping[str, str],
) -> web.Response:
    """The page again (200, nothing kept) with each time read shown back at its field."""
    return await draft_again(request, Refusal(form_name, {}, typed, read_back=asked), status=200)
