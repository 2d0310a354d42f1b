"""The ``webhook`` method over the wire: a team's receiver (emulator/paging_webhook.py) that
checks the signature, the timestamp's replay window and the documented JSON strictly; the
acknowledgement callback in it followed as the receiver would; a receiver answering 3xx, 4xx
or 5xx is a failed method with why, and the person's next rule fires at once."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import yaml

from bot.config.paging import HooksError, parse_hooks
from emulator import FakeNtfy, FakeWebhookReceiver
from tests.conftest import CAROL, Clock, Warroom
from tests.oncall.test_oncall_command import oncall
from tests.paging.scenario import NOW, declare_sev1, notifications, paging_settings, person_pages

SECRET = "whsec-0f9c2d7a41b3"
TOPIC = "carol-7f3a9c"
PUBLIC_URL = "https://warroom.example.com"
CONTACTS = {
    "people": {
        CAROL: {
            "contacts": {"bridge": {"webhook": "signal-bridge"}, "push": {"ntfy": TOPIC}},
            "rules": [
                {"after": "0s", "notify": ["bridge"]},
                {"after": "10m", "notify": ["push"]},
            ],
        }
    }
}


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[FakeWebhookReceiver, FakeNtfy, Clock]]:
    clock = Clock(NOW)
    async with (
        FakeWebhookReceiver(SECRET, clock=lambda: clock.now.timestamp()) as hook,
        FakeNtfy() as ntfy,
    ):
        yield hook, ntfy, clock


@pytest.fixture
def warroom_settings(
    tmp_path: Path,
    receiver: tuple[FakeWebhookReceiver, FakeNtfy, Clock],
) -> dict[str, object]:
    hook, ntfy, clock = receiver
    hooks_file = tmp_path / "hooks.yaml"
    destination = {"url": hook.root + "/page", "secret_env": "WARROOM_BRIDGE_SECRET"}
    hooks_file.write_text(yaml.safe_dump({"destinations": {"signal-bridge": destination}}))
    settings = paging_settings(
        tmp_path,
        CONTACTS,
        WARROOM_PAGING_WEBHOOKS=str(hooks_file),
        WARROOM_BRIDGE_SECRET=SECRET,
        WARROOM_NTFY_URL=ntfy.root,
        WARROOM_PUBLIC_URL=PUBLIC_URL,
    )
    return {
        "clock": clock,
        **settings,
    }


async def test_a_page_reaches_the_receiver_signed_and_its_callback_acknowledges_once(
    warroom: Warroom,
    receiver: tuple[FakeWebhookReceiver, FakeNtfy, Clock],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    hook, ntfy, _ = receiver
    await declare_sev1(warroom)
    (page,) = hook.pages
    assert hook.refused == []
    assert page["type"] == "page" and page["version"] == 1
    assert page["incident"]["reference"] == "INC-1"
    assert page["incident"]["severity"] == "SEV1"
    assert page["incident"]["title"] == "Checkout API returns 500s"
    assert page["incident"]["url"] == f"{PUBLIC_URL}/incidents/INC-1"
    assert page["incident"]["slack_url"].startswith("slack://channel?")
    assert page["paged"] == {"user": CAROL, "name": "Carol Tanaka", "rule": 1}
    assert page["escalation"]["policy"] == "primary" and page["escalation"]["level"] == 1
    ack = page["acknowledge_url"].replace(PUBLIC_URL, warroom.url)
    async with aiohttp.ClientSession() as client:
        async with client.post(ack) as first:
            assert first.status == 200
        async with client.post(ack) as again:  # single-use
            assert again.status == 404
    (person_page,) = await person_pages(warroom)
    assert (person_page.state, person_page.acknowledged_via) == ("acknowledged", "webhook")
    await warroom.advance(minutes=30)
    assert ntfy.phone(TOPIC) == []  # acknowledged: the 10-minute push never went
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG)
    assert SECRET not in logged


@pytest.mark.parametrize(
    ("mishap", "why"),
    [
        ("redirect", "answered HTTP 302 (a redirect, not followed)"),
        ("404", "answered HTTP 404"),
        ("500", "answered HTTP 500"),
    ],
)
async def test_a_receiver_answering_3xx_4xx_5xx_is_a_failed_method_and_push_goes_at_once(
    warroom: Warroom,
    receiver: tuple[FakeWebhookReceiver, FakeNtfy, Clock],
    mishap: str,
    why: str,
) -> None:
    hook, ntfy, _ = receiver
    if mishap == "redirect":
        hook.redirect(times=10)
    else:
        hook.fail(int(mishap), times=10)
    channel = await declare_sev1(warroom)
    assert hook.pages == []
    assert len(ntfy.phone(TOPIC)) == 1  # the next rule, at once
    texts = [m.text for m in channel.messages]
    assert [t for t in texts if "instead of at its offset" in t] == [
        f":rotating_light: webhook (bridge) to <@{CAROL}> failed: 127.0.0.1 {why}. "
        "Their rule 2 (push) fires now instead of at its offset."
    ]
    for wait in (5, 15, 45):
        await warroom.advance(seconds=wait)
    (webhook,) = [n for n in await notifications(warroom) if n.method == "webhook"]
    assert webhook.state == "failed" and webhook.detail == f"127.0.0.1 {why}"


async def test_the_receiver_refuses_a_replay_and_a_stale_timestamp(
    warroom: Warroom, receiver: tuple[FakeWebhookReceiver, FakeNtfy, Clock]
) -> None:
    """What the README tells receivers to check, checked by the fake: the same signed
    request sent again, or one older than the window, is refused."""
    hook, _, clock = receiver
    await declare_sev1(warroom)
    assert len(hook.pages) == 1
    headers, body = await _resign(hook, clock.now.timestamp(), b'{"version": 1}')
    async with aiohttp.ClientSession() as client:
        async with client.post(hook.root + "/page", data=body, headers=headers) as first:
            assert first.status == 400  # signed right, but not a page
        async with client.post(hook.root + "/page", data=body, headers=headers) as replay:
            assert replay.status == 401
        stale, body = await _resign(hook, clock.now.timestamp() - 301, b'{"version": 1}')
        async with client.post(hook.root + "/page", data=body, headers=stale) as old:
            assert old.status == 401
    assert [why for _, why in hook.refused][1:] == [
        "replayed: this signed request was taken already",
        "X-Warroom-Timestamp: outside the replay window",
    ]


async def _resign(
    hook: FakeWebhookReceiver, at: float, body: bytes
) -> tuple[dict[str, str], bytes]:
    from bot.clients.webhook import sign

    stamp = int(at)
    return {
        "Content-Type": "application/json",
        "X-Warroom-Timestamp": str(stamp),
        "X-Warroom-Signature": sign(hook.secret, stamp, body),
    }, body


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"destinations": {"x": {"url": "http://example.com/", "secret_env": "S"}}}, "url"),
        ({"destinations": {"x": {"url": "https://e.example/", "secret_env": "lower"}}}, "secret"),
        ({"destinations": {"X Y": {"url": "https://e.example/", "secret_env": "S"}}}, "name"),
        ({}, "destinations"),
    ],
)
def test_a_bad_webhooks_file_is_refused_with_why(document: object, problem: str) -> None:
    with pytest.raises(HooksError) as refused:
        parse_hooks(document)
    assert problem in str(refused.value)


async def test_contact_test_sends_a_signed_test_and_says_why_the_receiver_refused_it(
    warroom: Warroom, receiver: tuple[FakeWebhookReceiver, FakeNtfy, Clock]
) -> None:
    hook, _, _ = receiver
    said = await oncall(warroom, "contact test bridge", user=CAROL)
    (test,) = hook.tests
    assert test["type"] == "test" and test["text"].startswith("This is a test from warroom")
    assert ":white_check_mark: bridge (webhook signal-bridge): sent" in said
    await warroom.advance(minutes=1)
    hook.fail(503, times=1)
    said = await oncall(warroom, "contact test bridge", user=CAROL)
    assert ":x: bridge (webhook" in said and "503" in said
    assert SECRET not in said and len(hook.tests) == 1
