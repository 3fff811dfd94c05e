"""Clear-sky index of measured PV: its latest value, its climatology, and their blend ahead.

The clear-sky index ``k = measured PV / clear-sky PV`` of the same arrays over the same interval
carries everything the clear-sky model leaves out: clouds, haze cleaner or dirtier than the
tabulated turbidity, soiling, shading and availability. It is only read where the sun is high enough
for the ratio to mean something: the latest index ignores intervals where the clear-sky output is
below ``LOW_SUN_SHARE`` of the arrays' AC rating (at sunrise a 2 kW error on 3 kW of clear sky is a k
error of 0.7). The climatology reads hours down to ``MIN_INDEX_SHARE``, because low sun has an index
of its own: where the site's air is cleaner than the tabulated turbidity, mornings and winter hours
read well above 1, and a climatology of high-sun hours alone would under-forecast them.

Forecast ``k(t) = k_clim(t) + (k_latest - k_clim(t)) * exp(-lead / tau)``: from the latest measured
index towards the climatology of the time forecast, with the time constant ``tau`` (learned from
history or a documented default, see :mod:`forecasts.pv_model`). The lead runs from the end of the
latest measurement window to the time forecast. Blending the index itself, rather than its anomaly
from the climatology of the hour it was measured in, keeps the next hour's forecast on the latest
measurement instead of adding the hour-to-hour noise of a climatology learned from a month of hours.

The climatology is the median index by calendar month and UTC hour of day (UTC, not local time:
the index depends on the sun, not on the clock) from the history of measurements; a (month, hour)
cell with fewer than ``MIN_CELL_SAMPLES`` valid hours pools the months either side, then the whole
year at that hour, then every valid hour; with no usable history the index is
``DEFAULT_CLEAR_SKY_INDEX`` = 0.8, a round value for the ratio of yearly yield to clear-sky yield
(the PVGIS typical year for 45 N 8 E gives 0.82 through this chain).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasts.errors import ForecastInputError
from forecasts.pv import ac_rating_kw, clear_sky_pv_kw
from forecasts.series import at_most_every, values_at
from forecasts.site import PvArray, SiteLocation

LOW_SUN_SHARE = 0.10
MIN_INDEX_SHARE = 0.02
MAX_CLEAR_SKY_INDEX = 2.0
LATEST_WINDOW_H = 1.0
LOOKBACK_H = 24.0
DEFAULT_CLEAR_SKY_INDEX = 0.8
MIN_CELL_SAMPLES = 20
_MIN_HOUR_COVERAGE = 0.5
_STEP = pd.Timedelta(minutes=5)


@dataclass(frozen=True, eq=False)
class ClearSkyIndexClimatology:
    """Median clear-sky index [-] by calendar month (rows, January first) and UTC hour (columns).

    Attributes
    ----------
    median_by_month_hour
        Array of shape (12, 24), every cell filled (see the module doc for the pooling rule).
    n_samples
        Number of valid hours it was learned from; 0 for the default.
    """

    median_by_month_hour: npt.NDArray[np.float64]
    n_samples: int

    def __post_init__(self) -> None:
        table = np.asarray(self.median_by_month_hour, dtype=np.float64)
        if table.shape != (12, 24) or not np.all(np.isfinite(table)):
            raise ForecastInputError("median_by_month_hour: must be a finite 12 x 24 table")
        object.__setattr__(self, "median_by_month_hour", table)

    def at(self, times_utc: pd.DatetimeIndex) -> npt.NDArray[np.float64]:
        """Climatological index at each instant."""
        utc = times_utc.tz_convert("UTC")
        result: npt.NDArray[np.float64] = self.median_by_month_hour[np.asarray(utc.month) - 1, np.asarray(utc.hour)]
        return result


def default_climatology() -> ClearSkyIndexClimatology:
    """The climatology without history: ``DEFAULT_CLEAR_SKY_INDEX`` everywhere."""
    return ClearSkyIndexClimatology(np.full((12, 24), DEFAULT_CLEAR_SKY_INDEX), n_samples=0)


@dataclass(frozen=True)
class ClearSkyIndexAnchor:
    """The latest measured clear-sky index and the window it was measured over.

    Attributes
    ----------
    clear_sky_index
        Ratio of measured to clear-sky energy over the window [-], in [0, ``MAX_CLEAR_SKY_INDEX``].
    window_start_utc, window_end_utc
        The window; forecast leads run from its end.
    """

    clear_sky_index: float
    window_start_utc: pd.Timestamp
    window_end_utc: pd.Timestamp


def five_minute_pv(
    arrays: Sequence[PvArray], location: SiteLocation, pv_kw: pd.Series, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Measured and clear-sky PV on the 5-minute marks of ``[start, end)`` (floored to marks).

    Returns
    -------
    pandas.DataFrame
        Indexed by mark start (UTC): ``measured_kw`` (NaN where the series has no value) and
        ``clear_sky_kw``, each the mean over the 5 minutes.
    """
    first = start.tz_convert("UTC").floor(_STEP)
    last = end.tz_convert("UTC").floor(_STEP)
    if last <= first:
        return pd.DataFrame({"measured_kw": [], "clear_sky_kw": []}, index=pd.DatetimeIndex([], tz="UTC"))
    starts = pd.date_range(first, last, freq=_STEP, inclusive="left").as_unit("ns")
    clear = clear_sky_pv_kw(arrays, location, starts, starts + _STEP)
    measured, _ = values_at(at_most_every(pv_kw, _STEP), starts + _STEP / 2)
    return pd.DataFrame({"measured_kw": measured, "clear_sky_kw": clear.to_numpy()}, index=starts)


def hourly_clear_sky_index(arrays: Sequence[PvArray], location: SiteLocation, pv_kw: pd.Series) -> pd.DataFrame:
    """Clear-sky index of each UTC hour of a measured series.

    Returns
    -------
    pandas.DataFrame
        Every hour of the series' span (so that positions are hours): ``clear_sky_index`` [-], NaN
        unless at least half the hour is measured and its clear-sky output (over the measured part)
        is at least ``MIN_INDEX_SHARE`` of the AC rating; ``high_sun``, True where that output also
        reaches ``LOW_SUN_SHARE``.
    """
    if len(pv_kw) == 0:
        empty = pd.DatetimeIndex([], tz="UTC")
        return pd.DataFrame({"clear_sky_index": pd.Series([], dtype=np.float64), "high_sun": []}, index=empty)
    start = pd.Timestamp(pv_kw.index[0]).floor("h")
    end = pd.Timestamp(pv_kw.index[-1]).floor("h") + pd.Timedelta(hours=2)
    frame = five_minute_pv(arrays, location, pv_kw, start, end)
    covered = frame["measured_kw"].notna()
    by_hour = pd.DataFrame(
        {
            "measured_kw": frame["measured_kw"].fillna(0.0),
            "clear_sky_kw": frame["clear_sky_kw"].where(covered, 0.0),
            "covered": covered.astype(np.float64),
        }
    ).groupby(pd.DatetimeIndex(frame.index).floor("h"))
    sums = by_hour.sum()
    rating_kw = ac_rating_kw(arrays)
    mean_clear_kw = sums["clear_sky_kw"] / sums["covered"].clip(lower=1.0)
    valid = (sums["covered"] / 12.0 >= _MIN_HOUR_COVERAGE) & (mean_clear_kw >= MIN_INDEX_SHARE * rating_kw)
    index = (sums["measured_kw"] / sums["clear_sky_kw"].where(valid)).clip(0.0, MAX_CLEAR_SKY_INDEX)
    hours = pd.date_range(start, end, freq="h", inclusive="left")
    high_sun = valid & (mean_clear_kw >= LOW_SUN_SHARE * rating_kw)
    return pd.DataFrame(
        {
            "clear_sky_index": index.reindex(hours).astype(np.float64),
            "high_sun": high_sun.reindex(hours, fill_value=False).astype(bool),
        },
        index=hours,
    )


def fit_climatology(hourly_index: pd.Series, *, exclude_month: int | None = None) -> ClearSkyIndexClimatology:
    """Median clear-sky index by month and UTC hour from hourly values (NaN ignored).

    Parameters
    ----------
    hourly_index
        Hourly indices, NaN where not valid (``clear_sky_index`` of :func:`hourly_clear_sky_index`).
    exclude_month
        A calendar month (1-12) whose values are left out, to judge forecasts of that month against
        a climatology that has not seen it; None to use everything.

    Returns
    -------
    ClearSkyIndexClimatology
        The default when there is no valid hour.
    """
    valid = hourly_index.dropna()
    utc = pd.DatetimeIndex(valid.index).tz_convert("UTC")
    months = np.asarray(utc.month) - 1
    hours = np.asarray(utc.hour)
    values = valid.to_numpy(dtype=np.float64)
    if exclude_month is not None:
        kept = months != exclude_month - 1
        months, hours, values = months[kept], hours[kept], values[kept]
    if len(values) == 0:
        return default_climatology()
    overall = float(np.median(values))
    cells = [[values[(months == month) & (hours == hour)] for hour in range(24)] for month in range(12)]
    table = np.empty((12, 24), dtype=np.float64)
    for hour in range(24):
        whole_year = np.concatenate([cells[month][hour] for month in range(12)])
        for month in range(12):
            either_side = np.concatenate([cells[(month + shift) % 12][hour] for shift in (-1, 0, 1)])
            table[month, hour] = _first_populated(overall, cells[month][hour], either_side, whole_year)
    return ClearSkyIndexClimatology(table, n_samples=len(values))


def _first_populated(overall: float, *pools: npt.NDArray[np.float64]) -> float:
    for pool in pools:
        if pool.size >= MIN_CELL_SAMPLES:
            return float(np.median(pool))
    return overall


def latest_clear_sky_index(
    arrays: Sequence[PvArray], location: SiteLocation, measured_pv_kw: pd.Series, *, now: pd.Timestamp
) -> ClearSkyIndexAnchor | None:
    """The clear-sky index over the last hour of valid measurements before ``now``.

    Looks back ``LOOKBACK_H`` for 5-minute marks that are measured and not low-sun; the window is the
    ``LATEST_WINDOW_H`` ending at the last such mark. The index is the ratio of energies over the
    valid marks of the window, which weighs each mark by how much sun it had.

    Returns
    -------
    ClearSkyIndexAnchor or None
        None when no valid mark lies in the lookback (at night with no measurement since the last
        daylight, or no measurements).
    """
    frame = five_minute_pv(arrays, location, measured_pv_kw, now - pd.Timedelta(hours=LOOKBACK_H), now)
    valid = frame["measured_kw"].notna() & (frame["clear_sky_kw"] >= LOW_SUN_SHARE * ac_rating_kw(arrays))
    if not bool(valid.any()):
        return None
    window_end = pd.Timestamp(frame.index[valid.to_numpy()][-1]) + _STEP
    window_start = window_end - pd.Timedelta(hours=LATEST_WINDOW_H)
    in_window = valid & (frame.index >= window_start)
    energy_ratio = frame["measured_kw"][in_window].sum() / frame["clear_sky_kw"][in_window].sum()
    return ClearSkyIndexAnchor(
        clear_sky_index=float(np.clip(energy_ratio, 0.0, MAX_CLEAR_SKY_INDEX)),
        window_start_utc=window_start,
        window_end_utc=window_end,
    )


def blended_clear_sky_index(
    climatology: ClearSkyIndexClimatology,
    anchor: ClearSkyIndexAnchor | None,
    times_utc: pd.DatetimeIndex,
    *,
    time_constant_h: float,
) -> npt.NDArray[np.float64]:
    """Forecast clear-sky index at each instant [-] (see the module doc for the blend).

    Parameters
    ----------
    climatology
        The index climatology.
    anchor
        The latest measured index, or None for the climatology alone.
    times_utc
        Instants to forecast.
    time_constant_h
        Time constant of the decay of the latest anomaly [h], > 0.

    Returns
    -------
    numpy.ndarray
        The index, in [0, ``MAX_CLEAR_SKY_INDEX``].
    """
    if not math.isfinite(time_constant_h) or time_constant_h <= 0:
        raise ForecastInputError(f"time_constant_h: must be finite and > 0, got {time_constant_h}")
    expected = climatology.at(times_utc)
    if anchor is None:
        return blend(expected, expected, np.full(len(times_utc), np.inf), time_constant_h)
    return blend(expected, anchor.clear_sky_index, lead_time_h(anchor, times_utc), time_constant_h)


def blend(
    climatology_index: npt.ArrayLike, latest_index: npt.ArrayLike, lead_h: npt.ArrayLike, time_constant_h: float
) -> npt.NDArray[np.float64]:
    """``clip(k_clim + (k_latest - k_clim) * exp(-lead / tau), 0, MAX_CLEAR_SKY_INDEX)`` element-wise [-]."""
    expected = np.asarray(climatology_index, dtype=np.float64)
    weight = np.exp(-np.asarray(lead_h, dtype=np.float64) / time_constant_h)
    index: npt.NDArray[np.float64] = np.clip(
        expected + (np.asarray(latest_index, dtype=np.float64) - expected) * weight, 0.0, MAX_CLEAR_SKY_INDEX
    )
    return index


def lead_time_h(anchor: ClearSkyIndexAnchor | None, times_utc: pd.DatetimeIndex) -> npt.NDArray[np.float64]:
    """Time from the end of the anchor window to each instant [h], >= 0; +inf without an anchor."""
    if anchor is None:
        return np.full(len(times_utc), np.inf)
    delta_s = (times_utc - anchor.window_end_utc).total_seconds()
    return np.clip(np.asarray(delta_s, dtype=np.float64) / 3600.0, 0.0, None)
