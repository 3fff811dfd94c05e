"""Measured-like site base load and PV output for generated history.

**Base load**: the prior profile of :func:`forecasts.base_load.base_load_kw` (working day, Saturday,
Sunday or holiday shapes between ``min_kw`` and ``max_kw``), times a day-to-day level drawn for each
local day from a normal distribution of mean 1 and standard deviation ``LOAD_DAY_SIGMA``, plus an
autoregressive noise of standard deviation ``LOAD_NOISE_SIGMA_KW`` and correlation time
``LOAD_NOISE_TAU_MIN``; the result is clipped to ``[min_kw, max_kw]``.

**PV**: the clear-sky output of :func:`forecasts.pv.clear_sky_pv_kw` times a clear-sky index. Each
local day has a sky: clear, partly cloudy or overcast. The first day's sky is drawn from the month's
shares below; each later day keeps the previous day's sky with probability ``SKY_PERSISTENCE`` and
otherwise draws afresh from its month's shares, which keeps those shares as the long-run frequencies
while making weather come in spells. Within a day the index is ``mean + sigma * e(t)`` for the sky's
mean and sigma, with ``e`` a standard autoregressive process of correlation time ``SKY_TAU_MIN``,
clipped to ``[0.02, 1]``.

========================  =====================  ==========================
months                    clear / partly / overcast shares
========================  =====================  ==========================
May-August                0.50 / 0.38 / 0.12     Po valley summer
March, April, Sep., Oct.  0.35 / 0.40 / 0.25
November-February         0.30 / 0.30 / 0.40     winter fog and low cloud
========================  =====================  ==========================

========  =====  =====
sky       mean   sigma
========  =====  =====
clear     0.95   0.03
partly    0.60   0.25
overcast  0.25   0.08
========  =====  =====

These are hand-set to give Milan's familiar pattern, not fitted to measurements.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasts.base_load import base_load_kw
from forecasts.pv import clear_sky_pv_kw
from forecasts.site import BaseLoadProfile, PvArray, SiteLocation

LOAD_DAY_SIGMA = 0.05
LOAD_NOISE_SIGMA_KW = 4.0
LOAD_NOISE_TAU_MIN = 60.0
SKY_PERSISTENCE = 0.5
SKY_TAU_MIN = 30.0
SKY_INDEX_RANGE = (0.02, 1.0)
SKY_MEAN = np.array([0.95, 0.60, 0.25])
SKY_SIGMA = np.array([0.03, 0.25, 0.08])
_SUMMER = np.array([0.50, 0.38, 0.12])
_SHOULDER = np.array([0.35, 0.40, 0.25])
_WINTER = np.array([0.30, 0.30, 0.40])
SKY_SHARES_BY_MONTH = {
    month: _SUMMER if month in (5, 6, 7, 8) else _SHOULDER if month in (3, 4, 9, 10) else _WINTER
    for month in range(1, 13)
}

FloatArray = npt.NDArray[np.float64]


def _ar1(n: int, step_min: float, tau_min: float, rng: np.random.Generator) -> FloatArray:
    """A standard (unit-variance, zero-mean) autoregressive process sampled every ``step_min``."""
    rho = float(np.exp(-step_min / tau_min))
    shocks = rng.standard_normal(n) * np.sqrt(1.0 - rho**2)
    values = np.empty(n, dtype=np.float64)
    previous = float(rng.standard_normal())
    for i in range(n):
        previous = rho * previous + float(shocks[i])
        values[i] = previous
    return values


def _day_index(local_starts: pd.DatetimeIndex) -> tuple[npt.NDArray[np.int64], list[pd.Timestamp]]:
    """Position of each sample's local day among the distinct days, and those days in order."""
    days = local_starts.tz_localize(None).normalize()
    unique_days = sorted(set(days))
    position = {day: i for i, day in enumerate(unique_days)}
    return np.array([position[day] for day in days], dtype=np.int64), unique_days


def measured_base_load_kw(
    profile: BaseLoadProfile,
    location: SiteLocation,
    starts: pd.DatetimeIndex,
    ends: pd.DatetimeIndex,
    rng: np.random.Generator,
) -> pd.Series:
    """Base load as a meter would have seen it, averaged over each period [kW].

    Parameters
    ----------
    profile, location
        The load range and the site (its clock and the Italian holidays shape the profile).
    starts, ends
        Consecutive periods of equal length (UTC).
    rng
        Source of randomness.

    Returns
    -------
    pandas.Series
        ``base_load_kw`` indexed by ``starts``, within ``[min_kw, max_kw]``.
    """
    prior = base_load_kw(profile, location, starts, ends).to_numpy()
    day_of, days = _day_index(starts.tz_convert(location.timezone))
    day_level = rng.normal(1.0, LOAD_DAY_SIGMA, size=len(days))
    step_min = float((ends[0] - starts[0]).total_seconds() / 60.0)
    noise_kw = LOAD_NOISE_SIGMA_KW * _ar1(len(starts), step_min, LOAD_NOISE_TAU_MIN, rng)
    load = np.clip(prior * day_level[day_of] + noise_kw, profile.min_kw, profile.max_kw)
    return pd.Series(load, index=starts, name="base_load_kw", dtype=np.float64)


def daily_skies(days: Sequence[pd.Timestamp], rng: np.random.Generator) -> npt.NDArray[np.int64]:
    """Sky of each day: 0 clear, 1 partly cloudy, 2 overcast (see the module docstring)."""
    skies = np.empty(len(days), dtype=np.int64)
    for i, day in enumerate(days):
        shares = SKY_SHARES_BY_MONTH[day.month]
        fresh = int(rng.choice(3, p=shares))
        keep = i > 0 and rng.random() < SKY_PERSISTENCE
        skies[i] = skies[i - 1] if keep else fresh
    return skies


def measured_pv_kw(
    arrays: Sequence[PvArray],
    location: SiteLocation,
    starts: pd.DatetimeIndex,
    ends: pd.DatetimeIndex,
    rng: np.random.Generator,
) -> pd.Series:
    """PV output under generated cloudiness, averaged over each period [kW].

    Parameters
    ----------
    arrays, location
        The site's PV arrays and where they are.
    starts, ends
        Consecutive periods of equal length (UTC).
    rng
        Source of randomness.

    Returns
    -------
    pandas.Series
        ``pv_kw`` indexed by ``starts``, between 0 and the clear-sky output.
    """
    clear_kw = clear_sky_pv_kw(arrays, location, starts, ends).to_numpy()
    day_of, days = _day_index(starts.tz_convert(location.timezone))
    sky = daily_skies(days, rng)[day_of]
    step_min = float((ends[0] - starts[0]).total_seconds() / 60.0)
    index = SKY_MEAN[sky] + SKY_SIGMA[sky] * _ar1(len(starts), step_min, SKY_TAU_MIN, rng)
    pv = clear_kw * np.clip(index, *SKY_INDEX_RANGE)
    return pd.Series(pv, index=starts, name="pv_kw", dtype=np.float64)
