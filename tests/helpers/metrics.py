"""GET /metrics read as Prometheus reads it, for tests that count what the bot did."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Warroom

Samples = list[tuple[str, dict[str, str], float]]


async def scrape(warroom: Warroom) -> Samples:
    """GET /metrics as Prometheus would, parsed by prometheus_client's own parser."""
    async with aiohttp.ClientSession() as client, client.get(f"{warroom.url}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = await response.text()
    return [
        (sample.name, dict(sample.labels), sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def value(samples: Samples, name: str, **labels: str) -> float | None:
    """The value of the sample ``name`` with exactly these labels; None if there is none."""
    found = [v for sample, have, v in samples if sample == name and have == labels]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else None


def names(samples: Samples) -> set[str]:
    return {name for name, _, _ in samples}
