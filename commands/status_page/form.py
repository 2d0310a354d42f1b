"""The status page form, saved: ``/incident public`` alone opens it
(``commands.status_page.public``), with the incident's components and a public title for each
language the team publishes in (``WARROOM_PUBLIC_LANGUAGES``, the incident's, and any it has a title
in). Saving makes the incident public with them, in one transaction, as ``/incident public
<components>`` and ``--title`` do.

A ``plain_text_input`` holds what was typed (plain text, not Slack's encoding): components
are encoded once here, as the command's arrive; titles are kept plain, as the command
decodes them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.basics.errors import UsageError
from bot.basics.slack_ids import PUBLIC_TITLE_PREFIX, PublicModal, input_state
from bot.basics.slack_text import SlackText
from bot.flows.replies import run_and_reply
from bot.flows.status_page.publishing import make_public
from bot.record.status_page.publications import clean
from bot.services import Services
from commands.forms import form_error
from commands.status_page.public import TITLE_MAX, components_of


def _submitted(
    services: Services, values: Mapping[str, Any]
) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """(components, titles by language, errors by block) of a submitted form."""
    errors: dict[str, str] = {}
    typed = str(input_state(values, PublicModal.COMPONENTS).get("value") or "")
    components: list[str] = []
    try:
        components = components_of(SlackText.from_plain(typed)) or []
    except UsageError as error:
        errors[PublicModal.COMPONENTS] = str(error)[:150]
    titles = {}
    for block in values:
        if isinstance(block, str) and block.startswith(PUBLIC_TITLE_PREFIX):
            title = " ".join(clean(str(input_state(values, block).get("value") or "")).split())
            if len(title) > TITLE_MAX:
                errors[block] = form_error(services, "title_long", limit=TITLE_MAX)
            titles[block.removeprefix(PUBLIC_TITLE_PREFIX)] = title
    return components, titles, errors


async def handle_public_submission(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any
) -> None:
    """Make the incident public with what the form holds (titles left empty stay as they
    are: a title is changed, never taken away, from here)."""
    services: Services = context["services"]
    values = (view.get("state") or {}).get("values") or {}
    components, titles, errors = _submitted(services, values)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    metadata = json.loads(view.get("private_metadata") or "{}")
    by = str((body.get("user") or {}).get("id") or "")

    async def save() -> None:
        await make_public(
            services,
            channel_id=str(metadata.get("channel_id") or ""),
            by=by,
            components=components,
            titles=titles,
        )

    services.background.spawn(
        run_and_reply(services, str(metadata.get("response_url") or ""), save()),
        name="make the incident public from its form",
    )
