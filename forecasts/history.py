"""Reproducible months of site history: charging sessions, base load and PV, from one seed.

A fresh installation has no history to learn from, and the forecasts' back-tests need long records
with a known truth. :func:`generate_history` plays the fleet's trip patterns
(:mod:`forecasts.history_trips`) through the hub's chargers (:mod:`forecasts.history_hub`) and
draws measured-like base load and PV (:mod:`forecasts.history_weather`); each part has its own
random stream spawned from ``seed``, so the same seed gives the same history and changing one
part's rules leaves the others' draws alone.

The history covers ``days`` local calendar days from the local midnight of ``start``. Trips are
planned from the day before, so the hub is in a realistic state when the window opens; the
sessions are those that end inside the window (some began the evening before it), and vehicles
still plugged in at its end are left out, as a history of finished sessions would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from forecasts.day_calendar import check_holiday_country
from forecasts.errors import ForecastInputError
from forecasts.history_hub import HubCharger, HubSession, HubVehicle, simulate_hub
from forecasts.history_trips import TripVehicle, plan_fleet_trips
from forecasts.history_weather import measured_base_load_kw, measured_pv_kw
from forecasts.sessions import check_now
from forecasts.site import BaseLoadProfile, PvArray, SiteLocation

INITIAL_SOC_RANGE = (0.5, 0.9)
_MAX_DAYS = 3660


@dataclass(frozen=True, slots=True)
class HistorySite:
    """What the generator needs to know about the site.

    Parameters
    ----------
    location
        Where the site is (its time zone sets the local clock of the trip patterns).
    pv_arrays
        The PV arrays.
    base_load
        The range of the site's own load.
    chargers
        Charge points in the site's order (the order breaks ties between equal chargers).
    vehicles
        The fleet; ``vehicle_class`` ``"van"`` follows the van pattern, any other the car pattern.
    holiday_country
        Calendar of public holidays for the trip patterns (ISO 3166 code).
    """

    location: SiteLocation
    pv_arrays: tuple[PvArray, ...]
    base_load: BaseLoadProfile
    chargers: tuple[HubCharger, ...]
    vehicles: tuple[HubVehicle, ...]
    holiday_country: str = "IT"

    def __post_init__(self) -> None:
        if not self.chargers:
            raise ForecastInputError("chargers: the site needs at least one charger")
        if not self.vehicles:
            raise ForecastInputError("vehicles: the site needs at least one vehicle")
        for field_name, ids in (
            ("chargers", [(c.charge_point_id, c.connector_id) for c in self.chargers]),
            ("vehicles", [v.vehicle_id for v in self.vehicles]),
        ):
            if len(set(ids)) != len(ids):
                raise ForecastInputError(f"{field_name}: ids must be unique")
        for charger in self.chargers:
            if charger.kind not in ("AC", "DC") or not charger.max_power_kw > 0:
                raise ForecastInputError(f"chargers: {charger.charge_point_id} needs kind AC or DC and power > 0")
        for vehicle in self.vehicles:
            if not (vehicle.battery_kwh > 0 and vehicle.max_ac_kw > 0 and vehicle.max_dc_kw > 0):
                raise ForecastInputError(f"vehicles: {vehicle.vehicle_id} needs battery and charging limits > 0")
        check_holiday_country(self.holiday_country)


@dataclass(frozen=True)
class History:
    """Generated site history.

    Attributes
    ----------
    sessions
        One row per finished charging session, sorted by arrival: the columns of
        :mod:`forecasts.sessions` plus ``charge_point_id`` and ``connector_id``.
    base_load_kw
        Site base load averaged over each period [kW], indexed by period start (UTC).
    pv_kw
        PV output averaged over each period [kW], same index.
    seed
        The seed it was generated from.
    """

    sessions: pd.DataFrame
    base_load_kw: pd.Series
    pv_kw: pd.Series
    seed: int


def generate_history(site: HistorySite, *, start: datetime, days: int, seed: int, step_min: int = 15) -> History:
    """Generate ``days`` days of sessions, base load and PV for ``site``.

    Parameters
    ----------
    site
        The site.
    start
        Any instant of the first local day (timezone-aware).
    days
        Number of local calendar days, in [1, 3660].
    seed
        Seed of every random draw, >= 0.
    step_min
        Period of the base-load and PV series [min], a multiple of 5 dividing 60.

    Returns
    -------
    History
        Sessions, base load and PV of the window.
    """
    start_utc = check_now(start, "start")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= _MAX_DAYS:
        raise ForecastInputError(f"days: must be an int in [1, {_MAX_DAYS}], got {days!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ForecastInputError(f"seed: must be an int >= 0, got {seed!r}")
    if isinstance(step_min, bool) or not isinstance(step_min, int) or step_min <= 0 or 60 % step_min or step_min % 5:
        raise ForecastInputError(f"step_min: must be a multiple of 5 that divides 60, got {step_min!r}")

    timezone = site.location.timezone
    first_day = start_utc.tz_convert(timezone).date()
    window_start = pd.Timestamp(first_day).tz_localize(timezone).tz_convert("UTC")
    window_end = pd.Timestamp(first_day + timedelta(days=days)).tz_localize(timezone).tz_convert("UTC")
    trips_rng, soc_rng, load_rng, pv_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4))

    warm_up_day = first_day - timedelta(days=1)
    fleet = [TripVehicle(v.vehicle_id, v.vehicle_class, v.battery_kwh) for v in site.vehicles]
    trips = plan_fleet_trips(fleet, warm_up_day, days + 1, timezone, site.holiday_country, trips_rng)
    warm_up_start = pd.Timestamp(warm_up_day).tz_localize(timezone).tz_convert("UTC")
    initial_soc = soc_rng.uniform(*INITIAL_SOC_RANGE, size=len(site.vehicles))
    hub_sessions = simulate_hub(site.vehicles, site.chargers, trips, int(warm_up_start.value), initial_soc)
    sessions = _session_frame(site, hub_sessions, window_start, window_end)

    step = pd.Timedelta(minutes=step_min)
    starts = pd.date_range(window_start, window_end, freq=step, inclusive="left", name="period_start_utc").as_unit("ns")
    ends = starts + step
    return History(
        sessions=sessions,
        base_load_kw=measured_base_load_kw(site.base_load, site.location, starts, ends, load_rng),
        pv_kw=measured_pv_kw(site.pv_arrays, site.location, starts, ends, pv_rng),
        seed=seed,
    )


def _session_frame(
    site: HistorySite, sessions: list[HubSession], window_start: pd.Timestamp, window_end: pd.Timestamp
) -> pd.DataFrame:
    vehicle = [site.vehicles[s.vehicle_index] for s in sessions]
    frame = pd.DataFrame(
        {
            "vehicle_id": pd.Series([v.vehicle_id for v in vehicle], dtype=str),
            "vehicle_class": pd.Series([v.vehicle_class for v in vehicle], dtype=str),
            "arrived_at": pd.to_datetime(np.array([s.plugged_ns for s in sessions], dtype=np.int64), utc=True),
            "departed_at": pd.to_datetime(np.array([s.unplugged_ns for s in sessions], dtype=np.int64), utc=True),
            "energy_kwh": np.round(np.array([s.energy_kwh for s in sessions], dtype=np.float64), 3),
            "charge_point_id": pd.Series([site.chargers[s.charger_index].charge_point_id for s in sessions], dtype=str),
            "connector_id": np.array([site.chargers[s.charger_index].connector_id for s in sessions], dtype=np.int64),
        }
    )
    inside = (frame["departed_at"] > window_start) & (frame["departed_at"] <= window_end)
    return frame.loc[inside].sort_values(["arrived_at", "vehicle_id"], kind="stable").reset_index(drop=True)
