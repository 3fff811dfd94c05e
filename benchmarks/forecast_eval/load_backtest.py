"""Back-test of the site base-load forecast on a seeded synthetic year.

No measured base load of the hub is available, so the truth is
:func:`benchmarks.forecast_eval.load_history.synthetic_base_load_kw`: a year (2024, both clock changes
and every Italian holiday) built from offices, heating and cooling, lighting that follows sunset,
workshop jobs and meter noise, not from the prior profile the forecaster starts from.

Rolling origin, nothing of the future seen: from 1 March each day is forecast with the profile learned
at its local midnight from the eight weeks before it. Horizons: day-ahead (made at 00:00 Europe/Rome
for the next 24 h of 15-minute slots) and intraday (made every third hour, scored on the quarter-hour
ending 1 to 6 h later). Every slot is scored, night included.

Forecasters: the prior profile alone (:func:`forecasts.base_load_kw`); the learned profile; the learned
profile corrected by the latest measurement (:func:`forecasts.base_load_forecast_kw`). Baselines:
persistence (same time yesterday) and climatology (mean load by local quarter-hour over the same eight
weeks, every kind of day together).
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from benchmarks.forecast_eval.load_history import synthetic_base_load_kw
from benchmarks.forecast_eval.rows import EvalRow
from benchmarks.forecast_eval.scoring import ScoreBook
from forecasts import (
    BaseLoadProfile,
    LearnedLoadProfile,
    SiteLocation,
    base_load_forecast_kw,
    base_load_kw,
    fit_base_load_profile,
    slot_grid,
)
from forecasts.base_load_forecast import HISTORY_WINDOW_DAYS

MILAN = SiteLocation(latitude_deg=45.445, longitude_deg=9.205, altitude_m=120.0, timezone="Europe/Rome")
PRIOR = BaseLoadProfile(min_kw=40.0, max_kw=120.0)
SEED = 20240101
HISTORY_START = pd.Timestamp("2024-01-01", tz=MILAN.timezone)
FIRST_FORECAST_DAY = pd.Timestamp("2024-03-01", tz=MILAN.timezone)
HISTORY_DAYS = 366
INTRADAY_ISSUE_HOURS = (0, 3, 6, 9, 12, 15, 18, 21)
INTRADAY_LEADS_H = (1, 2, 3, 4, 5, 6)
QUICK_DAY_STEP = 7
SLOT_MIN = 15
TARGET = "base_load_kw"

PRIOR_ONLY = "prior profile (hand-set shape)"
LEARNED = "learned profile"
LEARNED_LATEST = "learned profile + latest measurement"
PERSISTENCE = "persistence (same time yesterday)"
CLIMATOLOGY = "climatology (8 weeks, local quarter-hour)"


def evaluate_base_load(*, quick: bool) -> list[EvalRow]:
    """Score the base-load forecasters on the synthetic year.

    Parameters
    ----------
    quick
        Score every ``QUICK_DAY_STEP``-th day only.
    """
    truth = synthetic_base_load_kw(MILAN, HISTORY_START, HISTORY_DAYS, SEED)
    scores = ScoreBook(TARGET, persistence=PERSISTENCE, climatology=CLIMATOLOGY)
    last_day = HISTORY_START + pd.DateOffset(days=HISTORY_DAYS - 1)
    days = pd.date_range(FIRST_FORECAST_DAY, last_day, freq="D")
    for day in days[:: QUICK_DAY_STEP if quick else 1]:
        midnight = day.to_pydatetime()
        past = truth[truth.index < pd.Timestamp(midnight)]
        profile = fit_base_load_profile(past, now=midnight, location=MILAN)
        climatology = _climatology_kw(past, pd.Timestamp(midnight))
        _score_issue(scores, truth, profile, climatology, midnight, 24.0, None)
        for hour in INTRADAY_ISSUE_HOURS:
            issued = (day + pd.Timedelta(hours=hour)).to_pydatetime()
            _score_issue(scores, truth, profile, climatology, issued, float(max(INTRADAY_LEADS_H)), INTRADAY_LEADS_H)
    return scores.rows()


def _climatology_kw(past: pd.Series, now: pd.Timestamp) -> pd.Series:
    """Mean load by local quarter-hour of the day over the history window [kW]."""
    window = past[past.index >= now - pd.Timedelta(days=HISTORY_WINDOW_DAYS)]
    local = pd.DatetimeIndex(window.index).tz_convert(MILAN.timezone)
    return window.groupby(np.asarray(local.hour * 4 + local.minute // SLOT_MIN)).mean()


def _score_issue(
    scores: ScoreBook,
    truth: pd.Series,
    profile: LearnedLoadProfile,
    climatology: pd.Series,
    now: datetime,
    horizon_h: float,
    leads_h: tuple[int, ...] | None,
) -> None:
    """Forecast from ``now`` with every forecaster; score all slots (day-ahead) or the given leads."""
    starts, ends = slot_grid(now, horizon_h, SLOT_MIN)
    current = pd.Timestamp(now)
    measured = truth[truth.index < current]
    latest_kw = float(measured.iloc[-1]) if len(measured) else None
    learned, corrected = (
        base_load_forecast_kw(
            starts, ends, now=now, location=MILAN, history_kw=None, latest_kw=latest, prior=PRIOR, profile=profile
        ).to_numpy()
        for latest in (None, latest_kw)
    )
    prior = base_load_kw(PRIOR, MILAN, starts, ends).to_numpy()
    truth_kw = truth.reindex(starts).to_numpy()
    yesterday_kw = truth.reindex(starts - pd.Timedelta(days=1)).to_numpy()
    local = starts.tz_convert(MILAN.timezone)
    climatology_kw = climatology.reindex(np.asarray(local.hour * 4 + local.minute // SLOT_MIN)).to_numpy()
    per_hour = 60 // SLOT_MIN
    if leads_h is None:
        positions = [(position, "day-ahead") for position in range(len(starts))]
    else:
        positions = [(lead * per_hour - 1, f"intraday {lead} h") for lead in leads_h]
    for position, horizon in positions:
        if not (np.isfinite(truth_kw[position]) and np.isfinite(yesterday_kw[position])):
            continue
        scores.add(
            horizon,
            float(truth_kw[position]),
            {
                PRIOR_ONLY: float(prior[position]),
                LEARNED: float(learned[position]),
                LEARNED_LATEST: float(corrected[position]),
                PERSISTENCE: float(yesterday_kw[position]),
                CLIMATOLOGY: float(climatology_kw[position]),
            },
        )
