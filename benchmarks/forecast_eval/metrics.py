"""Error measures of point and quantile forecasts."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def mae(forecast: npt.ArrayLike, truth: npt.ArrayLike) -> float:
    """Mean absolute error."""
    return float(np.mean(np.abs(np.asarray(forecast, dtype=np.float64) - np.asarray(truth, dtype=np.float64))))


def rmse(forecast: npt.ArrayLike, truth: npt.ArrayLike) -> float:
    """Root-mean-square error."""
    error = np.asarray(forecast, dtype=np.float64) - np.asarray(truth, dtype=np.float64)
    return float(np.sqrt(np.mean(error**2)))


def skill(rmse_forecast: float, rmse_reference: float) -> float:
    """``1 - rmse_forecast / rmse_reference``: > 0 when the forecast beats the reference."""
    return float(1.0 - rmse_forecast / rmse_reference) if rmse_reference > 0 else float("nan")


def pinball(quantile_forecast: npt.ArrayLike, truth: npt.ArrayLike, level: float) -> float:
    """Mean pinball loss of the ``level`` quantile: ``max(level * e, (level - 1) * e)``, ``e = truth - q``."""
    error = np.asarray(truth, dtype=np.float64) - np.asarray(quantile_forecast, dtype=np.float64)
    return float(np.mean(np.maximum(level * error, (level - 1.0) * error)))


def coverage(lower: npt.ArrayLike, upper: npt.ArrayLike, truth: npt.ArrayLike) -> float:
    """Share of the truth within ``[lower, upper]``."""
    values = np.asarray(truth, dtype=np.float64)
    inside = (values >= np.asarray(lower, dtype=np.float64)) & (values <= np.asarray(upper, dtype=np.float64))
    return float(np.mean(inside))
