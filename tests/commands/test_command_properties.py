"""Property: whatever text follows /incident, the answer is clear (no 5xx, no traceback, never
silent). How the property tests run: tests/helpers/properties.py."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

import pytest
from hypothesis import example, given, seed
from hypothesis import strategies as st

from tests.conftest import ALICE, BOB, CAROL, Warroom
from tests.helpers.incidents import open_incident
from tests.helpers.properties import (
    COMMAND_TEXT,
    PEOPLE,
    LoopBridge,
    assert_clean_logs,
    assert_no_traceback,
    examples,
    settle,
    shown,
)

# -- slash commands ------------------------------------------------------------------------------


async def test_any_incident_command_text_gets_a_clear_answer(
    warroom_any_db: Warroom, caplog: pytest.LogCaptureFixture
) -> None:
    """``/incident <anything>`` from #general or an incident channel: 200 with a usage or an
    answer (or an empty ack, then a reply, a modal or a message), never a traceback."""
    caplog.set_level(logging.WARNING)
    warroom = warroom_any_db
    slack = warroom.slack
    incident = await open_incident(warroom)
    general = slack.channel_by_name("general")
    assert general is not None
    await settle(warroom)
    bridge = LoopBridge()
    silent: list[str] = []

    async def snapshot() -> list[str]:
        await settle(warroom)
        return shown(slack)

    @seed(80_001)
    @examples(100)
    @example(text="", channel=general.id, user=ALICE)  # the declare modal
    @example(text="note a\x00b", channel=incident.id, user=BOB)  # NUL: PostgreSQL refused it
    @example(text="start " + "\u202e🔥" * 5_000, channel=general.id, user=BOB)
    @example(text="update <!channel> <@U0NOBODY> payload=", channel=incident.id, user=CAROL)
    @given(
        text=COMMAND_TEXT,
        channel=st.sampled_from([general.id, incident.id]),
        user=st.sampled_from(PEOPLE),
    )
    def command_property(text: str, channel: str, user: str) -> None:
        before = bridge.run(snapshot())
        response = bridge.run(slack.send_command(text, user=user, channel=channel))
        assert response.status == 200 or 400 <= response.status < 500, (
            f"/incident {text[:200]!r} answered {response.status}: {response.text[:300]}"
        )
        assert_no_traceback(response.text, f"the answer to /incident {text[:200]!r}")
        new = list((Counter(bridge.run(snapshot())) - Counter(before)).elements())
        for shown_text in new:
            assert_no_traceback(shown_text, f"what /incident {text[:200]!r} showed")
        if response.status == 200 and not response.text.strip() and not new:
            silent.append(text)

    await asyncio.to_thread(command_property)
    assert not silent, f"empty acknowledgement and no reply for: {silent[:5]!r}"
    assert_clean_logs(caplog)
