"""Back-test of the PV forecast on real irradiance: the PVGIS typical year for 45.0 N 8.0 E.

Truth: the typical meteorological year (hourly global, direct and diffuse irradiance and air
temperature, each month from a different year of 2005-2023, about 100 km west of Milan in the same
Po-valley climate) run through the project's PV chain (:func:`forecasts.irradiance_pv_kw`) for the
Milan array, 250 kWp south at 15 deg, placed at the data's coordinates so that sun and irradiance
agree. The months are re-dated to one year and read as a continuous year of hourly measurements.
PVGIS stamps each hour's irradiance ``irradiance time offset`` (0.18 h) after the hour; each value is
taken as the mean of the hour centred there.

Hold-out, month by month: the month under test is forecast with a model learned from the other
eleven, placed in the eleven months before it (those after it move back a year), so that every
forecast sees only what lies before its ``now``. Measurements of the month under test reach the
forecaster as they would live: everything before ``now``.

Horizons: day-ahead (made at 00:00 Europe/Rome for the next 24 hourly slots) and intraday (made on
each UTC hour from 04:00 to 18:00 for the next 6 hours; scored at each lead). Only slots with daylight
in the model or the data are scored: night is zero for every forecaster.

Forecasters: clear sky alone; clear sky corrected by measured PV (:func:`forecasts.pv_forecast_kw`,
its P50 scored with its P10 / P90, and its expected output), learned from history or on its
defaults (where the expected output equals the P50); clear-sky index persistence (the index of the
latest valid hour, held). Baselines: persistence (same time yesterday) and climatology (mean PV by
UTC hour over the history of the months either side: the month itself is held out).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib

from benchmarks.forecast_eval.rows import EvalRow
from benchmarks.forecast_eval.scoring import ScoreBook
from forecasts import (
    IrradianceSeries,
    PvArray,
    PvForecastModel,
    SiteLocation,
    clear_sky_pv_kw,
    default_pv_forecast_model,
    fit_pv_forecast_model,
    irradiance_pv_kw,
    pv_forecast_kw,
    slot_grid,
)
from forecasts.pv_correction import DEFAULT_CLEAR_SKY_INDEX, hourly_clear_sky_index

DATA_ENV_VAR = "VETTABBIA_PVGIS_TMY"
"""Environment variable naming the PVGIS TMY file; overrides the default location."""
DATA_FILE_NAME = "tmy_45.000_8.000_2005_2023.csv"
DEFAULT_DATA_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pvgis" / DATA_FILE_NAME
REFERENCE_YEAR = 2023
ARRAY = PvArray(name="retrofit-roofs-south", peak_power_kwp=250.0, tilt_deg=15.0, azimuth_deg=180.0)
TIMEZONE = "Europe/Rome"
INTRADAY_ISSUE_HOURS_UTC = (4, 6, 8, 10, 12, 14, 16, 18)
INTRADAY_LEADS_H = (1, 2, 3, 4, 5, 6)
QUICK_DAY_STEP = 7
TARGET = "pv_kw"

P50_LEARNED = "clear sky + correction, learned (P50)"
MEAN_LEARNED = "clear sky + correction, learned (mean)"
P50_DEFAULT = "clear sky + correction, defaults (P50)"
CLEAR_SKY = "clear sky"
INDEX_PERSISTENCE = "clear-sky index persistence"
PERSISTENCE = "persistence (same time yesterday)"
CLIMATOLOGY = "climatology (month either side, UTC hour)"


def pvgis_tmy_path() -> Path:
    """Where the TMY file is: ``$VETTABBIA_PVGIS_TMY`` if set, else ``../shared/data/pvgis/``."""
    override = os.environ.get(DATA_ENV_VAR)
    return Path(override) if override else DEFAULT_DATA_PATH


@dataclass(frozen=True)
class TmyTruth:
    """The typical year as PV measurements of the Milan array at the data's coordinates."""

    site: SiteLocation
    pv_kw: pd.Series


def load_truth(path: Path) -> TmyTruth:
    """Read the TMY and run it through the PV chain: hourly mean AC output [kW] by UTC hour."""
    data, metadata = pvlib.iotools.read_pvgis_tmy(str(path))
    inputs = metadata["inputs"]
    site = SiteLocation(
        latitude_deg=float(inputs["latitude"]),
        longitude_deg=float(inputs["longitude"]),
        altitude_m=float(inputs["elevation"]),
        timezone=TIMEZONE,
    )
    stamps = pd.DatetimeIndex([stamp.replace(year=REFERENCE_YEAR) for stamp in data.index]).as_unit("ns")
    centre = pd.Timedelta(hours=float(inputs["irradiance time offset"]))
    starts = stamps + centre - pd.Timedelta(minutes=30)
    irradiance = IrradianceSeries(
        ghi_w_m2=pd.Series(data["ghi"].to_numpy(), index=starts),
        dni_w_m2=pd.Series(data["dni"].clip(lower=0.0).to_numpy(), index=starts),
        dhi_w_m2=pd.Series(data["dhi"].clip(lower=0.0).to_numpy(), index=starts),
        air_temperature_c=pd.Series(data["temp_air"].to_numpy(), index=starts),
    )
    # Whole UTC hours the shifted intervals cover completely.
    first = starts[0].ceil("h")
    hours = int((starts[-1] + pd.Timedelta(hours=1) - first) / pd.Timedelta(hours=1))
    slot_starts, slot_ends = slot_grid(first.to_pydatetime(), float(hours), 60)
    pv_kw = irradiance_pv_kw([ARRAY], site, irradiance, slot_starts, slot_ends)
    return TmyTruth(site=site, pv_kw=pv_kw.dropna())


def cyclic_stream(pv_kw: pd.Series, month: int) -> pd.Series:
    """The year with the months after ``month`` moved a year back: eleven months of past, then it."""
    index = pd.DatetimeIndex(pv_kw.index)
    later = np.asarray(index.month > month)
    moved = index.where(~later, index - pd.DateOffset(years=1))
    return pd.Series(pv_kw.to_numpy(), index=pd.DatetimeIndex(moved), name=TARGET).sort_index()


def climatology_by_hour(history: pd.Series, month: int) -> pd.Series:
    """Mean PV by UTC hour over the history of the months either side of ``month`` [kW]."""
    index = pd.DatetimeIndex(history.index)
    distance = np.abs((np.asarray(index.month) - month + 6) % 12 - 6)
    nearby = history[distance == 1]
    hourly_mean: pd.Series = nearby.groupby(np.asarray(index.hour)[distance == 1]).mean()
    return hourly_mean.reindex(range(24), fill_value=0.0)


def evaluate_pv(*, quick: bool) -> list[EvalRow]:
    """Score the PV forecasters on the typical year; an empty list when the file is absent.

    Parameters
    ----------
    quick
        Score every ``QUICK_DAY_STEP``-th day only (same months, same rules).
    """
    path = pvgis_tmy_path()
    if not path.is_file():
        return []
    truth = load_truth(path)
    scores = ScoreBook(TARGET, persistence=PERSISTENCE, climatology=CLIMATOLOGY)
    for month in range(1, 13):
        context = _month_context(truth, month)
        month_end = context.month_start + pd.offsets.MonthBegin(1)
        days = pd.date_range(context.month_start, month_end, freq="D", inclusive="left")
        for day in days[:: QUICK_DAY_STEP if quick else 1]:
            _score_issue(scores, context, day.to_pydatetime(), 24.0, _day_ahead, with_defaults=True)
            day_utc = pd.Timestamp(day.date(), tz="UTC")
            for hour in INTRADAY_ISSUE_HOURS_UTC:
                issued = (day_utc + pd.Timedelta(hours=hour)).to_pydatetime()
                _score_issue(scores, context, issued, float(max(INTRADAY_LEADS_H)), _intraday, with_defaults=False)
    return scores.rows()


def _day_ahead(lead_h: int) -> str:
    return "day-ahead"


def _intraday(lead_h: int) -> str:
    return f"intraday {lead_h} h"


@dataclass(frozen=True)
class _MonthContext:
    """Everything the forecasts of one held-out month share."""

    site: SiteLocation
    month_start: pd.Timestamp
    stream: pd.Series
    clear_sky_kw: pd.Series
    hourly_index: pd.Series
    learned: PvForecastModel
    default: PvForecastModel
    climatology_kw: pd.Series


def _month_context(truth: TmyTruth, month: int) -> _MonthContext:
    stream = cyclic_stream(truth.pv_kw, month)
    month_start = pd.Timestamp(year=REFERENCE_YEAR, month=month, day=1, tz=TIMEZONE)
    history = stream[stream.index < month_start]
    starts = pd.DatetimeIndex(stream.index)
    return _MonthContext(
        site=truth.site,
        month_start=month_start,
        stream=stream,
        clear_sky_kw=clear_sky_pv_kw([ARRAY], truth.site, starts, starts + pd.Timedelta(hours=1)),
        hourly_index=_high_sun_index(truth.site, stream),
        learned=fit_pv_forecast_model([ARRAY], truth.site, history, now=month_start.to_pydatetime()),
        default=default_pv_forecast_model(),
        climatology_kw=climatology_by_hour(history, month),
    )


def _high_sun_index(site: SiteLocation, stream: pd.Series) -> pd.Series:
    hourly = hourly_clear_sky_index([ARRAY], site, stream)
    return hourly["clear_sky_index"][hourly["high_sun"]]


def _score_issue(
    scores: ScoreBook,
    context: _MonthContext,
    now: datetime,
    horizon_h: float,
    label: Callable[[int], str],
    *,
    with_defaults: bool,
) -> None:
    """Forecast from ``now`` with every forecaster and score the daylight slots."""
    starts, ends = slot_grid(now, horizon_h, 60)
    current = pd.Timestamp(now).tz_convert("UTC")
    stream = context.stream
    day_before = current - pd.Timedelta(days=1)
    recent = stream[(stream.index >= day_before) & (stream.index < current)]
    clear_kw = context.clear_sky_kw.reindex(starts).to_numpy()
    truth_kw = stream.reindex(starts).to_numpy()
    yesterday_kw = stream.reindex(starts - pd.Timedelta(days=1)).to_numpy()
    climatology_kw = context.climatology_kw.reindex(starts.hour).to_numpy()
    hourly = context.hourly_index
    known_index = hourly[(hourly.index < current) & (hourly.index >= day_before)]
    held_index = float(known_index.iloc[-1]) if len(known_index) else DEFAULT_CLEAR_SKY_INDEX
    # Without history the median and mean errors are both 0: the defaults' expected output is its P50.
    models = {P50_LEARNED: context.learned, **({P50_DEFAULT: context.default} if with_defaults else {})}
    forecasts = {
        name: pv_forecast_kw(
            [ARRAY], context.site, starts, ends, now=now, measured_pv_kw=recent, history_pv_kw=None, model=model
        ).to_numpy()
        for name, model in models.items()
    }
    for position in range(len(starts)):
        if not np.isfinite(truth_kw[position]) or not np.isfinite(yesterday_kw[position]):
            continue
        if clear_kw[position] <= 0.0 and truth_kw[position] <= 0.0:
            continue
        points = {
            CLEAR_SKY: float(clear_kw[position]),
            INDEX_PERSISTENCE: float(clear_kw[position] * held_index),
            PERSISTENCE: float(yesterday_kw[position]),
            CLIMATOLOGY: float(climatology_kw[position]),
        }
        points[MEAN_LEARNED] = float(forecasts[P50_LEARNED][position, 3])
        quantiles = {name: forecasts[name][position, :3] for name in models}
        scores.add(label(position + 1), float(truth_kw[position]), points, quantiles)
