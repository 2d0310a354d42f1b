"""On call: the schedules file, how often iCal feeds are fetched, and from which hosts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.basics.addresses import allowed_hosts
from bot.config.reading import Feature, duration, problems_file, seconds, setting
from bot.record.oncall.feed_addresses import ALLOWED_HOSTS_ENV, feed_address_problems
from bot.record.oncall.schedules import NO_SCHEDULES, ScheduleError, Schedules, load_schedules

DEFAULT_ICAL_REFRESH = timedelta(minutes=15)
# Sooner than this would only load the calendar tools a team is leaving.
ICAL_REFRESH_MIN = timedelta(minutes=1)


def _load_schedules(path: Path) -> Schedules:
    return load_schedules(path, now=datetime.now(UTC))


@dataclass(frozen=True)
class OncallSettings(Feature):
    """Who is on call, and where their calendars come from."""

    # bot/record/oncall/schedules.py.
    schedules: Schedules = setting(
        env="WARROOM_ONCALL_SCHEDULES",
        default=NO_SCHEDULES,
        parse=problems_file(_load_schedules, ScheduleError),
        doc="path of the on-call schedule file (above)",
    )
    # How often each iCal layer's external feed is fetched again (bot/flows/oncall/ical_feeds.py).
    ical_refresh: timedelta = setting(
        env="WARROOM_ONCALL_ICAL_REFRESH",
        default=DEFAULT_ICAL_REFRESH,
        parse=duration(at_least=ICAL_REFRESH_MIN, note=" (a minute)"),
        doc="how often each iCal layer's feed is fetched again (`15m`, `1h`; at least `1m`)",
        shown="`15m`",
    )
    # Hosts an iCal feed may be fetched from over http:// or at a loopback, link-local or
    # private address: bot/record/oncall/feed_addresses.py.
    ical_allowed_hosts: frozenset[str] = setting(
        env=ALLOWED_HOSTS_ENV,
        default=frozenset(),
        parse=allowed_hosts,
        doc="hosts (comma-separated, whole names or IPs, no wildcards) an iCal feed may be "
        "fetched from over plain http:// or at a loopback, link-local or private address "
        "([Security](security.md))",
        shown="none",
    )
    # A feed is read in a worker process of its own (bot/basics/untrusted.py): thousands of
    # events take seconds, their repeats expanded; a hostile one would take forever.
    ical_parse_seconds: float = setting(
        env="WARROOM_ONCALL_ICAL_PARSE_SECONDS",
        default=120.0,
        parse=seconds,
        doc="seconds a worker process may take to read one iCal feed (0.1 to 3600); past it the "
        "feed is refused, the layer keeps its last good copy and the reason is noted",
        shown="`120`",
    )

    def problems(self) -> list[str]:
        """iCal feeds at addresses warroom does not fetch from unless allowed."""
        problems = [
            f"WARROOM_ONCALL_SCHEDULES: {problem}"
            for problem in feed_address_problems(
                self.schedules.by_name.values(), self.ical_allowed_hosts
            )
        ]
        if not 0.1 <= self.ical_parse_seconds <= 3600:
            problems.append(
                "WARROOM_ONCALL_ICAL_PARSE_SECONDS: must be between 0.1 and 3600 seconds"
            )
        return problems
