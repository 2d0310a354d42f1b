"""Property: whatever a monitoring system posts, the answer is 2xx or 4xx and every accepted
payload is kept. How the property tests run: tests/helpers/properties.py."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import example, given, seed
from hypothesis import strategies as st
from sqlmodel import select

from bot.config import Secret
from bot.store.db import session_scope
from bot.store.models import AlertPayload
from emulator import SlackEmulator
from tests.conftest import running_warroom
from tests.helpers.alerts import TOKEN, alert, alertmanager, payload
from tests.helpers.properties import (
    ALERTS_MAX_BODY,
    AWKWARD,
    HUGE_TEXT,
    UNICODE,
    assert_clean_logs,
    assert_no_traceback,
    dumps,
    examples,
    http_session,
    malformed_body,
    mutate,
    settle,
)

# -- alert payloads --------------------------------------------------------------------------------

ALERT_KEYS = [
    "status",
    "groupKey",
    "alerts",
    "labels",
    "annotations",
    "startsAt",
    "endsAt",
    "fingerprint",
    "generatorURL",
    "groupLabels",
    "commonLabels",
    "commonAnnotations",
    "truncatedAlerts",
    "externalURL",
    "receiver",
    "title",
    "message",
    "state",
    "values",
    "dedup_key",
    "severity",
    "source",
    "description",
    "links",
    "started_at",
    "ended_at",
    "summary",
    "alertname",
]
OFFSETS = [timedelta(0), timedelta(hours=5, minutes=30), timedelta(hours=-8), timedelta(hours=14)]
TIMES = st.one_of(
    st.sampled_from(
        ["2026-08-01T10:00:00Z", "2026-08-01T10:05:00.123456789+02:00", "0001-01-01T00:00:00Z"]
    ),
    st.datetimes(
        min_value=datetime(1970, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([timezone(offset) for offset in OFFSETS]),
    ).map(datetime.isoformat),
    UNICODE,
)
LABEL_TEXT = st.one_of(
    UNICODE.filter(bool), AWKWARD, st.from_regex(r"[A-Za-z]{1,12}", fullmatch=True)
)


@st.composite
def alert_body(draw: Callable[..., Any]) -> tuple[str, dict[str, Any]]:
    """(source, document) in the shape each source really sends."""
    source = draw(st.sampled_from(["alertmanager", "grafana", "generic"]))
    if source == "generic":
        document: dict[str, Any] = {
            "title": draw(st.one_of(LABEL_TEXT, HUGE_TEXT)),
            "dedup_key": draw(LABEL_TEXT),
            "status": draw(st.sampled_from(["firing", "resolved"])),
            "severity": draw(st.sampled_from(["SEV1", "sev2", "critical", "SEV9", ""])),
            "source": draw(LABEL_TEXT),
            "description": draw(st.one_of(UNICODE, HUGE_TEXT)),
            "labels": draw(st.dictionaries(LABEL_TEXT, LABEL_TEXT, max_size=3)),
            "links": [{"href": "https://example.com/dash", "text": draw(UNICODE)}],
            "started_at": draw(TIMES),
        }
        return source, document
    group = draw(LABEL_TEXT)
    alerts = [
        alert(draw(LABEL_TEXT), draw(LABEL_TEXT), draw(TIMES), ends_at=draw(TIMES))
        for _ in range(draw(st.integers(1, 3)))
    ]
    document = alertmanager(
        group, alerts, common=draw(st.dictionaries(LABEL_TEXT, LABEL_TEXT, max_size=2))
    )
    if source == "grafana":
        grafana = payload("grafana_firing.json")
        document = {**grafana, **{k: v for k, v in document.items() if k in grafana}}
        document["title"], document["message"] = draw(UNICODE), draw(st.one_of(UNICODE, HUGE_TEXT))
    return source, document


@st.composite
def alert_request(draw: Callable[..., Any]) -> tuple[str, bytes]:
    """(source, body): valid shapes, mutated shapes, and bodies that are not usable at all."""
    source, document = draw(alert_body())
    family = draw(st.sampled_from(["valid"] * 2 + ["mutated"] * 4 + ["malformed", "big"]))
    if family == "valid":
        return source, dumps(document).encode()
    if family == "mutated":
        return source, dumps(mutate(draw, document, ALERT_KEYS)).encode()
    if family == "malformed":
        body, _content_type = draw(malformed_body(json.dumps(document)))
        return source, body
    return source, dumps({**document, "padding": "x" * (ALERTS_MAX_BODY + 10)}).encode()


async def test_any_alert_payload_is_answered_clearly_and_every_accepted_one_is_kept(
    slack: SlackEmulator, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Alertmanager, Grafana and generic bodies, valid and mutated, and unusable ones: 202 and
    stored (then applied), or 400/413 with a JSON error; never a 5xx, never dropped."""
    caplog.set_level(logging.WARNING)
    accepted: dict[int, str] = {}
    async with running_warroom(
        slack, database_url, alerting__token=Secret(TOKEN), alerting__max_body_bytes=ALERTS_MAX_BODY
    ) as warroom:
        client = http_session()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Alertmanager/0.28.1",
            "Authorization": f"Bearer {TOKEN}",
        }

        # Each of these answered 5xx (or left its payload failed) before it was fixed.
        nul_group = alertmanager("\x00", [alert("Nul", "h\x00", "2026-08-01T10:00:00Z")])
        nul_twins = alertmanager(
            "Twins",
            [alert("X", "h\x00", "2026-08-01T10:00:00Z"), alert("X", "h", "2026-08-01T10:00:00Z")],
        )

        @seed(80_003)
        @examples(150)
        @example(request=("alertmanager", ('{"version": ' + "9" * 5_000 + "}").encode()))
        @example(request=("generic", b"[" * 5_000))
        @example(request=("alertmanager", dumps(nul_group).encode()))
        @example(request=("alertmanager", dumps(nul_twins).encode()))
        @given(request=alert_request())
        def alert_property(request: tuple[str, bytes]) -> None:
            source, body = request
            answer = client.post(
                f"{warroom.url}/alerts/{source}", data=body, headers=headers, timeout=30
            )
            where = f"/alerts/{source} with {body[:300]!r}"
            assert answer.status_code in (202, 400, 413), (
                f"{where} answered {answer.status_code}: {answer.text[:300]}"
            )
            assert_no_traceback(answer.text, f"the answer to {where}")
            reply = answer.json()
            if answer.status_code == 202:
                assert reply["status"] == "accepted" and isinstance(reply["id"], int), reply
                accepted[reply["id"]] = body.decode("utf-8")
            else:
                assert isinstance(reply.get("error"), str) and reply["error"], reply
                problems = reply.get("problems", [])
                assert isinstance(problems, list) and all(isinstance(p, str) for p in problems)

        await asyncio.to_thread(alert_property)
        client.close()

        async with session_scope(warroom.engine) as session:
            rows = (await session.exec(select(AlertPayload))).all()
        kept = {row.id: row.body for row in rows}
        assert kept == accepted, "every accepted payload is stored, byte for byte, and no other"
        assert len(accepted) >= 20, "enough payloads were usable to exercise the intake"

        # ... and applied: the jobs that process them leave none failed or behind.
        await settle(warroom)
        await warroom.run_jobs()
        async with session_scope(warroom.engine) as session:
            rows = (await session.exec(select(AlertPayload))).all()
        states = Counter((row.state, row.error) for row in rows)
        assert states == Counter({("processed", None): len(accepted)}), states
    assert_clean_logs(caplog)
