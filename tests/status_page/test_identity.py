"""The status page's identity: the company's name, logo and site
(``WARROOM_STATUS_*``), each component's current state before the incidents (under
maintenance while a window in progress names it), maintenance windows with their title and
components after them, and mail naming the company, over HTTP and SMTP, on SQLite and
PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.config import Secret, Settings
from bot.config.reading import ConfigError
from bot.flows.alerting.maintenance import open_window
from emulator import SlackEmulator
from tests.conftest import Warroom, running_warroom
from tests.helpers.html_checker import html_errors
from tests.helpers.incidents import command, open_incident
from tests.helpers.mail import Mailbox
from tests.status_page import PNG_1X1
from tests.status_page.conftest import text_of

COMPANY = "Acme Payments"
SITE = "https://acme.example"
ADDRESS = "dana.customer@example.com"
PUBLIC_URL = "http://status.example.com"
DB_WORK = "Reports may lag while we move the main database."


def identity(folder: Path, **environ: str) -> dict[str, object]:
    """The identity settings read from the environment the way an operator writes them."""
    logo = folder / "logo.png"
    logo.write_bytes(PNG_1X1)
    settings = Settings.from_env(
        {
            "WARROOM_STATUS_COMPANY": COMPANY,
            "WARROOM_STATUS_LOGO": str(logo),
            "WARROOM_STATUS_LINK": SITE,
            **environ,
        }
    ).status_page
    return {
        "status_page__company": settings.company,
        "status_page__logo": settings.logo,
        "status_page__link": settings.link,
    }


@pytest.fixture
def warroom_settings(  # on SQLite and on PostgreSQL (database_url)
    database_url: str, mailbox: tuple[Mailbox, int], tmp_path: Path
) -> dict[str, object]:
    return {
        "database_url": database_url,
        "paging__smtp_url": Secret(f"smtp://127.0.0.1:{mailbox[1]}"),
        "paging__smtp_from": "status@example.com",
        "paging__smtp_plaintext": True,
        "web__public_url": PUBLIC_URL,
        "runtime__scheduler_interval": 3600.0,
        **identity(tmp_path),
    }


async def get(warroom: Warroom, path: str) -> tuple[aiohttp.ClientResponse, bytes]:
    async with aiohttp.ClientSession() as client, client.get(warroom.url + path) as response:
        return response, await response.read()


async def test_the_page_names_the_company_and_shows_components_then_incidents_then_maintenance(
    warroom: Warroom, tmp_path: Path
) -> None:
    checkout = await open_incident(warroom, "Payments queue stalled")
    await command(warroom, checkout, "sev 1")
    await command(warroom, checkout, "public Checkout")
    await command(warroom, checkout, "update --public --lang en Card payments are failing")
    search = await open_incident(warroom, "Search index stale")
    await command(warroom, search, "public Search")
    await command(warroom, search, "update --public --lang en Search results are out of date")
    await command(warroom, search, "resolve")
    await command(warroom, search, "update --public --lang en Search is up to date again")
    await open_window(
        warroom.services,
        matchers=["db=main"],
        start="2098-12-31 22:00",
        end="2099-01-01 02:00",
        by="cli",
        operator=True,
        send=False,
        public=DB_WORK,
        components=["Checkout", "Database"],
    )
    # One under way names a component of its own: under maintenance in the list.
    await open_window(
        warroom.services,
        matchers=["cdn=edge"],
        start="now",
        end=f"{warroom.clock.now + timedelta(hours=2):%Y-%m-%d %H:%M} UTC",
        by="cli",
        operator=True,
        send=False,
        public="CDN upgrade",
        components=["CDN"],
    )

    response, body = await get(warroom, "/status?lang=en")
    page = body.decode()

    assert re.search(rf"<title>{COMPANY} · Status</title>", page)
    heading = page[page.index("<h1>") : page.index("</h1>")]
    assert f'<a href="{SITE}">' in heading and 'src="/status/logo"' in heading
    assert COMPANY in heading
    # Each component with its state now, before the incidents; then the incidents, then the
    # maintenance window, what the team said of it as its heading.
    components = page[
        page.index('id="components"') : page.index("</ul>", page.index('id="components"'))
    ]
    states = re.findall(r"<li><span>([^<]+)</span><span>.*?</span>([^<]+)</span></li>", components)
    assert states == [
        ("CDN", "Under maintenance"),
        ("Checkout", "Major outage"),
        ("Search", "Operational"),
    ]
    order = [
        page.index('id="components"'),
        page.index("Card payments are failing"),
        page.index("Search is up to date again"),
        page.index("<h3>CDN upgrade</h3>"),
        page.index(f"<h3>{DB_WORK}</h3>"),
    ]
    assert order == sorted(order)
    # Each window's card: its title (what the team said) and the components it touches.
    card = page[page.index(f"<h3>{DB_WORK}</h3>") :].split("</section>", 1)[0]
    assert "Scheduled" in card and "Affected: Checkout, Database" in card, card
    # No zone asked for: the page's own script may run (to show the browser's zone), and
    # nothing else; the times are in UTC for a reader without JavaScript.
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"script-src 'nonce-([^']+)'", policy)
    assert nonce and f'<script nonce="{nonce[1]}">' in page
    assert "img-src 'self' data:" in policy
    assert re.search(r'<span id="shown-zone">UTC</span>', page)
    # A zone asked for: that zone, and no script.
    response, body = await get(warroom, "/status?lang=en&tz=Europe/Paris")
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert "<script" not in body.decode()
    assert await html_errors({"status": page, "status-paris": body.decode()}, tmp_path) == []


async def test_the_logo_is_served_from_warroom_as_an_image(warroom: Warroom) -> None:
    response, body = await get(warroom, "/status/logo")
    assert (response.status, response.content_type, body) == (200, "image/png", PNG_1X1)
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_without_a_logo_there_is_none_to_fetch(slack: SlackEmulator, sqlite_url: str) -> None:
    async with running_warroom(slack, sqlite_url, runtime__scheduler_interval=3600.0) as bare:
        response, _ = await get(bare, "/status/logo")
        assert response.status == 404
        _, body = await get(bare, "/status?lang=en")
        assert "/status/logo" not in body.decode() and "<title>Status</title>" in body.decode()


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "not a PNG"),
        (PNG_1X1 + b"\0" * 256 * 1024, "larger than 256 KiB"),
    ],
)
def test_a_logo_that_is_not_a_small_image_is_refused_at_start(
    tmp_path: Path, content: bytes, said: str
) -> None:
    logo = tmp_path / "logo.svg"
    logo.write_bytes(content)
    with pytest.raises(ConfigError, match=said):
        Settings.from_env({"WARROOM_STATUS_LOGO": str(logo)})


def test_a_company_site_must_be_a_web_address() -> None:
    with pytest.raises(ConfigError, match="https://"):
        Settings.from_env({"WARROOM_STATUS_LINK": "javascript:alert(1)"})


async def test_the_mail_comes_from_the_company_and_its_footer_names_it(
    warroom: Warroom, mailbox: tuple[Mailbox, int]
) -> None:
    box, _ = mailbox
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        async with client.get(warroom.url + "/status/subscribe") as form:
            token = re.search(r'name="csrf" value="([^"]+)"', await form.text())
        assert token
        fields = {"csrf": token[1], "kind": "email", "address": ADDRESS}
        async with client.post(warroom.url + "/status/subscribe", data=fields) as answer:
            assert answer.status == 200
        await warroom.run_jobs()
        confirm = box.messages[-1]
        assert confirm["From"] == f"{COMPANY} <status@example.com>"
        assert str(confirm["Subject"]) == f"Confirm your subscription to {COMPANY} status updates"
        assert f"{COMPANY} status: {PUBLIC_URL}/status" in text_of(confirm)
        link = re.search(r"http://\S+/status/confirm/\S+", text_of(confirm))
        assert link
        local = warroom.url + link[0].removeprefix(PUBLIC_URL)
        async with client.post(local) as confirmed:
            assert confirmed.status == 200
    channel = await open_incident(warroom, "Checkout returns 500s")
    await command(warroom, channel, "public Payments")
    await command(warroom, channel, "update --public Card payments fail for some customers.")
    await warroom.run_jobs()
    notice = box.messages[-1]
    assert notice["From"] == f"{COMPANY} <status@example.com>"
    assert f"You get this from {COMPANY}." in text_of(notice)
