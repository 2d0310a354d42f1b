"""``warroom alerts list`` and ``warroom alerts replay``: the stored payloads, for operators.

Replay applies a stored payload in this process and leaves the Slack work (the war room,
alert posts) to the running server's job runner, like any other alert.
"""

from __future__ import annotations

from collections.abc import Sequence

import aiohttp
from sqlmodel import col, select

from bot.app import build_services
from bot.config import Settings
from bot.flows.alerting.intake import Outcome, apply_payload
from bot.store.db import session_scope
from bot.store.migrate import command_engine
from bot.store.models import AlertPayload


async def list_payloads(settings: Settings, *, state: str | None, limit: int) -> list[str]:
    """One line per stored payload, newest first."""
    engine = await command_engine(settings.runtime.database_url)
    try:
        async with session_scope(engine) as session:
            statement = select(AlertPayload).order_by(col(AlertPayload.id).desc()).limit(limit)
            if state:
                statement = statement.where(AlertPayload.state == state)
            payloads = (await session.exec(statement)).all()
    finally:
        await engine.dispose()
    return [_line(payload) for payload in payloads]


def _line(payload: AlertPayload) -> str:
    received = payload.received_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    line = f"{payload.id:>8}  {received}  {payload.source:<12} {payload.state:<9}"
    if payload.incident_id:
        line += f" incident #{payload.incident_id}"
    if payload.error:
        line += f"  {payload.error}"
    return line


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
