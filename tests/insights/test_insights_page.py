"""The insights page as a manager reads it: headline numbers at the top
against the previous period of the same length, a period and a severity filter that change
every number on the page, the two median times on charts of their own, and a 400 that says
what is wrong with a filter."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from sqlmodel import select

from bot.store.db import session_scope
from bot.store.models import CauseRequest, Incident, PossibleCause
from emulator import SlackEmulator
from tests.conftest import ALICE, Clock, Warroom
from tests.helpers.web_view import browser, sign_in, web_warroom

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)  # warroom's zone is UTC in the tests
M = timedelta(minutes=1)
H = timedelta(hours=1)
# days before NOW, severity, time to acknowledge, impact start before the declaration,
# time to mitigate and to resolve (from the impact's start).
KNOWN = [
    # The last 30 days: three incidents.
    (2, "SEV1", 4 * M, 10 * M, 40 * M, 2 * H),
    (10, "SEV2", 10 * M, 20 * M, 1 * H, 3 * H),
    (20, "SEV1", 6 * M, 5 * M, 30 * M, 1 * H),
    # The 30 days before: two, slower.
    (40, "SEV2", 20 * M, 10 * M, 2 * H, 6 * H),
    (50, "SEV3", 30 * M, 10 * M, 1 * H, 4 * H),
    # Long before: only the 365 days count these.
    (200, "SEV4", 1 * H, 0 * M, 1 * H, 5 * H),
]


async def seed(warroom: Warroom) -> None:
    """The known incidents, stored as the record holds them."""
    async with session_scope(warroom.services.engine) as session:
        for number, (days, severity, ack, lead, mitigate, resolve) in enumerate(KNOWN, 1):
            declared = NOW - timedelta(days=days)
            started = declared - lead
            session.add(
                Incident(
                    team_id=warroom.slack.team_id,
                    number=number,
                    title=f"Known incident {number}",
                    declared_by=ALICE,
                    severity=severity,
                    status="resolved",
                    declared_at=declared,
                    started_at=started,
                    acknowledged_at=declared + ack,
                    mitigated_at=started + mitigate,
                    resolved_at=started + resolve,
                )
            )
        await session.commit()


def headline(page: str, figure: str) -> str:
    """One headline figure's text: its value and its change, tags left out."""
    block = page.split(f'id="headline-{figure}">', 1)[1].split("</div>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", block).split())


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with http.get(url) as answer:
        return answer.status, await answer.text()


@pytest.fixture
async def insights(slack: SlackEmulator, sqlite_url: str):  # type: ignore[no-untyped-def]
    async with web_warroom(slack, sqlite_url, Clock(NOW)) as warroom, browser() as http:
        await seed(warroom)
        await sign_in(http, warroom, ALICE)
        yield http, f"{warroom.url}/insights"


async def test_the_headline_compares_with_the_previous_period_of_the_same_length(
    insights: tuple[aiohttp.ClientSession, str],
) -> None:
    http, url = insights
    status, page = await get(http, f"{url}?period=30")
    assert status == 200
    # 3 incidents in the last 30 days against 2 in the 30 before: one more, +50%.
    assert headline(page, "incidents") == ("Incidents 3 1 more than the previous 30 days (2, +50%)")
    # Acknowledged in 4, 10 and 6 minutes: median 6, against 20 and 30 (25): 19 faster, -76%.
    assert headline(page, "acknowledge").startswith(
        "Median time to acknowledge 6 minutes 19 minutes faster than the previous 30 days"
        " (25 minutes, -76%)"
    )
    # Mitigated 40 min, 1 h, 30 min after the impact started: 40 min, against 1 h 30 min.
    assert "40 minutes 50 minutes faster than the previous 30 days (1 hour 30 minutes, -56%)" in (
        headline(page, "mitigate")
    )
    assert "2 hours 3 hours faster than the previous 30 days (5 hours, -60%)" in (
        headline(page, "resolve")
    )
    assert "over 3 incidents" in headline(page, "resolve")
    # How it was computed, in words.
    assert "from Mar 2, 2026 to Mar 31, 2026 (30 days" in page
    assert "the median, the middle value" in page


async def test_the_filters_change_every_number_on_the_page(
    insights: tuple[aiohttp.ClientSession, str],
) -> None:
    http, url = insights
    _, month = await get(http, f"{url}?period=30")
    _, year = await get(http, f"{url}?period=365")
    _, sev1 = await get(http, f"{url}?period=30&severity=SEV1")
    _, dates = await get(http, f"{url}?from=2026-02-01&to=2026-02-28")
    assert headline(year, "incidents").startswith("Incidents 6 6 more than")
    # SEV1 alone: two incidents, none in the 30 days before.
    assert headline(sev1, "incidents").startswith("Incidents of SEV1 2 2 more than")
    assert "no incident of the previous 30 days to compare with" in headline(sev1, "acknowledge")
    # February: the incidents 40 and 50 days before March 31.
    assert headline(dates, "incidents").startswith("Incidents 2 ")
    assert "the previous 28 days" in headline(dates, "incidents")
    # The charts' tables count the same incidents as the headline.
    for page, count in ((month, 3), (year, 6), (sev1, 2), (dates, 2)):
        weeks = page.split('id="insights-weekly"', 1)[1].split("</figure>", 1)[0]
        totals = re.findall(r"<td[^>]*>(\d+)</td></tr>", weeks.split("<tbody>", 1)[1])
        assert sum(map(int, totals)) == count
        months = page.split('id="insights-resolve"', 1)[1].split("</figure>", 1)[0]
        declared = re.findall(r'<th scope="row">[^<]+</th><td[^>]*>(\d+)</td>', months)
        assert sum(map(int, declared)) == count
    # The form shows the filters chosen.
    assert 'value="SEV1" checked' in sev1 and 'value="2026-02-01"' in dates


async def test_acknowledge_and_resolve_each_have_a_chart_and_an_axis(
    insights: tuple[aiohttp.ClientSession, str],
) -> None:
    http, url = insights
    _, page = await get(http, f"{url}?period=90")
    acknowledge = page.split('id="insights-acknowledge"', 1)[1].split("</figure>", 1)[0]
    resolve = page.split('id="insights-resolve"', 1)[1].split("</figure>", 1)[0]
    assert 'data-series="acknowledge"' in acknowledge and 'data-series="resolve"' not in acknowledge
    assert 'data-series="resolve"' in resolve and 'data-series="acknowledge"' not in resolve
    assert ">minutes</text>" in acknowledge and ">hours</text>" in resolve
    # Drawn for wide screens and for phones, with one table of the numbers.
    for figure in (acknowledge, resolve):
        assert 'class="wide"' in figure and 'class="narrow"' in figure
        assert figure.count("<table") == 1


@pytest.mark.parametrize(
    ("query", "field", "said"),
    [
        ("period=7", "period", "The period must be 30, 90 or 365 (days)"),
        ("period=abc", "period", "The period must be 30, 90 or 365 (days)"),
        (
            "period=7&from=2026-03-01&to=2026-03-10",
            "period",
            "The period must be 30, 90 or 365 (days)",
        ),
        (
            "severity=SEV9",
            "severity",
            "Unknown severity &#39;SEV9&#39;: use one of SEV1, SEV2, SEV3, SEV4.",
        ),
        ("from=2026-03-01", "to", "Give both a from and a to date"),
        ("to=2026-03-01", "from", "Give both a from and a to date"),
        (
            "from=2026-03-10&to=2026-03-01",
            "to",
            "The to date (2026-03-01) is before the from date",
        ),
        ("from=yesterday&to=2026-03-01", "from", "The from date must be a day such as 2026-03-14."),
        (
            "from=0001-01-01&to=2026-03-01",
            "from",
            "The from date must be a day such as 2026-03-14.",
        ),
        ("from=1990-01-01&to=2026-03-01", "to", "The dates are more than 3660 days apart."),
    ],
)
async def test_a_filter_that_cannot_be_used_is_a_400_saying_why_at_its_field(
    insights: tuple[aiohttp.ClientSession, str], query: str, field: str, said: str
) -> None:
    """A manager's filter that cannot be used: the page again (400) with the form as they
    sent it, the words beside the field they are about and that field marked invalid, the
    numbers those of the default period (bad input in words at the field)."""
    http, url = insights
    status, page = await get(http, f"{url}?{query}")
    assert status == 400
    at_field = re.search(rf'<span class="field-problem" id="{field}-problem">(.*?)</span>', page)
    assert at_field is not None and said in at_field.group(1), page
    if field != "severity":
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page)
    for name, value in (pair.split("=") for pair in query.split("&")):
        if name in ("from", "to"):
            assert f'id="{name}" name="{name}" value="{value}"' in page  # kept as sent
    assert 'id="headline"' in page  # the page itself, not an error page
    if "period=" not in query:  # the period the numbers are over is the one chosen
        assert '<option value="90" selected>' in page


async def test_the_helpers_causes_not_shown_are_counted_by_why(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """A request whose model proposed six causes: one shown, one refused by a check, two beyond
    the three a request shows, two left unchecked (a failed control, the check off): each
    counted apart, never all as "refused by the checks"."""
    refused = [
        {"text": "A fact the record does not hold.", "why": [{"rule": "no_quote"}]},
        *[{"text": f"Cause {n}.", "why": [{"rule": "too_many", "max": 3}]} for n in (5, 6)],
        *[
            {"text": f"Unchecked {n}.", "why": [{"rule": "meaning_not_checked", "kind": kind}]}
            for n, kind in ((1, "failed_control"), (2, "off"))
        ],
    ]
    async with web_warroom(slack, sqlite_url, Clock(NOW)) as warroom, browser() as http:
        await seed(warroom)
        await sign_in(http, warroom, ALICE)
        async with session_scope(warroom.services.engine) as session:
            incident = (await session.exec(select(Incident).where(Incident.number == 1))).one()
            request = CauseRequest(
                incident_id=incident.id or 0,
                key="causes:1",
                model="qwen2.5:7b",
                asked_at=incident.declared_at,
                outcome="answered",
                fingerprint="f",
                refused=refused,
            )
            session.add(request)
            await session.flush()
            session.add(
                PossibleCause(
                    request_id=request.id or 0,
                    incident_id=incident.id or 0,
                    text="The release.",
                    cites=[],
                    held_by=[],
                    proposed_by="qwen2.5:7b",
                )
            )
            await session.commit()
        _, page = await get(http, f"{warroom.url}/insights")
    row = page.split('id="helper-figures"', 1)[1].split("</table>", 1)[0].split("<tbody>")[1]
    cells = [" ".join(re.sub(r"<[^>]+>", " ", "<" + c).split()) for c in row.split("<td")[1:]]
    # Proposed, refused by the checks, beyond the three, left unchecked, accepted, graded.
    assert cells[1:] == ["qwen2.5:7b (model)", "6", "1", "2", "2", "0", "0 of 0 graded"]
