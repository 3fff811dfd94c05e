"""Expected arrivals of the ACN controller: learnt from past days of the same kind, never ahead."""

from __future__ import annotations

import dataclasses

import pytest
from acnportal.acnsim.interface import SessionInfo  # type: ignore[import-untyped]

from benchmarks.acn.arrivals import ArrivalHistory, KnownArrivals
from tests.benchmarks.acn_factories import session

DAY = 288
"""5-minute periods in a day."""


def seen(session_id: str, station_id: str, *, arrival: int, stay: int, energy_kwh: float = 5.0) -> SessionInfo:
    return SessionInfo(
        station_id,
        session_id,
        energy_kwh,
        0.0,
        arrival=arrival,
        departure=arrival + stay,
        estimated_departure=arrival + stay,
        current_time=arrival,
        max_rates=32.0,
    )


def history_of_three_days() -> ArrivalHistory:
    """Day 0 a weekday, day 1 a weekend day, day 2 a weekday; each with arrivals at 08:00 and 14:00."""
    history = ArrivalHistory(periods_per_day=DAY)
    for day, weekend in ((0, False), (1, True), (2, False)):
        history.record(
            [
                seen(f"d{day}-morning", "AB-AV", arrival=day * DAY + 96, stay=48),
                seen(f"d{day}-afternoon", "BC-BASIC", arrival=day * DAY + 168, stay=24, energy_kwh=3.0),
            ],
            day=day,
            weekend=weekend,
        )
    return history


def test_today_is_forecast_from_the_past_days_of_its_kind() -> None:
    history = history_of_three_days()
    history.record([], day=3, weekend=False)
    now = 3 * DAY + 120  # 10:00 on day 3, a weekday

    expected = history.expected(now, days=5, within_periods=DAY)

    # the weekdays 0 and 2 each had an arrival at 14:00 (period 168); the mornings are past
    assert [(e.key, e.station_id, e.arrival, e.stay_periods) for e in expected] == [
        ("expected-0-d0-afternoon", "BC-BASIC", 3 * DAY + 168, 24),
        ("expected-2-d2-afternoon", "BC-BASIC", 3 * DAY + 168, 24),
    ]
    assert [e.share for e in expected] == [0.5, 0.5]
    assert [e.requested_kwh for e in expected] == [3.0, 3.0]
    assert [e.max_rate_a for e in expected] == [32.0, 32.0]


def test_only_the_most_recent_days_are_drawn_from() -> None:
    history = history_of_three_days()
    history.record([], day=3, weekend=False)

    expected = history.expected(3 * DAY, days=1, within_periods=DAY)

    assert [e.key for e in expected] == ["expected-2-d2-morning", "expected-2-d2-afternoon"]
    assert {e.share for e in expected} == {1.0}


@pytest.mark.parametrize(
    ("today_so_far", "share"),
    [
        (0, 0.5 * (0 + 2) / (1 + 2)),  # quieter than the weekdays by 10:00 (one arrival each)
        (1, 0.5),  # as busy
        (3, 0.5 * (3 + 2) / (1 + 2)),  # busier
        (12, 0.5 * 2.0),  # much busier: the scale stops at PICKUP_RANGE
    ],
)
def test_pickup_scales_the_shares_by_how_busy_today_has_been(today_so_far: int, share: float) -> None:
    history = history_of_three_days()
    arrived = [seen(f"d3-{i}", "CA-AV", arrival=3 * DAY + 90 + i, stay=12) for i in range(today_so_far)]
    history.record(arrived, day=3, weekend=False)
    now = 3 * DAY + 120  # 10:00 on day 3, a weekday

    expected = history.expected(now, days=5, within_periods=DAY, pickup_sessions=2.0)

    assert [e.key for e in expected] == ["expected-0-d0-afternoon", "expected-2-d2-afternoon"]
    assert [e.share for e in expected] == pytest.approx([share, share])
    assert history.expected(now, days=5, within_periods=DAY) == tuple(
        dataclasses.replace(e, share=0.5) for e in expected
    )


def test_arrivals_beyond_the_window_or_midnight_are_left_out() -> None:
    history = history_of_three_days()
    history.record([], day=3, weekend=False)

    assert [e.key for e in history.expected(3 * DAY + 90, days=1, within_periods=6)] == ["expected-2-d2-morning"]
    assert history.expected(3 * DAY + 95, days=1, within_periods=1) == history.expected(
        3 * DAY + 90, days=1, within_periods=6
    )
    assert history.expected(3 * DAY + 96, days=1, within_periods=70) == ()  # 14:00 is 72 periods on
    assert history.expected(3 * DAY + 200, days=1, within_periods=DAY) == ()  # nothing after 16:40


def test_nothing_is_expected_without_a_past_day_of_the_same_kind() -> None:
    history = history_of_three_days()
    history.record([], day=3, weekend=False)
    history.record([seen("today", "AB-CC", arrival=3 * DAY + 10, stay=300)], day=3, weekend=False)
    assert history.expected(3 * DAY + 20, days=0, within_periods=DAY) == ()

    fresh = ArrivalHistory(periods_per_day=DAY)
    fresh.record([seen("first", "AB-AV", arrival=10, stay=5)], day=0, weekend=False)
    assert fresh.expected(20, days=3, within_periods=DAY) == ()  # today's own sessions are not a forecast
    assert fresh.expected(DAY + 5, days=3, within_periods=DAY) == ()  # day 1 has not been seen yet


def test_a_session_is_kept_as_first_seen() -> None:
    history = ArrivalHistory(periods_per_day=DAY)
    history.record([seen("s", "AB-AV", arrival=100, stay=20, energy_kwh=6.0)], day=0, weekend=False)
    # later calls see the same session with an updated estimate: the first sight stands
    history.record([seen("s", "AB-AV", arrival=100, stay=40, energy_kwh=9.0)], day=0, weekend=False)
    history.record([], day=1, weekend=False)

    (expected,) = history.expected(DAY, days=1, within_periods=DAY)

    assert (expected.arrival, expected.stay_periods) == (DAY + 100, 20)
    assert expected.requested_kwh == pytest.approx(6.0)


def test_known_arrivals_are_todays_sessions_to_come_as_they_will_happen() -> None:
    sessions = (
        session("past", "AB-AV", arrival=DAY + 100, departure=DAY + 130, energy_kwh=4.0),
        session("soon", "BC-BASIC", arrival=DAY + 150, departure=DAY + 200, energy_kwh=6.0, max_kw=3.328),
        session("later", "AB-CC", arrival=DAY + 250, departure=DAY + 260, energy_kwh=2.0),
        session("tomorrow", "AB-AV", arrival=2 * DAY + 10, departure=2 * DAY + 40, energy_kwh=5.0),
    )
    known = KnownArrivals(sessions, periods_per_day=DAY)

    expected = known.expected(DAY + 120, within_periods=DAY)

    # after now (not the one plugged in at 100), before midnight (not tomorrow's)
    assert [(e.key, e.station_id, e.arrival, e.stay_periods) for e in expected] == [
        ("known-soon", "BC-BASIC", DAY + 150, 50),
        ("known-later", "AB-CC", DAY + 250, 10),
    ]
    assert [e.requested_kwh for e in expected] == [6.0, 2.0]
    assert [e.share for e in expected] == [1.0, 1.0]
    assert expected[0].max_rate_a == pytest.approx(16.0)  # 3.328 kW at 208 V
    assert [e.key for e in known.expected(DAY + 120, within_periods=30)] == ["known-soon"]
    assert known.expected(DAY + 250, within_periods=DAY) == ()
