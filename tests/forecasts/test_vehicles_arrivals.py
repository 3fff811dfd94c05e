"""Expected arrivals per slot and class: day kinds, holidays, DST and the finite fleet."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasts import ForecastInputError, SiteLocation, expected_arrivals, slot_grid

ROME = ZoneInfo("Europe/Rome")
MILAN = SiteLocation(latitude_deg=45.445, longitude_deg=9.205, altitude_m=120.0, timezone="Europe/Rome")


def rome(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ROME)


def sessions(rows: Sequence[tuple[str, str, datetime, datetime, float]]) -> pd.DataFrame:
    """A history frame from (vehicle_id, class, arrived, departed, energy) tuples."""
    return pd.DataFrame(
        {
            "vehicle_id": [r[0] for r in rows],
            "vehicle_class": [r[1] for r in rows],
            "arrived_at": pd.DatetimeIndex([r[2] for r in rows]).tz_convert("UTC"),
            "departed_at": pd.DatetimeIndex([r[3] for r in rows]).tz_convert("UTC"),
            "energy_kwh": [r[4] for r in rows],
        }
    )


def hourly_day(day: datetime, hours: float = 24.0) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    return slot_grid(day, horizon_h=hours, slot_min=60)


def arrivals_at_local_hour(forecast: pd.DataFrame, vehicle_class: str = "car") -> pd.Series:
    series = forecast.xs(vehicle_class, level="vehicle_class")["expected_arrivals"]
    return pd.Series(series.to_numpy(), index=pd.DatetimeIndex(series.index).tz_convert("Europe/Rome").hour)


# Two weeks from Monday 3 March 2025: one car arrives at 08:10 on each of the two Mondays.
TWO_MONDAYS = sessions(
    [
        ("CAR-01", "car", rome(2025, 3, 3, 8, 10), rome(2025, 3, 3, 9, 0), 6.0),
        ("CAR-02", "car", rome(2025, 3, 10, 8, 10), rome(2025, 3, 10, 9, 0), 8.0),
    ]
)


def test_rate_is_arrivals_over_days_of_that_kind() -> None:
    # Training: 3-16 March = 10 working days, 2 Saturdays, 2 Sundays; 2 arrivals in the 08:00 bin.
    starts, ends = hourly_day(rome(2025, 3, 17))  # Monday

    forecast = expected_arrivals(
        TWO_MONDAYS, starts, ends, now=rome(2025, 3, 17), location=MILAN, classes=["car"], prior_days=0.0
    )

    by_hour = arrivals_at_local_hour(forecast)
    assert by_hour[8] == pytest.approx(2 / 10)
    assert by_hour.drop(8).sum() == pytest.approx(0.0)


def test_prior_days_mix_in_the_average_day() -> None:
    # 2 arrivals over 14 days pooled: 1/7 a day; a working day gets (2 + 1/7) / (10 + 1),
    # a Saturday (0 + 1/7) / (2 + 1).
    monday, saturday = rome(2025, 3, 17), rome(2025, 3, 22)

    on_monday = arrivals_at_local_hour(
        expected_arrivals(TWO_MONDAYS, *hourly_day(monday), now=monday, location=MILAN, classes=["car"], prior_days=1.0)
    )
    on_saturday = arrivals_at_local_hour(
        expected_arrivals(TWO_MONDAYS, *hourly_day(saturday), now=monday, location=MILAN, classes=["car"], prior_days=1)
    )

    assert on_monday[8] == pytest.approx((2 + 1 / 7) / 11)
    assert on_saturday[8] == pytest.approx((1 / 7) / 3)


def test_only_the_part_of_a_slot_after_now_counts_and_short_slots_get_their_share() -> None:
    now = rome(2025, 3, 17, 8, 30)
    starts = pd.DatetimeIndex([rome(2025, 3, 17, 8), rome(2025, 3, 17, 9)]).tz_convert("UTC")
    quarter = pd.DatetimeIndex([rome(2025, 3, 17, 8, 45)]).tz_convert("UTC")

    hour_slots = expected_arrivals(
        TWO_MONDAYS, starts, starts + pd.Timedelta(hours=1), now=now, location=MILAN, classes=["car"], prior_days=0.0
    )
    quarter_slot = expected_arrivals(
        TWO_MONDAYS, quarter, quarter + pd.Timedelta(minutes=15), now=now, location=MILAN, classes=["car"], prior_days=0
    )

    assert hour_slots["expected_arrivals"].tolist() == pytest.approx([0.1, 0.0])
    assert quarter_slot["expected_arrivals"].iloc[0] == pytest.approx(0.05)


def weekly_pattern(first: date, weeks: int) -> pd.DataFrame:
    """Cars arrive at 08:10 on working days and at 10:10 on Sundays (Italian calendar)."""
    rows = []
    for offset in range(weeks * 7):
        day = first + timedelta(days=offset)
        hour = {6: 10, 5: None}.get(day.weekday(), 8)
        if hour is not None:
            arrived = datetime(day.year, day.month, day.day, hour, 10, tzinfo=ROME)
            rows.append((f"CAR-{offset:03d}", "car", arrived, arrived + timedelta(hours=2), 5.0))
    return sessions(rows)


def day_profile(history: pd.DataFrame, day: datetime, now: datetime, holiday_country: str) -> npt.NDArray[np.float64]:
    forecast = expected_arrivals(
        history, *hourly_day(day), now=now, location=MILAN, classes=["car"], holiday_country=holiday_country
    )
    return forecast["expected_arrivals"].to_numpy()


def test_a_weekday_public_holiday_is_forecast_like_a_sunday() -> None:
    history = weekly_pattern(date(2025, 3, 24), weeks=4)  # to Easter Sunday, 20 April
    now = rome(2025, 4, 21)

    # 25 April 2025, Liberation Day, is a Friday.
    holiday = day_profile(history, rome(2025, 4, 25), now, "IT")

    np.testing.assert_allclose(holiday, day_profile(history, rome(2025, 4, 27), now, "IT"))
    assert not np.allclose(holiday, day_profile(history, rome(2025, 4, 24), now, "IT"))


@pytest.mark.parametrize(("holiday_country", "like"), [("US", rome(2025, 11, 30)), ("IT", rome(2025, 11, 26))])
def test_the_holiday_calendar_is_a_parameter(holiday_country: str, like: datetime) -> None:
    # Thanksgiving, Thursday 27 November 2025: a Sunday in the US calendar, a Wednesday-like day in Italy.
    history = weekly_pattern(date(2025, 10, 27), weeks=4)
    now = rome(2025, 11, 24)

    thanksgiving = day_profile(history, rome(2025, 11, 27), now, holiday_country)

    np.testing.assert_allclose(thanksgiving, day_profile(history, like, now, holiday_country))


@pytest.mark.parametrize(
    ("history_start", "forecast_day"),
    [
        (date(2025, 3, 3), rome(2025, 3, 31)),  # learned on CET, forecast on CEST (last Sunday of March)
        (date(2025, 9, 29), rome(2025, 10, 27)),  # learned on CEST, forecast on CET (last Sunday of October)
    ],
)
def test_profiles_follow_the_local_clock_across_daylight_saving_changes(
    history_start: date, forecast_day: datetime
) -> None:
    history = weekly_pattern(history_start, weeks=4)

    forecast = expected_arrivals(
        history,
        *hourly_day(forecast_day),
        now=forecast_day,
        location=MILAN,
        classes=["car"],
        prior_days=0.0,
    )

    by_hour = arrivals_at_local_hour(forecast)
    assert by_hour[8] == pytest.approx(1.0)
    assert by_hour.drop(8).sum() == pytest.approx(0.0)


@pytest.mark.parametrize(("day", "n_slots"), [(rome(2025, 3, 30), 23), (rome(2025, 10, 26), 25)])
def test_a_local_day_with_a_clock_change_has_its_true_number_of_hours(day: datetime, n_slots: int) -> None:
    history = weekly_pattern(date(2025, 3, 3) if day.month == 3 else date(2025, 9, 29), weeks=3)
    hours = (datetime(day.year, day.month, day.day + 1, tzinfo=ROME).timestamp() - day.timestamp()) / 3600

    forecast = expected_arrivals(
        history, *hourly_day(day, hours), now=day, location=MILAN, classes=["car"], prior_days=0.0
    )

    assert len(forecast) == n_slots
    by_hour = arrivals_at_local_hour(forecast)
    assert by_hour[10] == pytest.approx(1.0)  # the three Sundays before, at 10:10 local
    assert by_hour.drop(10).sum() == pytest.approx(0.0)


def two_vans(days: int) -> pd.DataFrame:
    """Both vans return at 16:00 and leave at 06:30 next morning, every day from 1 March 2025."""
    rows = []
    for offset in range(days):
        day = date(2025, 3, 1) + timedelta(days=offset)
        back = datetime(day.year, day.month, day.day, 16, 0, tzinfo=ROME)
        leave = back + timedelta(hours=14, minutes=30)
        rows += [("VAN-01", "van", back, leave, 60.0), ("VAN-02", "van", back, leave, 60.0)]
    return sessions(rows)


def test_a_van_still_plugged_in_does_not_arrive_again_before_it_leaves() -> None:
    # On 29 March VAN-01 did not go out: at 10:00 it is plugged in, VAN-02 is away.
    history = two_vans(28)
    now = rome(2025, 3, 29, 10)
    starts = pd.DatetimeIndex([rome(2025, 3, 29, 16), rome(2025, 3, 30, 16)]).tz_convert("UTC")
    ends = starts + pd.Timedelta(hours=1)

    open_population = expected_arrivals(history, starts, ends, now=now, location=MILAN, classes=["van"], prior_days=0)
    fleet = expected_arrivals(
        history,
        starts,
        ends,
        now=now,
        location=MILAN,
        classes=["van"],
        prior_days=0,
        fleet_sizes={"van": 2},
        present_vehicles={"VAN-01": "van"},
    )

    assert open_population["expected_arrivals"].tolist() == pytest.approx([2.0, 2.0])
    # Today only VAN-02 can come back; tomorrow both do, after both leave in the morning.
    assert fleet["expected_arrivals"].tolist() == pytest.approx([1.0, 2.0])


def test_no_van_is_expected_once_the_whole_fleet_is_back() -> None:
    history = two_vans(28)
    now = rome(2025, 3, 29, 16, 30)
    starts, ends = slot_grid(now, horizon_h=6.0, slot_min=60)

    forecast = expected_arrivals(
        history,
        starts,
        ends,
        now=now,
        location=MILAN,
        classes=["van"],
        fleet_sizes={"van": 2},
        present_vehicles={"VAN-01": "van", "VAN-02": "van"},
    )

    assert forecast["expected_arrivals"].sum() == pytest.approx(0.0)


def test_output_has_every_slot_and_class_with_energy_and_stay() -> None:
    history = two_vans(28)
    starts, ends = slot_grid(rome(2025, 3, 29, 15), horizon_h=2.0, slot_min=60)

    forecast = expected_arrivals(
        history, starts, ends, now=rome(2025, 3, 29, 15), location=MILAN, classes=["van", "car"]
    )

    assert list(forecast.index.names) == ["slot_start_utc", "vehicle_class"]
    assert list(forecast.index) == [(s, c) for s in starts for c in ("van", "car")]
    assert forecast.loc[(starts[1], "van"), "energy_per_arrival_kwh"] == pytest.approx(60.0)
    assert forecast.loc[(starts[1], "van"), "typical_stay_h"] == pytest.approx(14.5)
    # No car in the history: no arrivals, and the car defaults for energy and stay.
    assert forecast.xs("car", level="vehicle_class")["expected_arrivals"].sum() == 0.0
    assert forecast.loc[(starts[1], "car"), "typical_stay_h"] == pytest.approx(4.0)


def test_future_sessions_in_the_history_are_not_used() -> None:
    now = rome(2025, 3, 17)
    starts, ends = hourly_day(now)
    leaked = pd.concat(
        [TWO_MONDAYS, sessions([("CAR-09", "car", rome(2025, 3, 17, 8, 10), rome(2025, 3, 17, 9), 1.0)])]
    )

    with_leak = expected_arrivals(leaked, starts, ends, now=now, location=MILAN, classes=["car"])
    without = expected_arrivals(TWO_MONDAYS, starts, ends, now=now, location=MILAN, classes=["car"])

    pd.testing.assert_frame_equal(with_leak, without)


@pytest.mark.parametrize(
    ("history", "kwargs", "message"),
    [
        (TWO_MONDAYS.drop(columns="energy_kwh"), {}, "missing columns"),
        (TWO_MONDAYS.assign(arrived_at=TWO_MONDAYS["arrived_at"].dt.tz_localize(None)), {}, "arrived_at"),
        (TWO_MONDAYS.assign(energy_kwh=-1.0), {}, "energy_kwh"),
        (TWO_MONDAYS, {"classes": []}, "classes"),
        (TWO_MONDAYS, {"fleet_sizes": {"car": 0}}, "fleet_sizes"),
        (TWO_MONDAYS, {"fleet_sizes": {"car": 1}, "present_vehicles": {"A": "car", "B": "car"}}, "present_vehicles"),
        (TWO_MONDAYS, {"holiday_country": "XX"}, "holiday_country"),
        (TWO_MONDAYS, {"bin_min": 7}, "bin_min"),
        (TWO_MONDAYS, {"now": datetime(2025, 3, 17)}, "now"),
    ],
)
def test_bad_input_is_named(history: pd.DataFrame, kwargs: dict[str, object], message: str) -> None:
    starts, ends = hourly_day(rome(2025, 3, 17))
    arguments: dict[str, object] = {"now": rome(2025, 3, 17), "location": MILAN, "classes": ["car"], **kwargs}

    with pytest.raises(ForecastInputError, match=message):
        expected_arrivals(history, starts, ends, **arguments)  # type: ignore[arg-type]


def random_history(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arrived = pd.Timestamp("2025-02-01", tz="UTC") + pd.to_timedelta(rng.uniform(0, 40 * 86400, n), unit="s")
    stay = pd.to_timedelta(rng.uniform(600, 30 * 3600, n), unit="s")
    return pd.DataFrame(
        {
            "vehicle_id": [f"V{i % 12:02d}" for i in range(n)],
            "vehicle_class": np.where(np.arange(n) % 12 < 3, "van", "car"),
            "arrived_at": arrived,
            "departed_at": arrived + stay,
            "energy_kwh": rng.uniform(0, 60, n),
        }
    )


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(0, 300), hour=st.integers(0, 72))
def test_quarter_hours_add_up_to_hours_and_a_finite_fleet_never_exceeds_the_open_forecast(
    seed: int, n: int, hour: int
) -> None:
    history = random_history(seed, n)
    now = datetime(2025, 3, 12, tzinfo=ROME) + timedelta(hours=hour)
    hours = slot_grid(now, horizon_h=12.0, slot_min=60)
    quarters = slot_grid(now, horizon_h=12.0, slot_min=15)
    classes = ["car", "van"]

    by_hour = expected_arrivals(history, *hours, now=now, location=MILAN, classes=classes)
    by_quarter = expected_arrivals(history, *quarters, now=now, location=MILAN, classes=classes)
    fleet = expected_arrivals(
        history, *hours, now=now, location=MILAN, classes=classes, fleet_sizes={"car": 9, "van": 3}
    )

    assert (by_hour["expected_arrivals"] >= 0).all()
    per_class_hour = by_hour.groupby(level="vehicle_class")["expected_arrivals"].sum()
    per_class_quarter = by_quarter.groupby(level="vehicle_class")["expected_arrivals"].sum()
    np.testing.assert_allclose(per_class_quarter.to_numpy(), per_class_hour.to_numpy(), rtol=1e-9, atol=1e-9)
    assert (fleet["expected_arrivals"] <= by_hour["expected_arrivals"] + 1e-9).all()
