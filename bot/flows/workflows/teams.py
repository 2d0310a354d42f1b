"""The ``teams`` workflow action: the incident as an Adaptive Card in a Microsoft Teams
channel, POSTed to the channel's Workflows webhook (the flow template "Send webhook alerts to
a channel"), the same card the Teams paging method sends (bot/clients/teams/).

The card says the incident (reference, severity, title), its status and commander, who is
being paged right now, and the workflow's own ``text`` when it has one; its buttons open the
incident's channel in Slack and its page in the web view. It has no Acknowledge button: an
acknowledgement is a paged person's own (their link, or Slack), and a card in a channel is
anyone's. The URL is read from the variable ``url_env`` names: it carries the flow's
signature, so it is never logged nor said.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from bot.basics.slack_text import to_plain
from bot.clients.teams import Card, page_card, post_card
from bot.flows.paging.destinations.teams import slack_https_link
from bot.record.people import known_names
from bot.record.workflows.actions import Action, render
from bot.record.workflows.definitions import Workflow
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import Incident, PersonPage


async def post_workflow_card(
    services: Services,
    incident: Incident,
    workflow: Workflow,
    action: Action,
    shown: dict[str, Any],
) -> None:
    """POST the card for ``incident`` (``shown``: the incident as templates see it, plain);
    TeamsFailure says why Teams did not take it."""
    async with session_scope(services.engine) as session:
        paged = await session.exec(
            select(PersonPage.user_id)
            .where(col(PersonPage.incident_id) == incident.id, col(PersonPage.state) == "open")
            .order_by(col(PersonPage.id))
        )
        users = list(dict.fromkeys(paged.all()))
        wanted = [*users, *([incident.commander] if incident.commander else [])]
        names = await known_names(session, wanted)
    facts = [("Severity", incident.severity), ("Status", str(incident.status))]
    if incident.commander:
        facts.append(("Commander", names.get(incident.commander) or incident.commander))
    if users:
        facts.append(("Paged", ", ".join(names.get(user) or user for user in users)))
    facts.append(("Workflow", workflow.name))
    text = render(str(action.args["text"]), shown).strip() if action.args.get("text") else ""
    card = Card(
        title=f"{incident.reference} {incident.severity} {to_plain(incident.title, names)}",
        facts=tuple(facts),
        slack_url=slack_https_link(incident),
        acknowledge_url=None,
        incident_url=shown.get("url") or None,
        urgent=incident.severity in ("SEV1", "SEV2"),
        text=text or None,
    )
    url = services.settings.workflows.webhook_secrets[str(action.args["url_env"])]
    assert services.http is not None, "workflows need the application's HTTP session"
    await post_card(
        services.http, url, page_card(card), timeout=services.settings.workflows.webhook_timeout
    )
