"""Probabilistic PV forecast on the slot grid: clear sky corrected by measured PV.

Per slot, ``P_q = clear_sky_kw * clip(k + e_q, 0, MAX_CLEAR_SKY_INDEX)`` for q in 10, 50 and 90 %,
and the expected output with the mean error ``e_mean`` in place of ``e_q``. ``k`` is the blended
clear-sky index at the slot's middle (:mod:`forecasts.pv_correction`); ``e_q`` and ``e_mean`` are the
errors at that lead and sun (:mod:`forecasts.quantiles`); both come from a model learned on measured
history (:mod:`forecasts.pv_model`). P10 is the output a plan may count on nine times out of ten;
the expected output is the one to price energy with.

When an irradiance series (a weather forecast) covers a slot, the slot's P50 and expected output are
the output of the same PV chain under that irradiance, and its P10 / P90 take the spread of the
climatology bucket around it: errors of the weather forecast itself are not learned here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasts.errors import ForecastInputError
from forecasts.irradiance import IrradianceSeries
from forecasts.pv import ac_rating_kw, clear_sky_pv_kw, irradiance_pv_kw
from forecasts.pv_correction import (
    LOW_SUN_SHARE,
    MAX_CLEAR_SKY_INDEX,
    blended_clear_sky_index,
    latest_clear_sky_index,
    lead_time_h,
)
from forecasts.pv_model import PvForecastModel, fit_pv_forecast_model, measured_before
from forecasts.series import checked_now
from forecasts.site import PvArray, SiteLocation

PV_FORECAST_COLUMNS = ("p10_kw", "p50_kw", "p90_kw", "mean_kw")


def pv_forecast_kw(
    arrays: Sequence[PvArray],
    location: SiteLocation,
    slot_starts: pd.DatetimeIndex,
    slot_ends: pd.DatetimeIndex,
    *,
    now: datetime,
    measured_pv_kw: pd.Series | None,
    history_pv_kw: pd.Series | None,
    model: PvForecastModel | None = None,
    irradiance: IrradianceSeries | None = None,
) -> pd.DataFrame:
    """P10 / P50 / P90 and expected mean AC output of all arrays over each slot [kW].

    Parameters
    ----------
    arrays, location
        The site's PV arrays and where they are.
    slot_starts, slot_ends
        The slot grid (timezone-aware, equal length).
    now
        Current time (timezone-aware); measurements from ``now`` on are ignored.
    measured_pv_kw
        Recent measured AC output [kW] (the last day is enough), indexed by interval start; None
        when there is none.
    history_pv_kw
        Longer measured history [kW] to learn the model from (see
        :func:`~forecasts.pv_model.fit_pv_forecast_model`); None for the defaults. Give either this
        or ``model``.
    model
        A model fitted beforehand, to spare the fit on every call.
    irradiance
        An irradiance forecast; slots it covers take their P50 and expected output from it.

    Returns
    -------
    pandas.DataFrame
        Columns ``p10_kw``, ``p50_kw``, ``p90_kw`` and ``mean_kw`` indexed by ``slot_starts``, with
        ``0 <= p10_kw <= p50_kw <= p90_kw <= ac_rating_kw(arrays)`` and ``mean_kw`` within
        ``[p10_kw, p90_kw]``; 0 at night.
    """
    current = checked_now(now)
    if model is not None and history_pv_kw is not None:
        raise ForecastInputError("model: give history_pv_kw or model, not both")
    if model is not None and not isinstance(model, PvForecastModel):
        raise ForecastInputError(f"model: must be a PvForecastModel, got {type(model).__name__}")
    fitted = model or fit_pv_forecast_model(arrays, location, history_pv_kw, now=current)
    clear_kw = clear_sky_pv_kw(arrays, location, slot_starts, slot_ends).to_numpy()
    if not arrays:
        return _frame(np.zeros((len(slot_starts), len(PV_FORECAST_COLUMNS))), slot_starts)

    anchor = None
    if measured_pv_kw is not None:
        recent = measured_before("measured_pv_kw", measured_pv_kw, current)
        anchor = latest_clear_sky_index(arrays, location, recent, now=current)
    middles = slot_starts + (slot_ends - slot_starts) / 2
    index = blended_clear_sky_index(fitted.climatology, anchor, middles, time_constant_h=fitted.time_constant_h)
    leads = lead_time_h(anchor, middles)
    high_sun = clear_kw >= LOW_SUN_SHARE * ac_rating_kw(arrays)
    offsets = np.column_stack([fitted.errors.at(leads, high_sun), fitted.errors.mean_at(leads, high_sun)])
    index_by_column = index[:, None] + offsets

    if irradiance is not None:
        forecast_kw = irradiance_pv_kw(arrays, location, irradiance, slot_starts, slot_ends).to_numpy()
        from_weather = np.isfinite(forecast_kw) & (clear_kw > 0.0)
        weather_index = forecast_kw[from_weather] / clear_kw[from_weather]
        climate = fitted.errors.at(np.full(len(clear_kw), np.inf), high_sun)[from_weather]
        spread = np.column_stack([climate - climate[:, 1:2], np.zeros(len(climate))])
        index_by_column[from_weather] = weather_index[:, None] + spread

    power_kw = clear_kw[:, None] * np.clip(index_by_column, 0.0, MAX_CLEAR_SKY_INDEX)
    # Clipping keeps each row's quantiles in order, as the error quantiles are.
    power_kw = np.clip(power_kw, 0.0, ac_rating_kw(arrays))
    power_kw[:, 3] = np.clip(power_kw[:, 3], power_kw[:, 0], power_kw[:, 2])
    return _frame(power_kw, slot_starts)


def _frame(values: npt.NDArray[np.float64], slot_starts: pd.DatetimeIndex) -> pd.DataFrame:
    return pd.DataFrame(values, index=slot_starts, columns=list(PV_FORECAST_COLUMNS), dtype=np.float64)
