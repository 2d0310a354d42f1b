"""Insights: counts, medians and rankings from stored rows (SQLite and PostgreSQL), and the
server-side SVG charts drawn from them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.render import Renderer
from bot.record.insights.counts import (
    AlertSourceCount,
    Insights,
    Median,
    MonthTimes,
    PathCount,
    WeekCount,
    load_insights,
    median,
    normalise_path,
)
from bot.record.postmortem.figures import figures_of
from bot.store.db import session_scope
from bot.store.models import (
    Alert,
    AlertGroup,
    AlertPayload,
    Incident,
    Person,
    TimelineEntry,
    TimelineKind,
)
from bot.web import charts
from bot.web.charts import nice_scale, render_insight_charts, truncate

NOW = datetime(2024, 3, 20, 12, 0, tzinfo=UTC)  # a Wednesday
ZONE = "Europe/Paris"  # UTC+1 all through these months
SVG = "{http://www.w3.org/2000/svg}"
H, M = timedelta(hours=1), timedelta(minutes=1)


def at(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2024) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# -- the record ------------------------------------------------------------------------------
class Record:
    """Incidents stored for the tests, by number."""

    def __init__(self) -> None:
        self.incidents: dict[int, Incident] = {}

    def visible(self, *numbers: int) -> list[Incident]:
        chosen = numbers or tuple(self.incidents)
        return [self.incidents[number] for number in chosen]


async def store_record(engine: AsyncEngine) -> Record:
    record = Record()
    # number, severity, declared, impact start, time to acknowledge, resolved
    plans: list[tuple[int, str, datetime, datetime | None, timedelta | None, datetime | None]] = [
        # March in Paris: acknowledged in 10, 30, 20 min (INC-5 "before" its declaration: bad
        # data, left out); resolved 3, 4 and 2 hours after impact started.
        (1, "SEV1", at(3, 18, 9), at(3, 18, 8, 30), 10 * M, at(3, 18, 11, 30)),
        (2, "SEV2", at(3, 19, 10), at(3, 19, 9), 30 * M, at(3, 19, 13)),
        (3, "SEV2", at(3, 4, 10), None, 20 * M, at(3, 4, 12)),
        # Sunday 23:30 UTC is Monday 00:30 in Paris: the week of March 11 there.
        (4, "SEV3", at(3, 10, 23, 30), None, None, None),
        # February 29 23:30 UTC is March 1 in Paris.
        (5, "SEV4", at(2, 29, 23, 30), at(2, 29, 22), -5 * M, at(3, 1, 0)),
        (6, "SEV1", at(1, 15, 10), at(1, 15, 9), 5 * M, at(1, 15, 11)),
        (10, "SEV3", at(1, 20, 10), None, 15 * M, None),
        (7, "SEV3", at(12, 1, year=2023), None, 1 * H, None),  # in the months, not the weeks
        (8, "SEV2", at(9, 15, year=2023), None, 1 * M, None),  # before both windows
        (9, "SEV0", at(2, 6), None, None, None),  # a severity outside SEV1..SEV4
    ]
    async with session_scope(engine) as session:
        for number, severity, declared, started, to_acknowledge, resolved in plans:
            incident = Incident(
                team_id="T1",
                number=number,
                title=f"Incident {number}",
                declared_by="U0ALICE",
                severity=severity,
                declared_at=declared,
                started_at=started,
                acknowledged_at=declared + to_acknowledge if to_acknowledge else None,
                resolved_at=resolved,
            )
            session.add(incident)
            record.incidents[number] = incident
        session.add(Person(user_id="U0BOB", name="Bob Okafor", updated_at=NOW))
        await session.flush()
        misleading = [
            (1, at(3, 18, 9, 20), "Database connection pool"),
            (2, at(3, 19, 10, 40), "database   connection-pool?? <@U0ALICE>"),
            (
                2,
                at(3, 19, 11),
                "<@U0BOB> Database connection pool. https://grafana.example.com/d/x",
            ),
            (3, at(3, 4, 10, 30), "CDN cache &amp; TLS"),
            (6, at(1, 15, 10, 30), "cdn cache / TLS"),
            (4, at(3, 11, 0, 10), "DNS"),
            (5, at(3, 1, 0, 10), "Load balancer"),
            (1, at(3, 18, 9, 30), "<@U0ALICE>"),  # nothing to group by
            *[(8, at(9, 15, 11, year=2023), "Database connection pool")] * 5,
        ]
        for number, when, text in misleading:
            session.add(entry(record.incidents[number], TimelineKind.MISLEADING, text, when))
        session.add(
            entry(record.incidents[1], TimelineKind.INVESTIGATION, "Database connection pool", NOW)
        )
        await store_alerts(session, record)
        await session.commit()
    return record


def entry(incident: Incident, kind: TimelineKind, text: str, when: datetime) -> TimelineEntry:
    assert incident.id is not None
    return TimelineEntry(incident_id=incident.id, kind=kind, text=text, occurred_at=when)


async def store_alerts(session: AsyncSession, record: Record) -> None:
    payload = AlertPayload(source="alertmanager", body="{}", group_key="g", received_at=NOW)
    groups = {
        source: AlertGroup(
            source=source,
            key_hash=source,
            group_key=source,
            first_seen_at=NOW,
            last_seen_at=NOW,
        )
        for source in ("alertmanager", "grafana", "generic")
    }
    session.add(payload)
    session.add_all(groups.values())
    await session.flush()
    fired = [
        ("alertmanager", "HighErrorRate", "f1", at(3, 18, 8, 40), 1),
        ("alertmanager", "HighErrorRate", "f2", at(3, 18, 8, 41), 1),
        ("alertmanager", "HighErrorRate", "f1", at(3, 19, 9, 5), 2),
        ("grafana", "DiskFull", "f3", at(3, 4, 9), 3),
        ("alertmanager", "DiskFull", "f4", at(3, 10, 23), 4),
        ("generic", "Checkout p99 above 2s", "d1", at(3, 18, 8, 45), 1),
        ("generic", "Checkout p99 above 2s", "d1", at(2, 29, 22), 5),
        *[("alertmanager", "HighErrorRate", f"old{n}", at(9, 15, year=2023), 8) for n in range(4)],
        ("alertmanager", "HighErrorRate", "nobody", at(3, 1), None),  # no incident
    ]
    for source, name, fingerprint, starts_at, number in fired:
        session.add(
            Alert(
                group_id=groups[source].id or 0,
                incident_id=record.incidents[number].id if number else None,
                fingerprint=fingerprint,
                name=name,
                status="firing",
                starts_at=starts_at,
                first_payload_id=payload.id or 0,
                last_payload_id=payload.id or 0,
            )
        )


@pytest.fixture
async def record(engine: AsyncEngine) -> Record:
    return await store_record(engine)


async def load(engine: AsyncEngine, incidents: list[Incident], **options: int) -> Insights:
    async with session_scope(engine) as session:
        figures = await figures_of(session, incidents)
        return await load_insights(
            session, incidents, figures=figures, now=NOW, zone=ZONE, **options
        )


# -- weeks and months --------------------------------------------------------------------------
async def test_weeks_count_every_week_by_severity_in_the_zone(
    engine: AsyncEngine, record: Record
) -> None:
    found = await load(engine, record.visible())

    assert [week.start for week in found.weeks] == [
        date(2024, 1, 1) + timedelta(weeks=n) for n in range(12)
    ]
    by_week = {week.start: (week.counts, week.other) for week in found.weeks}
    zero = {"SEV1": 0, "SEV2": 0, "SEV3": 0, "SEV4": 0}
    assert by_week[date(2024, 1, 15)] == ({**zero, "SEV1": 1, "SEV3": 1}, 0)
    assert by_week[date(2024, 2, 5)] == (zero, 1)  # SEV0 is counted, as another severity
    assert by_week[date(2024, 2, 26)] == ({**zero, "SEV4": 1}, 0)  # March 1 in Paris
    assert by_week[date(2024, 3, 4)] == ({**zero, "SEV2": 1}, 0)
    assert by_week[date(2024, 3, 11)] == ({**zero, "SEV3": 1}, 0)  # Monday in Paris
    assert by_week[date(2024, 3, 18)] == ({**zero, "SEV1": 1, "SEV2": 1}, 0)
    empty_weeks = [week.start for week in found.weeks if week.total == 0]
    assert len(empty_weeks) == 6 and date(2024, 1, 1) in empty_weeks
    assert sum(week.total for week in found.weeks) == 8  # INC-7 and INC-8 are older
    assert found.incidents == 9  # INC-7 is in the months' window; INC-8 in neither
    assert (found.since, found.until) == (date(2023, 10, 1), date(2024, 4, 1))


async def test_monthly_medians_leave_out_incidents_missing_a_milestone(
    engine: AsyncEngine, record: Record
) -> None:
    found = await load(engine, record.visible())

    months = {month.start: month for month in found.months}
    assert list(months) == [date(2023, m, 1) for m in (10, 11, 12)] + [
        date(2024, m, 1) for m in (1, 2, 3)
    ]
    march = months[date(2024, 3, 1)]
    assert march.declared == 5
    # INC-4 was never acknowledged and INC-5's acknowledgement precedes its declaration.
    assert march.medians["acknowledge"] == Median(20 * M, 3)
    # INC-3 has no impact start, INC-4 is not resolved.
    assert march.medians["resolve"] == Median(3 * H, 3)
    january = months[date(2024, 1, 1)]
    assert january.medians["acknowledge"] == Median(
        10 * M, 2
    )  # the mean of the middle two: 5 and 15
    assert january.medians["resolve"] == Median(2 * H, 1)
    assert months[date(2024, 2, 1)] == MonthTimes(
        date(2024, 2, 1), 1, {"acknowledge": Median(None, 0), "resolve": Median(None, 0)}
    )
    assert months[date(2023, 12, 1)].medians["acknowledge"] == Median(1 * H, 1)
    assert months[date(2023, 11, 1)].declared == 0


# -- misleading paths and alert sources --------------------------------------------------------
async def test_misleading_paths_are_grouped_however_they_were_spelled(
    engine: AsyncEngine, record: Record
) -> None:
    found = await load(engine, record.visible())

    assert [(p.key, p.count, p.incidents, p.references) for p in found.misleading_paths] == [
        ("database connection pool", 3, 2, ("INC-1", "INC-2")),
        ("cdn cache tls", 2, 2, ("INC-3", "INC-6")),
        ("dns", 1, 1, ("INC-4",)),  # ties are broken by the latest: DNS after load balancer
        ("load balancer", 1, 1, ("INC-5",)),
    ]
    first = found.misleading_paths[0]
    # The latest spelling, readable: people by name, Slack's escaping undone.
    assert first.text == "@Bob Okafor Database connection pool. https://grafana.example.com/d/x"
    assert first.last_seen == at(3, 19, 11)
    assert found.misleading_paths[1].text == "CDN cache & TLS"
    assert found.misleading_entries == 7  # INC-8's are out of range, a bare mention is no path


async def test_alert_sources_count_alerts_and_incidents_per_source_and_name(
    engine: AsyncEngine, record: Record
) -> None:
    found = await load(engine, record.visible())

    assert [(a.source, a.name, a.alerts, a.incidents) for a in found.alert_sources] == [
        ("alertmanager", "HighErrorRate", 3, 2),
        ("generic", "Checkout p99 above 2s", 2, 2),
        ("alertmanager", "DiskFull", 1, 1),  # fired after Grafana's DiskFull
        ("grafana", "DiskFull", 1, 1),
    ]
    assert found.alert_sources[0].references == ("INC-1", "INC-2")
    assert found.alert_sources[0].last_seen == at(3, 19, 9, 5)
    assert found.alerts == 7


async def test_only_the_incidents_given_are_counted(engine: AsyncEngine, record: Record) -> None:
    found = await load(engine, record.visible(1, 8), top=1)

    assert found.incidents == 1
    assert [(p.key, p.count) for p in found.misleading_paths] == [("database connection pool", 1)]
    assert [(a.name, a.alerts) for a in found.alert_sources] == [("HighErrorRate", 2)]
    assert found.misleading_entries == 1 and found.alerts == 3


async def test_more_incidents_than_a_statement_may_bind_are_counted_alike(
    engine: AsyncEngine, record: Record
) -> None:
    """A year at a large workspace is more incidents than the drivers bind parameters in one
    statement (32,767): each read takes their ids as one parameter, and counts as it does
    over a few (those added here have no rows)."""
    whole = await load(engine, record.visible())
    first = record.incidents[1]
    strangers = [
        Incident(
            id=1_000_000 + n,
            team_id=first.team_id,
            number=1_000_000 + n,
            title="elsewhere",
            severity="SEV3",
            declared_at=first.declared_at,
        )
        for n in range(40_000)
    ]
    many = await load(engine, [*record.visible(), *strangers])
    assert (many.misleading_paths, many.misleading_entries) == (
        whole.misleading_paths,
        whole.misleading_entries,
    )
    assert (many.alert_sources, many.alerts) == (whole.alert_sources, whole.alerts)


async def test_no_incidents_make_empty_insights(engine: AsyncEngine) -> None:
    found = await load(engine, [], weeks=4, months=2)

    assert len(found.weeks) == 4 and all(week.total == 0 for week in found.weeks)
    assert [month.medians["acknowledge"] for month in found.months] == [Median(None, 0)] * 2
    assert (found.incidents, found.misleading_paths, found.alert_sources) == (0, (), ())


async def test_an_unknown_zone_is_refused(engine: AsyncEngine) -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        async with session_scope(engine) as session:
            await load_insights(session, [], figures={}, now=NOW, zone="Mars/Olympus")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Database connection pool", "database connection pool"),
        ("  DATABASE\nconnection-pool?!", "database connection pool"),
        ("<@U0ALICE> database <#C1|ops> connection pool", "database connection pool"),
        (
            "database connection pool <https://x.example/d|dashboard> www.x.example/y",
            "database connection pool",
        ),
        ("Cache &amp; TLS", "cache tls"),
        ("Ｆｕｌｌwidth ÉTÉ", "fullwidth été"),
        ("<!here> :-)", ""),
    ],
)
def test_paths_are_normalised(text: str, key: str) -> None:
    assert normalise_path(text) == key


def test_median() -> None:
    assert median([]) is None
    assert median([3 * M, 1 * M, 2 * M]) == 2 * M
    assert median([4 * M, 1 * M, 2 * M, 3 * M]) == timedelta(minutes=2, seconds=30)


# -- charts ------------------------------------------------------------------------------------
def sample_insights(**changes: object) -> Insights:
    zero = dict.fromkeys(("SEV1", "SEV2", "SEV3", "SEV4"), 0)
    weeks = tuple(
        WeekCount(date(2024, 1, 1) + timedelta(weeks=n), {**zero, "SEV1": n % 2, "SEV3": n % 3})
        for n in range(12)
    )
    months = tuple(
        MonthTimes(
            start,
            2,
            {"acknowledge": Median(ack, 1 if ack else 0), "resolve": Median(res, 1 if res else 0)},
        )
        for start, ack, res in [
            (date(2023, 10, 1), None, None),
            (date(2023, 11, 1), 10 * M, 2 * H),
            (date(2023, 12, 1), 30 * M, None),
            (date(2024, 1, 1), 5 * M, 4 * H),
            (date(2024, 2, 1), None, 1 * H),
            (date(2024, 3, 1), 20 * M, 3 * H),
        ]
    )
    paths = (
        PathCount("db", "Database connection pool", 4, 2, ("INC-1", "INC-2"), NOW),
        PathCount("dns", "DNS", 1, 1, ("INC-3",), NOW),
    )
    sources = (
        AlertSourceCount("alertmanager", "HighErrorRate", 6, 3, ("INC-1", "INC-2", "INC-4"), NOW),
        AlertSourceCount("grafana", "DiskFull", 2, 1, ("INC-3",), NOW),
    )
    base = Insights(
        now=NOW,
        zone=ZONE,
        since=date(2023, 10, 1),
        until=date(2024, 4, 1),
        incidents=20,
        weeks=weeks,
        months=months,
        misleading_paths=paths,
        alert_sources=sources,
        misleading_entries=5,
        alerts=8,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def rendered(found: Insights) -> dict[str, ET.Element]:
    """Each chart's figure, parsed as XML: it must be well-formed."""
    return {
        key: ET.fromstring(str(markup))
        for key, markup in render_insight_charts(Renderer(), found).items()
    }


def svg_of(figure: ET.Element, layout: str = "wide") -> ET.Element:
    """The chart as drawn for wide screens (or ``narrow``, for phones)."""
    svg = next((s for s in figure.iter(f"{SVG}svg") if s.get("class") == layout), None)
    assert svg is not None
    return svg


def test_every_chart_is_an_accessible_scalable_svg_with_a_table() -> None:
    figures = rendered(sample_insights())

    assert list(figures) == [
        "weekly",
        "acknowledge",
        "resolve",
        "misleading_paths",
        "alert_sources",
    ]
    ids = []
    for key, figure in figures.items():
        for layout, width in (("wide", 640), ("narrow", 320)):
            svg = svg_of(figure, layout)
            assert svg.get("role") == "img" and svg.get("width") == "100%"
            assert svg.get("viewBox", "").startswith(f"0 0 {width} ")
            title_id, desc_id = svg.get("aria-labelledby", "").split()
            assert svg.find(f"{SVG}title").get("id") == title_id  # type: ignore[union-attr]
            assert svg.find(f"{SVG}desc").get("id") == desc_id  # type: ignore[union-attr]
            assert title_id.startswith(f"insights-{key.replace('_', '-')}")
            ids += [title_id, desc_id]
        assert len(figure.findall("details/table")) == 1  # one table for both drawings
        assert not list(svg.iter(f"{SVG}script")) and not list(svg.iter(f"{SVG}image"))
        assert figure.find("figcaption") is None  # the page gives each chart its heading


def test_captions_title_the_figures_for_a_page_without_headings() -> None:
    figures = render_insight_charts(Renderer(), sample_insights(), captions=True)
    captions = [ET.fromstring(str(figure)).findtext("figcaption") for figure in figures.values()]
    assert captions == [
        "Incidents per week by severity",
        "Median time to acknowledge per month",
        "Median time to resolve per month",
        "Most frequent misleading paths",
        "Most frequent alert sources",
    ]


def test_weekly_bars_are_stacked_and_proportional_to_the_counts() -> None:
    found = sample_insights()
    svg = svg_of(rendered(found)["weekly"])

    segments = [rect for rect in svg.iter(f"{SVG}rect") if rect.get("data-series")]
    expected = sum(1 for week in found.weeks for value in week.counts.values() if value)
    assert len(segments) == expected
    ratios = {float(r.get("height", 0)) / int(r.get("data-value", 0)) for r in segments}
    assert max(ratios) - min(ratios) < 0.2
    colours = {rect.get("data-series"): rect.get("fill") for rect in segments}
    assert colours == {"SEV1": "#D55E00", "SEV3": "#56B4E9"}
    legend = [text.text for text in svg.iter(f"{SVG}text")][:4]
    assert legend == ["SEV1", "SEV2", "SEV3", "SEV4"]
    table = rendered(found)["weekly"].find("details/table/tbody")
    assert table is not None and len(table) == 12


def test_median_bars_are_proportional_and_labelled_in_a_fitting_unit() -> None:
    figures = rendered(sample_insights())
    acknowledge, resolve = svg_of(figures["acknowledge"]), svg_of(figures["resolve"])

    for svg, series in ((acknowledge, "acknowledge"), (resolve, "resolve")):
        bars = [rect for rect in svg.iter(f"{SVG}rect") if rect.get("data-series")]
        assert len(bars) == 4 and {bar.get("data-series") for bar in bars} == {series}
        ratios = {float(r.get("height", 0)) / int(r.get("data-seconds", 0)) for r in bars}
        assert max(ratios) - min(ratios) < 0.001
    # Each on an axis of its own: minutes to acknowledge, hours to resolve.
    said = [text.text for text in acknowledge.iter(f"{SVG}text")]
    assert "minutes" in said and {"10 min", "30 min", "5 min", "20 min"} <= set(said)
    assert said.count("n/a") == 2
    said = [text.text for text in resolve.iter(f"{SVG}text")]
    assert "hours" in said and {"2 h", "4 h", "1 h", "3 h"} <= set(said)
    # The tallest bar of each reaches most of the way up its own plot.
    tallest = max(float(r.get("height", 0)) for r in acknowledge.iter(f"{SVG}rect"))
    assert tallest > 0.7 * (charts.WIDE.plot.height)


def test_no_axis_label_starts_left_of_the_chart() -> None:
    """An end-anchored text must end where its width fits: the unit above the axis used to
    end at x=38 and was cut off on the left."""
    for figure in rendered(sample_insights()).values():
        for layout in ("wide", "narrow"):
            for text in svg_of(figure, layout).iter(f"{SVG}text"):
                x, words = float(text.get("x", 0)), text.text or ""
                font = float(svg_of(figure, layout).get("font-size", 11))
                width = 0.62 * font * len(words)
                left = x - width if text.get("text-anchor") == "end" else x
                left = x - width / 2 if text.get("text-anchor") == "middle" else left
                assert left >= 0, (layout, words, x)


def test_phones_get_a_narrow_drawing_with_text_of_at_least_12_px() -> None:
    """At 375 px wide the chart gets about 310 px: the narrow drawing is 320 units wide, so
    a unit is about 0.97 px, and every text in it is 13 units or more."""
    for figure in rendered(sample_insights()).values():
        narrow = svg_of(figure, "narrow")
        width = float(narrow.get("viewBox", "").split()[2])
        scale = 310 / width
        base = float(narrow.get("font-size", 0))
        sizes = [float(t.get("font-size", base)) for t in narrow.iter(f"{SVG}text")]
        assert sizes and min(sizes) * scale >= 12


def test_ranked_bars_are_proportional_and_long_text_is_truncated() -> None:
    long_text = "Suspected the database connection pool of the payments cluster in eu-west-1"
    found = sample_insights(
        misleading_paths=(
            PathCount("long", long_text, 4, 2, ("INC-1", "INC-2"), NOW),
            PathCount("dns", "DNS", 1, 1, ("INC-3",), NOW),
        )
    )
    svg = svg_of(rendered(found)["misleading_paths"])

    rows = svg.findall(f"{SVG}g")
    assert len(rows) == 2
    widths = [float(row.find(f"{SVG}rect").get("width", 0)) for row in rows]  # type: ignore[union-attr]
    assert widths[0] == pytest.approx(4 * widths[1], abs=0.2)
    label = rows[0].findall(f"{SVG}text")[0].text or ""
    assert label.endswith("…") and len(label) <= charts.WIDE.label_chars
    assert long_text in (rows[0].find(f"{SVG}title").text or "")  # type: ignore[union-attr]


def test_user_text_in_a_misleading_path_is_escaped() -> None:
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    found = sample_insights(
        misleading_paths=(PathCount("x", hostile, 2, 1, ("INC-1",), NOW),),
        alert_sources=(AlertSourceCount("generic", hostile, 1, 1, ("INC-1",), NOW),),
    )
    markup = render_insight_charts(Renderer(), found)

    for key in ("misleading_paths", "alert_sources"):
        html = str(markup[key])
        assert "<script" not in html and "<img" not in html
        assert "&lt;script&gt;" in html
        figure = ET.fromstring(html)
        tags = {element.tag.split("}")[-1] for element in figure.iter()}
        assert not tags & {"script", "img", "image"}
        # The text is shown as itself, in the tooltip and in the table.
        assert hostile in "".join(figure.itertext())


async def test_hostile_text_from_the_record_comes_out_escaped(
    engine: AsyncEngine, record: Record
) -> None:
    async with session_scope(engine) as session:
        # As Slack sends it: & < > escaped in the message text.
        text = "&lt;img src=x onerror=alert(1)&gt; &lt;script&gt;x&lt;/script&gt;"
        session.add(entry(record.incidents[1], TimelineKind.MISLEADING, text, at(3, 18, 12)))
        await session.commit()
    found = await load(engine, record.visible())
    html = str(render_insight_charts(Renderer(), found)["misleading_paths"])

    assert "<img" not in html and "<script" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    ET.fromstring(html)


def test_charts_without_data_say_so() -> None:
    zero = dict.fromkeys(("SEV1", "SEV2", "SEV3", "SEV4"), 0)
    base = sample_insights()
    found = sample_insights(
        incidents=0,
        weeks=tuple(WeekCount(week.start, dict(zero)) for week in base.weeks),
        months=tuple(
            MonthTimes(m.start, 0, dict.fromkeys(("acknowledge", "resolve"), Median(None, 0)))
            for m in base.months
        ),
        misleading_paths=(),
        alert_sources=(),
        misleading_entries=0,
        alerts=0,
    )
    figures = rendered(found)

    messages = {
        "weekly": "No incidents were declared from Oct 1, 2023 to Mar 31, 2024.",
        "acknowledge": "No incidents were declared from Oct 1, 2023 to Mar 31, 2024.",
        "resolve": "No incidents were declared from Oct 1, 2023 to Mar 31, 2024.",
        "misleading_paths": "No misleading path was noted",
        "alert_sources": "No alert belongs to the incidents",
    }
    for key, figure in figures.items():
        # No empty frame: the message alone, as text that wraps on a phone.
        assert figure.find(f"{SVG}svg") is None and figure.find("details") is None
        empty = figure.find("p")
        assert empty is not None and (empty.text or "").startswith(messages[key])


def test_months_without_measurable_incidents_say_why() -> None:
    base = sample_insights()
    found = sample_insights(
        months=tuple(
            MonthTimes(m.start, 1, dict.fromkeys(("acknowledge", "resolve"), Median(None, 0)))
            for m in base.months
        )
    )
    empty = rendered(found)["resolve"].find("p")
    assert empty is not None and empty.text == (
        "None of the 6 incidents declared from Oct 1, 2023 to Mar 31, 2024 has the milestones "
        "its time to resolve is measured between."
    )


@pytest.mark.parametrize(
    ("largest", "integer", "scale"),
    [
        (7, True, (8, 2)),
        (23, True, (25, 5)),
        (1, True, (1, 1)),
        (0, True, (1, 1)),
        (150, False, (150, 50)),
        (0.9, False, (1, 0.2)),
        (3.2, False, (4, 1)),
        (11, False, (12.5, 2.5)),
    ],
)
def test_axes_end_on_round_numbers(
    largest: float, integer: bool, scale: tuple[float, float]
) -> None:
    found = nice_scale(largest, integer=integer)
    assert (found.maximum, found.step) == scale


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (timedelta(seconds=20), ("minutes", "0.3")),
        (45 * M, ("minutes", "45")),
        (90 * M, ("hours", "1.5")),
        (36 * H, ("hours", "36")),
        (60 * H, ("days", "2.5")),
        (None, ("", "")),
    ],
)
def test_each_median_is_labelled_in_the_unit_that_suits_it(
    value: timedelta | None, label: tuple[str, str]
) -> None:
    assert charts.duration_label(value) == label


def test_a_duration_axis_is_in_minutes_hours_or_days() -> None:
    assert charts.duration_unit(119 * M) == ("minutes", 60)
    assert charts.duration_unit(2 * H) == ("hours", 3600)
    assert charts.duration_unit(72 * H) == ("days", 86400)


def test_truncate() -> None:
    assert truncate("short", 10) == "short"
    assert truncate("a  much\nlonger text", 10) == "a much lo…"
