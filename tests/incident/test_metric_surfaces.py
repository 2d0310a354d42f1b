"""Each surface shows exactly the metrics whose row names it (``METRICS``,
bot/record/incident/milestones.py), in their order, by their words: the checkout page crash is
played to its draft, then every surface is read as people and programs read it (the draft's
Markdown, the message posting it, the channel's pinned header, the incident page's head and
table, Insights' headline and monthly charts, the JSON API), and the metrics each shows are
told apart by the names it gives them (``templates/_metrics.j2``, the draft's
``words.yaml``) or the ids it keys them by."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from jinja2 import Environment, FileSystemLoader

from bot.record.incident.milestones import METRICS, Surface, metrics_on
from emulator import SlackEmulator
from tests.conftest import ALICE
from tests.helpers.web_view import API_TOKEN, browser, sign_in
from tests.postmortem.test_postmortem_scenarios import NAIROBI, NAIROBI_START, play_checkout_crash
from tests.web.test_figures_agree import header_of, replayed

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
_SHORT = {metric.short: metric.key for metric in METRICS}


def names() -> dict[str, str]:
    """What the pages and Slack call each metric, to its key."""
    words = Environment(loader=FileSystemLoader(TEMPLATES)).get_template("_metrics.j2").module
    return {name: key for key, name in words.metric_names.items()}  # type: ignore[attr-defined]


def draft_names() -> dict[str, str]:
    """What the English draft calls each metric, to its key."""
    words = yaml.safe_load((TEMPLATES / "postmortem" / "en" / "words.yaml").read_text())
    return {name: key for key, name in words["metrics"].items()}


def by_name(text: str, pattern: str, called: dict[str, str]) -> list[str]:
    """The keys of the metrics ``text`` names where ``pattern`` (one group: a name) finds
    one, in order."""
    return [called[name] for name in re.findall(pattern, text) if name in called]


def read_surfaces(
    draft: str, posted: str, header: str, page: str, insights: str, api: dict[str, object]
) -> dict[Surface, list[str]]:
    """The keys of the metrics each surface shows, in the order it shows them."""
    head = page[page.index('id="head-metrics"') : page.index("</dl>", page.index("head-metrics"))]
    table = page[page.index("<th>Metric</th>") :]
    headline = insights[insights.index('id="headline"') : insights.index("</dl>")]
    metrics = api["metrics"]
    assert isinstance(metrics, list)
    return {
        Surface.DRAFT: by_name(draft, r"(?m)^\| ([^|]+?) \|", draft_names()),
        Surface.DRAFT_POSTED: by_name(posted, r"(?m)^• ([^:\n]+):", names()),
        Surface.CHANNEL_HEADER: by_name(header, r"\*([^*:\n]+):\*", names()),
        Surface.PAGE_HEAD: by_name(head, r"<dt>([^<]+)</dt>", names()),
        Surface.PAGE: by_name(table, r'<td data-label="Metric">([^<]+)</td>', names()),
        Surface.INSIGHTS: [
            _SHORT[short]
            for short in re.findall(r'<div id="headline-(\w+)">', headline)
            if short != "incidents"
        ],
        Surface.INSIGHTS_MONTHS: [
            _SHORT[short]
            for short in re.findall(r'<h2 id="(\w+)">Median [^<]+, per month', insights)
        ],
        Surface.API: [str(metric["key"]) for metric in metrics],
    }


async def test_every_surface_shows_exactly_the_metrics_whose_row_names_it(
    slack: SlackEmulator, database_url: str
) -> None:
    async with replayed(slack, database_url, NAIROBI_START, NAIROBI, play_checkout_crash) as (
        warroom,
        channel,
    ):
        reference = "INC-" + channel.name.split("-")[1]
        posted = next(m.text for m in channel.messages if "*Postmortem draft:" in m.text)
        api_headers = {"Authorization": f"Bearer {API_TOKEN}"}
        async with browser() as client:
            await sign_in(client, warroom, ALICE)

            async def get(path: str, **headers: str) -> str:
                async with client.get(warroom.url + path, headers=headers) as answer:
                    assert answer.status == 200, f"{path}: {answer.status}"
                    return await answer.text()

            shown = read_surfaces(
                draft=await get(f"/api/incidents/{reference}/postmortem", **api_headers),
                posted=posted,
                header=header_of(warroom.slack, channel),
                page=await get(f"/incidents/{reference}"),
                insights=await get("/insights?from=2023-03-14&to=2023-03-14"),
                api=json.loads(await get(f"/api/incidents/{reference}", **api_headers)),
            )
    assert set(shown) == set(Surface)  # every surface read
    for surface, keys in shown.items():
        assert keys == [metric.key for metric in metrics_on(surface)], surface
    # Each surface shows some, and no two the same: the rows say where each metric goes.
    assert len({tuple(keys) for keys in shown.values()}) >= 5
