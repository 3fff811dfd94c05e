"""Slot and quarter-hour boundaries: the same instants in UTC and in Milan's time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fleet.clock import interval_start

QUARTER_HOUR = timedelta(minutes=15)


def test_an_instant_falls_in_the_interval_that_starts_at_or_before_it() -> None:
    at = datetime(2026, 3, 2, 9, 14, 59, 999999, tzinfo=UTC)
    assert interval_start(at, QUARTER_HOUR) == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert interval_start(at + timedelta(microseconds=1), QUARTER_HOUR) == datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    assert interval_start(at, timedelta(minutes=5)) == datetime(2026, 3, 2, 9, 10, tzinfo=UTC)


def test_milan_local_time_has_the_same_boundaries_summer_and_winter() -> None:
    milan = ZoneInfo("Europe/Rome")
    for local in (datetime(2026, 1, 15, 18, 7, tzinfo=milan), datetime(2026, 7, 15, 18, 7, tzinfo=milan)):
        start = interval_start(local.astimezone(UTC), QUARTER_HOUR)
        assert start.astimezone(milan).replace(tzinfo=None) == datetime(local.year, local.month, 15, 18, 0)
