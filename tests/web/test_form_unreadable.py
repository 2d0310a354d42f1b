"""A posted form the server cannot read (bytes not text in their charset, a body larger than
it takes) and a refused status-page sign-up: each answered with a redirect (303), the refusal
shown once on the page it leads to, so that the browser never stays at the form's POST address
(a reload would post it again)."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp

from emulator import SlackEmulator
from tests.conftest import ALICE, Clock
from tests.helpers.incidents import open_incident
from tests.helpers.web_view import browser, csrf_of, sign_in, visible_text, web_warroom

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
BROKEN = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
MAX_BODY = 64 * 1024


async def posted(
    client: aiohttp.ClientSession, url: str, body: bytes, referer: str
) -> aiohttp.ClientResponse:
    headers = {**BROKEN, "Referer": referer}
    async with client.post(url, data=body, headers=headers, allow_redirects=False) as answer:
        await answer.read()
        return answer


async def test_an_unreadable_or_oversized_form_is_refused_at_a_page_a_reload_does_not_post(
    slack: SlackEmulator, database_url: str
) -> None:
    async with (
        web_warroom(slack, database_url, Clock(NOW), runtime__max_body_bytes=MAX_BODY) as warroom,
        browser() as alice,
    ):
        await open_incident(warroom, "Search is slow")
        await sign_in(alice, warroom, ALICE)
        form_page = f"{warroom.url}/incidents/INC-1/postmortem"
        target = f"{warroom.url}/incidents/INC-1/postmortem/impact"
        for body, said in (
            (b"impact=caf\xe9", "not text this page can read"),
            (b"impact=" + b"a" * (MAX_BODY * 2), "larger than this server takes"),
        ):
            answer = await posted(alice, target, body, form_page)
            assert answer.status == 303 and answer.headers["Location"] == "/form-refused"
            async with alice.get(f"{warroom.url}/form-refused") as shown:
                page = await shown.text()
                assert shown.status == 400
            text = " ".join(visible_text(page).split())
            assert "That form could not be read" in text and said in text
            assert 'href="/incidents/INC-1/postmortem">Go back to the form</a>' in page
            # Shown once: a reload goes to the list, posting nothing.
            async with alice.get(f"{warroom.url}/form-refused", allow_redirects=False) as again:
                assert again.status == 303 and again.headers["Location"] == "/"


async def test_a_refused_status_page_sign_up_is_said_once_on_the_forms_own_page(
    slack: SlackEmulator, database_url: str
) -> None:
    async with web_warroom(slack, database_url, Clock(NOW)) as warroom, browser() as customer:
        form = f"{warroom.url}/status/subscribe"
        async with customer.get(form) as page:
            csrf = csrf_of(await page.text())
        fields = {"csrf": csrf, "kind": "webhook", "address": "ftp://example.com/hook"}
        async with customer.post(form, data=fields, allow_redirects=False) as answer:
            assert answer.status == 303 and answer.headers["Location"] == "/status/subscribe"
        async with customer.get(form) as page:
            html = await page.text()
            assert page.status == 400
        assert "That is not a webhook URL" in html and 'value="ftp://example.com/hook"' in html
        async with customer.get(form) as page:  # a reload: the clean form
            html = await page.text()
            assert page.status == 200 and "not a webhook URL" not in html
        # A body that is not text: the same way, to the form's page.
        body = f"csrf={csrf}&kind=webhook&address=caf\xe9".encode("latin-1")
        answer = await posted(customer, form, body, form)
        assert answer.status == 303 and answer.headers["Location"] == "/status/subscribe"
        async with customer.get(form) as page:
            assert page.status == 400 and "The form could not be read" in await page.text()
