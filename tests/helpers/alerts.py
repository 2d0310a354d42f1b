"""Helpers for alert tests: real payloads, sent over HTTP with the bearer token."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from sqlmodel import col, func, select

from bot.record.alerting.routes import Routes, parse_routes
from bot.store.db import session_scope
from bot.store.models import Alert, AlertPayload, Incident
from emulator import SlackEmulator
from tests.conftest import BOB, Warroom

TOKEN = "test-alert-token-0123456789"
PAYLOADS = Path(__file__).parent.parent / "payloads"
# As teams set up an alert's paging: the first level the on-call schedule, then Bob after 5
# minutes.
QUEUES_POLICIES = {
    "policies": {
        "queues": {
            "levels": [
                {"timeout": "5m", "targets": [{"schedule": "night"}]},
                {"targets": [{"user": BOB}]},
            ]
        }
    }
}


def routes(document: dict[str, Any]) -> Routes:
    return parse_routes(document)


def payload(name: str) -> dict[str, Any]:
    """A documented example payload from ``tests/payloads``."""
    return json.loads((PAYLOADS / name).read_text())


def alertmanager(
    group: str,
    alerts: list[dict[str, Any]],
    *,
    common: dict[str, str] | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    """An Alertmanager v4 notification for group ``group`` (``alertname`` = the group)."""
    base = copy.deepcopy(payload("alertmanager_firing.json"))
    labels = {"alertname": group, **(common or {})}
    base.update(
        groupKey=f'{{}}:{{alertname="{group}"}}',
        groupLabels={"alertname": group},
        commonLabels=labels,
        commonAnnotations={"summary": f"{group} is firing"},
        status=status or ("firing" if any(a["status"] == "firing" for a in alerts) else "resolved"),
        alerts=alerts,
    )
    return base


def alert(
    name: str,
    instance: str,
    starts_at: str,
    *,
    ends_at: str = "0001-01-01T00:00:00Z",
    common: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One alert of a notification; resolved when ``ends_at`` is given."""
    resolved = not ends_at.startswith("0001")
    return {
        "status": "resolved" if resolved else "firing",
        "labels": {"alertname": name, "instance": instance, **(common or {})},
        "annotations": {"summary": f"{name} on {instance}"},
        "startsAt": starts_at,
        "endsAt": ends_at,
        "generatorURL": f"http://prometheus:9090/graph?g0.expr={name}",
        "fingerprint": f"{name}-{instance}".lower(),
    }


async def post_alert(
    url: str,
    source: str,
    body: dict[str, Any] | bytes,
    *,
    token: str | None = TOKEN,
    session: aiohttp.ClientSession | None = None,
) -> tuple[int, dict[str, Any]]:
    """POST a webhook as the monitoring system would; (status, JSON answer)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "Alertmanager/0.28.1"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    own = session is None
    session = session or aiohttp.ClientSession()
    try:
        async with session.post(f"{url}/alerts/{source}", data=data, headers=headers) as answer:
            return answer.status, await answer.json()
    finally:
        if own:
            await session.close()


def replica_env(
    slack: SlackEmulator, database_url: str, tmp_path: Path, **files: dict[str, Any]
) -> dict[str, str]:
    """What each ``warroom serve`` replica of a test is started with: Slack's emulator, the
    database, the alert token, and each file (``routes``, ``policies``, ``contacts``) written
    as YAML and named in its variable."""
    variables = {
        "routes": "WARROOM_ALERT_ROUTES",
        "policies": "WARROOM_ESCALATION_POLICIES",
        "contacts": "WARROOM_CONTACTS",
    }
    env = {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": slack.signing_secret,
        "SLACK_API_URL": slack.base_url,
        "DATABASE_URL": database_url,
        "WARROOM_ALERT_TOKEN": TOKEN,
        "WARROOM_SCHEDULER_INTERVAL": "0.05",
    }
    for name, document in files.items():
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(document))
        env[variables[name]] = str(tmp_path / f"{name}.yaml")
    return env


async def count(warroom: Warroom, model: type, *where: Any) -> int:
    async with session_scope(warroom.engine) as session:
        statement = select(func.count()).select_from(model).where(*where)
        return int((await session.exec(statement)).one())


async def incidents_of(warroom: Warroom) -> list[Incident]:
    async with session_scope(warroom.engine) as session:
        return list((await session.exec(select(Incident).order_by(col(Incident.id)))).all())


async def payload_row(warroom: Warroom, payload_id: int) -> AlertPayload:
    async with session_scope(warroom.engine) as session:
        row = await session.get(AlertPayload, payload_id)
    assert row is not None
    return row


__all__ = ["TOKEN", "Alert", "AlertPayload", "count"]
