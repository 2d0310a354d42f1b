"""An app's message in a change channel (WARROOM_CHANGE_CHANNELS) kept as a change event:
read with its sender's shape (``bot.record.changes.sources.slack_channels``) for the service
the file names, or kept as its raw text for no service; the message itself kept as the
change's body, with its channel and ts (its permalink, when the workspace's address is
known). Kept once: the same message delivered again (Slack's retries) is one change.
"""

from __future__ import annotations

import json

from bot.basics.slack_links import message_link
from bot.record.changes.events import keep
from bot.record.changes.sources.slack_channels import SOURCE, ChannelMessage, change_of
from bot.services import Services
from bot.store.db import session_scope


def is_change_channel(services: Services, channel: str) -> bool:
    """Whether the team names ``channel`` as one where apps announce changes."""
    return channel in services.settings.alerting.change_channels


async def keep_heard_change(services: Services, message: ChannelMessage) -> None:
    """Keep ``message`` as a change (its own transaction, committed before Slack is
    answered: a failure raises, and Slack sends the event again)."""
    base = services.slack.known_workspace_url
    permalink = message_link(base.rstrip("/"), message.channel, message.ts) if base else None
    seen, service = change_of(message, services.settings.alerting.catalog, permalink=permalink)
    body = json.dumps(
        {
            "channel": message.channel,
            "ts": message.ts,
            "app": message.app,
            "text": message.text,
            "attachments": list(message.attachments),
        },
        ensure_ascii=False,
    )
    async with session_scope(services.engine) as session:
        await keep(
            session,
            seen,
            service=service,
            source=SOURCE,
            body=body,
            integration_id=None,
            received_at=services.clock(),
            slack=(message.channel, message.ts),
        )
        await session.commit()
