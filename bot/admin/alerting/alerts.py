"""``warroom alerts list`` and ``warroom alerts replay``: the stored payloads, for operators.

Replay applies a stored payload in this process and leaves the Slack work (the war room,
alert posts) to the running server's job runner, like any other alert.
"""

from __future__ import annotations

from collections.abc import Sequence

import aiohttp
from sqlmodel import col, select

from bot.admin.listing import as_json, table
from bot.app import build_services
from bot.config import Settings
from bot.flows.alerting.intake import Outcome, apply_payload
from bot.store.db import session_scope
from bot.store.migrate import command_engine
from bot.store.models import AlertPayload


async def list_payloads(settings: Settings, *, state: str | None, limit: int) -> list[AlertPayload]:
    """The stored payloads, newest first."""
    engine = await command_engine(settings.runtime.database_url)
    try:
        async with session_scope(engine) as session:
            statement = select(AlertPayload).order_by(col(AlertPayload.id).desc()).limit(limit)
            if state:
                statement = statement.where(AlertPayload.state == state)
            return list((await session.exec(statement)).all())
    finally:
        await engine.dispose()


def payload_list(payloads: list[AlertPayload], *, json_out: bool) -> str:
    """``alerts list``: a table of the payloads (times in UTC, as stored), or their JSON."""
    if json_out:
        return as_json(
            [
                {
                    "id": payload.id,
                    "received_at": payload.received_at,
                    "source": payload.source,
                    "state": payload.state,
                    "incident_id": payload.incident_id,
                    "error": payload.error,
                }
                for payload in payloads
            ]
        )
    if not payloads:
        return "no stored alert payload"
    return table(
        ("ID", "RECEIVED", "SOURCE", "STATE", "INCIDENT", "ERROR"),
        [
            (
                str(payload.id),
                payload.received_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
                payload.source,
                payload.state,
                f"#{payload.incident_id}" if payload.incident_id else "-",
                payload.error or "",
            )
            for payload in payloads
        ],
    )


async def replay_payloads(settings: Settings, payload_ids: Sequence[int]) -> list[Outcome]:
    """Apply stored payloads again, in order; each failure is reported, not raised."""
    engine = await command_engine(settings.runtime.database_url)
    outcomes = []
    try:
        async with aiohttp.ClientSession() as http:
            # Read here: each was read within WARROOM_PARSE_SECONDS when it came, and this
            # process serves nobody else meanwhile (a worker would only add its start).
            services = build_services(settings, engine, http, parse_in_workers=False)
            for payload_id in payload_ids:
                try:
                    outcomes.append(await apply_payload(services, payload_id, again=True))
                except Exception as error:
                    outcomes.append(
                        Outcome(payload_id, "failed", error=f"{type(error).__name__}: {error}")
                    )
    finally:
        await engine.dispose()
    return outcomes
