"""GET /insights: the headline numbers of a period against the previous one, the Paging panel
(the last 7 and 30 days of pages, and the latest drill), on-call load for the workspace's
members (bot/record/alerting/load.py), then the charts and tables, every one
of them over the period and severities the filters chose.

The filters are GET parameters, so a view can be bookmarked and shared:

- ``period``: the last 30, 90 (the default) or 365 days, today included;
- ``from`` and ``to``: days (YYYY-MM-DD, in warroom's time zone, both included), instead of
  ``period`` when given;
- ``severity``: repeatable, SEV1 to SEV4; none is every severity.

A value that cannot be used is a 400 page saying which and why (FilterError), never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from aiohttp import web
from dateutil import tz
from multidict import MultiDict

from bot.record.alerting.load import oncall_load
from bot.record.incident.queries import IncidentQuery, IncidentSummary
from bot.record.insights.counts import Period, load_insights, zone_of
from bot.record.insights.proposals import helper_figures
from bot.record.paging.service import paging_figures
from bot.record.people import known_names
from bot.record.postmortem.figures import figures_of
from bot.store.db import session_scope
from bot.store.models import SEVERITIES
from bot.web.auth import csrf_token, page_viewer, with_session
from bot.web.charts import render_insight_charts
from bot.web.context import web_context
from bot.web.filters import FilterError, QueryString
from bot.web.oncall.charts import render_hours_charts
from bot.web.oncall.reading import hours_for, schedules_for
from bot.web.pages_common import render_page
from bot.web.reading import all_incidents_for, team_of

PERIODS = (30, 90, 365)
DEFAULT_PERIOD = 90
# Ten years: a range the charts can still draw a bar a month for.
LONGEST_RANGE = 3660


@dataclass(frozen=True)
class InsightFilters:
    """What the page counts: declared in ``period`` (days in the zone), of ``severities``."""

    period: Period
    days: int | None  # the preset (30, 90, 365), or None for a from-to range
    severities: tuple[str, ...]  # none: every severity

    def form(self) -> dict[str, object]:
        """What the filter form shows again."""
        custom = self.days is None
        return {
            "period": "" if custom else str(self.days),
            "from": self.period.start.isoformat() if custom else "",
            "to": (self.period.end - timedelta(days=1)).isoformat() if custom else "",
            "severities": self.severities,
        }


def parse_insight_filters(query: QueryString, *, today: date) -> InsightFilters:
    """The page's filters from its query string; FilterError names what is wrong."""
    severities = tuple(
        dict.fromkeys(s.strip().upper() for s in query.getall("severity", []) if s.strip())
    )
    wrong = [s for s in severities if s not in SEVERITIES]
    if wrong:
        raise FilterError(
            f"Unknown severity {wrong[0][:40]!r}: use one of {', '.join(SEVERITIES)}.",
            "severity",
        )
    days = _period_days(query.get("period"))  # checked even when the dates replace it
    start, end = _day(query.get("from"), "from"), _day(query.get("to"), "to")
    if start or end:
        return InsightFilters(_range(start, end), None, severities)
    last = Period(today - timedelta(days=days - 1), today + timedelta(days=1))
    return InsightFilters(last, days, severities)


def sent_form(query: QueryString) -> dict[str, object]:
    """The filter form as it was sent (a refused one is shown again as typed)."""
    return {
        # The period the numbers are then over, unless another was sent.
        "period": query.get("period", str(DEFAULT_PERIOD)),
        "from": query.get("from", ""),
        "to": query.get("to", ""),
        "severities": tuple(s.strip().upper() for s in query.getall("severity", [])),
    }


def _period_days(value: str | None) -> int:
    if value is None or not value.strip():
        return DEFAULT_PERIOD
    if value.strip() in {str(days) for days in PERIODS}:
        return int(value)
    raise FilterError(
        f"The period must be {', '.join(map(str, PERIODS[:-1]))} or {PERIODS[-1]} (days),"
        " or give from and to dates instead.",
        "period",
    )


def _range(start: date | None, end: date | None) -> Period:
    if start is None or end is None:
        raise FilterError(
            "Give both a from and a to date (2026-03-14), or a period.",
            "from" if start is None else "to",
        )
    if end < start:
        raise FilterError(f"The to date ({end}) is before the from date ({start}).", "to")
    if (end - start).days + 1 > LONGEST_RANGE:
        raise FilterError(f"The dates are more than {LONGEST_RANGE} days apart.", "to")
    return Period(start, end + timedelta(days=1))


def _day(value: str | None, name: str) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        day = datetime.strptime(value.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise FilterError(f"The {name} date must be a day such as 2026-03-14.", name) from None
    # The previous period needs days before it, and the charts' months an end after it.
    if not 1970 <= day.year <= 9000:
        raise FilterError(f"The {name} date must be a day such as 2026-03-14.", name)
    return day


def _utc(day: date, zone: str) -> datetime:
    """The start of a day in the zone, in UTC."""
    return datetime.combine(day, time(0), tzinfo=tz.gettz(zone)).astimezone(UTC)


def _in_period(
    incidents: list[IncidentSummary], period: Period, zone: str
) -> list[IncidentSummary]:
    """The incidents declared on the period's days in the zone (the standard library's
    zone, converted in C: thousands of incidents a page)."""
    local = zone_of(zone)
    return [i for i in incidents if period.holds(i.declared_at.astimezone(local).date())]


async def insights_page(request: web.Request) -> web.Response:
    """GET /insights: trends over the incidents the viewer may see, drawn as inline SVG."""
    web_ = web_context(request)
    viewer = with_session(request, page_viewer(request))
    csrf = csrf_token(request, viewer)
    zone = web_.settings.incidents.timezone
    now = web_.services.clock()
    today = now.astimezone(tz.gettz(zone)).date()
    try:
        filters = parse_insight_filters(request.query, today=today)
        refused: FilterError | None = None
    except FilterError as error:
        # The page again over the default period, the form as it was sent, the words at
        # the field they are about: 400.
        filters, refused = parse_insight_filters(MultiDict(), today=today), error
    team_id = await team_of(request, web_, viewer)
    # The previous period too: the headline's changes are against it.
    query = IncidentQuery(
        team_id=team_id,
        severities=filters.severities,
        since=_utc(filters.period.previous.start, zone),
        until=_utc(filters.period.end, zone),
    )
    visible = await all_incidents_for(web_, viewer, query)
    async with session_scope(web_.services.engine) as session:
        insights = await load_insights(
            session,
            visible,
            figures=await figures_of(session, visible),
            now=now,
            zone=zone,
            custom=list(web_.settings.incidents.types.fields.values()),
            period=filters.period,
        )
        paging = await paging_figures(session, now=now)
        helpers = await helper_figures(
            session, _in_period(visible, filters.period, zone), zone=zone
        )
        # On-call load: the workspace's members only (who was paged, and when).
        load = None
        if not viewer.guest:
            load = await oncall_load(
                session,
                since=_utc(filters.period.start, zone),
                until=min(now, _utc(filters.period.end, zone)),
                zone=zone,
            )
        load_names = await known_names(session, [p.user_id for p in load.people] if load else [])
    # Hours on call over the same days, up to now (the rota's future is not hours worked):
    # the last 30, 90 or 365 days to this hour; or the days of a range.
    until = min(now, _utc(filters.period.end, zone))
    days = filters.days or max(1, (until - _utc(filters.period.start, zone)).days)
    oncall = await hours_for(web_, await schedules_for(web_, viewer), until, days)
    return render_page(
        request,
        "web/insights.html.j2",
        viewer=viewer,
        csrf=csrf,
        insights=insights,
        filters=filters,
        chosen=filters.form() if refused is None else sent_form(request.query),
        refused=refused,
        status=200 if refused is None else 400,
        periods=PERIODS,
        severities=SEVERITIES,
        charts=render_insight_charts(web_.services.renderer, insights),
        paging=paging,
        helpers=helpers,
        load=load,
        load_names=load_names,
        oncall_days=oncall.days,
        oncall_charts=render_hours_charts(
            web_.services.renderer, oncall.schedules, oncall.names, oncall.days
        ),
    )
