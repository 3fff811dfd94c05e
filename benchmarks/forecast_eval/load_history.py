"""A seeded year of measured-like base load for a mobility hub, independent of the prior's shape.

Built from the loads a hub of offices, workshops and outdoor lighting has, not from the prior profile
of :mod:`forecasts.base_load`, so that a back-test shows whether the learned profile finds a shape it
was not given (every 15 minutes, kW):

* standby (ventilation, servers, security): 38, varying by a few kW from day to day;
* occupancy: working days a ramp 07:00-09:00 to 50, to 10 by 19:00 and 0 by 21:00; Saturdays 20 from
  09:00 to 17:00; Sundays and Italian public holidays 5 from 10:00 to 16:00; occupancy halves in the
  three weeks around Ferragosto (15 August);
* heating and cooling while occupied: 0.8 kW per degC of daily mean temperature below 15 degC, 1.2
  per degC above 22 degC, the temperature a seasonal cycle for Milan (3 degC in January, 25 degC in
  July) plus an autoregressive day-to-day anomaly;
* outdoor lighting: 22 whenever the sun is more than 3 degrees below the horizon, dimmed to 40 %
  from 01:00 to 05:00;
* workshop jobs: on 4 % of working days 25 more for 3 to 5 hours from 09:00-15:00;
* meter-level noise: autoregressive, standard deviation 3 kW, correlation time 90 minutes.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import pvlib

from forecasts import DayKind, SiteLocation
from forecasts.day_types import day_kinds, local_hour_of_day

FloatArray = npt.NDArray[np.float64]
STEP = pd.Timedelta(minutes=15)


def synthetic_base_load_kw(location: SiteLocation, start: pd.Timestamp, days: int, seed: int) -> pd.Series:
    """Base load every 15 minutes from the local midnight of ``start`` for ``days`` days [kW].

    Returns
    -------
    pandas.Series
        Mean load over each quarter-hour, indexed by its start (UTC), >= 0.
    """
    rng = np.random.default_rng(seed)
    first = pd.Timestamp(start.date(), tz=location.timezone)
    last = first + pd.DateOffset(days=days)
    starts = pd.date_range(first.tz_convert("UTC"), last.tz_convert("UTC"), freq=STEP, inclusive="left")
    middles = starts + STEP / 2
    local = middles.tz_convert(location.timezone)
    hour = local_hour_of_day(local)
    kind = day_kinds(local)
    dates = np.asarray(local.tz_localize(None).normalize())
    day_of = np.unique(dates, return_inverse=True)[1]
    n_days = int(day_of.max()) + 1
    day_of_year = np.asarray(local.dayofyear, dtype=np.float64)

    standby_kw = 38.0 + rng.normal(0.0, 2.0, n_days)[day_of]
    occupancy_kw = _occupancy_kw(hour, kind) * _holiday_season(local)
    temperature_c = 14.0 - 11.0 * np.cos(2.0 * np.pi * (day_of_year - 20.0) / 365.0)
    temperature_c = temperature_c + _ar1(n_days, 0.8, 2.5, rng)[day_of]
    comfort_kw = 0.8 * np.clip(15.0 - temperature_c, 0.0, None) + 1.2 * np.clip(temperature_c - 22.0, 0.0, None)
    hvac_kw = comfort_kw * (occupancy_kw > 0.0)
    lighting_kw = _lighting_kw(location, middles, hour)
    jobs_kw = _workshop_jobs_kw(hour, kind, day_of, n_days, rng)
    noise_kw = _ar1(len(starts), float(np.exp(-15.0 / 90.0)), 3.0, rng)
    load_kw = standby_kw + occupancy_kw + hvac_kw + lighting_kw + jobs_kw + noise_kw
    return pd.Series(np.clip(load_kw, 0.0, None), index=starts, name="base_load_kw")


def _occupancy_kw(hour: FloatArray, kind: npt.NDArray[np.int8]) -> FloatArray:
    working = np.interp(hour, [0, 7, 9, 17, 19, 21, 24], [0, 0, 50, 50, 10, 0, 0])
    saturday = np.interp(hour, [0, 8, 9, 17, 18, 24], [0, 0, 20, 20, 0, 0])
    sunday = np.interp(hour, [0, 9.5, 10, 16, 16.5, 24], [0, 0, 5, 5, 0, 0])
    return np.select(
        [kind == DayKind.WORKING_DAY, kind == DayKind.SATURDAY], [working, saturday], default=sunday
    ).astype(np.float64)


def _holiday_season(local: pd.DatetimeIndex) -> FloatArray:
    august_break = (local.month == 8) & (local.day >= 5) & (local.day <= 25)
    return np.where(np.asarray(august_break), 0.5, 1.0)


def _lighting_kw(location: SiteLocation, times_utc: pd.DatetimeIndex, hour: FloatArray) -> FloatArray:
    elevation = pvlib.solarposition.get_solarposition(
        times_utc, location.latitude_deg, location.longitude_deg, altitude=location.altitude_m
    )["apparent_elevation"].to_numpy()
    dimmed = (hour >= 1.0) & (hour < 5.0)
    return np.where(elevation < -3.0, np.where(dimmed, 0.4 * 22.0, 22.0), 0.0)


def _workshop_jobs_kw(
    hour: FloatArray, kind: npt.NDArray[np.int8], day_of: npt.NDArray[np.int64], n_days: int, rng: np.random.Generator
) -> FloatArray:
    has_job = rng.random(n_days) < 0.04
    begin_h = rng.uniform(9.0, 15.0, n_days)
    length_h = rng.uniform(3.0, 5.0, n_days)
    on = has_job[day_of] & (hour >= begin_h[day_of]) & (hour < begin_h[day_of] + length_h[day_of])
    return np.where(on & (kind == DayKind.WORKING_DAY), 25.0, 0.0)


def _ar1(n: int, rho: float, sigma: float, rng: np.random.Generator) -> FloatArray:
    """Autoregressive noise of stationary standard deviation ``sigma``."""
    shocks = rng.normal(0.0, sigma * np.sqrt(1.0 - rho**2), n)
    values = np.empty(n, dtype=np.float64)
    previous = float(rng.normal(0.0, sigma))
    for i in range(n):
        previous = rho * previous + float(shocks[i])
        values[i] = previous
    return values
