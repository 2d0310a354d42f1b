"""One figure per metric, everywhere: for each replay of the suite (the checkout page crash,
the Nuru payment outage, PayPlug's status page replay) and the demo's incident (``warroom
demo --serve``), every figure is read where people and programs read it, over HTTP: the
incident's page, the list, Insights, the status page, the JSON API (the incident and the
list), the draft's Markdown, the agents' tools on /mcp, and the channel's pinned header as
the Slack emulator keeps it (the demo prints it). Each figure must be the same on every
surface that shows it, and the API's ``…_at`` must be the ends its ``time_to_…`` measures.

Figures are compared in whole minutes (what every surface shows), times to the minute.
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from bot.record.agents import tokens
from bot.store.db import create_engine, session_scope
from emulator import Channel, SlackEmulator
from emulator.statuspage import FakeStatuspage
from tests.agents.test_mcp_http import agent, call
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom, running_warroom
from tests.helpers.incidents import command, open_incident
from tests.helpers.web_view import API_TOKEN, browser, sign_in, web_settings
from tests.postmortem.test_postmortem_scenarios import (
    NAIROBI,
    NAIROBI_START,
    NURU,
    NURU_START,
    play_checkout_crash,
    play_nuru_outage,
    scenario_people,
)
from tests.status_page.test_status_page import at, statuspage_settings
from tests.status_page.test_status_page_replay import replay as play_payplug

# The metrics a surface may show, and the spans: in whole minutes.
METRICS = ("time_to_acknowledge", "time_to_mitigate", "impact_duration", "time_to_resolve")
SPANS = ("impact_lasted", "open_for")
MILESTONES = ("started", "detected", "declared", "acknowledged", "mitigated", "ended", "resolved")
# How the draft and the header name each metric, in English and in French.
_NAMES = {
    "Time to acknowledge": "time_to_acknowledge",
    "Time to mitigate": "time_to_mitigate",
    "Impact duration": "impact_duration",
    "Impact lasted": "impact_duration",
    "Time to resolve": "time_to_resolve",
    "Temps de prise en compte": "time_to_acknowledge",
    "Temps d'atténuation": "time_to_mitigate",
    "Durée de l'impact": "impact_duration",
    "Temps de résolution": "time_to_resolve",
}
_UNITS = {
    "year": 525_600,
    "month": 43_200,
    "day": 1440,
    "jour": 1440,
    "hour": 60,
    "heure": 60,
    "h": 60,
    "minute": 1,
    "min": 1,
}
_ISO_SPAN = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")


def minutes_in(words: str) -> int | None:
    """``1 hour 13 minutes`` (or ``1 heure 13 minutes``, ``1 h 13 min``) in minutes; None
    for unknown; 0 for less than a minute."""
    words = words.strip().lower()
    if "less than a minute" in words or "moins d'une minute" in words:
        return 0
    found = re.findall(r"(\d+)\s*(year|month|day|jour|hour|heure|h|minute|min)s?\b", words)
    if not found:
        return None
    return sum(int(count) * _UNITS[unit] for count, unit in found)


def minutes_of(iso: str) -> int:
    """``PT4380S`` or ``PT1H13M`` in whole minutes."""
    match = _ISO_SPAN.match(iso)
    assert match, iso
    hours, mins, secs = (int(part or 0) for part in match.groups())
    return hours * 60 + mins + secs // 60


def whole_minutes(seconds: int | None) -> int | None:
    return None if seconds is None else seconds // 60


def minute_of(moment: str | None) -> str | None:
    """An ISO time to its minute in UTC: ``2023-03-14T09:00Z``."""
    if moment is None:
        return None
    parsed = datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(UTC)
    return parsed.strftime("%Y-%m-%dT%H:%MZ")


@dataclass
class Seen:
    """Every figure read, by figure, then by the surface that showed it."""

    figures: dict[str, dict[str, object]] = field(default_factory=dict)

    def add(self, surface: str, figure: str, value: object) -> None:
        self.figures.setdefault(figure, {})[surface] = value

    def disagreements(self) -> list[str]:
        wrong = []
        for figure, by_surface in sorted(self.figures.items()):
            if len(set(map(repr, by_surface.values()))) > 1:
                shown = ", ".join(f"{surface}: {value}" for surface, value in by_surface.items())
                wrong.append(f"{figure}: {shown}")
        return wrong


# -- the surfaces ----------------------------------------------------------------------------
_TIME = re.compile(r'<time class="(?P<cls>[a-z-]+)"(?P<attrs>[^>]*)datetime="(?P<at>[^"]+)"')


def _times(page: str) -> list[tuple[str, dict[str, str], str]]:
    found = []
    for match in _TIME.finditer(page):
        attrs = dict(re.findall(r'data-([a-z]+)="([^"]+)"', match["attrs"]))
        found.append((match["cls"], attrs, match["at"]))
    return found


def read_incident_page(page: str, seen: Seen) -> None:
    """The page's header (its first screen) and its table of metrics, each read apart."""
    for kind, attrs, value in _times(page):
        if kind == "metric":
            where = "page table" if "page head" in seen.figures.get(attrs["metric"], {}) else ""
            seen.add(where or "page head", attrs["metric"], minutes_of(value))
        elif kind == "milestone":
            seen.add("page", attrs["milestone"], minute_of(value))
        elif kind in ("open-for", "impact-lasted"):
            seen.add("page", kind.replace("-", "_"), minutes_of(value))


def read_list_page(page: str, reference: str, seen: Seen) -> None:
    assert f'href="/incidents/{reference}"' in page, f"{reference} is not on the list"
    row = re.search(
        rf'href="/incidents/{reference}".*?<time class="open-for" datetime="([^"]+)"', page, re.S
    )
    if row:
        seen.add("list", "open_for", minutes_of(row[1]))


def read_api_incident(surface: str, answer: Mapping[str, Any], seen: Seen) -> None:
    for milestone in MILESTONES:
        seen.add(surface, milestone, minute_of(answer.get(f"{milestone}_at")))
    for span in SPANS:
        if f"{span}_seconds" in answer:
            seen.add(surface, span, whole_minutes(answer[f"{span}_seconds"]))
    for metric in answer.get("metrics", []):
        if metric["key"] not in METRICS:
            continue
        seen.add(surface, metric["key"], whole_minutes(metric["seconds"]))
        # Its ``…_at`` are the ends it measures.
        start, end = answer[f"{metric['from']}_at"], answer[f"{metric['to']}_at"]
        between = _at(end) - _at(start) if start and end else None
        seen.add(
            f"{surface} …_at",
            metric["key"],
            None
            if between is None or between < timedelta(0)
            else int(between.total_seconds()) // 60,
        )


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def read_draft(markdown: str, seen: Seen) -> None:
    for name, key in _NAMES.items():
        row = re.search(rf"^\| {re.escape(name)} \| ([^|]+) \|", markdown, re.M)
        if row:
            seen.add("draft", key, minutes_in(row[1]))


def read_header(text: str, seen: Seen) -> None:
    """The pinned header: each metric by name, and ``open for`` once resolved."""
    for name, key in _NAMES.items():
        said = re.search(rf"\*{re.escape(name)}:\* ([^*\n]+?)(?:\s{{3}}|\n|$| \(edited\))", text)
        if said:
            seen.add("slack header", key, minutes_in(said[1]))
    opened = re.search(r"open for ([^\n]+?)(?:\n|$| \(edited\))", text)
    if opened:
        seen.add("slack header", "open_for", minutes_in(opened[1]))


def read_status_page(page: str, seen: Seen) -> None:
    """The first incident on /status (each replay publishes one)."""
    for kind, _, value in _times(page):
        if kind in ("open-for", "impact-lasted"):
            figure = kind.replace("-", "_")
            if "status page" not in seen.figures.get(figure, {}):
                seen.add("status page", figure, minutes_of(value))


def read_insights(page: str, seen: Seen) -> None:
    """The headline medians of the incident's day, which holds it alone."""
    for figure, key in (
        ("acknowledge", "time_to_acknowledge"),
        ("mitigate", "time_to_mitigate"),
        ("resolve", "time_to_resolve"),
    ):
        headline = rf'<div id="headline-{figure}">.*?<dd class="figure">([^<]*)</dd>'
        block = re.search(headline + r".*?over (\d+) incident", page, re.S)
        assert block, f"no {figure} in the headline"
        seen.add("insights", key, minutes_in(html.unescape(block[1])) if int(block[2]) else None)


@dataclass(frozen=True)
class Incident:
    """Where to read one incident: the web view's address, its reference, its zone's day."""

    url: str
    reference: str
    day: str  # the day it was declared, in the deployment's zone (Insights' from and to)
    public: bool


async def read_everywhere(
    client: aiohttp.ClientSession,
    incident: Incident,
    mcp_token: str,
    header: str,
    api_headers: Mapping[str, str],
) -> Seen:
    """Every figure of ``incident`` from every surface; ``client`` is signed in."""
    seen = Seen()
    url, reference = incident.url, incident.reference

    async def get(path: str, **headers: str) -> str:
        async with client.get(url + path, headers=headers) as answer:
            assert answer.status == 200, f"{path}: {answer.status}"
            return await answer.text()

    read_incident_page(await get(f"/incidents/{reference}"), seen)
    read_list_page(await get("/"), reference, seen)
    detail = json.loads(await get(f"/api/incidents/{reference}", **api_headers))
    read_api_incident("api", detail, seen)
    listed = json.loads(await get("/api/incidents", **api_headers))
    (item,) = [each for each in listed["items"] if each["reference"] == reference]
    read_api_incident("api list", item, seen)
    read_draft(await get(f"/api/incidents/{reference}/postmortem", **api_headers), seen)
    read_insights(await get(f"/insights?from={incident.day}&to={incident.day}"), seen)
    if incident.public:
        read_status_page(await get("/status"), seen)
    async with agent(url, mcp_token) as session:
        read_api_incident(
            "mcp get_incident", await call(session, "get_incident", reference=reference), seen
        )
        mcp_list = await call(session, "list_incidents")
        (mcp_item,) = [each for each in mcp_list["items"] if each["reference"] == reference]
        read_api_incident("mcp list_incidents", mcp_item, seen)
    read_header(header, seen)
    return seen


def header_of(slack: SlackEmulator, channel: Channel) -> str:
    """The channel's pinned header as Slack shows it now."""
    pinned = [slack.find_message(channel, ts).text for ts in channel.pins]
    (header,) = [text for text in pinned if text.startswith(":rotating_light:")]
    return header


async def mcp_token_for(database_url: str, now: datetime) -> str:
    engine = create_engine(database_url)
    try:
        async with session_scope(engine) as session:
            _, value = await tokens.create(
                session, name="figures", scope="read", private=True, expires_days=None, now=now
            )
            await session.commit()
    finally:
        await engine.dispose()
    return value


def _day(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).date().isoformat()


def assert_one_figure_each(seen: Seen, *, expected: Mapping[str, object]) -> None:
    wrong = seen.disagreements()
    assert not wrong, "figures that differ between surfaces:\n" + "\n".join(wrong)
    for figure, value in expected.items():
        shown = set(map(repr, seen.figures[figure].values()))
        assert shown == {repr(value)}, f"{figure}: {seen.figures[figure]}"


# -- the replays ----------------------------------------------------------------------------
@asynccontextmanager
async def replayed(
    slack: SlackEmulator,
    database_url: str,
    start: datetime,
    settings: Mapping[str, object],
    play: Callable[[Warroom], Any],
) -> AsyncIterator[tuple[Warroom, Channel]]:
    scenario_people(slack)
    async with running_warroom(
        slack, database_url, Clock(start), **web_settings(slack, **settings)
    ) as warroom:
        played = await play(warroom)
        channel = played if isinstance(played, Channel) else played.channel
        assert channel is not None
        yield warroom, channel


async def figures_of_replay(
    warroom: Warroom, channel: Channel, database_url: str, *, public: bool = False
) -> Seen:
    reference = "INC-" + channel.name.split("-")[1]
    zone = warroom.services.settings.incidents.timezone
    declared = await _declared(warroom, reference)
    token = await mcp_token_for(database_url, warroom.clock())
    async with browser() as client:
        await sign_in(client, warroom, ALICE)
        return await read_everywhere(
            client,
            Incident(warroom.url, reference, _day(declared, zone), public),
            token,
            header_of(warroom.slack, channel),
            {"Authorization": f"Bearer {API_TOKEN}"},
        )


async def _declared(warroom: Warroom, reference: str) -> datetime:
    async with aiohttp.ClientSession() as client:
        return await _declared_at(client, warroom.url, reference)


async def _declared_at(client: aiohttp.ClientSession, url: str, reference: str) -> datetime:
    async with client.get(
        f"{url}/api/incidents/{reference}", headers={"Authorization": f"Bearer {API_TOKEN}"}
    ) as answer:
        assert answer.status == 200, await answer.text()
        return _at((await answer.json())["declared_at"])


async def test_the_checkout_page_crash_says_each_figure_once(
    slack: SlackEmulator, database_url: str
) -> None:
    """Acknowledged at 12:05, when Alice took the lead (before Dave's /incident ack at 12:06);
    the fix confirmed by the alert's resolution at 2:00; resolved at 2:00 (corrected)."""
    async with replayed(slack, database_url, NAIROBI_START, NAIROBI, play_checkout_crash) as (
        warroom,
        channel,
    ):
        seen = await figures_of_replay(warroom, channel, database_url)
    assert_one_figure_each(
        seen,
        expected={
            "time_to_acknowledge": 5,
            "time_to_mitigate": 120,
            "impact_duration": 120,
            "time_to_resolve": 120,
        },
    )


async def test_the_nuru_outage_says_each_figure_once(
    slack: SlackEmulator, database_url: str
) -> None:
    """Acknowledged at 3:02, when Alice took the lead (the DBAs' /incident ack came at 3:34);
    mitigated when Erin said it worked, at 7:00."""
    async with replayed(slack, database_url, NURU_START, NURU, play_nuru_outage) as (
        warroom,
        channel,
    ):
        seen = await figures_of_replay(warroom, channel, database_url)
    assert_one_figure_each(
        seen,
        expected={
            "time_to_acknowledge": 2,
            "time_to_mitigate": 240,
            "impact_duration": 240,
            "time_to_resolve": 245,
        },
    )


async def test_payplugs_replay_says_each_figure_once(
    slack: SlackEmulator, database_url: str
) -> None:
    """The status page's incident: open from its declaration to its resolution, the same on
    /status as on every page."""
    async with FakeStatuspage() as statuspage:
        settings = {**statuspage_settings(statuspage), "status_page__languages": ("fr", "en", "it")}
        async with replayed(slack, database_url, at(15, 15), settings, play_payplug) as (
            warroom,
            channel,
        ):
            seen = await figures_of_replay(warroom, channel, database_url, public=True)
    assert_one_figure_each(seen, expected={})
    assert seen.figures.get("open_for", {}).get("status page") is not None


# -- the demo --------------------------------------------------------------------------------
async def test_the_demos_incident_says_each_figure_once(database_url: str, tmp_path: Path) -> None:
    """``warroom demo --serve`` on the test's database: its pages, its API and its /mcp read
    while it serves, its channel's header as it printed it."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "DATABASE_URL": database_url,
        "WARROOM_API_TOKEN": API_TOKEN,
    }
    demo = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", "--serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    try:
        printed = await asyncio.to_thread(_until_serving, demo)
        page = next(
            (
                line.split(": ", 1)[1].split(" ")[0]
                for line in printed
                if line.startswith("Incident page")
            ),
            "",
        )
        assert page, "".join(printed)[-3000:]
        url, reference = page.rsplit("/incidents/", 1)
        async with aiohttp.ClientSession() as client:
            declared = await _declared_at(client, url, reference)
            token = await mcp_token_for(database_url, datetime.now(UTC))
            seen = await read_everywhere(
                client,
                Incident(url, reference, _day(declared, "UTC"), True),
                token,
                _printed_header(printed, reference),
                {"Authorization": f"Bearer {API_TOKEN}"},
            )
        demo.send_signal(signal.SIGINT)
        assert await asyncio.to_thread(demo.wait, 30) == 0
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    assert_one_figure_each(seen, expected={})
    # The figures the issue found apart: one time to mitigate, Insights' included.
    assert seen.figures.get("time_to_mitigate", {}).get("insights") is not None


def _until_serving(demo: subprocess.Popen[str]) -> list[str]:
    assert demo.stdout is not None
    printed: list[str] = []
    for line in demo.stdout:
        printed.append(line)
        if line.startswith("Serving the web view"):
            break
    return printed


def _printed_header(printed: list[str], reference: str) -> str:
    """The pinned header as the demo printed the channel: from its first line to the one
    before the next message."""
    text = "".join(printed)
    start = text.index(f":rotating_light: *{reference}:")
    end = text.find("\n[", start)
    return text[start:end]


async def test_incident_ack_with_nothing_waiting_acknowledges_the_incident(
    slack: SlackEmulator, database_url: str
) -> None:
    """Declared by Alice, nobody escalated to: Bob's ``/incident ack`` three minutes later is
    when someone answered for it, once (a second is refused as before); its time to
    acknowledge is those three minutes on the page, in the API and in the header."""
    async with running_warroom(
        slack, database_url, Clock(datetime(2026, 3, 3, 9, 0, tzinfo=UTC)), **web_settings(slack)
    ) as warroom:
        channel = await open_incident(warroom, "Card payments fail")
        await warroom.advance(minutes=3)
        await command(warroom, channel, "ack", user=BOB)
        await command(warroom, channel, "ack", user=CAROL)
        await warroom.advance(minutes=10)
        await command(warroom, channel, "resolve")
        said = [message.text for message in channel.messages]
        assert any("acknowledged INC-1: someone is on it" in text for text in said), said
        refused = [message.text for message in slack.ephemeral_for(CAROL)]
        assert any("is waiting for an acknowledgement" in text for text in refused), refused
        async with browser() as client:
            await sign_in(client, warroom, ALICE)
            page = await (await client.get(f"{warroom.url}/incidents/INC-1")).text()
            async with client.get(
                f"{warroom.url}/api/incidents/INC-1",
                headers={"Authorization": f"Bearer {API_TOKEN}"},
            ) as answer:
                detail = await answer.json()
        header = header_of(slack, channel)
    seen = Seen()
    read_incident_page(page, seen)
    read_api_incident("api", detail, seen)
    read_header(header, seen)
    assert_one_figure_each(seen, expected={"time_to_acknowledge": 3})
