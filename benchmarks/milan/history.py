"""Four weeks of the fleet's past before the simulated week: what the site's store would hold.

The product plans with expected arrivals learnt from its finished sessions
(:func:`fleet.arrival_forecast.expected_arrivals_by_hour`). A run that starts on an empty store
would measure a controller that never saw the site; these sessions are drawn from the same trip
model as the week (:func:`ocpp_server.simulator.day_plan.plan_trips`), with their own seed, so the
forecast learns the fleet's habits without knowing the week itself.
"""

from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from fleet.site_config import SiteConfig
from forecasts.sessions import SESSION_COLUMNS
from ocpp_server.simulator.battery import CHARGING_EFFICIENCY, SimVehicleSpec
from ocpp_server.simulator.day_plan import plan_trips

HISTORY_DAYS = 28


def history_sessions(
    site: SiteConfig, vehicles: tuple[SimVehicleSpec, ...], start_utc: datetime, seed: int, days: int = HISTORY_DAYS
) -> pd.DataFrame:
    """The sessions of the ``days`` days before ``start_utc``, columns ``forecasts.SESSION_COLUMNS``.

    A session is a vehicle's stay at the hub between two trips: from the end of one to the start of
    the next, metering what the first one used from the battery, at the chargers' efficiency. Stays
    still open at ``start_utc`` are left out, as the store holds only finished sessions.
    """
    if days < 1:
        raise ValueError(f"days: must be at least 1, got {days}")
    timezone = ZoneInfo(site.site.location.timezone)
    first = start_utc - timedelta(days=days)
    trips = plan_trips(vehicles, first, timezone, random.Random(f"{seed}:history"), days=days)
    classes = {v.vehicle_id: v.vehicle_class for v in vehicles}
    by_vehicle: dict[str, list[tuple[datetime, datetime, float]]] = {}
    for trip in trips:
        by_vehicle.setdefault(trip.vehicle_id, []).append((trip.depart_utc, trip.return_utc, trip.energy_used_kwh))
    rows: list[tuple[str, str, datetime, datetime, float]] = []
    for vehicle_id, own in by_vehicle.items():
        own.sort()
        for (_, back, used_kwh), (next_depart, _, _) in itertools.pairwise(own):
            if back < next_depart <= start_utc:
                rows.append((vehicle_id, classes[vehicle_id], back, next_depart, used_kwh / CHARGING_EFFICIENCY))
    return sessions_frame(rows).sort_values("arrived_at", kind="stable").reset_index(drop=True)


def sessions_frame(rows: list[tuple[str, str, datetime, datetime, float]]) -> pd.DataFrame:
    """``(vehicle_id, vehicle_class, arrived_at, departed_at, energy_kwh)`` rows as the store's
    finished sessions (``forecasts.SESSION_COLUMNS``, times in UTC)."""
    frame = pd.DataFrame(rows, columns=list(SESSION_COLUMNS))
    for column in ("arrived_at", "departed_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame
