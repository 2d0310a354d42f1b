"""The paging drill's alerts: a provider that failed its drill, as a generic alert for the
normal alert path (as a missed heartbeat is), resolved by the next drill it passes."""

from __future__ import annotations

import json
from datetime import datetime

SOURCE = "warroom paging drill"
LABEL = "warroom_paging_drill"
# How the providers that are not phone providers are named to people (a phone provider's
# name is the phone registry's, handed in by the drill).
PROVIDER_NAMES = {"ntfy": "ntfy", "pushover": "Pushover", "smtp": "SMTP (mail)"}


def failed_alert(provider: str, *, detail: str, at: datetime, name: str = "") -> str:
    """A provider's failed drill as a generic alert's body (README, "Alerts"), one per
    provider: firing again at each failed drill until one passes. ``name``: how people read
    the provider's name (a phone provider's, from the registry)."""
    name = name or PROVIDER_NAMES.get(provider, provider)
    return json.dumps(
        {
            "title": f"Paging drill: {name} failed",
            "dedup_key": f"paging-drill:{provider}",
            "status": "firing",
            "source": SOURCE,
            "severity": "SEV2",
            "started_at": at.isoformat(),
            "description": f"The paging drill could not page through {name}: {detail}. "
            "Pages sent through it may not arrive.",
            "labels": {LABEL: provider},
        }
    )


def passed_alert(provider: str, *, failed_at: datetime, at: datetime, name: str = "") -> str:
    """A drill passed after a failed one, as the resolution of the failure's alert."""
    body = json.loads(failed_alert(provider, detail="", at=failed_at, name=name))
    body.update(status="resolved", ended_at=at.isoformat())
    return json.dumps(body)
