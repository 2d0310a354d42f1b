"""ntfy (https://docs.ntfy.sh/publish/): a push notification published as JSON to the
server's root URL, with a priority, a title, a click URL and an ``http`` action button.

The access token is a secret: it goes in the ``Authorization`` header only, never in a
failure's text. The topic names a person's phone: it is not logged either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.basics.logs import page_stage
from bot.clients.vendor_http import VendorFailure, call_json
from bot.config import Secret

# Seconds to wait for the server: a push that takes longer is tried again.
TIMEOUT = 10.0


class NtfyFailure(VendorFailure):
    """The ntfy server did not take the message."""


@dataclass(frozen=True)
class Push:
    """One notification to one topic; ``acknowledge_url`` becomes its "Acknowledge" button
    and ``escalate_url`` its "Escalate" (``http`` actions: the app POSTs one when tapped,
    without opening anything), ``console_url`` its "Snooze or resolve" (a ``view`` action:
    the app opens the link in the browser). ntfy takes at most three ("Action buttons")."""

    topic: str
    title: str
    message: str
    priority: int  # 1 min .. 5 max ("Message priority"); 5 rings through Do Not Disturb
    click: str | None
    acknowledge_url: str | None
    escalate_url: str | None = None
    console_url: str | None = None

    def body(self) -> dict[str, Any]:
        """The JSON message ("Publish as JSON")."""
        body: dict[str, Any] = {
            "topic": self.topic,
            "title": self.title,
            "message": self.message,
            "priority": self.priority,
            "tags": ["rotating_light"],
        }
        if self.click:
            body["click"] = self.click
        buttons = (("Acknowledge", self.acknowledge_url), ("Escalate", self.escalate_url))
        actions = [
            {"action": "http", "label": label, "url": url, "method": "POST", "clear": True}
            for label, url in buttons
            if url
        ]
        if self.console_url:
            actions.append(
                {"action": "view", "label": "Snooze or resolve", "url": self.console_url}
            )
        if actions:
            body["actions"] = actions
        return body


async def publish(
    http: aiohttp.ClientSession, server: str, token: Secret, push: Push, *, timeout: float = TIMEOUT
) -> str:
    """Publish ``push``; the message id ntfy gave it. NtfyFailure says why not: 429 and 5xx
    (and no answer) may pass, 400 (a message ntfy refuses), 401 and 403 (the token) will not."""
    headers = {"Authorization": f"Bearer {token}"} if token else None
    page_stage("push")
    answer = await call_json(
        http,
        "POST",
        f"{server}/",
        push.body(),
        timeout=timeout,
        failure=NtfyFailure,
        headers=headers,
    )
    if answer.status == 200:
        return str(answer.body_object.get("id", ""))
    retryable = answer.status == 429 or answer.status >= 500
    said = answer.body_object.get("error")
    detail = f"ntfy answered HTTP {answer.status}" + (f": {str(said)[:200]}" if said else "")
    raise NtfyFailure(
        detail,
        retryable=retryable,
        status=answer.status,
        retry_after=answer.retry_after,
        # 403: the token may not write to this topic (reserved by someone else, or denied).
        bad_address=answer.status == 403,
    )
