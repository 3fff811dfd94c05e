"""Generated site history: reproducible, and distributed as documented."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest

from forecasts import (
    BaseLoadProfile,
    ForecastInputError,
    History,
    HistorySite,
    HubCharger,
    HubVehicle,
    PvArray,
    SiteLocation,
    generate_history,
)
from forecasts.day_calendar import day_kinds_in
from forecasts.day_types import DayKind
from forecasts.history_trips import TripVehicle, plan_fleet_trips

MILAN = SiteLocation(latitude_deg=45.445, longitude_deg=9.205, altitude_m=120.0, timezone="Europe/Rome")
SMALL_HUB = HistorySite(
    location=MILAN,
    pv_arrays=(PvArray("roof", 250.0, 15.0, 180.0),),
    base_load=BaseLoadProfile(min_kw=40.0, max_kw=120.0),
    chargers=(
        *(HubCharger(f"DC-{i}", "DC", 50.0) for i in range(3)),
        *(HubCharger(f"AC-{i}", "AC", 22.0) for i in range(8)),
    ),
    vehicles=(
        *(HubVehicle(f"CAR-{i:02d}", "car", 50.0, 11.0, 100.0) for i in range(10)),
        *(HubVehicle(f"VAN-{i:02d}", "van", 79.0, 22.0, 50.0) for i in range(3)),
    ),
)


@pytest.fixture(scope="module")
def spring() -> History:
    """Three weeks around the last Sunday of March, with Easter Monday and Liberation Day after."""
    return generate_history(SMALL_HUB, start=datetime(2025, 3, 20, tzinfo=UTC), days=40, seed=11)


def local(times: pd.Series) -> pd.Series:
    return pd.Series(times.dt.tz_convert("Europe/Rome"))


def test_the_same_seed_gives_the_same_history(spring: History) -> None:
    again = generate_history(SMALL_HUB, start=datetime(2025, 3, 20, tzinfo=UTC), days=40, seed=11)

    pd.testing.assert_frame_equal(again.sessions, spring.sessions)
    pd.testing.assert_series_equal(again.base_load_kw, spring.base_load_kw)
    pd.testing.assert_series_equal(again.pv_kw, spring.pv_kw)


def test_another_seed_gives_another_history(spring: History) -> None:
    other = generate_history(SMALL_HUB, start=datetime(2025, 3, 20, tzinfo=UTC), days=40, seed=12)

    assert not other.sessions["arrived_at"].equals(spring.sessions["arrived_at"])
    assert not np.allclose(other.pv_kw.to_numpy(), spring.pv_kw.to_numpy())


def test_sessions_have_the_history_columns_and_end_inside_the_window(spring: History) -> None:
    frame = spring.sessions
    window_start = pd.Timestamp("2025-03-20", tz="Europe/Rome")
    window_end = pd.Timestamp("2025-04-29", tz="Europe/Rome")

    assert list(frame.columns[:5]) == ["vehicle_id", "vehicle_class", "arrived_at", "departed_at", "energy_kwh"]
    assert ((frame["departed_at"] > window_start) & (frame["departed_at"] <= window_end)).all()
    assert (frame["departed_at"] > frame["arrived_at"]).all()
    assert frame["arrived_at"].is_monotonic_increasing


def test_vans_leave_between_six_and_seven_and_plug_in_from_three_in_the_afternoon(spring: History) -> None:
    vans = spring.sessions.loc[spring.sessions["vehicle_class"] == "van"]
    leave = local(vans["departed_at"])
    plug_in = local(vans["arrived_at"])

    leave_min = leave.dt.hour * 60 + leave.dt.minute
    assert leave_min.between(6 * 60, 7 * 60).all()  # across the change to summer time on 30 March too
    # Back from 15:00; a van that finds every charger taken plugs in later, at the latest when the
    # next morning's departures free one.
    plug_in_hour = plug_in.dt.hour
    assert ((plug_in_hour >= 15) | (plug_in_hour < 7)).all()
    assert (vans["energy_kwh"] <= 79.0).all()


def test_cars_leave_between_seven_and_ten_in_the_evening(spring: History) -> None:
    cars = spring.sessions.loc[spring.sessions["vehicle_class"] == "car"]
    leave = local(cars["departed_at"])

    leave_min = leave.dt.hour * 60 + leave.dt.minute
    assert leave_min.between(7 * 60, 22 * 60).all()


def test_no_connector_and_no_vehicle_has_two_sessions_at_once(spring: History) -> None:
    for key in ("charge_point_id", "vehicle_id"):
        for _, group in spring.sessions.groupby(key):
            ordered = group.sort_values("arrived_at")
            assert (ordered["arrived_at"].iloc[1:].to_numpy() >= ordered["departed_at"].iloc[:-1].to_numpy()).all()


def test_cars_are_booked_less_at_weekends_and_on_holidays() -> None:
    fleet = [TripVehicle(f"CAR-{i}", "car", 50.0) for i in range(200)]
    first = date(2025, 3, 3)
    trips = plan_fleet_trips(fleet, first, 56, "Europe/Rome", "IT", np.random.default_rng(3))

    departures = pd.DatetimeIndex(pd.to_datetime([t.depart_ns for t in trips], utc=True)).tz_convert("Europe/Rome")
    kinds = day_kinds_in(departures, "IT")
    days = pd.date_range(first, periods=56, freq="D").tz_localize("Europe/Rome") + pd.Timedelta(hours=12)
    day_count = np.bincount(day_kinds_in(days, "IT"), minlength=3)
    per_car_day = np.bincount(kinds, minlength=3) / day_count / len(fleet)

    # Documented means: 0.85 * 2 = 1.7, 0.60 * 2 = 1.2 and 0.45 * 2 = 0.9 bookings a day; the few
    # bookings a tight day cannot fit lower them slightly.
    assert per_car_day[DayKind.WORKING_DAY] == pytest.approx(1.7, abs=0.1)
    assert per_car_day[DayKind.SATURDAY] == pytest.approx(1.2, abs=0.1)
    assert per_car_day[DayKind.SUNDAY_OR_HOLIDAY] == pytest.approx(0.9, abs=0.1)


def test_van_trips_follow_their_windows_and_energy() -> None:
    fleet = [TripVehicle(f"VAN-{i}", "van", 79.0) for i in range(20)]
    trips = plan_fleet_trips(fleet, date(2025, 10, 20), 14, "Europe/Rome", "IT", np.random.default_rng(5))

    depart = pd.DatetimeIndex(pd.to_datetime([t.depart_ns for t in trips], utc=True)).tz_convert("Europe/Rome")
    back = pd.DatetimeIndex(pd.to_datetime([t.return_ns for t in trips], utc=True)).tz_convert("Europe/Rome")
    energy = np.array([t.energy_kwh for t in trips])

    assert len(trips) == 20 * 14  # every day, the last Sunday of October included
    assert ((depart.hour * 60 + depart.minute >= 360) & (depart.hour * 60 + depart.minute <= 420)).all()
    assert ((back.hour * 60 + back.minute >= 900) & (back.hour * 60 + back.minute <= 1080)).all()
    assert energy.min() >= 50.0
    assert energy.max() <= 80.0


def test_base_load_and_pv_are_in_range_and_regular(spring: History) -> None:
    load, pv = spring.base_load_kw, spring.pv_kw
    steps = np.diff(pd.DatetimeIndex(load.index).asi8)

    assert load.index.equals(pv.index)
    assert (steps == 15 * 60 * 10**9).all()
    assert load.between(40.0, 120.0).all()
    assert (pv >= 0).all()
    assert pv.max() <= 250.0 * (1 - 0.14)
    night = pd.DatetimeIndex(pv.index).tz_convert("Europe/Rome").hour.isin([0, 1, 2, 3, 23])
    assert (pv[night] == 0).all()


def test_working_day_load_is_above_sunday_load(spring: History) -> None:
    load = spring.base_load_kw
    local_index = pd.DatetimeIndex(load.index).tz_convert("Europe/Rome")
    kinds = day_kinds_in(local_index, "IT")
    midday = (local_index.hour >= 10) & (local_index.hour < 16)

    working = load[midday & (kinds == DayKind.WORKING_DAY)].mean()
    sunday = load[midday & (kinds == DayKind.SUNDAY_OR_HOLIDAY)].mean()

    assert working > sunday + 30.0  # the prior profile puts 52 kW between them


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"days": 0}, "days"),
        ({"seed": -1}, "seed"),
        ({"step_min": 7}, "step_min"),
        ({"start": datetime(2025, 3, 20)}, "start"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"start": datetime(2025, 3, 20, tzinfo=UTC), "days": 2, "seed": 1, **kwargs}

    with pytest.raises(ForecastInputError, match=message):
        generate_history(SMALL_HUB, **arguments)  # type: ignore[arg-type]


def test_a_site_with_duplicate_vehicles_is_refused() -> None:
    with pytest.raises(ForecastInputError, match="vehicles"):
        HistorySite(
            location=MILAN,
            pv_arrays=(),
            base_load=BaseLoadProfile(min_kw=40.0, max_kw=120.0),
            chargers=(HubCharger("AC-1", "AC", 22.0),),
            vehicles=(HubVehicle("CAR-1", "car", 50.0, 11.0, 50.0), HubVehicle("CAR-1", "car", 50.0, 11.0, 50.0)),
        )
