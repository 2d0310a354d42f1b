"""The integrations on the web view: a member sees every integration on
``/integrations`` and a service's on its page (kind, service, the URL its sender is pointed
to, alerts sent and the last one, revoked or working), never a key; a guest sees none.
Alerts arrive over real HTTP as Datadog sends them; pages are read signed in, as a browser
reads them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.record.alerting import integrations
from bot.store.db import session_scope
from emulator import FakeNtfy, SlackEmulator
from tests.alerting.test_services import page, services_warroom
from tests.conftest import BOB, Warroom
from tests.helpers.web_view import browser, sign_in

URL = "http://localhost:8080"
DATADOG = {"title": "[Triggered] Checkout 5xx", "body": "5xx over 2%", "aggreg_key": "5xx"}


@pytest.fixture
async def running(
    slack: SlackEmulator, database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Warroom, FakeNtfy]]:
    async with services_warroom(slack, database_url, tmp_path) as warroom:
        yield warroom


async def made(warroom: Warroom, kind: str, service: str) -> str:
    async with session_scope(warroom.engine) as session:
        _, key = await integrations.create(
            session, kind=kind, service=service, name=None, now=warroom.clock()
        )
        await session.commit()
    return key


async def test_members_see_integrations_with_their_urls_and_counts_never_a_key(
    running: tuple[Warroom, FakeNtfy],
) -> None:
    warroom, _ = running
    datadog = await made(warroom, "datadog", "checkout")
    pagerduty = await made(warroom, "pagerduty", "payments-api")
    changes = await made(warroom, "changes", "checkout")
    async with browser() as sender:
        headers = {"Authorization": f"Bearer {datadog}"}
        async with sender.post(f"{warroom.url}/alerts/datadog", json=DATADOG, headers=headers) as r:
            assert r.status == 202
    await warroom.run_jobs()
    async with session_scope(warroom.engine) as session:
        await integrations.revoke(session, "payments-api-pagerduty", now=warroom.clock())
        await session.commit()
    async with browser() as bob:
        await sign_in(bob, warroom, BOB)
        status, text = await page(bob, f"{warroom.url}/integrations")
        assert status == 200
        # The URLs at warroom's public URL (unset here: the default).
        assert f"checkout-datadog datadog checkout {URL}/alerts/datadog 1 " in text
        assert f"payments-api-pagerduty pagerduty payments-api {URL}/v2/enqueue 0 " in text
        assert "none yet revoked" in text
        # Issue 88, item 6: a source of change events counts changes, in a table of its own.
        alerting, changing = text.split("Sources of change events", 1)
        assert "Alerts Last alert" in alerting and "checkout-changes" not in alerting
        assert "Changes Last change" in changing and "checkout-datadog" not in changing
        assert "checkout-changes changes checkout" in changing
        status, text = await page(bob, f"{warroom.url}/services/checkout")
        assert status == 200
        assert "Integrations Integration Kind URL to send to" in text
        assert f"checkout-datadog datadog {URL}/alerts/datadog 1" in text
        assert "payments-api-pagerduty" not in text
        status, text = await page(bob, f"{warroom.url}/services/payments-api")
        assert "payments-api-pagerduty" in text and "checkout-datadog" not in text
        for path in ("/integrations", "/services/checkout", "/services/payments-api"):
            async with bob.get(f"{warroom.url}{path}") as answer:
                html = await answer.text()
            assert datadog not in html and pagerduty not in html, path
            assert changes not in html, path
    warroom.slack.add_user("U0GUEST", "gus")
    warroom.slack.users["U0GUEST"].is_restricted = True
    async with browser() as guest:
        await sign_in(guest, warroom, "U0GUEST")
        status, text = await page(guest, f"{warroom.url}/integrations")
        assert status == 403 and "checkout-datadog" not in text
