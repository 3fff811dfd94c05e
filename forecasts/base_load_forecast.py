"""Site base load learned from its measured history, corrected by the latest measurement.

The profile is the median of the measured load by kind of day (working day, Saturday, Sunday or
Italian public holiday) and quarter-hour of the local wall clock, over the ``HISTORY_WINDOW_DAYS``
before ``now`` (eight weeks: enough Sundays for a median, short enough to follow the seasons'
lighting and heating). Wall-clock quarter-hours follow daylight saving time: 08:00 is 08:00 in
winter and in summer, and on the 25-hour autumn Sunday both passes through 02:00-03:00 fall in the
same quarter-hours.

Fallback when history is short: a (kind of day, quarter-hour) cell is learned once the window holds
at least ``MIN_DAYS_PER_CELL`` days of that kind with a value at that quarter-hour; every other cell
takes the prior profile of :mod:`forecasts.base_load`. A new site thus starts on the prior, learns
its working days within a week and its Sundays and holidays within three.

The latest measurement corrects the near future: ``load(t) = profile(t) + (latest - profile(now)) *
exp(-(t - now) / tau)`` with ``tau`` = ``DEVIATION_TIME_CONSTANT_H`` = 2 h, so a deviation (an event,
an unusually cold morning) fades over a few hours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasts.base_load import hub_load_shape
from forecasts.day_types import DayKind, day_kinds, local_hour_of_day, to_local
from forecasts.errors import ForecastInputError
from forecasts.series import at_most_every, checked_now, checked_series, values_at
from forecasts.site import BaseLoadProfile, SiteLocation
from forecasts.slots import slot_average, sub_slot_samples

PROFILE_BIN_MIN = 15
BINS_PER_DAY = 24 * 60 // PROFILE_BIN_MIN
HISTORY_WINDOW_DAYS = 56
MIN_DAYS_PER_CELL = 3
DEVIATION_TIME_CONSTANT_H = 2.0
# A quarter-hour counts as measured when two of its three 5-minute samples are.
_MIN_BIN_COVERAGE = 2.0 / 3.0
_SAMPLE = pd.Timedelta(minutes=5)
_BIN = pd.Timedelta(minutes=PROFILE_BIN_MIN)


@dataclass(frozen=True, eq=False)
class LearnedLoadProfile:
    """Median measured load [kW] by kind of day (rows, :class:`DayKind` order) and quarter-hour.

    Attributes
    ----------
    median_kw
        Array of shape (3, ``BINS_PER_DAY``); NaN where the cell is not learned.
    n_days
        Number of measured quarter-hours behind each cell.
    timezone
        The wall clock the quarter-hours are read on.
    """

    median_kw: npt.NDArray[np.float64]
    n_days: npt.NDArray[np.int64]
    timezone: str

    def __post_init__(self) -> None:
        shape = (len(DayKind), BINS_PER_DAY)
        if np.shape(self.median_kw) != shape or np.shape(self.n_days) != shape:
            raise ForecastInputError(f"median_kw: must have shape {shape}")

    def at(self, times_utc: pd.DatetimeIndex) -> npt.NDArray[np.float64]:
        """Learned load at each instant [kW], NaN where its cell is not learned."""
        local = to_local(times_utc, self.timezone)
        result: npt.NDArray[np.float64] = self.median_kw[day_kinds(local), _bin_of(local)]
        return result


def fit_base_load_profile(
    history_kw: pd.Series | None,
    *,
    now: datetime,
    location: SiteLocation,
    window_days: int = HISTORY_WINDOW_DAYS,
) -> LearnedLoadProfile:
    """Learn the load profile from the measured history before ``now``.

    Parameters
    ----------
    history_kw
        Measured site base load [kW], >= 0, indexed by interval start (see :mod:`forecasts.series`),
        any resolution; None for no history.
    now
        Current time (timezone-aware); only the ``window_days`` before it are used.
    location
        The site; its time zone gives the wall clock and the Italian holidays apply.
    window_days
        Length of history used [days], > 0.

    Returns
    -------
    LearnedLoadProfile
        Cells with fewer than ``MIN_DAYS_PER_CELL`` values are NaN.
    """
    current = checked_now(now)
    if isinstance(window_days, bool) or not isinstance(window_days, int) or window_days <= 0:
        raise ForecastInputError(f"window_days: must be a positive int, got {window_days!r}")
    median_kw = np.full((len(DayKind), BINS_PER_DAY), np.nan)
    n_days = np.zeros((len(DayKind), BINS_PER_DAY), dtype=np.int64)
    if history_kw is None:
        return LearnedLoadProfile(median_kw, n_days, location.timezone)
    history = checked_series("history_kw", history_kw, min_value=0.0)
    bins_kw = _quarter_hour_means(history, current - pd.Timedelta(days=window_days), current)
    if len(bins_kw):
        middles = pd.DatetimeIndex(bins_kw.index) + _BIN / 2
        local = to_local(middles, location.timezone)
        cells = pd.DataFrame({"kind": day_kinds(local), "bin": _bin_of(local), "load_kw": bins_kw.to_numpy()})
        stats = cells.groupby(["kind", "bin"])["load_kw"].agg(["median", "count"])
        kinds = stats.index.get_level_values("kind").to_numpy()
        positions = stats.index.get_level_values("bin").to_numpy()
        n_days[kinds, positions] = stats["count"].to_numpy()
        learned = stats["count"].to_numpy() >= MIN_DAYS_PER_CELL
        median_kw[kinds[learned], positions[learned]] = stats["median"].to_numpy()[learned]
    return LearnedLoadProfile(median_kw, n_days, location.timezone)


def base_load_forecast_kw(
    slot_starts: pd.DatetimeIndex,
    slot_ends: pd.DatetimeIndex,
    *,
    now: datetime,
    location: SiteLocation,
    history_kw: pd.Series | None,
    latest_kw: float | None,
    prior: BaseLoadProfile,
    profile: LearnedLoadProfile | None = None,
    time_constant_h: float = DEVIATION_TIME_CONSTANT_H,
) -> pd.Series:
    """Expected site base load averaged over each slot [kW].

    Parameters
    ----------
    slot_starts, slot_ends
        The slot grid (timezone-aware, equal length).
    now
        Current time (timezone-aware).
    location
        The site (time zone and holidays).
    history_kw
        Measured base load [kW] to learn the profile from (see :func:`fit_base_load_profile`);
        None for none. Give either this or ``profile``.
    latest_kw
        The load measured just now [kW], >= 0; None when unknown.
    prior
        The prior profile's range, used where the history is too short.
    profile
        A profile fitted beforehand, to spare the fit on every call.
    time_constant_h
        Decay time of the latest deviation [h], > 0.

    Returns
    -------
    pandas.Series
        ``base_load_kw`` indexed by ``slot_starts``, >= 0.
    """
    current = checked_now(now)
    if not isinstance(prior, BaseLoadProfile):
        raise ForecastInputError(f"prior: must be a BaseLoadProfile, got {type(prior).__name__}")
    if profile is not None and history_kw is not None:
        raise ForecastInputError("profile: give history_kw or profile, not both")
    if latest_kw is not None and (
        isinstance(latest_kw, bool) or not isinstance(latest_kw, int | float) or not math.isfinite(latest_kw)
    ):
        raise ForecastInputError(f"latest_kw: must be a finite number or None, got {latest_kw!r}")
    if latest_kw is not None and latest_kw < 0:
        raise ForecastInputError(f"latest_kw: must be >= 0, got {latest_kw}")
    if not math.isfinite(time_constant_h) or time_constant_h <= 0:
        raise ForecastInputError(f"time_constant_h: must be finite and > 0, got {time_constant_h}")
    if profile is not None and profile.timezone != location.timezone:
        raise ForecastInputError(
            f"profile: learned on the {profile.timezone} clock, the site runs on {location.timezone}"
        )
    learned = profile or fit_base_load_profile(history_kw, now=current, location=location)

    samples = sub_slot_samples(slot_starts, slot_ends)
    load_kw = _expected_kw(learned, prior, location, samples.times_utc)
    if latest_kw is not None:
        deviation_kw = latest_kw - float(_expected_kw(learned, prior, location, pd.DatetimeIndex([current]))[0])
        lead_h = np.clip(np.asarray((samples.times_utc - current).total_seconds()) / 3600.0, 0.0, None)
        load_kw = load_kw + deviation_kw * np.exp(-lead_h / time_constant_h)
    average_kw = slot_average(np.clip(load_kw, 0.0, None), samples)
    return pd.Series(average_kw, index=slot_starts, name="base_load_kw", dtype=np.float64)


def _expected_kw(
    learned: LearnedLoadProfile, prior: BaseLoadProfile, location: SiteLocation, times_utc: pd.DatetimeIndex
) -> npt.NDArray[np.float64]:
    """The learned profile where learned, the prior elsewhere [kW]."""
    load_kw = learned.at(times_utc)
    missing = np.isnan(load_kw)
    if missing.any():
        local = to_local(times_utc[missing], location.timezone)
        shape = hub_load_shape(local_hour_of_day(local), day_kinds(local))
        load_kw[missing] = prior.min_kw + (prior.max_kw - prior.min_kw) * shape
    return load_kw


def _quarter_hour_means(history: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Mean load of each measured quarter-hour of ``[start, end)`` on the UTC clock [kW]."""
    first = start.floor(_BIN)
    last = end.floor(_BIN)
    if last <= first or len(history) == 0:
        return pd.Series([], index=pd.DatetimeIndex([], tz="UTC"), dtype=np.float64)
    marks = pd.date_range(first, last, freq=_SAMPLE, inclusive="left").as_unit("ns")
    values, covered = values_at(at_most_every(history, _SAMPLE), marks + _SAMPLE / 2)
    frame = pd.DataFrame({"load_kw": values, "covered": covered.astype(np.float64)}, index=marks)
    by_bin = frame.groupby(marks.floor(_BIN)).agg({"load_kw": "mean", "covered": "mean"})
    return by_bin["load_kw"][by_bin["covered"] >= _MIN_BIN_COVERAGE]


def _bin_of(local_times: pd.DatetimeIndex) -> npt.NDArray[np.int64]:
    minutes = np.asarray(local_times.hour) * 60 + np.asarray(local_times.minute)
    bins: npt.NDArray[np.int64] = (minutes // PROFILE_BIN_MIN).astype(np.int64)
    return bins
