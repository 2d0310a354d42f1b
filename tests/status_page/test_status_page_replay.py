"""The status page as customers read it: PayPlug's TSR-1532 replayed with its
public texts and at its times, then /status, the Atom feed and Atlassian Statuspage read the
way customers, the W3C checker and Statuspage's subscribers read them.

PayPlug published on 27 March 2025 (Europe/Paris, CET) a "monitoring" update at 16:42 CET and
a "resolved" one at 18:00 CET, in French, English and Italian, under the name "Perturbations
plateforme de paiement / Payment platform disruptions / Perturbazioni della piattaforma di
pagamento"; its impact ran from 16:11 to 16:23. The French and English texts are PayPlug's
(tests/status_page/test_status_page.py); the Italian ones are our translation of them, the
original not being at hand.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.config import ConfigError, Settings
from emulator import Channel, SlackEmulator
from emulator.statuspage import FakeStatuspage
from tests.conftest import ALICE, Clock, Warroom
from tests.helpers.html_checker import html_errors
from tests.helpers.incidents import command, open_incident, settle
from tests.helpers.web_view import browser, sign_in, web_warroom
from tests.status_page.test_status_page import (
    ATOM,
    COMPONENTS,
    EN_MONITORING,
    EN_RESOLVED,
    FR_MONITORING,
    FR_RESOLVED,
    at,
    statuspage_settings,
)

IT_MONITORING = (
    "Un incidente che ha interessato l'e-commerce e i pagamenti in negozio si è verificato tra"
    " le 16:11 e le 16:23. La situazione è tornata alla normalità. Continuiamo a monitorare il"
    " servizio."
)
IT_RESOLVED = "L'incidente è ora risolto e il servizio è ripristinato."
TITLES = {
    "fr": "Perturbations plateforme de paiement",
    "en": "Payment platform disruptions",
    "it": "Perturbazioni della piattaforma di pagamento",
}
MONITORING = {"fr": FR_MONITORING, "en": EN_MONITORING, "it": IT_MONITORING}
RESOLVED = {"fr": FR_RESOLVED, "en": EN_RESOLVED, "it": IT_RESOLVED}


@pytest.fixture
async def statuspage() -> AsyncIterator[FakeStatuspage]:
    async with FakeStatuspage() as fake:
        yield fake


@pytest.fixture
async def payplug(
    slack: SlackEmulator, database_url: str, statuspage: FakeStatuspage
) -> AsyncIterator[Warroom]:
    """warroom as PayPlug would run it: French first, public updates in three languages; on
    SQLite and on PostgreSQL (the announcement takes the public record's row lock)."""
    settings = statuspage_settings(statuspage)
    async with web_warroom(
        slack,
        database_url,
        Clock(at(15, 15)),
        status_page__languages=("fr", "en", "it"),
        **settings,
    ) as running:
        yield running


async def publish(warroom: Warroom, channel: Channel, texts: dict[str, str]) -> None:
    """Each language's text in turn, as people type them, a few seconds apart."""
    for language, text in texts.items():
        await command(warroom, channel, f"update --public --lang {language} {text}")
        await warroom.advance(seconds=20)


async def replay(warroom: Warroom) -> Channel:
    channel = await open_incident(warroom, "Paiements KO: bascule du cluster Redis par Bob")
    await command(warroom, channel, "timezone Europe/Paris")
    await command(warroom, channel, "time started 16:11")
    warroom.clock.now = at(15, 40)
    await command(warroom, channel, "status monitoring")
    await command(warroom, channel, f"public {COMPONENTS}")
    await command(warroom, channel, f'public --title "{TITLES["fr"]}"')
    for language in ("en", "it"):
        await command(warroom, channel, f"public --title --lang {language} {TITLES[language]}")
    warroom.clock.now = at(15, 42)
    await publish(warroom, channel, MONITORING)
    warroom.clock.now = at(17, 0)
    await command(warroom, channel, "resolve")
    await publish(warroom, channel, RESOLVED)
    await warroom.advance(minutes=5)  # past the grace: warroom adds no words of its own
    return channel


async def read(warroom: Warroom, path: str, **headers: str) -> str:
    async with (
        aiohttp.ClientSession() as client,
        client.get(warroom.url + path, headers=headers) as response,
    ):
        assert response.status == 200, path
        return await response.text()


async def test_payplug_as_customers_read_it(
    payplug: Warroom, statuspage: FakeStatuspage, tmp_path: Path
) -> None:
    await replay(payplug)

    french = await read(payplug, "/status")
    english = await read(payplug, "/status?tz=America/New_York", **{"Accept-Language": "en-GB"})
    italian_reader = await read(payplug, "/status", **{"Accept-Language": "it, en;q=0.5"})

    # The frame in the reader's language (English for an Italian reader: no Italian frame),
    # the incident's (French) otherwise.
    assert '<html lang="fr">' in french and "<h1>État des services</h1>" in french
    assert '<html lang="en">' in english and "<h1>Status</h1>" in english
    assert '<html lang="en">' in italian_reader
    # The title people gave, in the reader's language, the others beside it.
    assert '<h3 lang="fr">Perturbations plateforme de paiement</h3>' in french
    assert '<h3 lang="en">Payment platform disruptions</h3>' in english
    assert '<span lang="it">Perturbazioni della piattaforma di pagamento</span>' in english
    assert "INC-1" not in html.unescape(re.sub(r'id="[^"]*"', "", french))
    # Each update's languages labelled; every text in its own paragraph and language.
    assert (
        len(re.findall(r"Rédigé en : <a [^>]*>FR</a> · <a [^>]*>EN</a> · <a [^>]*>IT</a>", french))
        == 2
    )
    paragraphs = re.findall(
        r'<div class="text mrkdwn" lang="(\w+)"><p>(.*?)</p></div>', french, re.S
    )
    assert [(lang, html.unescape(text)) for lang, text in paragraphs] == [
        *RESOLVED.items(),
        *MONITORING.items(),
    ]
    assert re.findall(r'<abbr class="lang-label" title="([^"]+)">', english)[:3] == [
        "French",
        "English",
        "Italian",
    ]
    # Start, resolution and duration, in the incident's zone and the reader's.
    # (Each moment in a span the page's script shows in the browser's zone: read without it.)
    moments = re.sub(r'<span class="when"[^>]*>', "", french)
    assert '<dt>Début</dt><dd><time datetime="2025-03-27T15:11:00Z">2025-03-27 16:11 CET' in (
        moments
    )
    assert '<dt>Résolution</dt><dd><time datetime="2025-03-27T17:00:00Z">2025-03-27 18:00 CET' in (
        moments
    )
    # How long it was open, named: declared at 15:15 UTC, resolved at 17:00 (when the impact
    # ended is not in the record, so no impact's span is said).
    assert (
        '<dt>Resté ouvert</dt><dd><time class="open-for" datetime="PT1H45M">1 h 45 min</time>'
        in (french)
    )
    assert "2025-03-27 13:00 EDT" in english and "Open for" in english
    assert "1 hour 45 minutes" in english and "Durée" not in french
    # People's words are news, not corrections: nothing reads "edited".
    assert "modifié" not in french and "edited" not in english
    # Two updates, newest first, at PayPlug's times; warroom said nothing of its own.
    assert re.findall(r"<li id=\"update-\d+\">\n<strong>([^<]+)</strong>", french) == [
        "Résolu",
        "Sous surveillance",
    ]
    assert "2025-03-27 16:42 CET" in french and "2025-03-27 18:00 CET" in french
    assert "Cet incident est résolu" not in french
    # Nothing internal.
    for internal in ("Redis", "Bob", "inc-1", "U0ALICE"):
        assert internal not in french

    # Statuspage: one incident under the titles, one notifying update per status change,
    # each carrying the people's three texts; components back to operational.
    [incident] = statuspage.incidents.values()
    assert incident.name == " / ".join(TITLES.values())
    assert statuspage.notified == [
        (incident.id, "monitoring", "\n\n".join(MONITORING.values())),
        (incident.id, "resolved", "\n\n".join(RESOLVED.values())),
    ]
    assert [u["body"] for u in incident.updates] == [n[2] for n in statuspage.notified]
    assert set(incident.components.values()) == {"operational"}

    # The feed: one entry per update, each text in its language, titled in the reader's.
    feed = ET.fromstring(
        (await read(payplug, "/status/feed.atom", **{"Accept-Language": "en"})).encode()
    )
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}published") for e in entries] == [
        "2025-03-27T17:00:00Z",
        "2025-03-27T15:42:00Z",
    ]
    content = entries[0].find(f"{ATOM}content")
    assert content is not None
    assert entries[0].findtext(f"{ATOM}title") == f"{TITLES['en']}: Resolved"
    paragraphs = content.findall(".//{http://www.w3.org/1999/xhtml}p")
    assert [(p.get("lang"), p.text) for p in paragraphs] == list(RESOLVED.items())

    # Valid HTML as the W3C checker reads it: the status page in both frames, and the pages
    # people sign in to.
    async with browser() as session:
        await sign_in(session, payplug, ALICE)
        signed_in = {}
        for name, path in [
            ("list", "/"),
            ("incident", "/incidents/INC-1"),
            ("insights", "/insights"),
        ]:
            async with session.get(payplug.url + path) as response:
                assert response.status == 200, path
                signed_in[name] = await response.text()
    pages = {"status-fr": french, "status-en": english, **signed_in}
    assert await html_errors(pages, tmp_path) == []


async def test_a_status_change_waits_for_peoples_words_then_speaks_for_them(
    payplug: Warroom, statuspage: FakeStatuspage
) -> None:
    """A person's update waits for its translations up to WARROOM_PUBLIC_GRACE, then goes
    without the missing one; that one, given later, is a correction: shown "edited" and sent
    to Statuspage as an edit, which notifies nobody. A status change nobody wrote about is
    announced in warroom's words once the grace is over."""
    channel = await open_incident(payplug, "Checkout down")
    await command(payplug, channel, "public Checkout")
    await publish(payplug, channel, {"fr": "Paiements en échec", "en": "Payments failing"})
    assert statuspage.notified == []  # the Italian text may still come
    await payplug.advance(minutes=2)
    assert [n[2] for n in statuspage.notified] == ["Paiements en échec\n\nPayments failing"]

    await payplug.advance(minutes=10)
    await command(payplug, channel, "update --public --lang it Pagamenti in errore")
    page = await read(payplug, "/status?lang=en")
    assert re.search(r"· edited <span class=\"when\"[^>]*><time", page)
    [incident] = statuspage.incidents.values()
    assert incident.updates[-1]["body"].endswith("Payments failing\n\nPagamenti in errore")
    assert len(statuspage.notified) == 1

    await command(payplug, channel, "status identified")
    await payplug.advance(seconds=119)
    assert len(statuspage.notified) == 1
    await payplug.advance(seconds=1)
    announced = "La cause de l'incident est identifiée et un correctif est en préparation"
    assert [n[1] for n in statuspage.notified] == ["investigating", "identified"]
    assert statuspage.notified[-1][2].startswith(announced)


async def test_the_last_90_days_mark_each_components_incidents(payplug: Warroom) -> None:
    await replay(payplug)
    payplug.clock.now = at(12, 0).replace(month=4, day=20)

    page = await read(payplug, "/status?lang=en&tz=Europe/Paris")

    figures = re.findall(
        r"<figcaption>([^<]+)</figcaption>\n<svg class=\"days\"[^>]*>(.*?)</svg>", page, re.S
    )
    assert [caption for caption, _ in figures] == [
        "E-commerce processing: 1 day with an incident",
        "Instore payment: 1 day with an incident",
    ]
    for _, svg in figures:
        days = re.findall(r'<rect x="(\d+)"[^>]*fill="([^"]+)"><title>([^<]+)</title>', svg)
        assert len(days) == 90
        marked = [title for _, fill, title in days if fill != "#009E73"]
        assert marked == [f"2025-03-27: Degraded performance: {TITLES['en']}"]
        assert days[-1][2] == "2025-04-20: No incident"


def test_the_grace_and_the_languages_are_read_from_the_environment() -> None:
    assert Settings.from_env({}).status_page.grace == timedelta(minutes=2)
    assert Settings.from_env({}).status_page.languages == ()
    read = Settings.from_env(
        {"WARROOM_PUBLIC_GRACE": "90s", "WARROOM_PUBLIC_LANGUAGES": "FR, en,it,pt-BR,fr"}
    )
    assert read.status_page.grace == timedelta(seconds=90)
    assert read.status_page.languages == ("fr", "en", "it", "pt-br")
    assert Settings.from_env({"WARROOM_PUBLIC_GRACE": "0"}).status_page.grace == timedelta(0)
    for name, bad in [
        ("WARROOM_PUBLIC_GRACE", "soon"),
        ("WARROOM_PUBLIC_GRACE", "2h"),
        ("WARROOM_PUBLIC_LANGUAGES", "fr,french"),
        ("WARROOM_PUBLIC_LANGUAGES", "xx"),
    ]:
        with pytest.raises(ConfigError, match=name):
            Settings.from_env({name: bad})


async def on_statuspage(warroom: Warroom, title: str) -> Channel:
    """An incident public on Checkout with one update in French, sent to Statuspage."""
    channel = await open_incident(warroom, title)
    await command(warroom, channel, "public Checkout")
    await command(warroom, channel, "update --public --lang fr Paiements en échec")
    await warroom.advance(minutes=2)
    return channel


async def test_the_title_renames_the_statuspage_incident_without_notifying(
    payplug: Warroom, statuspage: FakeStatuspage
) -> None:
    channel = await on_statuspage(payplug, "Checkout down after Bob's deploy")
    [incident] = statuspage.incidents.values()
    assert incident.name == "Incident affectant Checkout"

    await command(payplug, channel, "public --title --lang en Payment failures")
    await command(payplug, channel, "public --title Échecs de paiement")

    assert incident.name == "Échecs de paiement / Payment failures"
    assert len(statuspage.notified) == 1 and len(incident.updates) == 1
    renames = [r for r in statuspage.requests if r.method == "PATCH" and b'"name"' in r.body]
    assert len(renames) == 2
    assert any(
        "named INC-1 on the status pages (`en`): *Payment failures*" in m.text
        for m in channel.messages
    )
    page = await read(payplug, "/status?lang=en")
    assert '<h3 lang="en">Payment failures</h3>' in page and "Bob" not in page


async def test_a_refused_rename_is_said_once_and_not_tried_again(
    payplug: Warroom, statuspage: FakeStatuspage
) -> None:
    channel = await on_statuspage(payplug, "Checkout down")
    statuspage.fail(422)

    await command(payplug, channel, "public --title Échecs de paiement")
    await payplug.advance(minutes=30)

    refusals = [m.text for m in channel.messages if "Statuspage refused to rename INC-1" in m.text]
    assert len(refusals) == 1 and "HTTP 422" in refusals[0]
    [incident] = statuspage.incidents.values()
    assert incident.name == "Incident affectant Checkout"
    assert len([r for r in statuspage.requests if r.method == "PATCH"]) == 1
    # The next update does not ask again; a new title does.
    await command(payplug, channel, "update --public --lang fr Paiements rétablis")
    await payplug.advance(minutes=3)
    assert len([r for r in statuspage.requests if b'"name"' in r.body]) == 2  # create, rename
    await command(payplug, channel, "public --title Paiements en échec")
    assert incident.name == "Paiements en échec"


async def test_a_title_needs_a_public_incident(payplug: Warroom) -> None:
    channel = await open_incident(payplug, "Checkout down")
    await command(payplug, channel, "public --title Payment failures")
    replies = [m.text for m in payplug.slack.ephemeral_for(ALICE)]
    assert any("not on the status page" in reply for reply in replies)


async def test_the_form_sets_components_and_a_title_per_language(
    payplug: Warroom, statuspage: FakeStatuspage
) -> None:
    slack = payplug.slack
    channel = await open_incident(payplug, "Paiements KO: bascule du cluster Redis par Bob")
    await command(payplug, channel, "public")
    view_id, view = await slack.wait_for(
        lambda: next(
            ((i, v) for i, v in slack.views.items() if v["callback_id"] == "public_incident"),
            None,
        )
    )
    asked = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    assert asked == [
        "public_components",
        "public_title.fr",
        "public_title.en",
        "public_title.it",
    ]

    def typed(block: str, value: str) -> dict[str, dict[str, Any]]:
        return {block: {"type": "plain_text_input", "value": value}}

    refused = await slack.submit_view(
        view_id,
        {"public_components": typed("public_components", "a,,b")},
        user=ALICE,
    )
    assert "Separate the components" in refused.json()["errors"]["public_components"]
    saved = await slack.submit_view(
        view_id,
        {
            "public_components": typed("public_components", "R&D portal, Payments <EU>"),
            **{
                f"public_title.{lang}": typed(f"public_title.{lang}", t)
                for lang, t in TITLES.items()
            },
        },
        user=ALICE,
    )
    assert saved.status == 200 and not saved.text
    await settle(payplug)
    await command(payplug, channel, "update --public --lang fr Paiements en échec")
    await payplug.advance(minutes=3)

    page = await read(payplug, "/status?lang=en")
    # Typed in a form: plain text, shown as typed (never decoded as Slack's encoding).
    assert "Affected: R&amp;D portal, Payments &lt;EU&gt;" in page
    assert '<h3 lang="en">Payment platform disruptions</h3>' in page
    [incident] = statuspage.incidents.values()
    assert incident.name == " / ".join(TITLES.values())
    said = [m.text for m in channel.messages if "on the status pages" in m.text]
    assert len(said) == 3

    # Opened again, it shows what the incident has.
    await command(payplug, channel, "public")
    reopened = [v for v in slack.views.values() if v["callback_id"] == "public_incident"][-1]
    values = {
        b["block_id"]: b["element"].get("initial_value")
        for b in reopened["blocks"]
        if b["type"] == "input"
    }
    assert values["public_components"] == "R&D portal, Payments <EU>"
    assert values["public_title.it"] == TITLES["it"]


async def test_without_a_readers_choice_the_frame_is_the_incidents_language(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """A team writing in English, an incident its people handle in French: a reader who
    asks for nothing (no Accept-Language) reads the frame in the incident's language."""
    async with web_warroom(slack, sqlite_url, Clock(at(15, 15))) as warroom:
        channel = await open_incident(warroom, "Paiements KO")
        await command(warroom, channel, "postmortem --lang fr")
        await command(warroom, channel, "public Paiements")
        await command(warroom, channel, "update --public Paiements en échec")

        french = await read(warroom, "/status")
        english = await read(warroom, "/status", **{"Accept-Language": "en-US,en;q=0.9"})

    assert '<html lang="fr">' in french and "Enquête en cours" in french
    assert '<html lang="en">' in english and "Investigating" in english
