"""One seeded week at the Milan hub: the fleet, its trips and the site's conditions.

Vehicles and their starting state of charge come from the demo's simulated fleet
(:func:`fleet.simulation.simulated_vehicles`), trips from the simulator's day plan
(:func:`ocpp_server.simulator.day_plan.plan_trips`). Trips are laid on the plant's 5-minute steps,
departures rounded down and returns up, so a vehicle never has more time at the hub than planned.
Trips are planned for ``LOOKAHEAD_DAYS`` beyond the week too: bookings made near its end need a
next departure, and the planner's horizon looks up to three days ahead.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from benchmarks.milan.conditions import STEP_MIN, SiteConditions, SiteForecastSeries, site_conditions
from fleet.simulation import simulated_vehicles
from fleet.site_config import SiteConfig
from ocpp_server.simulator.battery import SimVehicleSpec
from ocpp_server.simulator.day_plan import Trip, plan_trips

LOOKAHEAD_DAYS = 3
STEPS_PER_DAY = 24 * 60 // STEP_MIN


@dataclass(frozen=True, slots=True)
class Scenario:
    site: SiteConfig
    seed: int
    start_utc: datetime
    days: int
    vehicles: tuple[SimVehicleSpec, ...]
    trips: tuple[Trip, ...]
    """Every trip, on step boundaries, sorted by departure."""
    conditions: SiteConditions

    @property
    def n_steps(self) -> int:
        """Steps of the simulated week (the conditions run ``LOOKAHEAD_DAYS`` longer)."""
        return self.days * STEPS_PER_DAY

    def time_of(self, step: int) -> datetime:
        return self.start_utc + timedelta(minutes=STEP_MIN * step)


def _floor_to_step(at: datetime, origin: datetime) -> datetime:
    steps = (at - origin) // timedelta(minutes=STEP_MIN)
    return origin + steps * timedelta(minutes=STEP_MIN)


def _on_steps(trip: Trip, origin: datetime) -> Trip:
    depart = _floor_to_step(trip.depart_utc, origin)
    back = _floor_to_step(trip.return_utc, origin)
    if back < trip.return_utc:
        back += timedelta(minutes=STEP_MIN)
    return Trip(trip.vehicle_id, depart, back, trip.energy_used_kwh)


def build_scenario(site: SiteConfig, forecast: SiteForecastSeries, seed: int, days: int) -> Scenario:
    """The week of ``days`` days from ``forecast.start_utc`` (local midnight), for one seed.

    Parameters
    ----------
    site
        The site file (vehicles, chargers, location).
    forecast
        The forecasters' output from the start, covering at least ``days + LOOKAHEAD_DAYS`` days.
    seed
        Seed of the fleet's starting state, the trips, the clouds and the base-load noise.
    days
        Simulated days, >= 1.
    """
    if days < 1:
        raise ValueError(f"days: must be at least 1, got {days}")
    needed_steps = (days + LOOKAHEAD_DAYS) * STEPS_PER_DAY
    if forecast.n_steps < needed_steps:
        raise ValueError(f"forecast: {forecast.n_steps} steps, the scenario needs {needed_steps}")
    start = forecast.start_utc
    timezone = ZoneInfo(site.site.location.timezone)
    vehicles = tuple(simulated_vehicles(site, random.Random(f"{seed}:fleet")))
    trips = plan_trips(vehicles, start, timezone, random.Random(f"{seed}:trips"), days=days + LOOKAHEAD_DAYS)
    return Scenario(
        site=site,
        seed=seed,
        start_utc=start,
        days=days,
        vehicles=vehicles,
        trips=tuple(sorted((_on_steps(t, start) for t in trips), key=lambda t: (t.depart_utc, t.vehicle_id))),
        conditions=site_conditions(site, forecast, seed),
    )
