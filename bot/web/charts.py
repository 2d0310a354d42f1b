"""Charts of the insights page, drawn on the server as inline SVG: no script, no asset.

``build_charts`` turns ``Insights`` into geometry (scales, bars, ticks, legends) with pure
functions; the templates in ``templates/web/charts/`` draw it and hold every word a person
reads. ``render_insight_charts`` is the one entry point a page calls.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from dateutil import tz
from markupsafe import Markup

from bot.basics.render import Renderer
from bot.record.incident.milestones import IncidentMetric, Surface, metrics_on
from bot.record.insights.counts import (
    OTHER_SEVERITY,
    AlertSourceCount,
    Insights,
    Median,
    MonthTimes,
    PathCount,
    WeekCount,
)
from bot.store.models import SEVERITIES

# Each chart is drawn twice, each for the screens it suits (CSS shows one): wide, 640 units
# scaled to the page's width; and narrow, 320 units with larger text, for phones, where a
# 375 px screen leaves about 310 px for it: its 13-unit text stays above 12 px there.
ROW_HEIGHT = 40
ROW_LABEL_WIDTH = 270.0  # the text column left of horizontal bars (wide)
ROW_VALUE_ROOM = 44.0  # right of the longest bar, for its count
LABEL_CHARS = 34  # what fits in the text column at the labels' font size
NOTE_CHARS = 44
MIN_LABEL_SPACING = 48.0  # below this, only every n-th column is labelled
# Okabe & Ito's palette, told apart with every common colour-vision deficiency.
SEVERITY_COLOURS = {
    "SEV1": "#D55E00",  # vermillion
    "SEV2": "#E69F00",  # orange
    "SEV3": "#56B4E9",  # sky blue
    "SEV4": "#999999",  # grey
    OTHER_SEVERITY: "#CC79A7",  # reddish purple
}
# Each median chart's own colour, in the order Insights shows them (the rows of METRICS that
# name its charts): blue, a dark orange that keeps 3:1 against white, a bluish green, a
# reddish purple.
MEDIAN_COLOURS = ("#0072B2", "#B35806", "#00785A", "#A8457E")
RANK_COLOURS = {"misleading_paths": "#0072B2", "alert_sources": "#009E73"}
# The unit of a duration axis, picked by its largest median: (unit, seconds, below this many).
Units = tuple[tuple[str, int, int | None], ...]
AXIS_UNITS: Units = (("minutes", 60, 2 * 3600), ("hours", 3600, 72 * 3600), ("days", 86400, None))
# The unit of one median's label: ``45 min``, ``1 h``, ``36 h``, ``2.5 d``.
LABEL_UNITS: Units = (("minutes", 60, 3600), ("hours", 3600, 48 * 3600), ("days", 86400, None))
WEEKLY_TEMPLATE = "web/charts/weekly_by_severity.html.j2"
MEDIANS_TEMPLATE = "web/charts/monthly_medians.html.j2"
RANK_TEMPLATES = {
    "misleading_paths": "web/charts/misleading_paths.html.j2",
    "alert_sources": "web/charts/alert_sources.html.j2",
}


# -- geometry ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(frozen=True)
class Layout:
    """How big a chart is drawn, and how large its text: one for wide screens, one for phones."""

    name: str  # wide | narrow: the SVG's class, which the stylesheet shows or hides
    width: int
    height: int  # of the column charts
    plot: Box  # the column charts' plotting area (the weekly chart's top moves below its legend)
    font: int  # every text, in the SVG's units
    char: float  # about one character's width at ``font``, to know what fits
    min_label_spacing: float  # below this, only every n-th column is labelled
    bar_labels_from: float  # a column narrower than this leaves its number to the table
    row_height: float  # ranked bars
    row_label_width: float  # the text column left of ranked bars; 0: the text is above them
    label_chars: int
    note_chars: int

    @property
    def id_suffix(self) -> str:
        return "" if self.name == "wide" else f"-{self.name}"

    def label_at(self, centre: float, chars: int) -> tuple[float, str]:
        """Where a label of ``chars`` characters under a column goes, and its anchor: centred
        on the column, unless that would cut it off at the chart's right edge."""
        if centre + chars * self.char / 2 > self.width - 2:
            return float(self.width - 2), "end"
        return centre, "middle"


WIDE = Layout(
    "wide", 640, 300, Box(52.0, 40.0, 628.0, 252.0), 12, 6.8, MIN_LABEL_SPACING, 0.0,
    ROW_HEIGHT, ROW_LABEL_WIDTH, LABEL_CHARS, NOTE_CHARS,
)  # fmt: skip
NARROW = Layout(
    "narrow", 320, 300, Box(40.0, 44.0, 312.0, 244.0), 13, 7.4, 52.0, 34.0,
    58.0, 0.0, 40, 40,
)  # fmt: skip
LAYOUTS = (WIDE, NARROW)


@dataclass(frozen=True)
class Tick:
    value: float
    position: float  # y on a vertical axis
    label: str
    label_y: float


@dataclass(frozen=True)
class Scale:
    """A linear axis from 0 to a round ``maximum``, in steps of a round ``step``."""

    maximum: float
    step: float

    def length(self, value: float, extent: float) -> float:
        return _round(extent * value / self.maximum) if self.maximum else 0.0

    def ticks(self, box: Box, font: int = 12) -> tuple[Tick, ...]:
        count = round(self.maximum / self.step)
        values = [self.step * index for index in range(count + 1)]
        positions = [_round(box.bottom - self.length(value, box.height)) for value in values]
        return tuple(
            Tick(value, position, number(value), _round(position + font * 0.36))
            for value, position in zip(values, positions, strict=True)
        )


@dataclass(frozen=True)
class LegendItem:
    series: str
    colour: str
    x: float  # the swatch's left
    y: float  # the text's baseline
    swatch_y: float
    text_x: float


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Segment:
    """One severity's part of a week's bar."""

    series: str
    value: int
    colour: str
    rect: Rect


@dataclass(frozen=True)
class WeekColumn:
    week: WeekCount
    centre: float
    top: float  # where the stack ends
    total_y: float  # the baseline of the total written above it
    segments: tuple[Segment, ...]
    labelled: bool  # whether the date is written under it (crowded axes skip some)
    show_year: bool
    label_x: float  # the date's x, and its anchor (the last column's may end at the edge)
    label_anchor: str


@dataclass(frozen=True)
class WeeklyChart:
    layout: Layout
    width: int
    height: int
    plot: Box
    ticks: tuple[Tick, ...]
    columns: tuple[WeekColumn, ...]
    legend: tuple[LegendItem, ...]
    series: tuple[str, ...]  # SEV1..SEV4, and ``other`` when a week has one
    totals: dict[str, int]  # per series, over all the weeks
    total: int
    bar_labels: bool  # every column is wide enough for its total (else the labelled ones)

    @property
    def empty(self) -> bool:
        return self.total == 0


@dataclass(frozen=True)
class MedianBar:
    median: Median
    value: float | None  # in the chart's unit
    label: str  # the value as written above the bar, in ``label_unit``
    label_unit: str  # minutes | hours | days: the one that suits this value
    rect: Rect
    label_x: float
    label_y: float


@dataclass(frozen=True)
class MonthColumn:
    month: MonthTimes
    centre: float
    bar: MedianBar
    labelled: bool  # whether the month is written under it (crowded axes skip some)
    show_year: bool
    label_x: float  # the month's x, and its anchor (the last column's may end at the edge)
    label_anchor: str


@dataclass(frozen=True)
class MedianChart:
    """One median time per month (to acknowledge, or to resolve), on an axis of its own:
    on a shared one, minutes to acknowledge were slivers beside hours to resolve."""

    layout: Layout
    metric: IncidentMetric  # its row of METRICS: its words, its short name (``series``)
    colour: str
    width: int
    height: int
    plot: Box
    unit: str  # minutes | hours | days
    ticks: tuple[Tick, ...]
    columns: tuple[MonthColumn, ...]
    bar_labels: bool  # the columns are wide enough for their numbers
    measured: int  # incidents behind all the medians

    @property
    def series(self) -> str:
        """Its key among the page's charts: its metric's short name (``acknowledge``)."""
        return self.metric.short

    @property
    def empty(self) -> bool:
        return all(column.bar.value is None for column in self.columns)


@dataclass(frozen=True)
class RankRow:
    """One horizontal bar: a label (truncated to fit; the full text goes in a tooltip)."""

    item: PathCount | AlertSourceCount
    label: str
    short: str
    references: str  # the incidents' references, truncated to fit
    value: int
    rect: Rect
    label_y: float
    note_y: float
    value_x: float


@dataclass(frozen=True)
class RankChart:
    layout: Layout
    width: int
    height: int
    colour: str
    rows: tuple[RankRow, ...]

    @property
    def empty(self) -> bool:
        return not self.rows


@dataclass(frozen=True)
class InsightCharts:
    weekly: WeeklyChart
    medians: tuple[MedianChart, ...]  # a chart a metric, as METRICS names Insights' charts
    misleading_paths: RankChart
    alert_sources: RankChart

    def by_key(self) -> dict[str, WeeklyChart | MedianChart | RankChart]:
        """Every chart by its key, in page order: ``weekly``, each metric's (its short name:
        ``acknowledge``), ``misleading_paths``, ``alert_sources``."""
        return {
            "weekly": self.weekly,
            **{chart.series: chart for chart in self.medians},
            "misleading_paths": self.misleading_paths,
            "alert_sources": self.alert_sources,
        }


# -- building ------------------------------------------------------------------------------
def build_charts(insights: Insights, layout: Layout = WIDE) -> InsightCharts:
    """Lay out every chart of the insights page."""
    return InsightCharts(
        weekly=weekly_chart(insights.weeks, layout),
        medians=tuple(
            median_chart(insights.months, metric, MEDIAN_COLOURS[index], layout)
            for index, metric in enumerate(metrics_on(Surface.INSIGHTS_MONTHS))
        ),
        misleading_paths=rank_chart(
            [(path, path.text, path.count) for path in insights.misleading_paths],
            RANK_COLOURS["misleading_paths"],
            layout,
        ),
        alert_sources=rank_chart(
            [(source, source.name, source.alerts) for source in insights.alert_sources],
            RANK_COLOURS["alert_sources"],
            layout,
        ),
    )


# What the legend writes for a series, when it is longer than the series' key.
LEGEND_TEXT_CHARS = {OTHER_SEVERITY: 14}


def weekly_chart(weeks: Sequence[WeekCount], layout: Layout = WIDE) -> WeeklyChart:
    """Stacked bars of incidents per week, SEV1 at the bottom."""
    series = SEVERITIES + ((OTHER_SEVERITY,) if any(week.other for week in weeks) else ())
    key = legend(series, SEVERITY_COLOURS, layout)
    # The plot starts below the legend (two rows of it on a phone), and the totals above it.
    legend_bottom = max(item.y for item in key)
    plot = replace(layout.plot, top=max(layout.plot.top, legend_bottom + layout.font + 10))
    scale = nice_scale(max((week.total for week in weeks), default=0), integer=True)
    slot = plot.width / max(len(weeks), 1)
    every = label_every(len(weeks), slot, layout.min_label_spacing)
    columns, year_shown = [], 0
    for index, week in enumerate(weeks):
        bar_x, bar_width = plot.left + slot * index + slot * 0.15, slot * 0.7
        top, segments = plot.bottom, []
        for severity in series:
            value = week.other if severity == OTHER_SEVERITY else week.counts[severity]
            if not value:
                continue
            height = scale.length(value, plot.height)
            top = _round(top - height)
            rect = Rect(_round(bar_x), top, _round(bar_width), height)
            segments.append(Segment(severity, value, SEVERITY_COLOURS[severity], rect))
        labelled = (len(weeks) - 1 - index) % every == 0
        # The year under the first labelled column, and under the first of each new year.
        show_year = labelled and week.start.year != year_shown
        year_shown = week.start.year if show_year else year_shown
        centre = _round(bar_x + bar_width / 2)
        label_x, label_anchor = layout.label_at(centre, len("Sep 30"))
        columns.append(
            WeekColumn(
                week=week,
                centre=centre,
                label_x=label_x,
                label_anchor=label_anchor,
                top=top,
                total_y=_round(top - 4),
                segments=tuple(segments),
                labelled=labelled,
                show_year=show_year,
            )
        )
    return WeeklyChart(
        layout=layout,
        width=layout.width,
        height=layout.height,
        plot=plot,
        ticks=scale.ticks(plot, layout.font),
        columns=tuple(columns),
        legend=key,
        series=series,
        totals={name: _series_total(weeks, name) for name in series},
        total=sum(week.total for week in weeks),
        bar_labels=slot >= 2 * layout.font,
    )


def _series_total(weeks: Sequence[WeekCount], series: str) -> int:
    if series == OTHER_SEVERITY:
        return sum(week.other for week in weeks)
    return sum(week.counts[series] for week in weeks)


def median_chart(
    months: Sequence[MonthTimes], metric: IncidentMetric, colour: str, layout: Layout = WIDE
) -> MedianChart:
    """A bar a month: the median of ``metric`` (time to acknowledge, time to resolve), on an
    axis in the unit that suits its own longest median."""
    plot = layout.plot
    medians = [month.medians[metric.short] for month in months]
    longest = max((m.value for m in medians if m.value is not None), default=timedelta(0))
    unit, seconds = duration_unit(longest)
    scale = nice_scale(longest.total_seconds() / seconds)
    slot = plot.width / max(len(months), 1)
    every = label_every(len(months), slot, layout.min_label_spacing)
    bar_width = slot * 0.6
    columns, year_shown = [], 0
    for index, (month, median) in enumerate(zip(months, medians, strict=True)):
        x = _round(plot.left + slot * index + slot * 0.2)
        value = None if median.value is None else median.value.total_seconds() / seconds
        height = scale.length(value or 0.0, plot.height)
        rect = Rect(x, _round(plot.bottom - height), _round(bar_width), height)
        label_unit, label = duration_label(median.value)
        bar = MedianBar(
            median=median,
            value=value,
            label=label,
            label_unit=label_unit,
            rect=rect,
            label_x=_round(x + bar_width / 2),
            label_y=_round(rect.y - 4),
        )
        labelled = (len(months) - 1 - index) % every == 0
        show_year = labelled and month.start.year != year_shown
        year_shown = month.start.year if show_year else year_shown
        centre = _round(x + bar_width / 2)
        label_x, label_anchor = layout.label_at(centre, len("2026"))
        columns.append(
            MonthColumn(
                month=month,
                centre=centre,
                label_x=label_x,
                label_anchor=label_anchor,
                bar=bar,
                labelled=labelled,
                show_year=show_year,
            )
        )
    return MedianChart(
        layout=layout,
        metric=metric,
        colour=colour,
        width=layout.width,
        height=layout.height,
        plot=plot,
        unit=unit,
        ticks=scale.ticks(plot, layout.font),
        columns=tuple(columns),
        bar_labels=slot >= layout.bar_labels_from,
        measured=sum(median.n for median in medians),
    )


def rank_chart(
    items: Sequence[tuple[PathCount | AlertSourceCount, str, int]],
    colour: str,
    layout: Layout = WIDE,
) -> RankChart:
    """Horizontal bars, most frequent on top: (item, its label, its count) each. Wide: the
    text left of the bars; narrow: the text above each bar, across the whole width."""
    longest = max((count for _, _, count in items), default=0)
    beside = layout.row_label_width > 0
    bar_left = layout.row_label_width if beside else 8.0
    extent = layout.width - bar_left - ROW_VALUE_ROOM
    rows = []
    for index, (item, label, count) in enumerate(items):
        top = 8.0 + index * layout.row_height
        width = _round(extent * count / longest) if longest else 0.0
        label_y, note_y = top + layout.font + 5, top + 2 * layout.font + 10
        bar_y = top + 4.0 if beside else note_y + 6
        rows.append(
            RankRow(
                item=item,
                label=label,
                short=truncate(label, layout.label_chars),
                references=truncate(", ".join(item.references), layout.note_chars),
                value=count,
                rect=Rect(bar_left, bar_y, width, 16.0 if beside else 12.0),
                label_y=label_y,
                note_y=note_y,
                value_x=_round(bar_left + width + 6.0),
            )
        )
    height = int(16 + len(rows) * layout.row_height)
    return RankChart(layout, layout.width, height, colour, tuple(rows))


# -- scales and text -----------------------------------------------------------------------
def nice_scale(largest: float, *, integer: bool = False, ticks: int = 5) -> Scale:
    """An axis from 0 past ``largest`` in about ``ticks`` steps of 1, 2, 2.5 or 5 x 10^n."""
    if largest <= 0:
        return Scale(1.0, 1.0) if integer else Scale(1.0, 0.2)
    raw = largest / ticks
    magnitude = 10.0 ** math.floor(math.log10(raw))
    factors = (1.0, 2.0, 5.0, 10.0) if integer else (1.0, 2.0, 2.5, 5.0, 10.0)
    step = next(f * magnitude for f in factors if f * magnitude >= raw * (1 - 1e-9))
    if integer:
        step = max(step, 1.0)
    steps = math.ceil(round(largest / step, 9))
    return Scale(_round(steps * step, 6), _round(step, 6))


def label_every(columns: int, slot: float, spacing: float = MIN_LABEL_SPACING) -> int:
    """Label every n-th column so the labels under a crowded axis do not overlap."""
    return max(1, math.ceil(spacing / slot)) if columns else 1


def duration_unit(longest: timedelta, units: Units = AXIS_UNITS) -> tuple[str, int]:
    """Minutes, hours or days: the unit that keeps the numbers readable."""
    total = longest.total_seconds()
    for unit, seconds, below in units:
        if below is None or total < below:
            return unit, seconds
    raise AssertionError("the last unit has no bound")


def duration_label(value: timedelta | None) -> tuple[str, str]:
    """A median as written on its bar, in the unit that suits it: ``("minutes", "42")``."""
    if value is None:
        return "", ""
    unit, seconds = duration_unit(value, LABEL_UNITS)
    return unit, short_number(value.total_seconds() / seconds)


def legend(
    series: Sequence[str], colours: dict[str, str], layout: Layout
) -> tuple[LegendItem, ...]:
    """A swatch and a name per series, left to right, onto a new row when one is full."""
    items, x, y = [], 8.0, 16.0
    for name in series:
        room = 14 + layout.char * LEGEND_TEXT_CHARS.get(name, len(name)) + 16
        if x > 8.0 and x + room > layout.width:
            x, y = 8.0, y + layout.font + 6
        items.append(LegendItem(name, colours[name], x, y, _round(y - 9), _round(x + 14)))
        x = _round(x + room)
    return tuple(items)


def number(value: float) -> str:
    """``3``, ``2.5``, ``0.25``: a tick's value without trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def short_number(value: float) -> str:
    """A bar's value: whole above 10, one decimal below (``42``, ``3.5``)."""
    return str(round(value)) if value >= 10 else number(round(value, 1))


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis saying so."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def _round(value: float, digits: int = 1) -> float:
    return round(value, digits)


# -- rendering -----------------------------------------------------------------------------
def render_insight_charts(
    renderer: Renderer,
    insights: Insights,
    *,
    id_prefix: str = "insights",
    captions: bool = False,
) -> dict[str, Markup]:
    """Render each chart as an HTML ``<figure>``: its SVG drawn wide and narrow (the
    stylesheet shows the one that suits the screen), then its numbers in a ``<table>``
    inside a ``<details>``.

    Keys, in page order: ``weekly``, each metric's of Insights' charts (its short name:
    ``acknowledge``, ``resolve``), ``misleading_paths``, ``alert_sources``. ``id_prefix``
    keeps the SVGs' element ids unique on the page; ``captions`` adds a visible
    ``<figcaption>`` title, for a page that gives the chart no heading of its own.
    """
    wide, narrow = (build_charts(insights, layout).by_key() for layout in LAYOUTS)
    zone = tz.gettz(insights.zone)
    abbreviation = insights.now.astimezone(zone).tzname() if zone else None
    return {
        key: Markup(
            renderer.render(
                _template(key),
                chart=chart,
                drawings=(chart, narrow[key]),
                insights=insights,
                id=f"{id_prefix}-{key.replace('_', '-')}",
                zone_abbreviation=abbreviation or insights.zone,
                captions=captions,
            )
        )
        for key, chart in wide.items()
    }


def _template(key: str) -> str:
    return WEEKLY_TEMPLATE if key == "weekly" else RANK_TEMPLATES.get(key, MEDIANS_TEMPLATE)


__all__ = [
    "InsightCharts",
    "Layout",
    "MedianChart",
    "RankChart",
    "WeeklyChart",
    "build_charts",
    "nice_scale",
    "render_insight_charts",
    "truncate",
]
