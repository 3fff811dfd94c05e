"""Measured or forecast time series as the forecasters read them: values over intervals.

A series is indexed by the start of the interval each value covers (timezone-aware). An interval
runs to the next timestamp, but never longer than the series' step (the median spacing), so a gap in
the data stays a gap instead of stretching the value before it; the last value lasts one step. A
regular series of hourly means, 15-minute meter readings or day-ahead prices thus needs no further
description.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasts.errors import ForecastInputError

_NS_PER_S = 1_000_000_000


def checked_series(field_name: str, series: object, *, min_value: float | None = None) -> pd.Series:
    """Validate a time series input and return it as float64 on a UTC index.

    Parameters
    ----------
    field_name
        Name of the input, used in error messages.
    series
        A pandas Series with a timezone-aware DatetimeIndex, strictly increasing, finite values.
    min_value
        Smallest allowed value, or None for no lower bound.

    Returns
    -------
    pandas.Series
        The same values as float64, the index converted to UTC (nanoseconds).

    Raises
    ------
    ForecastInputError
        Naming ``field_name`` and the problem.
    """
    if not isinstance(series, pd.Series):
        raise ForecastInputError(f"{field_name}: must be a pandas Series, got {type(series).__name__}")
    if not isinstance(series.index, pd.DatetimeIndex):
        raise ForecastInputError(f"{field_name}: must be indexed by timestamps, got {type(series.index).__name__}")
    if series.index.tz is None:
        raise ForecastInputError(f"{field_name}: timestamps must be timezone-aware")
    if series.index.hasnans:
        raise ForecastInputError(f"{field_name}: contains NaT timestamps")
    if not (series.index.is_monotonic_increasing and series.index.is_unique):
        raise ForecastInputError(f"{field_name}: timestamps must be strictly increasing")
    values = pd.to_numeric(series, errors="coerce").astype(np.float64)
    bad = ~np.isfinite(values.to_numpy())
    if bad.any():
        raise ForecastInputError(f"{field_name}: missing or non-finite value at {series.index[int(np.argmax(bad))]}")
    if min_value is not None and bool((values < min_value).any()):
        first = series.index[int(np.argmax((values < min_value).to_numpy()))]
        raise ForecastInputError(f"{field_name}: values must be >= {min_value}, got {values[first]} at {first}")
    index = pd.DatetimeIndex(series.index.tz_convert("UTC")).as_unit("ns")
    return pd.Series(values.to_numpy(), index=index, name=series.name, dtype=np.float64)


def checked_now(now: object) -> pd.Timestamp:
    """Validate the ``now`` of a forecast (a timezone-aware datetime) and return it in UTC."""
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise ForecastInputError(f"now: must be a timezone-aware datetime, got {now!r}")
    return pd.Timestamp(now).tz_convert("UTC")


def step_s(index: pd.DatetimeIndex) -> float:
    """The series' step [s]: the median spacing of its timestamps (3600 s for a single value)."""
    if len(index) < 2:
        return 3600.0
    spacing_ns = np.diff(np.asarray(index.as_unit("ns").asi8, dtype=np.int64))
    return float(np.median(spacing_ns)) / _NS_PER_S


def at_most_every(series: pd.Series, step: pd.Timedelta) -> pd.Series:
    """A series finer than ``step`` averaged over the ``step`` marks it falls in; coarser ones as they are.

    The forecasters read series at 5-minute marks; a 1-minute meter series is averaged to those marks
    first so that no reading is skipped.
    """
    if len(series) < 2 or step_s(pd.DatetimeIndex(series.index)) >= step.total_seconds():
        return series
    return series.resample(step).mean().dropna()


def interval_ends(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """End of the interval each value covers: the next timestamp, at most one step later."""
    starts_ns = np.asarray(index.as_unit("ns").asi8, dtype=np.int64)
    step_ns = round(step_s(index) * _NS_PER_S)
    ends_ns = starts_ns + step_ns
    if len(starts_ns) > 1:
        ends_ns[:-1] = np.minimum(ends_ns[:-1], starts_ns[1:])
    return pd.DatetimeIndex(pd.to_datetime(ends_ns, unit="ns", utc=True)).tz_convert(index.tz)


@dataclass(frozen=True)
class IntervalLookup:
    """Which interval of a series holds each of a set of instants.

    Attributes
    ----------
    position
        Position of the interval in the series, valid only where ``covered``.
    covered
        True where an interval of the series contains the instant.
    """

    position: npt.NDArray[np.int64]
    covered: npt.NDArray[np.bool_]


def lookup_intervals(index: pd.DatetimeIndex, times: pd.DatetimeIndex) -> IntervalLookup:
    """Find the interval of the series (see :func:`interval_ends`) that contains each instant."""
    if len(index) == 0:
        return IntervalLookup(np.zeros(len(times), dtype=np.int64), np.zeros(len(times), dtype=np.bool_))
    starts_ns = np.asarray(index.as_unit("ns").asi8, dtype=np.int64)
    ends_ns = np.asarray(interval_ends(index).as_unit("ns").asi8, dtype=np.int64)
    times_ns = np.asarray(times.as_unit("ns").asi8, dtype=np.int64)
    position = np.searchsorted(starts_ns, times_ns, side="right") - 1
    inside = position >= 0
    safe = np.clip(position, 0, len(starts_ns) - 1)
    covered = inside & (times_ns < ends_ns[safe])
    return IntervalLookup(position=safe.astype(np.int64), covered=covered)


def values_at(series: pd.Series, times: pd.DatetimeIndex) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Value of the interval holding each instant, NaN where no interval does.

    Returns
    -------
    tuple of numpy.ndarray
        ``(values, covered)``.
    """
    lookup = lookup_intervals(pd.DatetimeIndex(series.index), times)
    raw = np.asarray(series.to_numpy(), dtype=np.float64)
    values = np.full(len(times), np.nan, dtype=np.float64)
    if len(raw):
        values[lookup.covered] = raw[lookup.position[lookup.covered]]
    return values, lookup.covered
