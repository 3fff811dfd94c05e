"""Who drives when: a reproducible plan of the fleet's trips.

Assumptions (defaults of the Milan site, see the site description):

* E-logistics vans work every day: they leave between 06:00 and 07:00 local time, come back
  between 15:00 and 18:00, and use 50-80 kWh on their delivery round.
* Shared e-cars take 1-3 bookings a day, each 1-4 h long, departing between 07:00 and 22:00 local
  time; a car stays at the hub at least ``CAR_TURNAROUND_MIN`` minutes between bookings, and
  ``CAR_IDLE_PROBABILITY`` of the cars are not booked on a given day. During a booking a car is
  driven ``CAR_DRIVING_SHARE`` of the time at ``URBAN_SPEED_KMH`` and uses
  ``URBAN_CONSUMPTION_KWH_PER_KM`` (urban driving, heating or air conditioning included), so a
  4-hour booking uses about 7-14 kWh.
* No trip uses more than ``1 - RESERVE_SOC`` of its vehicle's battery: a plan never asks for
  more energy than a full battery holds.

Latest car return is 22:00 + 4 h = 02:00, before the next day's first departure, so plans of
consecutive days never overlap.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from ocpp_server.simulator.battery import SimVehicleSpec

VAN_DEPART_LOCAL = (time(6, 0), time(7, 0))
VAN_RETURN_LOCAL = (time(15, 0), time(18, 0))
VAN_ENERGY_KWH = (50.0, 80.0)
CAR_DEPART_LOCAL = (time(7, 0), time(22, 0))
CAR_TRIPS_PER_DAY = (1, 3)
CAR_DURATION_MIN = (60, 240)
CAR_TURNAROUND_MIN = 30
CAR_IDLE_PROBABILITY = 0.15
CAR_DRIVING_SHARE = (0.4, 0.8)
URBAN_SPEED_KMH = 25.0
URBAN_CONSUMPTION_KWH_PER_KM = 0.17
RESERVE_SOC = 0.1


@dataclass(frozen=True, slots=True)
class Trip:
    """One absence of a vehicle from the hub; ``energy_used_kwh`` is drawn from its battery."""

    vehicle_id: str
    depart_utc: datetime
    return_utc: datetime
    energy_used_kwh: float

    def __post_init__(self) -> None:
        if self.return_utc <= self.depart_utc:
            raise ValueError(f"trip of {self.vehicle_id}: return_utc must be after depart_utc")
        if self.energy_used_kwh < 0:
            raise ValueError(f"trip of {self.vehicle_id}: energy_used_kwh must be >= 0")


def _local(day: date, at: time, timezone: tzinfo) -> datetime:
    return datetime.combine(day, at, tzinfo=timezone).astimezone(UTC)


def _minutes_between(start: time, end: time) -> int:
    return (end.hour - start.hour) * 60 + end.minute - start.minute


def _usable_kwh(vehicle: SimVehicleSpec) -> float:
    return vehicle.battery_kwh * (1 - RESERVE_SOC)


def _van_trip(vehicle: SimVehicleSpec, day: date, timezone: tzinfo, rng: random.Random) -> Trip:
    depart_from, depart_to = VAN_DEPART_LOCAL
    return_from, return_to = VAN_RETURN_LOCAL
    depart = _local(day, depart_from, timezone) + timedelta(
        minutes=rng.randint(0, _minutes_between(depart_from, depart_to))
    )
    back = _local(day, return_from, timezone) + timedelta(
        minutes=rng.randint(0, _minutes_between(return_from, return_to))
    )
    energy_kwh = min(rng.uniform(*VAN_ENERGY_KWH), _usable_kwh(vehicle))
    return Trip(vehicle.vehicle_id, depart, back, energy_kwh)


def _car_trips(vehicle: SimVehicleSpec, day: date, timezone: tzinfo, rng: random.Random) -> list[Trip]:
    """Bookings placed one per equal share of the departure window, never overlapping."""
    if rng.random() < CAR_IDLE_PROBABILITY:
        return []
    count = rng.randint(*CAR_TRIPS_PER_DAY)
    window_start = _local(day, CAR_DEPART_LOCAL[0], timezone)
    window_min = _minutes_between(*CAR_DEPART_LOCAL)
    share_min = window_min // count
    trips: list[Trip] = []
    earliest = window_start
    for index in range(count):
        share_start = window_start + timedelta(minutes=index * share_min)
        share_end = share_start + timedelta(minutes=share_min)
        earliest = max(earliest, share_start)
        if earliest > share_end:
            continue
        slack_min = int((share_end - earliest).total_seconds() // 60)
        depart = earliest + timedelta(minutes=rng.randint(0, slack_min))
        duration_min = rng.randint(*CAR_DURATION_MIN)
        driven_km = duration_min / 60 * rng.uniform(*CAR_DRIVING_SHARE) * URBAN_SPEED_KMH
        energy_kwh = min(driven_km * URBAN_CONSUMPTION_KWH_PER_KM, _usable_kwh(vehicle))
        back = depart + timedelta(minutes=duration_min)
        trips.append(Trip(vehicle.vehicle_id, depart, back, energy_kwh))
        earliest = back + timedelta(minutes=CAR_TURNAROUND_MIN)
    return trips


def plan_trips(
    vehicles: Sequence[SimVehicleSpec],
    day_start_utc: datetime,
    timezone: tzinfo,
    rng: random.Random,
    *,
    days: int = 1,
) -> list[Trip]:
    """Plan every vehicle's trips for ``days`` consecutive local days.

    Parameters
    ----------
    vehicles
        The fleet; vans and cars follow the patterns in the module docstring.
    day_start_utc
        Any time on the first day to plan; its local date in ``timezone`` is that day.
    timezone
        The site's time zone (departure windows are local times), e.g. ``ZoneInfo("Europe/Rome")``.
    rng
        Source of randomness; the same seed gives the same plan.
    days
        Number of days to plan, >= 1.

    Returns
    -------
    list of Trip
        Sorted by departure, then vehicle id.
    """
    if day_start_utc.tzinfo is None:
        raise ValueError("day_start_utc must be timezone-aware")
    if days < 1:
        raise ValueError(f"days must be >= 1, got {days}")
    ids = [v.vehicle_id for v in vehicles]
    if len(set(ids)) != len(ids):
        raise ValueError("vehicle ids must be unique")
    first_day = day_start_utc.astimezone(timezone).date()
    trips: list[Trip] = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        for vehicle in vehicles:
            if vehicle.vehicle_class == "van":
                trips.append(_van_trip(vehicle, day, timezone, rng))
            else:
                trips.extend(_car_trips(vehicle, day, timezone, rng))
    return sorted(trips, key=lambda t: (t.depart_utc, t.vehicle_id))
