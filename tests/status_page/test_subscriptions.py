"""Customers subscribed to the status page, against a real SMTP server (aiosmtpd on 127.0.0.1)
and a receiving webhook on 127.0.0.1: signing up through the page's form, the confirmation
mail's link followed, one mail per public update with RFC 8058's headers
(``List-Unsubscribe: <https://…>`` and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``,
RFC 8058 section 3.1) and none after the one-click POST (section 3.2: the body
``List-Unsubscribe=One-Click``); webhook documents signed as the paging webhooks' are; bad
addresses refused at the field; no address on a page or in the logs above DEBUG."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlmodel import select

from bot.config import Secret
from bot.flows.alerting.maintenance import cancel_window, open_window
from bot.store.db import session_scope
from bot.store.models import StatusSubscription
from bot.web.monitoring import loggable_path
from emulator import SlackEmulator
from tests.conftest import Warroom, running_warroom
from tests.helpers.html_checker import html_errors
from tests.helpers.incidents import command, open_incident
from tests.helpers.mail import MAILBOX_UNAVAILABLE, Mailbox
from tests.status_page.conftest import Receiver, text_of

ADDRESS = "dana.customer@example.com"
# http: the session cookie of an https address is Secure, and the test talks plain HTTP.
PUBLIC_URL = "http://status.example.com"


@pytest.fixture
def warroom_settings(  # on SQLite and on PostgreSQL (database_url)
    database_url: str, mailbox: tuple[Mailbox, int]
) -> dict[str, object]:
    return {
        "database_url": database_url,
        "paging__smtp_url": Secret(f"smtp://127.0.0.1:{mailbox[1]}"),
        "paging__smtp_from": "status@example.com",
        "paging__smtp_plaintext": True,
        "web__public_url": PUBLIC_URL,
        "subscriptions__webhook_allowed_hosts": frozenset({"127.0.0.1"}),
        "runtime__scheduler_interval": 3600.0,
    }


def local(warroom: Warroom, link: str) -> str:
    """A link of a mail (made with WARROOM_PUBLIC_URL) on the test's server."""
    assert link.startswith(PUBLIC_URL), link
    return warroom.url + link.removeprefix(PUBLIC_URL)


async def sign_up(
    warroom: Warroom, client: aiohttp.ClientSession, *, forwarded: str = "", **fields: str
) -> tuple[int, str]:
    """The form filled and sent; ``forwarded``: the client a trusted proxy says it is for."""
    async with client.get(warroom.url + "/status/subscribe") as page:
        html = await page.text()
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    async with client.post(
        warroom.url + "/status/subscribe",
        data={"csrf": found.group(1), **fields},
        headers={"X-Forwarded-For": forwarded} if forwarded else {},
    ) as answer:
        return answer.status, await answer.text()


def without_nonce(page: str) -> str:
    """A page without its style's nonce, the one thing that differs from one answer to the
    next."""
    return re.sub(r'nonce="[^"]+"', "", page)


def jar() -> aiohttp.CookieJar:
    return aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1


async def test_a_subscriber_gets_one_mail_per_public_update_and_none_after_unsubscribing(
    warroom: Warroom, mailbox: tuple[Mailbox, int], caplog: pytest.LogCaptureFixture
) -> None:
    box, _ = mailbox
    caplog.set_level(logging.DEBUG)
    async with aiohttp.ClientSession(cookie_jar=jar()) as client:
        async with client.get(warroom.url + "/status") as status:
            assert 'href="/status/subscribe"' in await status.text()
        status_code, page = await sign_up(warroom, client, kind="email", address=ADDRESS)
        assert status_code == 200 and "Check your inbox" in page
        assert ADDRESS not in page
        # The same answer for an address known already, and nothing more is mailed for it
        # until the first link is followed than the limit allows.
        warroom.clock.now += timedelta(minutes=1)
        again_code, again = await sign_up(warroom, client, kind="email", address=ADDRESS)
        assert (again_code, without_nonce(again)) == (status_code, without_nonce(page))
        await warroom.run_jobs()
        confirmations = [m for m in box.messages if "Confirm" in str(m["Subject"])]
        assert len(confirmations) == 2
        assert confirmations[0]["To"] == ADDRESS
        assert "List-Unsubscribe" not in confirmations[0]
        # Only the last link works: the second sign-up made a new one.
        link = re.search(r"http://\S+/status/confirm/\S+", text_of(confirmations[-1]))
        assert link
        async with client.get(local(warroom, link.group(0))) as opened:
            assert "Confirm your subscription" in await opened.text()  # a scanner confirms nothing
        async with client.post(local(warroom, link.group(0))) as confirmed:
            assert confirmed.status == 200 and "Subscribed" in await confirmed.text()
        async with client.post(local(warroom, link.group(0))) as used:
            assert used.status == 404 and "no longer works" in await used.text()
        # Confirmed, and an address never seen: the same answer, word for word.
        for address in (ADDRESS, "x@example.org"):
            code, answer = await sign_up(warroom, client, kind="email", address=address)
            assert (code, without_nonce(answer)) == (200, without_nonce(page))
        await warroom.run_jobs()
        box.messages.clear()

        channel = await open_incident(warroom, "Checkout returns 500s")
        await command(warroom, channel, "public Payments")
        await command(warroom, channel, "update --public Card payments fail for some customers.")
        await warroom.run_jobs()
        assert len(box.messages) == 1
        mail = box.messages[0]
        assert "Card payments fail for some customers." in text_of(mail)
        assert "INC-" not in str(mail["Subject"]) + text_of(mail)
        unsubscribe = str(mail["List-Unsubscribe"]).strip("<>")
        assert unsubscribe.startswith(PUBLIC_URL + "/status/unsubscribe/")
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert unsubscribe in text_of(mail)

        await command(warroom, channel, "update --public The fix is rolling out.")
        await warroom.run_jobs()
        await warroom.run_jobs()  # run again: sent once all the same
        assert len(box.messages) == 2

        # RFC 8058's one-click POST, as a mail client sends it: no cookie, no CSRF token.
        async with (
            aiohttp.ClientSession() as mail_client,
            mail_client.post(
                local(warroom, unsubscribe), data={"List-Unsubscribe": "One-Click"}
            ) as done,
        ):
            assert done.status == 200
        await command(warroom, channel, "update --public Fixed for everyone.")
        await command(warroom, channel, "resolve")
        await warroom.advance(minutes=5)
        assert len(box.messages) == 2
        # The address had its three sign-ups of the day (WARROOM_SUBSCRIBE_PER_ADDRESS_DAY):
        # a fourth gets the same answer and no mail.
        code, answer = await sign_up(warroom, client, kind="email", address=ADDRESS)
        assert (code, without_nonce(answer)) == (200, without_nonce(page))
        await warroom.run_jobs()
        assert len(box.messages) == 2
        # A day later, signing up again asks for a new confirmation: no update before it.
        warroom.clock.now += timedelta(days=1)
        await sign_up(warroom, client, kind="email", address=ADDRESS)
        await warroom.run_jobs()
        assert [str(m["Subject"]) for m in box.messages[2:]] == [
            "Confirm your subscription to status updates"
        ]
    # warroom's logs (and aiohttp's access log), not the test's SMTP server's ("mail.log").
    above_debug = [
        r.getMessage()
        for r in caplog.records
        if r.levelno > logging.DEBUG and not r.name.startswith("mail.")
    ]
    assert not [line for line in above_debug if ADDRESS in line]


async def test_a_bouncing_address_is_mailed_no_more(
    warroom: Warroom, mailbox: tuple[Mailbox, int]
) -> None:
    box, _ = mailbox
    async with aiohttp.ClientSession(cookie_jar=jar()) as client:
        await sign_up(warroom, client, kind="email", address=ADDRESS)
        await warroom.run_jobs()
        link = re.search(r"http://\S+/status/confirm/\S+", text_of(box.messages[-1]))
        assert link
        async with client.post(local(warroom, link.group(0))) as confirmed:
            assert confirmed.status == 200
    box.rcpt_reply[ADDRESS] = MAILBOX_UNAVAILABLE  # the mailbox is closed since
    channel = await open_incident(warroom, "Search is slow")
    await command(warroom, channel, "public Search")
    await command(warroom, channel, "update --public Searches take ten seconds.")
    await warroom.run_jobs()
    async with session_scope(warroom.engine) as session:
        (subscription,) = (await session.exec(select(StatusSubscription))).all()
    assert subscription.bounced_at is not None
    box.rcpt_reply.clear()
    await command(warroom, channel, "update --public Back to normal.")
    await warroom.run_jobs()
    assert len(box.messages) == 1  # the confirmation only


async def test_a_webhook_gets_signed_documents_for_its_components_only(
    warroom: Warroom, receiver: tuple[Receiver, str]
) -> None:
    hook, url = receiver
    async with aiohttp.ClientSession(cookie_jar=jar()) as client:
        payments = await open_incident(warroom, "Checkout returns 500s")
        await command(warroom, payments, "public Payments")
        search = await open_incident(warroom, "Search is slow")
        await command(warroom, search, "public Search")
        status, page = await sign_up(
            warroom, client, kind="webhook", address=url, component="Payments"
        )
        assert status == 200
        secret = re.search(r'<code class="secret">([^<]+)</code>', page)
        assert secret
    await warroom.run_jobs()  # its challenge, echoed
    await command(warroom, search, "update --public Searches take ten seconds.")
    await command(warroom, payments, "update --public Card payments fail.")
    await warroom.run_jobs()
    assert len(hook.received) == 1, [b for _, b in hook.received]
    headers, body = hook.received[0]
    signed = headers["X-Warroom-Timestamp"].encode() + b"." + body
    expected = hmac.new(secret.group(1).encode(), signed, hashlib.sha256).hexdigest()
    assert headers["X-Warroom-Signature"] == "v1=" + expected
    assert b"Card payments fail." in body and b"Searches" not in body


@pytest.mark.parametrize(
    ("kind", "typed", "said"),
    [
        ("email", "not-an-address", "That is not an e-mail address"),
        ("email", "a@b@example.com", "That is not an e-mail address"),
        ("email", "", "Type an e-mail address"),
        ("webhook", "ftp://example.com/hook", "That is not a webhook URL"),
    ],
)
async def test_a_bad_address_is_refused_at_its_field_with_the_form_kept(
    warroom: Warroom, kind: str, typed: str, said: str
) -> None:
    async with aiohttp.ClientSession(cookie_jar=jar()) as client:
        status, page = await sign_up(warroom, client, kind=kind, address=typed)
    assert status == 400
    assert said in page and 'aria-invalid="true"' in page and 'name="csrf"' in page


async def test_a_sign_up_without_the_form_token_is_refused(warroom: Warroom) -> None:
    async with (
        aiohttp.ClientSession(cookie_jar=jar()) as client,
        client.post(
            warroom.url + "/status/subscribe", data={"kind": "email", "address": ADDRESS}
        ) as answer,
    ):
        assert answer.status == 403


async def test_a_filled_hidden_field_and_too_many_sign_ups_subscribe_nobody(
    warroom: Warroom, mailbox: tuple[Mailbox, int]
) -> None:
    box, _ = mailbox
    async with aiohttp.ClientSession(cookie_jar=jar()) as client:
        status, page = await sign_up(
            warroom, client, kind="email", address=ADDRESS, website="http://spam.example"
        )
        assert status == 200 and "Check your inbox" in page
        statuses = [
            (await sign_up(warroom, client, kind="email", address=f"p{n}@example.com"))[0]
            for n in range(6)
        ]
    assert statuses == [200] * 5 + [429]
    await warroom.run_jobs()
    assert ADDRESS not in [m["To"] for m in box.messages]


async def test_a_public_maintenance_window_and_its_cancellation_are_sent_once_each(
    warroom: Warroom, receiver: tuple[Receiver, str]
) -> None:
    hook, url = receiver
    async with aiohttp.ClientSession(cookie_jar=jar()) as client:
        await sign_up(warroom, client, kind="webhook", address=url)
    await warroom.run_jobs()  # its challenge, echoed
    # As `warroom maintenance add ... --public` makes one (the operator's command line).
    window = await open_window(
        warroom.services,
        matchers=["service=search"],
        start="2098-12-31 22:00",
        end="2099-01-01 02:00",
        by="cli",
        operator=True,
        send=False,
        public="Search may be slow.",
    )
    await open_window(
        warroom.services,
        matchers=["service=checkout"],
        start="2098-12-31 22:00",
        end="2099-01-01 02:00",
        by="cli",
        operator=True,
        send=False,
    )  # not public: customers are told nothing of it
    await warroom.run_jobs()
    await cancel_window(warroom.services, window.id or 0, by="cli", operator=True, send=False)
    await warroom.run_jobs()
    documents = [json.loads(body) for _, body in hook.received]
    assert [(d["type"], d["maintenance"]["cancelled"]) for d in documents] == [
        ("maintenance", False),
        ("maintenance", True),
    ]
    assert documents[0]["maintenance"]["description"] == "Search may be slow."
    assert documents[0]["unsubscribe_url"].startswith(PUBLIC_URL + "/status/unsubscribe/")


def test_the_access_log_shows_no_subscriber_link() -> None:
    """The server's access log (PathOnlyAccessLogger) drops the links' tokens."""
    assert loggable_path("/status/confirm/AbC-123_x") == "/status/confirm/[redacted]"
    assert loggable_path("/status/unsubscribe/AbC-123_x") == "/status/unsubscribe/[redacted]"
    assert loggable_path("/status/subscribe") == "/status/subscribe"


async def test_one_address_signed_up_twice_at_once_is_answered_alike_and_kept_once(
    warroom: Warroom,
) -> None:
    async def post_at_once(client: aiohttp.ClientSession, token: str) -> int:
        async with client.post(
            warroom.url + "/status/subscribe",
            data={"csrf": token, "kind": "email", "address": ADDRESS},
        ) as answer:
            return answer.status

    async with (
        aiohttp.ClientSession(cookie_jar=jar()) as first,
        aiohttp.ClientSession(cookie_jar=jar()) as second,
    ):
        tokens = []
        for client in (first, second):
            async with client.get(warroom.url + "/status/subscribe") as page:
                found = re.search(r'name="csrf" value="([^"]+)"', await page.text())
                assert found
                tokens.append(found.group(1))
        statuses = await asyncio.gather(
            post_at_once(first, tokens[0]), post_at_once(second, tokens[1])
        )
    assert statuses == [200, 200]
    async with session_scope(warroom.engine) as session:
        assert len((await session.exec(select(StatusSubscription))).all()) == 1


async def test_the_subscription_pages_are_valid_html(
    warroom: Warroom, tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    """The form, the refused form, the answer and the links' pages, as the W3C Nu HTML
    Checker reads them: no error."""
    box, _ = mailbox
    pages: dict[str, str] = {}
    async with aiohttp.ClientSession(cookie_jar=jar()) as client:
        async with client.get(warroom.url + "/status/subscribe") as form:
            pages["form"] = await form.text()
        pages["refused"] = (await sign_up(warroom, client, kind="email", address="x"))[1]
        pages["sent"] = (await sign_up(warroom, client, kind="email", address=ADDRESS))[1]
        pages["secret"] = (
            await sign_up(warroom, client, kind="webhook", address="http://127.0.0.1:9/h")
        )[1]
        await warroom.run_jobs()
        link = re.search(r"http://\S+/status/confirm/\S+", text_of(box.messages[-1]))
        assert link
        async with client.get(local(warroom, link.group(0))) as confirm_page:
            pages["confirm"] = await confirm_page.text()
        async with client.post(local(warroom, link.group(0))) as confirmed:
            pages["confirmed"] = await confirmed.text()
        async with client.post(local(warroom, link.group(0))) as expired:
            pages["expired"] = await expired.text()
        async with session_scope(warroom.engine) as session:
            rows = (await session.exec(select(StatusSubscription))).all()
        manage = f"{warroom.url}/status/manage/{rows[0].unsubscribe_token}"
        async with client.get(manage) as manage_page:
            pages["manage"] = await manage_page.text()
        async with client.post(manage, data={"component": "x"}) as saved:
            pages["saved"] = await saved.text()
    assert await html_errors(pages, tmp_path) == []


async def test_the_resolution_is_sent_once_in_warroom_words_when_nobody_writes_it(
    warroom: Warroom, receiver: tuple[Receiver, str]
) -> None:
    """Resolving a public incident with nothing written for customers: the status change is
    published in warroom's words once the grace has passed, and each subscriber is sent it
    once (every public update, resolution and maintenance notice)."""
    hook, url = receiver
    async with aiohttp.ClientSession(cookie_jar=jar()) as client:
        channel = await open_incident(warroom, "Checkout returns 500s")
        await command(warroom, channel, "public Payments")
        await sign_up(warroom, client, kind="webhook", address=url)
    await warroom.run_jobs()  # its challenge, echoed
    await command(warroom, channel, "update --public Card payments fail.")
    await command(warroom, channel, "resolve")
    await warroom.advance(minutes=5)
    await warroom.run_jobs()
    await warroom.run_jobs()  # run again: sent once all the same
    statuses = [json.loads(body)["update"]["status"] for _, body in hook.received]
    assert statuses == ["investigating", "resolved"], statuses


@pytest.mark.parametrize(
    "missing",
    [
        {"paging__smtp_url": None, "paging__smtp_from": ""},
        {"web__public_url": ""},
    ],
    ids=["no mail server", "no public address for the links"],
)
async def test_without_mail_the_form_offers_webhooks_and_the_feed_and_refuses_an_address(
    slack: SlackEmulator, database_url: str, missing: dict[str, object]
) -> None:
    """With nothing to send a confirmation through, no customer is told to check an inbox:
    the form offers no e-mail, and an e-mail sign-up sent anyway is refused at its field."""
    settings: dict[str, object] = {
        "paging__smtp_url": Secret("smtp://127.0.0.1:25"),
        "paging__smtp_from": "status@example.com",
        "paging__smtp_plaintext": True,
        "web__public_url": PUBLIC_URL,
        "runtime__scheduler_interval": 3600.0,
        **missing,
    }
    async with running_warroom(slack, database_url, **settings) as warroom:
        async with aiohttp.ClientSession(cookie_jar=jar()) as client:
            async with client.get(warroom.url + "/status/subscribe") as form:
                page = await form.text()
            assert "This status page sends no e-mail" in page
            assert 'value="email"' not in page and 'href="/status/feed.atom"' in page
            code, answer = await sign_up(warroom, client, kind="email", address=ADDRESS)
            assert code == 400 and "Check your inbox" not in answer
            assert "This status page sends no e-mail: subscribe a webhook" in answer
        async with session_scope(warroom.engine) as session:
            assert (await session.exec(select(StatusSubscription))).all() == []
