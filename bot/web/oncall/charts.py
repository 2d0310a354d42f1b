"""On-call drawings as inline SVG: a schedule's next days as a timeline, and hours on call
per person for the insights.

Pure geometry from the engine's shifts; the templates (``templates/web/charts/oncall_*``)
draw it and hold every word a person reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from itertools import pairwise

import numpy as np
from markupsafe import Markup

from bot.basics.render import Renderer
from bot.record.oncall.engine import Override, Shift, final_shifts, layer_shifts
from bot.record.oncall.hours import PersonHours, ScheduleHours
from bot.record.oncall.schedules import Schedule
from bot.record.oncall.zones import DAY, ZoneClock, instant_of, moment_of, wall_of
from bot.web.charts import NARROW, WIDE, Box, Layout, Rect, Tick, nice_scale, truncate

TIMELINE_WIDTH = 960
LABEL_WIDTH = 132.0  # the rows' names, left of the plot
TICKS_HEIGHT = 40.0  # the day ticks' labels, above the rows
ROW_HEIGHT = 34.0
BAR_HEIGHT = 24.0
CHAR_WIDTH = 7.2  # about one character of the bars' labels (12 px), to know what fits
LABEL_CHARS = 17  # what fits in the label column (12 px)
# Okabe & Ito's palette without its vermillion, kept for gaps; (fill, text on it).
PERSON_COLOURS = (
    ("#0072B2", "#ffffff"),
    ("#E69F00", "#1d1f23"),
    ("#009E73", "#ffffff"),
    ("#56B4E9", "#1d1f23"),
    ("#CC79A7", "#1d1f23"),
    ("#F0E442", "#1d1f23"),
    ("#999999", "#1d1f23"),
    ("#004D80", "#ffffff"),
)
GAP_COLOURS = ("#C62828", "#ffffff")


@dataclass(frozen=True)
class Bar:
    """One stretch of a row: a person's, several people's together (``overlap: all``), or
    nobody's (a gap, in the final row)."""

    users: tuple[str, ...]
    name: str  # the people's names, or "" for a gap
    start: datetime
    end: datetime
    rect: Rect
    fill: str
    ink: str
    label: str  # what fits inside the bar ("" when nothing does)
    label_x: float
    label_y: float

    @property
    def gap(self) -> bool:
        return not self.users


@dataclass(frozen=True)
class TimelineRow:
    kind: str  # layer | overrides | final
    name: str  # the layer's name ("" for the others)
    label: str  # the layer's name cut to fit
    y: float
    label_y: float
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class DayTick:
    day: date
    x: float
    label_x: float  # the middle of the day, when the day is wide enough for it


@dataclass(frozen=True)
class LegendEntry:
    users: tuple[str, ...]
    name: str
    fill: str


@dataclass(frozen=True)
class Timeline:
    """A schedule's final shifts, its layers and its overrides from ``start`` to ``end``."""

    schedule: Schedule
    zone: str  # the viewer's, which the ticks follow
    start: datetime
    end: datetime
    width: int
    height: int
    plot: Box
    rows: tuple[TimelineRow, ...]
    ticks: tuple[DayTick, ...]
    now_x: float | None
    legend: tuple[LegendEntry, ...]
    final: tuple[Shift, ...]  # the final row's shifts, gaps included

    @property
    def gaps(self) -> tuple[Shift, ...]:
        return tuple(shift for shift in self.final if not shift.users)


def local_midnights(zone: str, first: date, days: int) -> list[datetime]:
    """The first instant of each of ``days + 1`` days from ``first`` as ``zone``'s clocks read
    them (a midnight the clocks skip begins when they jump past it)."""
    first_wall = wall_of(datetime.combine(first, time()))
    walls = np.arange(first_wall, first_wall + (days + 1) * DAY, DAY, dtype=np.int64)
    clock = ZoneClock(zone, int(walls[0]) - 2 * DAY, int(walls[-1]) + 2 * DAY)
    return [moment_of(instant) for instant in clock.first_reaching(walls).tolist()]


def timeline(
    schedule: Schedule,
    overrides: Sequence[Override],
    *,
    zone: str,
    first_day: date,
    days: int,
    names: Mapping[str, str],
    now: datetime,
) -> Timeline:
    """Lay out ``days`` days from ``first_day`` (midnight to midnight in ``zone``): a row per
    layer, one for the overrides, and the final schedule, gaps in red."""
    midnights = local_midnights(zone, first_day, days)
    start, end = midnights[0], midnights[-1]
    plot = Box(LABEL_WIDTH, TICKS_HEIGHT, TIMELINE_WIDTH - 8.0, 0.0)
    x_of = _x_scale(start, end, plot)
    final = final_shifts(schedule, overrides, start, end)
    overridden = final_shifts(replace(schedule, layers=()), overrides, start, end)
    rows_shifts = [
        ("layer", layer.name, layer_shifts(schedule, layer, start, end))
        for layer in schedule.layers
    ]
    rows_shifts.append(("overrides", "", [s for s in overridden if s.users]))
    rows_shifts.append(("final", "", final))
    colours = _colours([final, *(shifts for _, _, shifts in rows_shifts)])
    rows = []
    for index, (kind, name, shifts) in enumerate(rows_shifts):
        y = TICKS_HEIGHT + index * ROW_HEIGHT
        bars = tuple(_bar(shift, y, x_of, colours, names) for shift in shifts)
        rows.append(TimelineRow(kind, name, truncate(name, LABEL_CHARS), y, y + 16.0, bars))
    bottom = TICKS_HEIGHT + len(rows) * ROW_HEIGHT
    plot = replace(plot, bottom=bottom)
    ticks = tuple(
        DayTick(first_day + timedelta(days=n), x_of(begin), x_of(begin + (finish - begin) / 2))
        for n, (begin, finish) in enumerate(pairwise(midnights))
    )
    return Timeline(
        schedule=schedule,
        zone=zone,
        start=start,
        end=end,
        width=TIMELINE_WIDTH,
        height=int(bottom + 8),
        plot=plot,
        rows=tuple(rows),
        ticks=ticks,
        now_x=x_of(now) if start <= now <= end else None,
        legend=tuple(
            LegendEntry(users, _names(users, names), fill) for users, (fill, _) in colours.items()
        ),
        final=tuple(final),
    )


def _x_scale(start: datetime, end: datetime, plot: Box) -> Callable[[datetime], float]:
    low, span = instant_of(start), instant_of(end) - instant_of(start)

    def x_of(moment: datetime) -> float:
        return _round(plot.left + plot.width * (instant_of(moment) - low) / span)

    return x_of


def _colours(rows: Iterable[Sequence[Shift]]) -> dict[tuple[str, ...], tuple[str, str]]:
    """A colour for each person, and for each group of people on call together (``overlap:
    all``), in the order they first appear (the final row's first)."""
    colours: dict[tuple[str, ...], tuple[str, str]] = {}
    for shifts in rows:
        for shift in shifts:
            if shift.users and shift.users not in colours:
                colours[shift.users] = PERSON_COLOURS[len(colours) % len(PERSON_COLOURS)]
    return colours


def _names(users: Sequence[str], names: Mapping[str, str]) -> str:
    """``Alice + Bob``: people on call together, by the names the record keeps."""
    return " + ".join(names.get(user, user) for user in users)


def _bar(
    shift: Shift,
    y: float,
    x_of: Callable[[datetime], float],
    colours: Mapping[tuple[str, ...], tuple[str, str]],
    names: Mapping[str, str],
) -> Bar:
    left, right = x_of(shift.start), x_of(shift.end)
    rect = Rect(left, _round(y + (ROW_HEIGHT - BAR_HEIGHT) / 2), _round(right - left), BAR_HEIGHT)
    if not shift.users:
        name, (fill, ink), text = "", GAP_COLOURS, "gap"
    else:
        name = _names(shift.users, names)
        (fill, ink), text = colours[shift.users], name
    fits = int((rect.width - 6) / CHAR_WIDTH)
    label = truncate(text, fits) if fits >= 3 else ""
    return Bar(
        users=shift.users,
        name=name,
        start=shift.start,
        end=shift.end,
        rect=rect,
        fill=fill,
        ink=ink,
        label=label,
        label_x=_round(left + rect.width / 2),
        label_y=_round(y + ROW_HEIGHT / 2 + 4),
    )


# -- hours on call, for the insights ------------------------------------------------------
HOURS_WIDTH = 640
HOURS_LABEL_WIDTH = 240.0
HOURS_VALUE_ROOM = 56.0
HOURS_ROW_HEIGHT = 54.0
HOURS_BAR_HEIGHT = 12.0
HOURS_SERIES = ("total", "nights", "weekends")
# Okabe & Ito: blue for all hours, reddish purple for nights, orange for weekends.
HOURS_COLOURS = {"total": "#0072B2", "nights": "#CC79A7", "weekends": "#E69F00"}


@dataclass(frozen=True)
class HoursBar:
    series: str  # total | nights | weekends
    hours: float
    rect: Rect
    value_x: float
    value_y: float


@dataclass(frozen=True)
class HoursRow:
    person: PersonHours
    name: str
    label: str  # the name cut to fit
    share: float  # of the schedule's covered time, 0 to 1
    label_y: float
    note_y: float
    bars: tuple[HoursBar, ...]


@dataclass(frozen=True)
class HoursKey:
    """One series in the legend: its swatch's left and its text's baseline."""

    series: str
    x: float
    y: float


@dataclass(frozen=True)
class HoursChart:
    """One schedule's people, most hours first, each with three bars on one hour scale."""

    hours: ScheduleHours
    layout: Layout  # wide: names left of the bars; narrow (phones): names above them
    width: int
    height: int
    plot: Box
    ticks: tuple[Tick, ...]
    rows: tuple[HoursRow, ...]
    colours: Mapping[str, str]
    legend: tuple[HoursKey, ...]
    value_font: int  # the hours written after each bar

    @property
    def empty(self) -> bool:
        return not self.rows


def hours_chart(
    hours: ScheduleHours, names: Mapping[str, str], layout: Layout = WIDE
) -> HoursChart:
    """Lay out one schedule's hours on call per person: on wide screens each name left of
    its three bars, on phones (``NARROW``) above them, the bars across the whole width."""
    beside = layout is not NARROW
    bar_height, bar_step = (HOURS_BAR_HEIGHT, HOURS_BAR_HEIGHT + 2) if beside else (12.0, 16.0)
    # Room above each row's bars: none beside the name, the name and its note above them.
    above = 6.0 if beside else 2 * layout.font + 18
    legend = tuple(
        HoursKey(series, 8.0 + index * 170, 15.0)
        if beside
        else HoursKey(series, 8.0, 16.0 + index * (layout.font + 6))
        for index, series in enumerate(HOURS_SERIES)
    )
    top = 24.0 if beside else legend[-1].y + 12
    row_height = HOURS_ROW_HEIGHT if beside else above + 3 * bar_step + 8
    plot = Box(
        HOURS_LABEL_WIDTH if beside else 8.0,
        top,
        layout.width - HOURS_VALUE_ROOM,
        top + len(hours.people) * row_height,
    )
    longest = max((_hours(person.total) for person in hours.people), default=0.0)
    scale = nice_scale(longest, integer=True)
    rows = []
    for index, person in enumerate(hours.people):
        y = top + index * row_height
        bars = []
        for number, series in enumerate(HOURS_SERIES):
            value = _hours(getattr(person, series))
            width = scale.length(value, plot.width)
            bar_y = _round(y + above + number * bar_step)
            rect = Rect(plot.left, bar_y, width, bar_height)
            value_y = _round(bar_y + bar_height - 1)
            bars.append(HoursBar(series, value, rect, _round(plot.left + width + 4), value_y))
        name = names.get(person.user, person.user)
        rows.append(
            HoursRow(
                person=person,
                name=name,
                label=truncate(name, 30),
                share=hours.share(person),
                label_y=_round(y + 18),
                note_y=_round(y + 34 if beside else y + 2 * layout.font + 10),
                bars=tuple(bars),
            )
        )
    ticks = tuple(
        replace(tick, position=_round(plot.left + scale.length(tick.value, plot.width)))
        for tick in scale.ticks(plot)
    )
    return HoursChart(
        hours=hours,
        layout=layout,
        width=layout.width,
        height=int(plot.bottom + 8),
        plot=plot,
        # The grid would cross the names written above the bars on a phone.
        ticks=ticks if beside else (),
        rows=tuple(rows),
        colours=HOURS_COLOURS,
        legend=legend,
        value_font=layout.font,  # 12 units at least: text under 12 px is refused
    )


def _hours(value: timedelta) -> float:
    return round(value / timedelta(hours=1), 1)


def _round(value: float, digits: int = 1) -> float:
    return round(value, digits)


def render_hours_charts(
    renderer: Renderer, schedules: Sequence[ScheduleHours], names: Mapping[str, str], days: int
) -> list[Markup]:
    """Each schedule's hours on call as an HTML ``<figure>``: its SVG and its numbers."""
    return [
        Markup(
            renderer.render(
                "web/charts/oncall_hours.html.j2",
                chart=hours_chart(hours, names),
                drawings=(hours_chart(hours, names), hours_chart(hours, names, NARROW)),
                days=days,
                id=f"oncall-hours-{hours.schedule}",
            )
        )
        for hours in schedules
    ]
