"""Properties of bot/store/columns.py: a moment or day read back from the database is the same
moment in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from bot.store.columns import in_utc, utc_from_database


@given(st.datetimes())
def test_a_moment_read_from_the_database_is_the_same_moment_in_utc(moment: datetime) -> None:
    """The arithmetic that makes a naive UTC datetime aware (``in_utc``) keeps every field."""
    aware = in_utc(moment)
    assert aware == moment.replace(tzinfo=UTC) and aware.tzinfo is UTC
    assert aware.replace(tzinfo=None) == moment


@given(
    st.datetimes(datetime(2, 1, 1), datetime(9998, 12, 31)),  # a UTC moment for every offset
    st.sampled_from([None, UTC, timezone(timedelta(hours=-5, minutes=-30))]),
)
def test_a_moment_read_raw_from_the_database_is_the_same_moment_in_utc(
    moment: datetime, zone: timezone | None
) -> None:
    """``utc_from_database`` of what SQLite hands back (text, as ``UTCDateTime`` stores it:
    naive UTC; or with an offset) and of what PostgreSQL does (a datetime) is the moment in UTC."""
    expected = moment.replace(tzinfo=zone or UTC)
    for raw in (moment.replace(tzinfo=zone).isoformat(" "), moment.replace(tzinfo=zone)):
        read = utc_from_database(raw)
        assert read == expected and read.tzinfo is UTC


@given(st.dates(date(2, 1, 1), date(9998, 12, 31)))
def test_a_day_read_raw_from_the_database_is_its_midnight_in_utc(day: date) -> None:
    """Text of a day alone, which ``fromisoformat`` would read as a naive moment if given
    the UTC offset the stored form is read with: midnight UTC, aware, as before."""
    read = utc_from_database(day.isoformat())
    assert read == datetime(day.year, day.month, day.day, tzinfo=UTC) and read.tzinfo is UTC
