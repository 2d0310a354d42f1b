"""The destination seam: a method added through the registry alone (one object and one
``registered`` line here, no product file edited) pages a person and takes their test page.
"Beacon" is a service made up for this test, served on 127.0.0.1 (so there is no vendor
documentation to follow: its API is the smallest a push service has, a JSON POST per message
answered with an id, 503 when it is down). The test's ``Destination`` is all warroom is told of
it: the contacts file names it, paging sends through it in the words every kind has for a
method without templates of its own (``templates/paging/<kind>/default.j2``), its id is kept,
and a failure brings the person's next rule forward as any method's does.

The manual's recipe (docs/adding-a-feature.md, "Adding a destination") is checked against the
built-in destinations: each is the module the recipe names and one ``register`` line."""

from __future__ import annotations

import importlib
import itertools
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.basics.render import Renderer
from bot.clients.vendor_http import VendorFailure
from bot.flows.paging.destinations import registry, words
from bot.flows.paging.destinations.destination import Destination
from bot.flows.paging.destinations.messages import KINDS, Message, Page
from bot.flows.paging.phones import http_of
from bot.record.paging.contacts import Method
from bot.services import Services
from tests.conftest import CAROL, Clock, Warroom
from tests.helpers.network import served
from tests.oncall.test_oncall_command import oncall
from tests.paging.scenario import NOW, declare_sev1, notifications, paging_settings

REPO = Path(__file__).resolve().parents[2]
ADDRESS = "carol-beacon-7"
PUBLIC_URL = "https://warroom.example.com"
CONTACTS = {
    "people": {
        CAROL: {
            "contacts": {"beacon": {"beacon": ADDRESS}},
            "rules": [
                {"after": "0s", "notify": ["beacon"]},
                {"after": "5m", "notify": ["slack"]},
            ],
        }
    }
}


@dataclass
class FakeBeacon:
    """The service: keeps each message it takes and answers with its id; 503 while ``down``."""

    root: str = ""
    taken: list[dict[str, Any]] = field(default_factory=list)
    down: bool = False
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def take(self, request: web.Request) -> web.Response:
        if self.down:
            return web.json_response({"error": "down for maintenance"}, status=503)
        self.taken.append(await request.json())
        return web.json_response({"id": f"beacon-{next(self._ids)}"})


def beacon_destination(service: FakeBeacon) -> Destination:
    """Beacon as a Destination: the only code warroom gets for it."""

    async def send(services: Services, message: Message, method: Method) -> str | None:
        if isinstance(message, Page):
            said = await message.words(services)
            title = words.plain(services, message, "beacon", "title", **said)
            text = words.plain(services, message, "beacon", "text", **said)
        else:
            title, text = await words.notice(services, message, "beacon")
        body = {"to": method.address, "kind": message.kind, "title": title, "text": text}
        async with http_of(services).post(f"{service.root}/messages", json=body) as answer:
            if answer.status != 200:
                raise VendorFailure(f"Beacon answered {answer.status}", retryable=False)
            return str((await answer.json())["id"])

    return Destination(name="beacon", send=send)


@pytest.fixture
async def beacon() -> AsyncIterator[FakeBeacon]:
    service = FakeBeacon()
    app = web.Application()
    app.router.add_post("/messages", service.take)
    async with served(app) as service.root:
        with registry.registered(beacon_destination(service)):
            yield service


@pytest.fixture
def warroom_settings(tmp_path: Path, beacon: FakeBeacon) -> dict[str, object]:
    settings = paging_settings(tmp_path, CONTACTS, WARROOM_PUBLIC_URL=PUBLIC_URL)
    return {"clock": Clock(NOW), **settings}


async def test_a_destination_added_through_the_registry_alone_pages_her(
    warroom: Warroom, beacon: FakeBeacon
) -> None:
    await declare_sev1(warroom)

    (page,) = beacon.taken
    assert (page["to"], page["kind"]) == (ADDRESS, "incident_page")
    assert page["title"] == "INC-1 SEV1 Checkout API returns 500s"
    assert page["text"].startswith("INC-1 SEV1 Checkout API returns 500s. Paged by escalation")
    assert [(n.method, n.contact, n.state, n.vendor_id) for n in await notifications(warroom)] == [
        ("beacon", "beacon", "sent", "beacon-1"),
        ("slack", "slack", "pending", None),  # her Slack rule waits its 5 minutes
    ]
    assert warroom.slack.direct_messages(CAROL) == []


async def test_when_it_fails_her_next_rule_comes_at_once(
    warroom: Warroom, beacon: FakeBeacon
) -> None:
    beacon.down = True
    channel = await declare_sev1(warroom)
    await warroom.run_jobs()

    assert beacon.taken == []
    (said,) = [m.text for m in channel.messages if "instead of at its offset" in m.text]
    assert "beacon (beacon)" in said and "failed: Beacon answered 503" in said
    by_method = {n.method: n for n in await notifications(warroom)}
    assert by_method["beacon"].state == "failed"
    assert by_method["beacon"].detail == "Beacon answered 503"
    (dm,) = warroom.slack.direct_messages(CAROL)
    assert "you are paged" in dm.text


async def test_her_test_page_reaches_it_saying_it_is_a_test(
    warroom: Warroom, beacon: FakeBeacon
) -> None:
    said = await oncall(warroom, "test-page", user=CAROL)

    (test,) = beacon.taken
    assert (test["to"], test["kind"], test["title"]) == (ADDRESS, "test", "warroom: a test page")
    assert test["text"].startswith("This is a test from warroom")
    assert ":white_check_mark: beacon (beacon ••••••): sent" in said
    assert ADDRESS not in said


def test_the_manual_adds_a_destination_as_the_built_in_ones_are_added() -> None:
    manual = (REPO / "docs" / "adding-a-feature.md").read_text()
    section = manual.split("## Adding a destination", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`((?:bot|templates|tests)/[^`]+)`", section))
    assert {
        "bot/flows/paging/destinations/<method>.py",
        "bot/flows/paging/destinations/registry.py",
        "templates/paging/<kind>/<method>.j2",
        "tests/paging/test_destinations.py",
    } <= named
    # Each built-in method is what the recipe makes: a module of its name holding its
    # DESTINATION, and one register line.
    listing = (REPO / "bot/flows/paging/destinations/registry.py").read_text()
    lines = re.findall(r"^register\((\w+)\.DESTINATION\)$", listing, flags=re.MULTILINE)
    built_in = registry.destinations()
    assert lines == [destination.name for destination in built_in]
    for destination in built_in:
        module = importlib.import_module(f"bot.flows.paging.destinations.{destination.name}")
        assert module.DESTINATION is destination
    # Every kind has words for a method without templates of its own.
    renderer = Renderer()
    for kind in KINDS:
        assert words.template(renderer, kind.kind, "beacon") == f"paging/{kind.kind}/default.j2"
        assert renderer.exists(f"paging/{kind.kind}/default.j2")
