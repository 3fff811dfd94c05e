"""The trips of a running simulation: planned day by day as time advances, or given up front.

Each day is planned with its own random generator seeded from the site seed and the date, so a
day's plan does not depend on when the simulation started or how far it has run.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta, tzinfo

from ocpp_server.simulator.battery import SimVehicleSpec
from ocpp_server.simulator.day_plan import Trip, plan_trips

LOOKAHEAD_DAYS = 7
"""How many days ahead to look for a vehicle's next trip before deciding it has none."""


class TripBook:
    """Trips per vehicle, in departure order.

    Parameters
    ----------
    vehicles
        The fleet.
    timezone
        The site's time zone (day boundaries for planning).
    seed
        Seed of the daily plans.
    fixed_trips
        When given, exactly these trips and no planning (for tests and replays of recorded data).
    """

    def __init__(
        self,
        vehicles: Sequence[SimVehicleSpec],
        timezone: tzinfo,
        seed: int,
        fixed_trips: Sequence[Trip] | None = None,
    ) -> None:
        self._vehicles = tuple(vehicles)
        self._timezone = timezone
        self._seed = seed
        self._by_vehicle: dict[str, list[Trip]] = {v.vehicle_id: [] for v in vehicles}
        self._planned_days: set[date] | None = None if fixed_trips is not None else set()
        if fixed_trips is not None:
            for trip in fixed_trips:
                if trip.vehicle_id not in self._by_vehicle:
                    raise ValueError(f"trip for unknown vehicle {trip.vehicle_id}")
                self._by_vehicle[trip.vehicle_id].append(trip)
            for vehicle_id, trips in self._by_vehicle.items():
                trips.sort(key=lambda t: t.depart_utc)
                for earlier, later in itertools.pairwise(trips):
                    if later.depart_utc < earlier.return_utc:
                        raise ValueError(f"trips of {vehicle_id} overlap at {later.depart_utc.isoformat()}")

    def trip_at(self, vehicle_id: str, when_utc: datetime) -> Trip | None:
        """The trip the vehicle is on at ``when_utc`` (departed, not yet back), if any."""
        self._plan_around(when_utc)
        for trip in self._by_vehicle[vehicle_id]:
            if trip.depart_utc <= when_utc < trip.return_utc:
                return trip
        return None

    def next_trip(self, vehicle_id: str, after_utc: datetime) -> Trip | None:
        """The first trip departing at or after ``after_utc``, within ``LOOKAHEAD_DAYS``."""
        self._plan_around(after_utc)
        trips = self._by_vehicle[vehicle_id]
        index = bisect.bisect_left([t.depart_utc for t in trips], after_utc)
        if index < len(trips):
            return trips[index]
        return None

    def _plan_around(self, when_utc: datetime) -> None:
        """Plan from the day before ``when_utc`` (trips still under way) to the lookahead."""
        if self._planned_days is None:
            return
        today = when_utc.astimezone(self._timezone).date()
        for offset in range(-1, LOOKAHEAD_DAYS + 1):
            day = today + timedelta(days=offset)
            if day in self._planned_days:
                continue
            self._planned_days.add(day)
            noon = datetime(day.year, day.month, day.day, 12, tzinfo=self._timezone)
            rng = random.Random(f"{self._seed}:{day.isoformat()}")
            for trip in plan_trips(self._vehicles, noon, self._timezone, rng):
                bisect.insort(self._by_vehicle[trip.vehicle_id], trip, key=lambda t: t.depart_utc)
