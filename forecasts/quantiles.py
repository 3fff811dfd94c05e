"""Spread of a clear-sky index forecast: quantiles and mean of its errors by lead time.

The error is ``measured index - forecast index``. Its 10th, 50th and 90th percentiles, added to a
forecast index, give the P10 / P50 / P90 index, and its mean gives the expected index; times the
clear-sky output they give the PV quantiles and expected output. The clear-sky index is bimodal
(clear hours near 1, overcast ones near 0.2), so its median and mean differ: the median is the best
guess of a single hour, the mean the right weight for energy over many.

Errors are kept by lead time and by sun: leads fall into buckets ending at ``LEAD_EDGES_H``, with a
final bucket for forecasts made without a recent measurement (the climatology alone) and longer
leads; targets with the sun low (clear-sky output below ``LOW_SUN_SHARE`` of the AC rating, see
:mod:`forecasts.pv_correction`) have errors of their own, several times wider in index than at high
sun, where a small difference in timing or turbidity is a large ratio.

Learned from history where a (sun, lead) bucket has at least ``MIN_BUCKET_SAMPLES`` errors; otherwise
a documented parametric spread: the median and mean errors are 0 and the 10-90 % half-range grows
from ``PARAMETRIC_HALF_RANGE_NOW`` at lead 0 to ``PARAMETRIC_HALF_RANGE_CLIMATOLOGY`` with the
blend's time constant, ``w(lead) = w_clim - (w_clim - w_now) * exp(-lead / tau)``, the same at low and
high sun. The climatological value 0.45 is 1.28 standard deviations (the 10-90 % half-range of a
normal law) of an hourly index spread of 0.35 (0.37 in the PVGIS typical year for 45 N 8 E); 0.10
right after a measurement is an assumption, narrower than the 0.16 learned on that year.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from forecasts.errors import ForecastInputError

QUANTILE_LEVELS = (0.1, 0.5, 0.9)
LEAD_EDGES_H = (1.0, 2.0, 3.0, 4.0, 6.0, 9.0, 12.0, 18.0, 24.0, 36.0, 48.0)
N_LEAD_BUCKETS = len(LEAD_EDGES_H) + 1
MIN_BUCKET_SAMPLES = 50
PARAMETRIC_HALF_RANGE_NOW = 0.10
PARAMETRIC_HALF_RANGE_CLIMATOLOGY = 0.45
# First axis of the tables: 0 for targets with the sun low, 1 for high sun.
N_SUN_CLASSES = 2


@dataclass(frozen=True, eq=False)
class LeadTimeErrors:
    """Error quantiles and mean [-] by sun (low, high) and lead bucket.

    Attributes
    ----------
    quantiles
        Array of shape (2, N_LEAD_BUCKETS, 3): the 10th, 50th and 90th percentile of the error for
        low-sun (first) and high-sun (second) targets in each lead bucket, the last bucket for
        forecasts without a recent measurement.
    mean
        Mean error, shape (2, N_LEAD_BUCKETS).
    n_samples
        Errors each cell was learned from (0 where parametric), shape (2, N_LEAD_BUCKETS).
    """

    quantiles: npt.NDArray[np.float64]
    mean: npt.NDArray[np.float64]
    n_samples: npt.NDArray[np.int64]

    def __post_init__(self) -> None:
        table = np.asarray(self.quantiles, dtype=np.float64)
        mean = np.asarray(self.mean, dtype=np.float64)
        counts = np.asarray(self.n_samples, dtype=np.int64)
        cells = (N_SUN_CLASSES, N_LEAD_BUCKETS)
        if table.shape != (*cells, len(QUANTILE_LEVELS)) or not np.all(np.isfinite(table)):
            raise ForecastInputError(f"quantiles: must be a finite {cells[0]} x {cells[1]} x 3 table")
        if np.any(np.diff(table, axis=2) < 0):
            raise ForecastInputError("quantiles: each cell must be non-decreasing (P10 <= P50 <= P90)")
        if mean.shape != cells or not np.all(np.isfinite(mean)):
            raise ForecastInputError(f"mean: must be a finite {cells[0]} x {cells[1]} table")
        if counts.shape != cells:
            raise ForecastInputError(f"n_samples: must be a {cells[0]} x {cells[1]} table")
        object.__setattr__(self, "quantiles", table)
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "n_samples", counts)

    def at(self, lead_h: npt.ArrayLike, high_sun: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Quantiles for each lead [h] (``inf`` for no recent measurement) and sun, shape (n, 3)."""
        result: npt.NDArray[np.float64] = self.quantiles[_sun_class(high_sun), bucket_of(lead_h)]
        return result

    def mean_at(self, lead_h: npt.ArrayLike, high_sun: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Mean error for each lead [h] and sun, shape (n,)."""
        result: npt.NDArray[np.float64] = self.mean[_sun_class(high_sun), bucket_of(lead_h)]
        return result


def bucket_of(lead_h: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Bucket of each lead [h]: ``i`` for ``LEAD_EDGES_H[i-1] < lead <= LEAD_EDGES_H[i]``."""
    leads = np.asarray(lead_h, dtype=np.float64)
    if np.any(np.isnan(leads)) or np.any(leads < 0):
        raise ForecastInputError("lead_h: must be >= 0 (inf for no recent measurement)")
    buckets: npt.NDArray[np.int64] = np.searchsorted(np.asarray(LEAD_EDGES_H), leads, side="left").astype(np.int64)
    return buckets


def _sun_class(high_sun: npt.ArrayLike) -> npt.NDArray[np.int64]:
    return np.asarray(high_sun, dtype=np.bool_).astype(np.int64)


def parametric_errors(time_constant_h: float) -> LeadTimeErrors:
    """The documented spread for when history is short (see the module doc)."""
    if not math.isfinite(time_constant_h) or time_constant_h <= 0:
        raise ForecastInputError(f"time_constant_h: must be finite and > 0, got {time_constant_h}")
    # Each bucket takes the half-range at its middle lead; the last bucket is the climatology.
    lower = np.concatenate([[0.0], LEAD_EDGES_H[:-1]])
    middle_h = np.append((lower + np.asarray(LEAD_EDGES_H)) / 2.0, np.inf)
    half_range = PARAMETRIC_HALF_RANGE_CLIMATOLOGY - (
        PARAMETRIC_HALF_RANGE_CLIMATOLOGY - PARAMETRIC_HALF_RANGE_NOW
    ) * np.exp(-middle_h / time_constant_h)
    by_lead = np.stack([-half_range, np.zeros_like(half_range), half_range], axis=1)
    cells = (N_SUN_CLASSES, N_LEAD_BUCKETS)
    return LeadTimeErrors(
        np.broadcast_to(by_lead, (*cells, 3)).copy(), np.zeros(cells), np.zeros(cells, dtype=np.int64)
    )


def empirical_errors(
    lead_h: npt.ArrayLike, error: npt.ArrayLike, high_sun: npt.ArrayLike, *, time_constant_h: float
) -> LeadTimeErrors:
    """Error quantiles and mean learned from past forecast errors, parametric where a cell is short.

    Parameters
    ----------
    lead_h
        Lead time of each past forecast [h], >= 0, ``inf`` for one made without a recent measurement.
    error
        Its error, measured minus forecast index [-].
    high_sun
        Whether its target had the sun high.
    time_constant_h
        Blend time constant [h], for the parametric fallback.

    Returns
    -------
    LeadTimeErrors
        One cell per sun class and lead bucket.
    """
    leads = np.asarray(lead_h, dtype=np.float64)
    errors = np.asarray(error, dtype=np.float64)
    suns = np.asarray(high_sun, dtype=np.bool_)
    if leads.shape != errors.shape or suns.shape != errors.shape:
        raise ForecastInputError(
            f"error: shapes differ: lead_h {leads.shape}, error {errors.shape}, high_sun {suns.shape}"
        )
    if not np.all(np.isfinite(errors)):
        raise ForecastInputError("error: must be finite")
    fallback = parametric_errors(time_constant_h)
    table = fallback.quantiles.copy()
    mean = fallback.mean.copy()
    counts = np.zeros_like(fallback.n_samples)
    sun_classes = _sun_class(suns)
    buckets = bucket_of(leads)
    for sun in range(N_SUN_CLASSES):
        for bucket in range(N_LEAD_BUCKETS):
            in_cell = errors[(sun_classes == sun) & (buckets == bucket)]
            if in_cell.size >= MIN_BUCKET_SAMPLES:
                table[sun, bucket] = np.quantile(in_cell, QUANTILE_LEVELS)
                mean[sun, bucket] = float(np.mean(in_cell))
                counts[sun, bucket] = in_cell.size
    return LeadTimeErrors(table, mean, counts)
