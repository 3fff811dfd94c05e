"""Departure time and energy need of a plugged-in vehicle without a booking."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from forecasts import (
    DepartureEstimate,
    ForecastInputError,
    PastSessions,
    SiteLocation,
    estimate_departure_and_need,
    past_sessions,
)
from forecasts.vehicles import PRIOR_SESSIONS, small_sample_widening

ROME = ZoneInfo("Europe/Rome")
MILAN = SiteLocation(latitude_deg=45.445, longitude_deg=9.205, altitude_m=120.0, timezone="Europe/Rome")
NO_HISTORY = pd.DataFrame(
    {
        "vehicle_id": pd.Series([], dtype=str),
        "vehicle_class": pd.Series([], dtype=str),
        "arrived_at": pd.DatetimeIndex([], tz="UTC"),
        "departed_at": pd.DatetimeIndex([], tz="UTC"),
        "energy_kwh": pd.Series([], dtype=float),
    }
)


def rome(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ROME)


def sessions(rows: Sequence[tuple[str, str, datetime, datetime, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "vehicle_id": [r[0] for r in rows],
            "vehicle_class": [r[1] for r in rows],
            "arrived_at": pd.DatetimeIndex([r[2] for r in rows]).tz_convert("UTC"),
            "departed_at": pd.DatetimeIndex([r[3] for r in rows]).tz_convert("UTC"),
            "energy_kwh": [r[4] for r in rows],
        }
    )


def estimate(
    history: pd.DataFrame | PastSessions,
    vehicle_id: str,
    vehicle_class: str,
    arrived_at: datetime,
    now: datetime | None = None,
    **options: float,
) -> DepartureEstimate:
    return estimate_departure_and_need(
        history,
        vehicle_id=vehicle_id,
        vehicle_class=vehicle_class,
        arrived_at=arrived_at,
        now=now or arrived_at,
        location=MILAN,
        **options,  # type: ignore[arg-type]
    )


def test_without_history_a_car_gets_the_class_defaults() -> None:
    arrived = rome(2025, 3, 17, 10)

    result = estimate(NO_HISTORY, "CAR-01", "car", arrived)

    assert result.source == "default"
    assert result.confidence == 0.0
    assert result.n_sessions == 0
    assert result.departure_p10_utc == arrived + timedelta(hours=1)
    assert result.departure_utc == arrived + timedelta(hours=4)
    assert result.departure_p90_utc == arrived + timedelta(hours=10)
    assert (result.energy_p10_kwh, result.energy_p50_kwh, result.energy_p90_kwh) == (4.0, 10.0, 20.0)
    assert result.energy_needed_kwh == 10.0


def test_without_history_a_van_leaves_on_the_next_morning_round() -> None:
    result = estimate(NO_HISTORY, "VAN-01", "van", rome(2025, 3, 17, 16, 20))

    assert result.departure_p10_utc == rome(2025, 3, 18, 6)
    assert result.departure_utc == rome(2025, 3, 18, 6, 30)
    assert result.departure_p90_utc == rome(2025, 3, 18, 7)
    assert result.energy_needed_kwh == 65.0


def test_a_van_plugged_in_during_its_round_window_leaves_within_it() -> None:
    result = estimate(NO_HISTORY, "VAN-01", "van", rome(2025, 3, 17, 5), now=rome(2025, 3, 17, 6, 40))

    assert result.departure_p10_utc == rome(2025, 3, 17, 6, 40)  # never before now
    assert result.departure_utc == rome(2025, 3, 17, 6, 40)
    assert result.departure_p90_utc == rome(2025, 3, 17, 7)


def test_energy_is_what_is_left_and_fits_in_the_battery() -> None:
    arrived = rome(2025, 3, 17, 10)

    delivered = estimate(NO_HISTORY, "CAR-01", "car", arrived, delivered_kwh=6.0)
    nearly_full = estimate(NO_HISTORY, "CAR-01", "car", arrived, soc_percent=90.0, battery_kwh=50.0)

    assert (delivered.energy_p10_kwh, delivered.energy_needed_kwh, delivered.energy_p90_kwh) == (0.0, 4.0, 14.0)
    assert (nearly_full.energy_p10_kwh, nearly_full.energy_needed_kwh, nearly_full.energy_p90_kwh) == pytest.approx(
        (4.0, 5.0, 5.0)
    )


def van_rounds(first: date, days: int, vehicle_id: str = "VAN-01") -> pd.DataFrame:
    """The van comes back at 16:00 and leaves at 06:30 next morning, taking 60 kWh, on working days."""
    rows = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        if day.weekday() < 4:  # Monday-Thursday evenings, so the stay stays on working days
            back = rome(day.year, day.month, day.day, 16)
            rows.append((vehicle_id, "van", back, back + timedelta(hours=14, minutes=30), 60.0))
    return sessions(rows)


def test_the_vehicles_own_history_is_blended_with_the_levels_above_it() -> None:
    # 20 sessions at every level (vehicle and class, same kind of day and any): each level weighs
    # 20 / (20 + PRIOR_SESSIONS) = 2/3, so the defaults keep (1/3)^4 = 1/81.
    history = van_rounds(date(2025, 2, 3), 35)
    assert len(history) == 20

    result = estimate(history, "VAN-01", "van", rome(2025, 3, 17, 16))

    assert PRIOR_SESSIONS == 10.0
    assert result.source == "vehicle"
    assert result.n_sessions == 20
    assert result.confidence == pytest.approx(80 / 81)
    # History and defaults agree on 06:30 (14.5 h) for the median.
    assert result.departure_utc == rome(2025, 3, 18, 6, 30)
    assert result.energy_needed_kwh == pytest.approx((80 * 60 + 65) / 81)
    assert result.energy_p90_kwh == pytest.approx((80 * 60 + 80) / 81)


def test_another_vehicles_history_counts_as_the_class() -> None:
    history = van_rounds(date(2025, 2, 3), 35, vehicle_id="VAN-02")

    result = estimate(history, "VAN-01", "van", rome(2025, 3, 17, 16))

    assert result.source == "class"
    assert result.confidence == pytest.approx(1 - (1 / 3) ** 2)


def car_stays(repeats: int) -> pd.DataFrame:
    """Cars plugged in at 10:00 on Mondays for 2, 3, 4, 5 or 6 hours, the pattern repeated."""
    rows = []
    for i in range(5 * repeats):
        day = date(2025, 1, 6) + timedelta(weeks=i // 5)
        arrived = rome(day.year, day.month, day.day, 10)
        rows.append((f"CAR-{i:03d}", "car", arrived, arrived + timedelta(hours=2 + i % 5), 5.0 + i % 5))
    return sessions(rows)


def test_more_history_gives_more_confidence_and_a_narrower_spread() -> None:
    spreads, confidences = [], []
    for repeats in (1, 2, 4, 8):
        history = car_stays(repeats)
        result = estimate(history, "CAR-999", "car", rome(2025, 3, 3, 10), lookback_days=400)
        spreads.append((result.departure_p90_utc - result.departure_p10_utc).total_seconds())
        confidences.append(result.confidence)

    assert confidences == sorted(confidences)
    assert len(set(confidences)) == 4
    assert spreads == sorted(spreads, reverse=True)
    assert len(set(spreads)) == 4


def test_sessions_shorter_than_the_time_already_plugged_in_do_not_count() -> None:
    history = car_stays(8)  # 2-6 h stays

    fresh = estimate(history, "CAR-999", "car", rome(2025, 3, 3, 10), lookback_days=400)
    after_5_h = estimate(history, "CAR-999", "car", rome(2025, 3, 3, 10), now=rome(2025, 3, 3, 15), lookback_days=400)

    assert fresh.departure_utc == rome(2025, 3, 3, 14)  # median of 2-6 h
    # Only the eight 6-hour stays are left, seven of them on working days (6 January, Epiphany, is
    # a holiday): the defaults (P50 4 h) keep 10/17 * 10/18 of the weight.
    assert (after_5_h.source, after_5_h.n_sessions) == ("class", 7)
    default_weight = (10 / 17) * (10 / 18)
    assert after_5_h.departure_utc == rome(2025, 3, 3, 10) + timedelta(hours=6 - 2 * default_weight)
    assert after_5_h.departure_p10_utc == rome(2025, 3, 3, 15)  # 6 h blended with 1 h is before now


def test_departures_are_never_before_now() -> None:
    history = car_stays(4)
    now = rome(2025, 3, 4, 9)  # plugged in for 23 h, far beyond every past stay

    result = estimate(history, "CAR-999", "car", rome(2025, 3, 3, 10), now=now, lookback_days=400)

    assert now <= result.departure_p10_utc <= result.departure_utc <= result.departure_p90_utc


def test_small_sample_widening_approaches_one() -> None:
    # Student t(0.9, 10 dof) = 1.3722; z(0.9) = 1.2816; sqrt(1 + 1/11).
    assert small_sample_widening(11) == pytest.approx(1.3722 / 1.2816 * (1 + 1 / 11) ** 0.5, rel=0.01)
    assert small_sample_widening(10_000) == pytest.approx(1.0, abs=1e-3)
    widenings = [small_sample_widening(n) for n in (3, 5, 10, 50)]
    assert widenings == sorted(widenings, reverse=True)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"now": rome(2025, 3, 17, 9)}, "arrived_at"),
        ({"soc_percent": 120.0, "battery_kwh": 50.0}, "soc_percent"),
        ({"battery_kwh": 0.0}, "battery_kwh"),
        ({"delivered_kwh": -1.0}, "delivered_kwh"),
        ({"window_h": 0.0}, "window_h"),
        ({"min_sessions": 1}, "min_sessions"),
        ({"vehicle_class": ""}, "vehicle_class"),
        ({"arrived_at": datetime(2025, 3, 17, 10)}, "arrived_at"),
    ],
)
def test_bad_input_is_named(options: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "vehicle_id": "CAR-01",
        "vehicle_class": "car",
        "arrived_at": rome(2025, 3, 17, 10),
        "now": rome(2025, 3, 17, 10),
        "location": MILAN,
        **options,
    }

    with pytest.raises(ForecastInputError, match=message):
        estimate_departure_and_need(NO_HISTORY, **arguments)  # type: ignore[arg-type]


def test_history_read_once_for_many_vehicles_gives_each_the_same_estimate() -> None:
    now = rome(2025, 3, 21, 12)
    rows = [
        (
            f"CAR-{n % 4:02d}",
            "car" if n % 5 else "van",
            rome(2025, 3, 3 + d, 8 + n % 6),
            rome(2025, 3, 3 + d, 14 + n % 5),
            8.0 + n,
        )
        for d in range(14)
        for n in range(6)
    ]
    history = sessions(rows)
    past = past_sessions(history, now, MILAN)
    for vehicle_id, vehicle_class, hour in (("CAR-01", "car", 9), ("CAR-03", "car", 11), ("VAN-9", "van", 8)):
        arrived = rome(2025, 3, 21, hour)
        assert estimate(past, vehicle_id, vehicle_class, arrived, now) == estimate(
            history, vehicle_id, vehicle_class, arrived, now
        )


def test_history_read_for_another_moment_is_refused() -> None:
    now = rome(2025, 3, 21, 12)
    past = past_sessions(NO_HISTORY, now - timedelta(hours=1), MILAN)
    with pytest.raises(ForecastInputError, match="prepared for another"):
        estimate(past, "CAR-01", "car", rome(2025, 3, 21, 10), now)
