"""Opsgenie's forwarding rules as leave, and its instants as Opsgenie writes them (read by the
overrides too: ``bot.record.oncall.importing.opsgenie``).

- **Forwarding rules** (Forwarding Rule API, "List Forwarding Rules": ``data``, each
  ``fromUser``, ``toUser``, ``startDate``, ``endDate``): how an Opsgenie team covers a
  vacation. Each current or future one is leave of its ``fromUser`` for that while
  (approximate: rotations pass them over and the next person in each takes the turn, who need
  not be ``toUser``); one already over is left out, one that cannot be read is said.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.record.oncall.importing.drafts import Json, LeaveDraft, Person, ReportItem


def leave_of(rules: Sequence[Json], now: datetime) -> tuple[list[LeaveDraft], list[ReportItem]]:
    """Each forwarding rule not over yet, as leave of the person it forwards from."""
    drafts, items = [], []
    for raw in sorted(rules, key=lambda r: (str(r.get("startDate")), str(r.get("id")))):
        start, end = instant(raw.get("startDate")), instant(raw.get("endDate"))
        giver, taker = raw.get("fromUser") or {}, raw.get("toUser") or {}
        name = f"{giver.get('username') or giver.get('id') or '?'}: {raw.get('startDate')}"
        ident = str(raw.get("alias") or raw.get("id") or "")
        if start is None or end is None or end <= start or not giver.get("id"):
            detail = "its user, start or end cannot be read"
            items.append(ReportItem("forwarding rule", ident, name, "not carried", detail, ""))
            continue
        if end <= now:
            continue  # over: nothing to carry
        drafts.append(LeaveDraft(Person(str(giver["id"])), start, end))
        items.append(
            ReportItem(
                "forwarding rule",
                ident,
                name,
                "approximate",
                f"leave of {giver.get('username') or giver['id']} until "
                f"{end:%Y-%m-%d %H:%M} UTC: rotations pass them over, and the next person in "
                f"each takes the turn, not necessarily {taker.get('username') or 'the one'} "
                "it forwarded to",
                "put that person on call with /oncall override if it must be them",
            )
        )
    return drafts, items


def instant(raw: Any) -> datetime | None:
    """An ISO 8601 instant as Opsgenie writes them (``…Z``), in UTC; None if it is none."""
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else None
