"""Trip plans: reproducible, within the site's time windows, never overlapping, within the battery."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocpp_server.simulator.battery import SimVehicleSpec
from ocpp_server.simulator.day_plan import (
    CAR_DRIVING_SHARE,
    CAR_TURNAROUND_MIN,
    RESERVE_SOC,
    URBAN_CONSUMPTION_KWH_PER_KM,
    URBAN_SPEED_KMH,
    Trip,
    plan_trips,
)
from ocpp_server.simulator.trip_book import TripBook

ROME = ZoneInfo("Europe/Rome")
VANS = [SimVehicleSpec(f"van-{i}", f"VAN{i}", "van", 75.0, 22.0, 50.0, 0.3) for i in range(10)]
CARS = [SimVehicleSpec(f"car-{i}", f"CAR{i}", "car", 40.0 + i % 16, 11.0, 50.0, 0.6) for i in range(62)]
FLEET = VANS + CARS
SPECS = {v.vehicle_id: v for v in FLEET}


def local_time(moment: datetime) -> time:
    return moment.astimezone(ROME).time()


def by_vehicle(trips: list[Trip]) -> dict[str, list[Trip]]:
    grouped: dict[str, list[Trip]] = {}
    for trip in trips:
        grouped.setdefault(trip.vehicle_id, []).append(trip)
    return grouped


days_strategy = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), first_day=days_strategy, days=st.integers(1, 3))
def test_plan_invariants(seed: int, first_day: date, days: int) -> None:
    start = datetime.combine(first_day, time(12), tzinfo=ROME)
    trips = plan_trips(FLEET, start, ROME, random.Random(seed), days=days)
    assert trips == sorted(trips, key=lambda t: (t.depart_utc, t.vehicle_id))
    for vehicle_id, own in by_vehicle(trips).items():
        spec = SPECS[vehicle_id]
        for earlier, later in pairwise(own):
            assert later.depart_utc >= earlier.return_utc, f"{vehicle_id} trips overlap"
        for trip in own:
            assert 0 <= trip.energy_used_kwh <= spec.battery_kwh * (1 - RESERVE_SOC)
            if spec.vehicle_class == "van":
                assert time(6, 0) <= local_time(trip.depart_utc) <= time(7, 0)
                assert time(15, 0) <= local_time(trip.return_utc) <= time(18, 0)
                assert 50.0 <= trip.energy_used_kwh <= min(80.0, spec.battery_kwh * (1 - RESERVE_SOC))
            else:
                assert time(7, 0) <= local_time(trip.depart_utc) <= time(22, 0)
                hours = (trip.return_utc - trip.depart_utc).total_seconds() / 3600
                assert 1.0 <= hours <= 4.0
                per_hour_kwh = trip.energy_used_kwh / hours
                low = CAR_DRIVING_SHARE[0] * URBAN_SPEED_KMH * URBAN_CONSUMPTION_KWH_PER_KM
                high = CAR_DRIVING_SHARE[1] * URBAN_SPEED_KMH * URBAN_CONSUMPTION_KWH_PER_KM
                assert low - 1e-9 <= per_hour_kwh <= high + 1e-9
        if spec.vehicle_class == "car":
            for earlier, later in pairwise(own):
                assert later.depart_utc - earlier.return_utc >= timedelta(minutes=CAR_TURNAROUND_MIN)
    per_car_day: dict[tuple[str, object], int] = {}
    for trip in trips:
        if SPECS[trip.vehicle_id].vehicle_class == "car":
            key = (trip.vehicle_id, trip.depart_utc.astimezone(ROME).date())
            per_car_day[key] = per_car_day.get(key, 0) + 1
    assert max(per_car_day.values(), default=0) <= 3
    vans = [t for t in trips if SPECS[t.vehicle_id].vehicle_class == "van"]
    assert len(vans) == len(VANS) * days


def test_same_seed_same_plan_other_seed_other_plan() -> None:
    start = datetime(2024, 5, 1, 4, 0, tzinfo=UTC)
    first = plan_trips(FLEET, start, ROME, random.Random(7), days=2)
    assert first == plan_trips(FLEET, start, ROME, random.Random(7), days=2)
    assert first != plan_trips(FLEET, start, ROME, random.Random(8), days=2)


def test_a_fleet_day_has_idle_cars_and_busy_cars() -> None:
    trips = plan_trips(FLEET, datetime(2024, 5, 1, 12, tzinfo=UTC), ROME, random.Random(1))
    counts = [len([t for t in trips if t.vehicle_id == c.vehicle_id]) for c in CARS]
    assert 0 in counts
    assert max(counts) >= 2


def test_windows_are_local_time_across_the_spring_clock_change() -> None:
    # 31 March 2024: Rome moves from UTC+1 to UTC+2 at 02:00.
    trips = plan_trips(VANS, datetime(2024, 3, 31, 12, tzinfo=ROME), ROME, random.Random(3))
    for trip in trips:
        assert trip.depart_utc.astimezone(ROME).date().isoformat() == "2024-03-31"
        assert time(6, 0) <= local_time(trip.depart_utc) <= time(7, 0)
        assert trip.depart_utc.hour in (4, 5)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        plan_trips(FLEET, datetime(2024, 5, 1), ROME, random.Random(1))
    with pytest.raises(ValueError, match="days"):
        plan_trips(FLEET, datetime(2024, 5, 1, tzinfo=UTC), ROME, random.Random(1), days=0)
    with pytest.raises(ValueError, match="unique"):
        plan_trips(VANS + VANS[:1], datetime(2024, 5, 1, tzinfo=UTC), ROME, random.Random(1))


def test_trip_book_plans_each_day_the_same_whenever_it_is_asked() -> None:
    early = TripBook(FLEET, ROME, seed=5)
    late = TripBook(FLEET, ROME, seed=5)
    day_one = datetime(2024, 5, 1, 3, 0, tzinfo=UTC)
    late.next_trip("van-0", day_one + timedelta(days=3))
    for vehicle in ("van-0", "car-1", "car-2"):
        assert early.next_trip(vehicle, day_one + timedelta(days=2)) == late.next_trip(
            vehicle, day_one + timedelta(days=2)
        )


def test_trip_book_knows_who_is_away() -> None:
    book = TripBook(FLEET, ROME, seed=5)
    noon = datetime(2024, 5, 1, 12, 0, tzinfo=ROME)
    van_trip = book.trip_at("van-0", noon)
    assert van_trip is not None
    assert van_trip.depart_utc <= noon < van_trip.return_utc
    assert book.trip_at("van-0", datetime(2024, 5, 1, 3, 0, tzinfo=ROME)) is None
    next_trip = book.next_trip("van-0", noon)
    assert next_trip is not None
    assert next_trip.depart_utc.astimezone(ROME).date().isoformat() == "2024-05-02"


def test_fixed_trips_must_not_overlap() -> None:
    t0 = datetime(2024, 5, 1, 6, tzinfo=UTC)
    trips = [
        Trip("van-0", t0, t0 + timedelta(hours=8), 50.0),
        Trip("van-0", t0 + timedelta(hours=7), t0 + timedelta(hours=9), 5.0),
    ]
    with pytest.raises(ValueError, match="overlap"):
        TripBook(VANS, ROME, seed=1, fixed_trips=trips)
    with pytest.raises(ValueError, match="unknown vehicle"):
        TripBook(VANS, ROME, seed=1, fixed_trips=[Trip("ghost", t0, t0 + timedelta(hours=1), 1.0)])
    book = TripBook(VANS, ROME, seed=1, fixed_trips=trips[:1])
    assert book.next_trip("van-0", t0 + timedelta(minutes=1)) is None
    assert book.next_trip("van-1", t0) is None
