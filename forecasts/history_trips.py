"""Trips of the fleet for generated history: when each vehicle leaves the hub, returns, and uses.

Distributions (times are local wall-clock times of each calendar day, so they follow DST; minutes
are drawn as whole numbers, uniform over the stated ranges):

* **Vans** (e-logistics) do a delivery round every day: they leave between 06:00 and 07:00, come
  back between 15:00 and 18:00 and use 50-80 kWh, as in the simulator's day plan.
* **Cars** (car sharing) are not booked at all on a day with probability 0.15 on working days,
  0.40 on Saturdays and 0.55 on Sundays and public holidays (fewer bookings at weekends: on average
  1.7, 1.2 and 0.9 bookings a day); otherwise they take 1-3 bookings. The 07:00-22:00 window is cut
  into one equal share per booking and each booking departs in its share, after the previous return
  plus 30 minutes. A booking lasts 60-240 min, the car is driven 40-80 % of it at 25 km/h using
  0.17 kWh/km: 1.7-13.6 kWh for a 1-4 h booking.
* No trip uses more than 90 % of the vehicle's battery.

Any other class of vehicle follows the car pattern.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from forecasts.day_calendar import day_kinds_in
from forecasts.day_types import DayKind

VAN_DEPART_MIN = (6 * 60, 7 * 60)
VAN_RETURN_MIN = (15 * 60, 18 * 60)
VAN_ENERGY_KWH = (50.0, 80.0)
CAR_WINDOW_MIN = (7 * 60, 22 * 60)
CAR_IDLE_PROBABILITY = {DayKind.WORKING_DAY: 0.15, DayKind.SATURDAY: 0.40, DayKind.SUNDAY_OR_HOLIDAY: 0.55}
CAR_BOOKINGS_PER_DAY = (1, 3)
CAR_DURATION_MIN = (60, 240)
CAR_TURNAROUND_MIN = 30
CAR_DRIVING_SHARE = (0.4, 0.8)
URBAN_SPEED_KMH = 25.0
URBAN_CONSUMPTION_KWH_PER_KM = 0.17
MAX_TRIP_SHARE_OF_BATTERY = 0.9


@dataclass(frozen=True, slots=True)
class TripVehicle:
    """What the trip plan needs of a vehicle: its id, class and battery [kWh]."""

    vehicle_id: str
    vehicle_class: str
    battery_kwh: float


@dataclass(frozen=True, slots=True)
class PlannedTrip:
    """One absence from the hub; times in UTC nanoseconds, ``energy_kwh`` drawn from the battery."""

    vehicle_index: int
    depart_ns: int
    return_ns: int
    energy_kwh: float


def _local_ns(day: date, minute_of_day: int, timezone: str) -> int:
    naive = pd.Timestamp(day) + pd.Timedelta(minutes=minute_of_day)
    return int(naive.tz_localize(timezone, nonexistent="shift_forward", ambiguous=True).value)


def _van_trip(index: int, battery_kwh: float, day: date, timezone: str, rng: np.random.Generator) -> PlannedTrip:
    depart = int(rng.integers(VAN_DEPART_MIN[0], VAN_DEPART_MIN[1], endpoint=True))
    back = int(rng.integers(VAN_RETURN_MIN[0], VAN_RETURN_MIN[1], endpoint=True))
    energy_kwh = min(float(rng.uniform(*VAN_ENERGY_KWH)), MAX_TRIP_SHARE_OF_BATTERY * battery_kwh)
    return PlannedTrip(index, _local_ns(day, depart, timezone), _local_ns(day, back, timezone), energy_kwh)


def _car_trips(
    index: int, battery_kwh: float, day: date, kind: DayKind, timezone: str, rng: np.random.Generator
) -> list[PlannedTrip]:
    if rng.random() < CAR_IDLE_PROBABILITY[kind]:
        return []
    count = int(rng.integers(CAR_BOOKINGS_PER_DAY[0], CAR_BOOKINGS_PER_DAY[1], endpoint=True))
    window_start, window_end = CAR_WINDOW_MIN
    share_min = (window_end - window_start) // count
    trips = []
    earliest = window_start
    for booking in range(count):
        share_start = window_start + booking * share_min
        share_end = share_start + share_min
        earliest = max(earliest, share_start)
        if earliest > share_end:
            continue
        depart = earliest + int(rng.integers(0, share_end - earliest, endpoint=True))
        duration = int(rng.integers(CAR_DURATION_MIN[0], CAR_DURATION_MIN[1], endpoint=True))
        driven_km = duration / 60 * float(rng.uniform(*CAR_DRIVING_SHARE)) * URBAN_SPEED_KMH
        energy_kwh = min(driven_km * URBAN_CONSUMPTION_KWH_PER_KM, MAX_TRIP_SHARE_OF_BATTERY * battery_kwh)
        depart_ns = _local_ns(day, depart, timezone)
        trips.append(PlannedTrip(index, depart_ns, depart_ns + duration * 60_000_000_000, energy_kwh))
        earliest = depart + duration + CAR_TURNAROUND_MIN
    return trips


def plan_fleet_trips(
    vehicles: Sequence[TripVehicle],
    first_day: date,
    days: int,
    timezone: str,
    holiday_country: str,
    rng: np.random.Generator,
) -> list[PlannedTrip]:
    """Every vehicle's trips for ``days`` local calendar days from ``first_day``.

    Parameters
    ----------
    vehicles
        The fleet; ``"van"`` follows the van pattern, every other class the car pattern.
    first_day
        First local calendar day.
    days
        Number of days, >= 1.
    timezone
        Site time zone (IANA name).
    holiday_country
        Calendar for the kind of each day.
    rng
        Source of randomness, consumed day by day, vehicle by vehicle.

    Returns
    -------
    list of PlannedTrip
        In day order, then vehicle order, then departure order; a vehicle's trips never overlap.
    """
    dates = [first_day + timedelta(days=offset) for offset in range(days)]
    noons = pd.DatetimeIndex([pd.Timestamp(d) + pd.Timedelta(hours=12) for d in dates]).tz_localize(timezone)
    kinds = day_kinds_in(noons, holiday_country)
    trips: list[PlannedTrip] = []
    for day, kind in zip(dates, kinds, strict=True):
        for index, vehicle in enumerate(vehicles):
            if vehicle.vehicle_class == "van":
                trips.append(_van_trip(index, vehicle.battery_kwh, day, timezone, rng))
            else:
                trips.extend(_car_trips(index, vehicle.battery_kwh, day, DayKind(int(kind)), timezone, rng))
    return trips
