"""Pushover as a person's own contact method, in a drill and under the watchdog, over the
wire: signed slash commands into the real server, and the fake Pushover
(emulator/pushover.py), strict per https://pushover.net/api ("TL;DR", "Message Priority",
"Limitations", "Response") and its "User/Group Verification" (``POST /1/users/validate.json``):
a key Pushover does not know as a user is refused before any code is sent, a key it knows is
verified with the code pushed to it, as a number is with a code by SMS, and then pages its
owner at emergency priority; the paging drill pushes to it, and the watchdog counts Pushover
as a provider that answers. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from bot.config import Settings
from bot.flows.alerting.drill_alerts import run_drill
from emulator import FakePushover
from emulator.healthchecks import FakeHealthchecks
from emulator.pushover import new_key
from tests.conftest import CAROL, CAROL_PUSHOVER_KEY, Clock, Warroom, WarroomFactory
from tests.oncall.test_oncall_command import oncall
from tests.paging.scenario import NOW, declare_sev1, paging_settings

PUBLIC_URL = "https://warroom.example.com"


def environ(pushover: FakePushover) -> dict[str, str]:
    return {
        "WARROOM_PUSHOVER_TOKEN": pushover.token,
        "WARROOM_PUSHOVER_API_URL": pushover.root,
        "WARROOM_PUBLIC_URL": PUBLIC_URL,
    }


@pytest.fixture
def warroom_settings(tmp_path: Path, pushover: FakePushover) -> dict[str, object]:
    """No contacts file: Carol's methods are her own."""
    settings = paging_settings(tmp_path, {"people": {}}, **environ(pushover))
    return {"clock": Clock(NOW), **settings}


async def verified_pushover(warroom: Warroom, pushover: FakePushover) -> None:
    """Carol adds her Pushover user key and types the code pushed to it."""
    said = await oncall(warroom, f"contact add pushover {CAROL_PUSHOVER_KEY}", user=CAROL)
    assert "A code went to your pushover" in said and CAROL_PUSHOVER_KEY not in said
    assert pushover.validated == [CAROL_PUSHOVER_KEY]  # asked of Pushover first
    (push,) = pushover.phone(CAROL_PUSHOVER_KEY)
    assert push.priority == 0  # a code rings nothing through quiet hours
    (code,) = re.findall(r"code is (\d{6})", push.message)
    said = await oncall(warroom, f"contact verify pushover {code}", user=CAROL)
    assert "is verified" in said


async def test_a_pushover_key_added_and_verified_pages_its_owner_at_emergency_priority(
    warroom: Warroom, pushover: FakePushover
) -> None:
    await verified_pushover(warroom, pushover)
    said = await oncall(warroom, "rules 0s pushover, 5m slack", user=CAROL)
    assert "after 0s: pushover; after 5m: slack" in said
    said = await oncall(warroom, "contact test pushover", user=CAROL)
    assert ":white_check_mark: pushover" in said and "sent" in said
    assert len(pushover.phone(CAROL_PUSHOVER_KEY)) == 2

    await declare_sev1(warroom)
    page = pushover.phone(CAROL_PUSHOVER_KEY)[-1]
    assert page.title == "INC-1 SEV1 Checkout API returns 500s"
    assert (page.priority, page.retry, page.expire) == (2, 60, 10800)
    assert page.receipt is not None


async def test_a_key_pushover_does_not_know_is_refused_and_nothing_is_sent(
    warroom: Warroom, pushover: FakePushover
) -> None:
    stranger = new_key()  # a key of the right shape that is nobody's
    said = await oncall(warroom, f"contact add pushover {stranger}", user=CAROL)
    assert "Not added: Pushover does not know this user key" in said
    assert "user key is invalid" in said and stranger not in said
    said = await oncall(warroom, "contact add pushover carol@example.com", user=CAROL)
    assert "is not a user key (30 letters and digits)" in said
    assert pushover.sent == [] and pushover.validated == []
    said = await oncall(warroom, "contact", user=CAROL)
    assert "`pushover`" not in said  # nothing kept


async def test_without_a_pushover_token_a_key_is_not_added(
    warroom_with: WarroomFactory, database_url: str, tmp_path: Path, pushover: FakePushover
) -> None:
    settings = paging_settings(tmp_path, {"people": {}}, WARROOM_PUBLIC_URL=PUBLIC_URL)
    warroom = await warroom_with(database_url=database_url, clock=Clock(NOW), **settings)
    said = await oncall(warroom, f"contact add pushover {CAROL_PUSHOVER_KEY}", user=CAROL)
    assert "Not added: Pushover is not set up here" in said
    assert pushover.sent == [] and pushover.validated == []


async def test_the_drill_pushes_to_a_verified_pushover_key_and_fails_when_pushover_does(
    warroom: Warroom, pushover: FakePushover
) -> None:
    await verified_pushover(warroom, pushover)
    said = await oncall(warroom, "contact drill on", user=CAROL)
    assert "You are in the paging drill now" in said
    (check,) = await run_drill(warroom.services)
    assert (check.provider, check.method, check.state, check.user_id) == (
        "pushover",
        "pushover",
        "ok",
        CAROL,
    )
    drill = pushover.phone(CAROL_PUSHOVER_KEY)[-1]
    assert "drill" in drill.message.lower() and drill.priority == 0

    pushover.token = new_key()  # the application's token revoked: Pushover refuses it
    await warroom.advance(minutes=10)  # the next drill
    (check,) = await run_drill(warroom.services)
    assert check.state == "failed" and "application token is invalid" in (check.detail or "")


async def test_pushover_alone_is_a_provider_the_watchdog_asks(
    warroom_with: WarroomFactory,
    database_url: str,
    tmp_path: Path,
    pushover: FakePushover,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with FakeHealthchecks() as checks:
        check = checks.new_check()
        url = checks.ping_url(check)
        settings = paging_settings(
            tmp_path,
            {"people": {}},
            **environ(pushover),
            WARROOM_WATCHDOG_URL=url,
            WARROOM_WATCHDOG_INTERVAL="1m",
        )
        watchdog = Settings.from_env({"WARROOM_WATCHDOG_URL": url}).watchdog
        warroom = await warroom_with(
            database_url=database_url, clock=Clock(NOW), **settings, watchdog=watchdog
        )
        await warroom.run_jobs()
        assert len(checks.pings_of(check)) == 1
        port = int(pushover.root.rsplit(":", 1)[1])
        await pushover.stop()
        with caplog.at_level(logging.WARNING):
            await warroom.advance(minutes=1)
        assert len(checks.pings_of(check)) == 1
        said = "\n".join(r.getMessage() for r in caplog.records)
        assert "no paging provider answered (pushover)" in said
        await pushover.start(port=port)
        await warroom.advance(minutes=1)
        assert len(checks.pings_of(check)) == 2
