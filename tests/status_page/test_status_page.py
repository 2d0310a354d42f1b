"""The status pages end to end: PayPlug's TSR-1532 replayed through Slack (the emulator), shown
on warroom's /status and its Atom feed, and sent to a fake Atlassian Statuspage over HTTP.

PayPlug published, on 27 March 2025 (Europe/Paris, CET), a "monitoring" update at 15:42 UTC
and a "resolved" one at 17:00 UTC, each in French and English (tmp facts: pingoru.io's mirror
of status.payplug-enterprise.com, incident 2171966).
"""

from __future__ import annotations

import asyncio
import html
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from sqlalchemy import event
from sqlmodel import select

import bot.clients.statuspage as statuspage_client
from bot.config import Settings
from bot.flows.postmortem.posting import write_draft
from bot.store.db import session_scope
from bot.store.models import Incident, PublicIncident, PublicUpdate
from emulator import Channel, SlackEmulator
from emulator.statuspage import FakeStatuspage
from tests.conftest import ALICE, Clock, Warroom, running_warroom, start_warroom
from tests.helpers.incidents import command, declare_incident, open_incident, settle

FR_MONITORING = (
    "Un incident affectant le e-commerce et les paiements in-store a eu lieu entre 16h11 et"
    " 16h23. La situation est revenue à la normale. Nous continuons de monitorer le service."
)
EN_MONITORING = (
    "An incident affecting e-commerce and in-store payments occurred between 4.11pm and"
    " 4.23pm. The situation has now returned to normal. We are continuing to monitor the"
    " service."
)
FR_RESOLVED = "L'incident est maintenant résolu et le service est rétabli."
EN_RESOLVED = "Incident is now resolved and service restored."
COMPONENTS = "E-commerce processing, Instore payment"
ATOM = "{http://www.w3.org/2005/Atom}"


def at(hour: int, minute: int) -> datetime:
    return datetime(2025, 3, 27, hour, minute, tzinfo=UTC)


@pytest.fixture
async def statuspage() -> AsyncIterator[FakeStatuspage]:
    async with FakeStatuspage() as fake:
        yield fake


def statuspage_settings(statuspage: FakeStatuspage, **environ: str) -> dict[str, Any]:
    """Settings read from the environment the way an operator writes them."""
    ecommerce = statuspage.add_component("Processing e-commerce")
    instore = statuspage.add_component("Paiement en magasin - CB2A")
    settings = Settings.from_env(
        {
            "STATUSPAGE_PAGE_ID": statuspage.page_id,
            "STATUSPAGE_API_KEY": statuspage.api_key,
            "STATUSPAGE_API_URL": statuspage.api_url,
            "STATUSPAGE_COMPONENTS": (
                f"E-commerce processing={ecommerce},Instore payment={instore}"
            ),
            "WARROOM_LANGUAGE": "fr",
            **environ,
        }
    )
    return {
        "status_page__page_id": settings.status_page.page_id,
        "status_page__api_key": settings.status_page.api_key,
        "status_page__api_url": settings.status_page.api_url,
        "status_page__components": settings.status_page.components,
        "incidents__language": settings.incidents.language,
        # The background runner stays out of the way; tests run due jobs themselves.
        "runtime__scheduler_interval": 3600.0,
    }


@pytest.fixture
async def payplug(
    slack: SlackEmulator, sqlite_url: str, statuspage: FakeStatuspage
) -> AsyncIterator[Warroom]:
    clock = Clock(at(15, 15))
    async with running_warroom(
        slack, sqlite_url, clock, **statuspage_settings(statuspage)
    ) as running:
        yield running


async def get(warroom: Warroom, path: str) -> tuple[int, str, aiohttp.ClientResponse]:
    async with aiohttp.ClientSession() as client, client.get(warroom.url + path) as response:
        return response.status, await response.text(), response


def said(warroom: Warroom, containing: str) -> list[str]:
    return [
        m.text for c in warroom.slack.channels.values() for m in c.messages if containing in m.text
    ]


async def replay_tsr_1532(warroom: Warroom) -> Channel:
    """The incident as PayPlug's team would have run it in warroom."""
    channel = await open_incident(warroom, "Paiements KO: bascule du cluster Redis par Bob")
    await command(warroom, channel, "timezone Europe/Paris")
    warroom.clock.now = at(15, 40)
    await command(warroom, channel, "status monitoring")  # not public yet: not published
    await command(warroom, channel, f"public {COMPONENTS}")
    warroom.clock.now = at(15, 42)
    await command(warroom, channel, f"update --public --lang fr {FR_MONITORING}")
    await command(warroom, channel, f"update --public --lang en {EN_MONITORING}")
    warroom.clock.now = at(17, 0)
    await command(warroom, channel, "resolve")
    await command(warroom, channel, f"update --public --lang fr {FR_RESOLVED}")
    await command(warroom, channel, f"update --public --lang en {EN_RESOLVED}")
    return channel


async def test_payplug_tsr_1532_is_published_in_french_and_english(
    payplug: Warroom, statuspage: FakeStatuspage
) -> None:
    await replay_tsr_1532(payplug)

    status, page, response = await get(payplug, "/status?tz=America/New_York&lang=en")
    assert status == 200 and response.content_type == "text/html"
    text = html.unescape(page)
    for words in (FR_MONITORING, EN_MONITORING, FR_RESOLVED, EN_RESOLVED):
        assert words in text
    # What people wrote is the text of its paragraph (decoded once, escaped once for HTML).
    assert '<div class="text mrkdwn" lang="fr"><p>L&#39;incident est maintenant résolu' in page
    # Two updates, newest first, each in the incident's zone and the viewer's.
    assert re.findall(r"<strong>(\w+)</strong>", page) == ["Resolved", "Monitoring"]
    assert "2025-03-27 16:42 CET" in page and "2025-03-27 11:42 EDT" in page
    assert "2025-03-27 18:00 CET" in page and "2025-03-27 13:00 EDT" in page
    # Nobody named it: the name warroom makes is in the reader's language, as the frame is.
    # Never with the internal reference, anywhere customers look.
    assert "Incident affecting E-commerce processing, Instore payment" in text
    assert "Incident affectant" not in text and "INC-1" not in text
    _, french, _ = await get(payplug, "/status?lang=fr")
    assert "Incident affectant E-commerce processing, Instore payment" in french
    assert "Incident affecting" not in french and "INC-1" not in french
    _, feed, _ = await get(payplug, "/status/feed.atom")
    assert "Incident affect" in feed and "INC-1" not in feed
    # Nothing internal: not the title, the channel, the people or the timeline.
    for internal in ("Redis", "Bob", "inc-1", "Alice", "ALICE", "U0ALICE"):
        assert internal not in page

    # Statuspage: one incident, the same two updates, each with both texts.
    [incident] = statuspage.incidents.values()
    assert incident.name == "Incident affectant E-commerce processing, Instore payment"
    assert [(u["status"], u["body"]) for u in incident.updates] == [
        ("monitoring", f"{FR_MONITORING}\n\n{EN_MONITORING}"),
        ("resolved", f"{FR_RESOLVED}\n\n{EN_RESOLVED}"),
    ]
    assert set(incident.components.values()) == {"operational"}
    assert {r.authorization for r in statuspage.requests} == {f"OAuth {statuspage.api_key}"}
    assert all(r.status in (200, 201) for r in statuspage.requests)


# The smallest text the status page may show, in CSS pixels: below it text is hard to read
# (the rest of the page is 12 px and up).
SMALLEST_TEXT_PX = 12.0
# A browser's root font size when the page sets none: what ``rem`` is measured against.
ROOT_PX = 16.0


def font_sizes_px(css: str) -> list[tuple[str, float]]:
    """(rule, size in px) of every font size the style sheet sets (``font-size`` and the
    ``font`` shorthand); a size in a unit this cannot measure fails the test."""
    sizes = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        for prop, value in re.findall(r"(font-size|font)\s*:\s*([^;]+)", body):
            size = value.split()[0].split("/")[0] if prop == "font" else value.strip()
            match = re.fullmatch(r"(\d*\.?\d+)(px|rem)", size)
            assert match, f"{selector.strip()}: a font size this test cannot measure: {size}"
            number = float(match.group(1))
            sizes.append(
                (selector.strip(), number * ROOT_PX if match.group(2) == "rem" else number)
            )
    return sizes


async def test_no_text_on_the_status_page_is_under_12_px(payplug: Warroom) -> None:
    """Every font size the page's style sheet sets is 12 px or more (Chromium measured the
    language labels at 11.2 px, ``.7rem``); the page sets no root size that would shrink
    ``rem``, and no size anywhere but in its style sheet."""
    await replay_tsr_1532(payplug)
    for language in ("en", "fr"):
        _, page, _ = await get(payplug, f"/status?lang={language}")
        (css,) = re.findall(r"<style[^>]*>(.*?)</style>", page, re.S)
        assert 'class="said"' in page and "lang-label" in page
        sizes = font_sizes_px(css)
        assert sizes and not [(rule, px) for rule, px in sizes if px < SMALLEST_TEXT_PX]
        assert not re.search(r"(^|[},\s])(html|:root)\s*[{,]", css)
        body = page.split("</style>", 1)[1]
        assert "<small" not in body and "font-size" not in body and " style=" not in body


async def test_the_atom_feed_has_an_entry_per_update(payplug: Warroom) -> None:
    await replay_tsr_1532(payplug)

    status, body, response = await get(payplug, "/status/feed.atom")

    assert status == 200 and response.content_type == "application/atom+xml"
    feed = ET.fromstring(body.encode())
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id", "").startswith("urn:uuid:")
    assert feed.findtext(f"{ATOM}updated") == "2025-03-27T17:00:00Z"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}published") for e in entries] == [
        "2025-03-27T17:00:00Z",
        "2025-03-27T15:42:00Z",
    ]
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == 2 and all(i and i.startswith("urn:uuid:") for i in ids)
    for entry in entries:
        link = entry.find(f"{ATOM}link")
        assert link is not None and (link.get("href") or "").startswith("/status#update-")
    resolved = "".join(entries[0].find(f"{ATOM}content").itertext())  # type: ignore[union-attr]
    assert FR_RESOLVED in resolved and EN_RESOLVED in resolved
    # In the team's language (WARROOM_LANGUAGE=fr), as the page reads without Accept-Language.
    assert entries[0].findtext(f"{ATOM}title", "").endswith(": Résolu")


async def test_a_private_incident_never_reaches_the_status_pages(
    payplug: Warroom, statuspage: FakeStatuspage
) -> None:
    slack = payplug.slack
    channel = await declare_incident(slack, "--private Payroll export leaked", pinned=True)
    assert channel.is_private

    await command(payplug, channel, "public Payroll")
    await command(payplug, channel, "update --public The export is stopped")
    await command(payplug, channel, "status identified")

    replies = [m.text for m in slack.ephemeral_for(ALICE)]
    assert any("private channel, so it stays off the status pages" in r for r in replies)
    _, page, _ = await get(payplug, "/status?lang=en")
    _, feed, _ = await get(payplug, "/status/feed.atom")
    for shown in (page, feed):
        assert "Payroll" not in shown and "INC-1" not in shown and "export" not in shown
    assert "Nothing to report" in page
    assert statuspage.requests == []


async def test_a_status_change_is_published_in_warroom_words_only(
    payplug: Warroom, statuspage: FakeStatuspage
) -> None:
    channel = await open_incident(payplug, "Checkout down after Bob's deploy")
    await command(payplug, channel, "public Checkout")
    await command(payplug, channel, "status identified")
    said = "La cause de l'incident est identifiée et un correctif est en préparation"

    # Within WARROOM_PUBLIC_GRACE (2 minutes) people may still say it in their own words.
    await payplug.advance(seconds=119)
    _, page, _ = await get(payplug, "/status")
    assert said not in html.unescape(page) and statuspage.notified == []

    await payplug.advance(seconds=1)
    _, page, _ = await get(payplug, "/status")
    assert said in html.unescape(page)
    assert "Bob" not in page and "deploy" not in page
    [incident] = statuspage.incidents.values()
    assert incident.updates[0]["status"] == "identified"
    assert "Bob" not in incident.updates[0]["body"]
    assert [(status, body) for _, status, body in statuspage.notified] == [
        ("identified", f"{said} (Checkout).")
    ]


def overall_of(page: str) -> str:
    """What the status page says first: its overall state, as text."""
    start = page.index('id="overall"')
    return " ".join(
        re.sub(
            r"<[^>]+>", " ", page[page.index(">", start) + 1 : page.index("</p>", start)]
        ).split()
    )


async def test_the_status_page_opens_with_its_overall_state(payplug: Warroom) -> None:
    _, page, _ = await get(payplug, "/status?lang=en")
    assert overall_of(page) == "All systems operational"
    _, page, _ = await get(payplug, "/status?lang=fr")
    assert overall_of(page) == "Tous les services fonctionnent normalement"
    minor = await open_incident(payplug, "Search slow")
    await command(payplug, minor, "public Search")
    await command(payplug, minor, "update --public --lang en Search is slow for some")
    major = await open_incident(payplug, "Checkout down")
    await command(payplug, major, "sev 1")
    await command(payplug, major, "public Checkout, Payments")
    await command(payplug, major, "update --public --lang en Checkout is failing")
    _, page, _ = await get(payplug, "/status?lang=en")
    # The worst impact under way and the components it touches, before any incident.
    assert overall_of(page) == "Major outage · Affected: Checkout, Payments"
    assert page.index('id="overall"') < page.index("Checkout is failing")
    _, page, _ = await get(payplug, "/status?lang=fr")
    assert overall_of(page) == "Panne majeure · Concerne : Checkout, Payments"
    await command(payplug, major, "resolve")
    await command(payplug, major, "update --public --lang en Checkout is back")
    _, page, _ = await get(payplug, "/status?lang=en")
    assert overall_of(page) == "Degraded performance · Affected: Search"
    await command(payplug, minor, "resolve")
    await command(payplug, minor, "update --public --lang en Search is fast again")
    _, page, _ = await get(payplug, "/status?lang=en")
    assert overall_of(page) == "All systems operational"


async def test_withdrawing_before_anything_was_published(payplug: Warroom) -> None:
    channel = await open_incident(payplug, "Checkout down")
    await command(payplug, channel, "public Checkout")
    await command(payplug, channel, "public off")
    await command(payplug, channel, "status identified")  # no longer published

    _, page, _ = await get(payplug, "/status?lang=en")
    assert "Nothing to report" in page
    assert said(payplug, "before anything was published")
    await command(payplug, channel, "update --public Back on it")
    assert any("not on the status page" in m.text for m in payplug.slack.ephemeral_for(ALICE))


async def test_a_statuspage_outage_is_retried_without_loss(
    payplug: Warroom, statuspage: FakeStatuspage
) -> None:
    channel = await open_incident(payplug, "Checkout down")
    await command(payplug, channel, "public Checkout")
    statuspage.fail(503, times=2)
    await command(payplug, channel, "update --public --lang en Checkout fails for some")

    assert said(payplug, "Statuspage did not take INC-1")
    assert statuspage.incidents == {}
    _, page, _ = await get(payplug, "/status")
    assert "Checkout fails for some" in page  # warroom's page has it already
    await payplug.advance(seconds=15)
    assert statuspage.incidents == {}
    await payplug.advance(seconds=30)
    [incident] = statuspage.incidents.values()
    assert [u["body"] for u in incident.updates] == ["Checkout fails for some"]
    assert said(payplug, "Statuspage has INC-1's public updates now (after 3 attempts)")
    await payplug.advance(minutes=30)
    assert len(incident.updates) == 1  # sent once


async def test_statuspage_rate_limit_waits_for_retry_after(
    payplug: Warroom, statuspage: FakeStatuspage
) -> None:
    channel = await open_incident(payplug, "Checkout down")
    await command(payplug, channel, "public Checkout")
    statuspage.fail(429, retry_after=120)
    await command(payplug, channel, "update --public --lang en Checkout fails for some")

    await payplug.advance(seconds=60)
    assert len(statuspage.requests) == 1 and statuspage.incidents == {}
    await payplug.advance(seconds=61)
    # Before creating again, warroom looks whether the refused call created it after all.
    assert [r.method for r in statuspage.requests] == ["POST", "GET", "POST"]
    assert len(statuspage.incidents) == 1


async def test_an_update_published_during_retry_after_waits_for_it(
    payplug: Warroom, statuspage: FakeStatuspage
) -> None:
    channel = await open_incident(payplug, "Checkout down")
    await command(payplug, channel, "public Checkout")
    statuspage.fail(420, retry_after=30)
    await command(payplug, channel, "update --public --lang en Checkout fails for some")
    assert len(statuspage.requests) == 1

    await payplug.advance(seconds=1)
    await command(payplug, channel, "update --public --lang en Checkout fails for fewer")
    await payplug.advance(seconds=28)
    assert len(statuspage.requests) == 1  # Statuspage said 30 s
    await payplug.advance(seconds=2)
    assert len(statuspage.incidents) == 1
    (sent,) = statuspage.incidents.values()
    assert len(sent.updates) == 2


@pytest.mark.parametrize(
    ("status", "hint"),
    [(401, "STATUSPAGE_API_KEY"), (404, "STATUSPAGE_PAGE_ID"), (422, "STATUSPAGE_COMPONENTS")],
)
async def test_a_refusal_is_final_and_said(
    payplug: Warroom, statuspage: FakeStatuspage, status: int, hint: str
) -> None:
    channel = await open_incident(payplug, "Checkout down")
    await command(payplug, channel, "public Checkout")
    statuspage.fail(status)
    await command(payplug, channel, "update --public --lang en Checkout fails for some")

    [refusal] = said(payplug, "Statuspage refused INC-1's public update for good")
    assert f"HTTP {status}" in refusal and hint in refusal
    assert statuspage.api_key not in refusal
    await payplug.advance(minutes=30)
    assert len(statuspage.requests) == 1  # not tried again
    async with session_scope(payplug.engine) as session:
        [update] = (await session.exec(select(PublicUpdate))).all()
    assert update.statuspage_error is not None and update.statuspage_update_id is None


async def test_update_usage(payplug: Warroom) -> None:
    channel = await open_incident(payplug, "Checkout down")
    for text, answer in [
        ("update --lang fr Bonjour", "`--lang` goes with `--public`"),
        ("update --public --lang 12 Hello", "`12` is not a language code"),
        ("update --public --lang xx Hello", "give `--lang` an ISO 639-1 code"),
        ("update --public --lang qq-br Hello", "`qq-br` is not a language code"),
        ("update --public --lang=zz Hello", "`zz` is not a language code"),
        ("update --public --lang fr", "Say what is known"),
        ("public a,,b", "Separate the components with commas"),
        ("public --title", "Give the title customers should read"),
        ('public --title "Payments" and more', "Give the title customers should read"),
        ("public --title --lang zz Paiements", "`zz` is not a language code"),
        (f"public --title {'x' * 121}", "Keep a public title under 120 characters"),
    ]:
        response = await payplug.slack.send_command(text, user=ALICE, channel=channel.id)
        assert answer in response.text, (text, response.text)


async def test_a_language_with_a_region_is_taken(payplug: Warroom) -> None:
    channel = await open_incident(payplug, "Checkout down")
    await command(payplug, channel, "public Checkout")
    await command(payplug, channel, "update --public --lang pt-BR O checkout falha")

    _, page, _ = await get(payplug, "/status")
    assert '<div class="text mrkdwn" lang="pt-br"><p>O checkout falha</p></div>' in page


async def test_the_draft_lists_what_was_published_and_where(payplug: Warroom) -> None:
    await replay_tsr_1532(payplug)
    async with session_scope(payplug.engine) as session:
        [incident_id] = (await session.exec(select(PublicUpdate.incident_id).distinct())).all()

    french = (await write_draft(payplug.services, incident_id, ask_slack=False)).markdown
    english = (await write_draft(payplug.services, incident_id, language="en")).markdown

    assert "## Mises à jour de la page de statut" in french
    assert (
        "- **27 mars 2025, 16 h 42 CET** _sous surveillance_ (fr, en), publiée sur /status et"
        " Statuspage : Un incident affectant le e-commerce" in french
    )
    assert "## Status page updates" in english
    assert (
        "- **March 27, 2025, 6:00 PM CET** _resolved_ (fr, en), published on /status and"
        " Statuspage: L'incident est" in english
    )


async def test_a_draft_of_an_incident_never_public_has_no_status_page_section(
    payplug: Warroom,
) -> None:
    channel = await open_incident(payplug, "Checkout down")
    await command(payplug, channel, "status identified")
    async with session_scope(payplug.engine) as session:
        [incident] = (await session.exec(select(Incident))).all()

    draft = (await write_draft(payplug.services, incident.id or 0, ask_slack=False)).markdown

    assert "## Mises à jour de la page de statut" not in draft
    assert "publiée sur /status" not in draft


async def publish_checkout(payplug: Warroom) -> None:
    """An incident with one public update in English: something for the page to show."""
    channel = await open_incident(payplug, "Checkout down")
    await command(payplug, channel, "public Checkout")
    await command(payplug, channel, "update --public --lang en Checkout fails for some")


@pytest.mark.parametrize(
    "asked", ["/etc/passwd", "../../etc/passwd", ":/etc/localtime", "UTC+05:00", "x" * 64]
)
async def test_an_unknown_viewer_zone_falls_back_to_utc(payplug: Warroom, asked: str) -> None:
    """The page in UTC all the same, answered 400 as a form refusing what was typed: the
    zone kept in its field, marked invalid, the words beside it."""
    await publish_checkout(payplug)

    status, page, _ = await get(payplug, f"/status?lang=en&tz={quote(asked, safe='')}")

    assert status == 400 and "Checkout fails for some" in page
    said = f"There is no time zone called “{html.escape(asked)}”: times are in UTC"
    assert f'<span class="problem" id="tz-problem">{said}' in page
    assert (
        f'<input id="tz" name="tz" value="{html.escape(asked)}" size="24" aria-invalid="true"'
        ' aria-describedby="tz-problem">'
    ) in page


@pytest.mark.parametrize("asked", ["%00", "%01%1b", "Europe%2FParis%00", "%7f%c2%85%ef%bf%be"])
async def test_control_characters_asked_for_are_never_echoed(payplug: Warroom, asked: str) -> None:
    """Issue 30, point 2: `?tz=%00` put U+0000 into the page ("Saw U+0000 in stream")."""
    await publish_checkout(payplug)

    status, page, _ = await get(payplug, f"/status?lang=en&tz={asked}")

    assert status == 400 and "There is no time zone called" in page
    forbidden = [c for c in page if (ord(c) < 32 and c not in "\t\n\r") or 0x7F <= ord(c) <= 0x9F]
    assert forbidden == [] and "\ufffe" not in page


async def test_machine_readable_times_are_to_the_second(payplug: Warroom) -> None:
    """Issue 30, point 1: `<time datetime>` carried microseconds, which HTML refuses."""
    payplug.clock.now = payplug.clock.now.replace(microsecond=454577)
    await publish_checkout(payplug)

    _, page, _ = await get(payplug, "/status")

    stamps = re.findall(r'<time datetime="([^P"][^"]*)"', page)  # moments; PT1H2M: durations
    assert stamps and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", s) for s in stamps)
    _, feed, _ = await get(payplug, "/status/feed.atom")
    dates = re.findall(r"<(?:updated|published)>([^<]*)<", feed)
    assert dates and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", d) for d in dates)


async def test_a_known_viewer_zone_is_used(payplug: Warroom) -> None:
    await publish_checkout(payplug)

    _, page, _ = await get(payplug, "/status?tz=EST5EDT")

    assert "no time zone called" not in page and "2025-03-27 11:15 EDT" in page


async def test_the_feed_stays_xml_whatever_was_typed_or_stored(payplug: Warroom) -> None:
    channel = await open_incident(payplug, "Checkout down")
    await command(payplug, channel, "public api\x0bgateway, web")
    await command(payplug, channel, "update --public --lang en we are on it \uffff now")
    # Rows stored before the cleaning was as strict as it is.
    async with session_scope(payplug.engine) as session:
        [stored] = (await session.exec(select(PublicUpdate))).all()
        stored.texts = {"en": "lone \ud800 surrogate \ufffe and \x0b tab"}
        session.add(stored)
        public = await session.get(PublicIncident, stored.incident_id)
        assert public is not None and public.components == ["apigateway", "web"]
        public.components = ["db\uffff", "\x0b"]
        session.add(public)
        await session.commit()

    _, body, _ = await get(payplug, "/status/feed.atom")

    [entry] = ET.fromstring(body.encode()).findall(f"{ATOM}entry")
    text = "".join(entry.find(f"{ATOM}content").itertext())  # type: ignore[union-attr]
    assert text == "lone  surrogate  and  tab"
    assert [c.get("term") for c in entry.findall(f"{ATOM}category")] == ["db"]


async def test_a_component_of_nothing_but_control_characters_is_refused(
    payplug: Warroom,
) -> None:
    channel = await open_incident(payplug, "Checkout down")
    response = await payplug.slack.send_command(
        "public api, \x0b\uffff", user=ALICE, channel=channel.id
    )
    assert "Separate the components with commas" in response.text


async def test_two_replicas_make_one_statuspage_incident_and_keep_the_translation(
    slack: SlackEmulator, sqlite_url: str, statuspage: FakeStatuspage
) -> None:
    """Replica B runs the job (its create answered late) while a translation comes in and
    replica A polls: one Statuspage incident, and it ends with both texts."""
    clock = Clock(at(15, 15))
    settings = statuspage_settings(statuspage)
    run_a, a = await start_warroom(slack, sqlite_url, clock, **settings)
    run_b, b = await start_warroom(slack, sqlite_url, clock, **settings)  # Slack sends to B
    try:
        channel = await open_incident(b, "Checkout down")
        await command(b, channel, "public E-commerce processing")
        statuspage.answer_late(1.5)
        await slack.send_command(
            "update --public --lang fr premiers mots", user=ALICE, channel=channel.id
        )
        await statuspage.wait_for(lambda: statuspage.incidents)
        await slack.send_command(
            "update --public --lang en first words", user=ALICE, channel=channel.id
        )
        await a.run_jobs()  # replica A polls while B's create waits for its answer
        await b.finish_background()
        await b.run_jobs()
        await a.run_jobs()

        [incident] = statuspage.incidents.values()
        assert [u["body"] for u in incident.updates] == ["premiers mots\n\nfirst words"]
        posts = [r for r in statuspage.requests if r.method == "POST"]
        assert len(posts) == 1
    finally:
        await slack.drain()
        await run_a.cleanup()
        await run_b.cleanup()


async def test_a_create_answered_after_the_timeout_is_found_not_made_again(
    payplug: Warroom, statuspage: FakeStatuspage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statuspage_client, "TIMEOUT_SECONDS", 0.5)
    channel = await open_incident(payplug, "Checkout down")
    await command(payplug, channel, "public E-commerce processing")
    statuspage.answer_late(1.5)
    await command(payplug, channel, "update --public --lang en Checkout fails for some")
    assert said(payplug, "Statuspage did not take INC-1")
    await asyncio.sleep(1.5)  # the late answer goes out to nobody

    await payplug.advance(seconds=20)

    [incident] = statuspage.incidents.values()
    assert [u["body"] for u in incident.updates] == ["Checkout fails for some"]
    assert [r.method for r in statuspage.requests] == ["POST", "GET", "PATCH"]
    async with session_scope(payplug.engine) as session:
        [update] = (await session.exec(select(PublicUpdate))).all()
    assert update.statuspage_update_id == incident.updates[0]["id"]
    await command(payplug, channel, "update --public --lang en Fixed")
    assert [u["body"] for u in incident.updates][-1] == "Fixed"
    assert len(statuspage.incidents) == 1


async def test_a_lost_create_never_takes_another_incident_of_the_same_name(
    payplug: Warroom, statuspage: FakeStatuspage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Public names carry no reference: two incidents on the same component share one. A
    create retried after a failure takes an unresolved incident of that name only if it is
    not another incident's (before, the second took the first's and rewrote its text)."""
    monkeypatch.setattr(statuspage_client, "TIMEOUT_SECONDS", 0.5)
    first = await open_incident(payplug, "Checkout down")
    await command(payplug, first, "public E-commerce processing")
    await command(payplug, first, "update --public --lang en Checkout fails for some")
    second = await open_incident(payplug, "Checkout slow")
    await command(payplug, second, "public E-commerce processing")
    # The create fails (Statuspage made nothing); the retry looks for a lost create by name.
    statuspage.fail(503, times=1)
    await command(payplug, second, "update --public --lang en Checkout is slow")

    await payplug.advance(seconds=20)

    bodies = sorted(
        [u["body"] for u in incident.updates] for incident in statuspage.incidents.values()
    )
    # The first incident's (same name, unresolved) is not taken: the second gets its own.
    assert bodies == [["Checkout fails for some"], ["Checkout is slow"]]
    assert {i.name for i in statuspage.incidents.values()} == {
        "Incident affectant E-commerce processing"
    }


async def test_the_page_shows_the_50_latest_in_two_queries(payplug: Warroom) -> None:
    """Incidents published over the years: the page reads the 50 most recently updated and
    their updates, not every public incident ever made."""
    async with session_scope(payplug.engine) as session:
        for number in range(1, 61):
            day = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=number)
            incident = Incident(
                team_id="T1", number=number, title="t", declared_by=ALICE, declared_at=day
            )
            session.add(incident)
            await session.flush()
            withdrawn = day if number == 60 else None
            session.add(
                PublicIncident(
                    incident_id=incident.id or 0,
                    components=[f"component {number}"],
                    made_public_by=ALICE,
                    made_public_at=day,
                    withdrawn_at=withdrawn,
                )
            )
            await session.flush()
            for hour in (1, 2):
                session.add(
                    PublicUpdate(
                        incident_id=incident.id or 0,
                        status="investigating",
                        texts={"en": f"words {number}.{hour}"},
                        published_at=day + timedelta(hours=hour),
                    )
                )
        await session.commit()
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    sync_engine = payplug.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", count)
    try:
        _, page, _ = await get(payplug, "/status")
    finally:
        event.remove(sync_engine, "before_cursor_execute", count)

    shown = re.findall(r"words (\d+)\.2", page)
    assert shown == [str(n) for n in range(59, 9, -1)]  # newest first, the withdrawn one not
    assert "words 59.1" in page and "words 10.1" in page
    # Two for the incidents shown, two for the 90 days under them.
    assert len([s for s in statements if "public_update" in s]) == 4


async def test_an_ongoing_incident_stays_on_top_under_many_newer_resolved_ones(
    slack: SlackEmulator, database_url: str
) -> None:
    """A long outage, its last update older than the updates of 55 incidents resolved since:
    the page reads at most 50 incidents, and the one under way is among them, first, with
    the banner its impact, however many were resolved after its last word."""
    async with (
        running_warroom(slack, database_url, Clock(at(15, 15))) as warroom,
        session_scope(warroom.engine) as session,
    ):
        for number in range(1, 57):
            ongoing = number == 1
            day = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=number)
            incident = Incident(
                team_id="T1",
                number=number,
                title="t",
                declared_by=ALICE,
                declared_at=day,
                severity="SEV1" if ongoing else "SEV3",
                status="investigating" if ongoing else "resolved",
                resolved_at=None if ongoing else day + timedelta(hours=2),
            )
            session.add(incident)
            await session.flush()
            session.add(
                PublicIncident(
                    incident_id=incident.id or 0,
                    components=["Checkout" if ongoing else f"component {number}"],
                    made_public_by=ALICE,
                    made_public_at=day,
                )
            )
            await session.flush()
            for hour, status in ((1, "investigating"), (2, "resolved")):
                if ongoing and status == "resolved":
                    continue
                session.add(
                    PublicUpdate(
                        incident_id=incident.id or 0,
                        status=status,
                        texts={"en": f"words {number}.{hour}"},
                        published_at=day + timedelta(hours=hour),
                    )
                )
        await session.commit()
        _, page, _ = await get(warroom, "/status?lang=en")
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert "words 1.1" in page, "the incident under way is not on the page"
    assert text.index("words 1.1") < text.index("words 56.2")
    assert "Major outage · Affected: Checkout" in text
    # Under way all along: each of the last 90 days is marked, however old its last word.
    assert "Checkout: 90 days with an incident" in text
    assert len(re.findall(r"words (\d+)\.1", page)) == 50


async def test_incidents_under_way_worst_first_then_the_resolved_last_resolved_first(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """Three under way (a SEV3 started last, a SEV1 first, a SEV2 between) and two resolved
    (the one resolved last was declared first, and the other's update is the newest): the
    SEV1, the SEV2, the SEV3, then the one resolved last, then the other."""
    start = datetime(2026, 3, 1, tzinfo=UTC)
    rows = [  # number, severity, declared (hours after start), resolved, last update
        (1, "SEV1", 1, None, 2),
        (2, "SEV2", 2, None, 3),
        (3, "SEV3", 3, None, 4),
        (4, "SEV2", 0, 20, 20),
        (5, "SEV1", 5, 10, 30),
    ]
    async with (
        running_warroom(slack, sqlite_url, Clock(start + timedelta(days=1))) as warroom,
        session_scope(warroom.engine) as session,
    ):
        for number, severity, declared, resolved, last in rows:
            incident = Incident(
                team_id="T1",
                number=number,
                title="t",
                declared_by=ALICE,
                declared_at=start + timedelta(hours=declared),
                severity=severity,
                status="investigating" if resolved is None else "resolved",
                resolved_at=None if resolved is None else start + timedelta(hours=resolved),
            )
            session.add(incident)
            await session.flush()
            session.add(
                PublicIncident(
                    incident_id=incident.id or 0,
                    components=["Checkout"],
                    made_public_by=ALICE,
                    made_public_at=incident.declared_at,
                )
            )
            session.add(
                PublicUpdate(
                    incident_id=incident.id or 0,
                    status="investigating" if resolved is None else "resolved",
                    texts={"en": f"words {number}."},
                    published_at=start + timedelta(hours=last),
                )
            )
        await session.commit()
        _, page, _ = await get(warroom, "/status?lang=en")
    assert re.findall(r"words (\d)\.", page) == ["1", "2", "3", "4", "5"]


async def feed_from(warroom: Warroom, host: str) -> ET.Element:
    headers = {"Host": host}
    async with (
        aiohttp.ClientSession() as client,
        client.get(warroom.url + "/status/feed.atom", headers=headers) as response,
    ):
        return ET.fromstring(await response.read())


@pytest.mark.parametrize("public_url", ["", "https://status.example.com"])
async def test_the_feed_never_takes_its_addresses_from_the_host_header(
    slack: SlackEmulator, sqlite_url: str, public_url: str
) -> None:
    async with running_warroom(
        slack, sqlite_url, web__public_url=public_url, runtime__scheduler_interval=3600.0
    ) as warroom:
        channel = await open_incident(warroom, "Checkout down")
        await command(warroom, channel, "public Checkout")
        await command(warroom, channel, "update --public --lang en Checkout fails for some")

        honest = await feed_from(warroom, "127.0.0.1")
        forged = await feed_from(warroom, "evil.example")

    assert ET.tostring(honest) == ET.tostring(forged)
    assert "evil.example" not in ET.tostring(forged).decode()
    if public_url:
        assert forged.findtext(f"{ATOM}id") == "https://status.example.com/status"
        [link, *_] = forged.findall(f"{ATOM}link")
        assert link.get("href") == "https://status.example.com/status/feed.atom"


async def test_translations_given_at_once_are_all_kept(
    slack: SlackEmulator, database_url: str
) -> None:
    languages = ["fr", "de", "it", "es", "nl", "pt"]
    async with running_warroom(slack, database_url, runtime__scheduler_interval=3600.0) as warroom:
        channel = await open_incident(warroom, "Checkout down")
        await command(warroom, channel, "public Checkout")
        await command(warroom, channel, "update --public --lang en Checkout fails")
        await asyncio.gather(
            *(
                slack.send_command(
                    f"update --public --lang {lang} words in {lang}", user=ALICE, channel=channel.id
                )
                for lang in languages
            )
        )
        await settle(warroom)
        async with session_scope(warroom.engine) as session:
            [update] = (await session.exec(select(PublicUpdate))).all()

    assert update.texts == {"en": "Checkout fails"} | {
        lang: f"words in {lang}" for lang in languages
    }
    assert update.revision == 1 + len(languages)


ROLLBACK = "Nous avons déployé un retour arrière ; le taux d'erreur baisse."


async def test_an_update_is_filed_under_the_status_its_writer_chose(
    payplug: Warroom, statuspage: FakeStatuspage
) -> None:
    channel = await open_incident(payplug, "Checkout down")  # investigating
    await command(payplug, channel, "public Checkout")
    await command(payplug, channel, "update --public Nous enquêtons.")
    await payplug.advance(minutes=5)
    await command(payplug, channel, f"update --public --status monitoring {ROLLBACK}")
    await payplug.advance(minutes=5)

    told = [m.text for m in payplug.slack.ephemeral_for(ALICE)]
    assert any(
        "Published on the status page as *investigating* (the incident's status; `--status`" in t
        for t in told
    ), told
    assert any(
        "Published on the status page as *monitoring* (as you chose; the incident itself is "
        "still *investigating*: `/incident status monitoring` moves it)" in t
        for t in told
    ), told
    _, page, _ = await get(payplug, "/status?lang=en")
    assert re.findall(r"<strong>(\w+)</strong>", page) == ["Monitoring", "Investigating"]
    _, body, _ = await get(payplug, "/status/feed.atom")
    titles = [e.findtext(f"{ATOM}title", "") for e in ET.fromstring(body).findall(f"{ATOM}entry")]
    assert [t.rsplit(": ", 1)[1] for t in titles] == ["Sous surveillance", "Enquête en cours"]
    [incident] = statuspage.incidents.values()
    assert [(u["status"], u["body"]) for u in incident.updates] == [
        ("investigating", "Nous enquêtons."),
        ("monitoring", ROLLBACK),
    ]
    assert incident.status == "monitoring"


async def test_a_chosen_status_the_incident_is_not_in_is_refused(payplug: Warroom) -> None:
    channel = await open_incident(payplug, "Checkout down")
    await command(payplug, channel, "public Checkout")
    for text, answer in [
        ("update --public --status fixed Rolled back", "Give `--status` one of `investigating`"),
        ("update --public --status Rolled back", "Give `--status` one of"),
        ("update --status monitoring Rolled back", "`--status` goes with `--public`"),
    ]:
        response = await payplug.slack.send_command(text, user=ALICE, channel=channel.id)
        assert answer in response.text, (text, response.text)
    await command(payplug, channel, "update --public --status resolved All good")
    await command(payplug, channel, "resolve")
    await command(payplug, channel, "update --public --status identified Cause found")
    told = "\n".join(m.text for m in payplug.slack.ephemeral_for(ALICE))
    assert "INC-1 is still *investigating*: customers would read it as resolved" in told
    assert "INC-1 is resolved: an update filed as *identified* would reopen it" in told
    async with session_scope(payplug.engine) as session:
        # Nothing anyone wrote was published (warroom's own words may announce the resolution).
        assert not any((await session.exec(select(PublicUpdate.texts))).all())


async def test_the_public_update_form_files_the_update_under_the_status_chosen(
    payplug: Warroom, statuspage: FakeStatuspage
) -> None:
    slack = payplug.slack
    channel = await open_incident(payplug, "Checkout down")
    await command(payplug, channel, "public Checkout")
    await command(payplug, channel, "update --public")
    view_id, view = await slack.wait_for(
        lambda: next(
            ((i, v) for i, v in slack.views.items() if v["callback_id"] == "public_update"),
            None,
        )
    )
    [status_input] = [b for b in view["blocks"] if b.get("block_id") == "public_update_status"]
    element = status_input["element"]
    assert element["initial_option"]["value"] == "investigating"  # the incident's
    assert [o["value"] for o in element["options"]] == [
        "investigating",
        "identified",
        "monitoring",
        "resolved",
    ]

    def form(status: str, text: str) -> dict[str, dict[str, Any]]:
        return {
            "public_update_status": {
                "public_update_status": {
                    "type": "static_select",
                    "selected_option": {"value": status},
                }
            },
            "public_update_text": {
                "public_update_text": {"type": "plain_text_input", "value": text}
            },
        }

    refused = await slack.submit_view(view_id, form("resolved", "All good"), user=ALICE)
    assert "INC-1 is still *investigating*" not in refused.text  # plain words at the field
    assert "INC-1 is still investigating" in refused.json()["errors"]["public_update_status"]
    saved = await slack.submit_view(
        view_id, form("monitoring", "We rolled back <v42>."), user=ALICE
    )
    assert saved.status == 200 and not saved.text
    await settle(payplug)
    await payplug.advance(minutes=3)

    _, page, _ = await get(payplug, "/status?lang=en")
    assert re.findall(r"<strong>(\w+)</strong>", page) == ["Monitoring"]
    assert "We rolled back &lt;v42&gt;." in page
    [incident] = statuspage.incidents.values()
    assert [(u["status"], u["body"]) for u in incident.updates] == [
        ("monitoring", "We rolled back <v42>.")
    ]
    told = [m.text for m in slack.ephemeral_for(ALICE)]
    assert any("Published on the status page as *monitoring* (as you chose" in t for t in told)
