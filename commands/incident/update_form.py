"""The public update form: ``/incident update --public`` without text opens it, with the
status the update is filed under (the incident's own chosen first) and the customers' text.
Publishing it is ``/incident update --public --status <chosen> <text>``, in one transaction.

A ``plain_text_input`` holds what was typed (plain text, not Slack's encoding): it is
encoded once here, as the command's text arrives.
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.basics.errors import BotError
from bot.basics.slack_ids import PublicUpdateModal, input_state
from bot.basics.slack_text import SlackText
from bot.flows.incident.changes import UpdatePosted
from bot.flows.replies import open_form, refusal_words, run_and_reply
from bot.flows.status_page.publishing import (
    PublicUpdatePosted,
    public_update_form,
    publish_update,
)
from bot.record.status_page.publications import filed_status
from bot.services import Services
from bot.store.models import Status
from commands.base import CommandRequest
from commands.forms import form_error

UPDATE_MAX = 3000


async def open_public_update_form(
    request: CommandRequest, services: Services, *, chosen: str | None = None
) -> None:
    """Open the form for the channel's incident, at the status chosen with ``--status``, else
    the incident's (refused when it is not public, and to whoever may not publish:
    publishing would be)."""
    incident = await public_update_form(services, channel_id=request.channel_id, by=request.user_id)
    metadata = {"channel_id": request.channel_id, "response_url": request.response_url}
    view = services.renderer.render_json(
        "views/public_update_modal.json.j2",
        incident=incident,
        chosen=chosen or incident.status,
        statuses=[s.value for s in Status],
        private_metadata=json.dumps(metadata),
        text_max=UPDATE_MAX,
    )
    await open_form(services, request.trigger_id, dict(view), command="/incident update --public")


async def handle_public_update_submission(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any
) -> None:
    """Publish what the form holds under the status chosen; a refusal at its field."""
    services: Services = context["services"]
    values = (view.get("state") or {}).get("values") or {}
    typed = str(input_state(values, PublicUpdateModal.TEXT).get("value") or "").strip()
    chosen = input_state(values, PublicUpdateModal.STATUS).get("selected_option") or {}
    status = str(chosen.get("value") or "") if isinstance(chosen, dict) else ""
    metadata = json.loads(view.get("private_metadata") or "{}")
    channel_id = str(metadata.get("channel_id") or "")
    errors: dict[str, str] = {}
    if not typed:
        errors[PublicUpdateModal.TEXT] = form_error(services, "update_text_missing")
    if status not in {s.value for s in Status}:
        errors[PublicUpdateModal.STATUS] = form_error(services, "update_status_missing")
    elif refused := await _refused(services, channel_id, status):
        errors[PublicUpdateModal.STATUS] = refused
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    by = str((body.get("user") or {}).get("id") or "")
    response_url = str(metadata.get("response_url") or "")
    services.background.spawn(
        run_and_reply(services, response_url, _publish(services, channel_id, by, typed, status)),
        name="publish a public update from its form",
    )


async def _refused(services: Services, channel_id: str, status: str) -> str | None:
    """Why the incident cannot take an update filed under ``status`` now, in plain words."""
    try:
        incident = await public_update_form(services, channel_id=channel_id, by=None)
        filed_status(incident, status)
    except BotError as error:
        # A form's field shows no Slack formatting: the words without their marks.
        return refusal_words(services, error).replace("*", "")
    return None


async def _publish(
    services: Services, channel_id: str, by: str, typed: str, status: str
) -> str | None:
    done = await publish_update(
        services,
        channel_id=channel_id,
        by=by,
        text=SlackText.from_plain(typed),
        language=None,
        status=status,
    )
    return published_words(services, done, language=None, chosen=status)


def published_words(
    services: Services, done: PublicUpdatePosted, *, language: str | None, chosen: str | None
) -> str:
    """What the writer of a public update is told: the status it was filed under, whether
    they chose it, and how its stakeholder update went."""
    confirmation = services.renderer.render(
        "messages/public_published.j2",
        incident=done.incident,
        published=done.published,
        language=language,
        chosen=chosen,
        status_url=services.settings.status_page_url,
        statuspage=services.settings.status_page.statuspage_on,
    )
    return "\n".join(part for part in (confirmation, delayed_words(services, done.posted)) if part)


def delayed_words(services: Services, posted: UpdatePosted | None) -> str | None:
    """What the poster is told when the update waits or the announcement failed."""
    if posted is None or (posted.waiting is None and posted.announce_error is None):
        return None
    return services.renderer.render(
        "messages/update_delayed.j2",
        incident=posted.incident,
        waiting=posted.waiting,
        channel=services.settings.incidents.announce_channel,
        announce_error=posted.announce_error,
    )
