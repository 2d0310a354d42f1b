"""Times typed about a past incident without their date are read on the incident's days, in
its zone: the nearest such time to the incident's span, refused when two
days fit equally or none does; a time with its date is read as typed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.record.incident.typed_times import incident_span, read_incident_time
from bot.record.moments import MomentRefused, parse_in_span, without_date
from bot.store.models import Incident

PARIS = "Europe/Paris"
# A week after the incident: "today" is not one of its days.
NOW = datetime(2023, 11, 14, 16, 0, tzinfo=UTC)


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def _read(text: str, start: datetime, end: datetime, zone: str = PARIS) -> datetime:
    return parse_in_span(text, zone=zone, start=start, end=end, now=NOW)


@pytest.mark.parametrize("typed", ["08:45", "8:45", "8:45 am", "0845", " 08:45 ", "08:45 CET"])
def test_a_bare_time_is_the_incidents_day_in_its_zone(typed: str) -> None:
    # Tue 7 Nov 2023, 08:33 to 09:30 in Paris (CET, UTC+1): 08:45 is 07:45 UTC that day.
    assert _read(typed, _utc(2023, 11, 7, 7, 33), _utc(2023, 11, 7, 8, 30)) == _utc(
        2023, 11, 7, 7, 45
    )


def test_a_time_shortly_before_detection_is_the_same_day() -> None:
    # The impact started before anyone noticed it: within the slack, the same morning.
    assert _read("08:05", _utc(2023, 11, 7, 9, 0), _utc(2023, 11, 7, 10, 0)) == _utc(
        2023, 11, 7, 7, 5
    )


def test_an_incident_across_midnight_takes_each_time_on_its_own_day() -> None:
    start, end = _utc(2023, 11, 7, 22, 30), _utc(2023, 11, 8, 1, 30)  # 23:30 .. 02:30 Paris
    assert _read("23:50", start, end) == _utc(2023, 11, 7, 22, 50)
    assert _read("01:10", start, end) == _utc(2023, 11, 8, 0, 10)


def test_daylight_saving_is_the_zones_on_the_incidents_day() -> None:
    # Summer in Paris is CEST (UTC+2), whatever the zone's offset is today.
    assert _read("10:00", _utc(2023, 7, 4, 7, 0), _utc(2023, 7, 4, 9, 0)) == _utc(2023, 7, 4, 8, 0)
    # The night the clocks go back: 02:30 happens twice, and is refused as such.
    with pytest.raises(MomentRefused) as refused:
        _read("02:30", _utc(2023, 10, 29, 0, 0), _utc(2023, 10, 29, 2, 0))
    assert refused.value.reason == "ambiguous_local_time"


def test_two_days_that_fit_equally_are_refused() -> None:
    # An incident of three days: 08:45 is inside it on two of them at least.
    with pytest.raises(MomentRefused) as refused:
        _read("08:45", _utc(2023, 11, 6, 6, 0), _utc(2023, 11, 8, 20, 0))
    assert refused.value.reason == "ambiguous_day"
    assert refused.value.context["choices"] == ["2023-11-06 08:45", "2023-11-07 08:45"]


def test_a_time_far_from_the_incident_is_refused() -> None:
    with pytest.raises(MomentRefused) as refused:
        _read("20:00", _utc(2023, 11, 7, 7, 0), _utc(2023, 11, 7, 8, 0))
    assert refused.value.reason == "outside_span"


def test_a_time_with_its_date_is_read_as_typed() -> None:
    start, end = _utc(2023, 11, 7, 7, 0), _utc(2023, 11, 7, 8, 0)
    assert _read("2023-11-05 20:00", start, end) == _utc(2023, 11, 5, 19, 0)
    assert not without_date("2023-11-05 20:00") and without_date("8:45 pm")


def test_the_span_is_the_incidents_record() -> None:
    incident = Incident(
        team_id="T1",
        number=1,
        declared_by="U1",
        title="Checkout errors",
        timezone=PARIS,
        declared_at=_utc(2023, 11, 7, 7, 40),
        detected_at=_utc(2023, 11, 7, 7, 33),
        resolved_at=_utc(2023, 11, 7, 9, 0),
    )
    assert incident_span(incident, NOW) == (_utc(2023, 11, 7, 7, 33), _utc(2023, 11, 7, 9, 0))
    assert read_incident_time("08:45", incident, NOW) == _utc(2023, 11, 7, 7, 45)
