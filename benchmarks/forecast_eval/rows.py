"""One line of a forecast evaluation table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class EvalRow:
    """Scores of one forecaster on one target at one horizon, over held-out data.

    Attributes
    ----------
    forecaster
        Name of the forecaster (e.g. ``"clear-sky + correction P50"``, ``"persistence"``).
    target
        What is forecast, with its unit (e.g. ``"pv_kw"``, ``"base_load_kw"``); ``mae`` and ``rmse``
        are in that unit.
    baseline
        True for the reference forecasters the skill scores are measured against (persistence,
        climatology).
    horizon
        When the forecast is made and how far ahead (e.g. ``"day-ahead"``, ``"intraday 3 h"``).
    mae, rmse
        Mean absolute and root-mean-square error, in the target's unit.
    skill_vs_persistence, skill_vs_climatology
        ``1 - rmse / rmse_reference`` on the same samples: > 0 beats the reference, 1 is perfect.
        None where the reference was not evaluated.
    pinball
        Mean pinball (quantile) loss over the forecaster's quantiles, in the target's unit; None for
        a point forecast.
    coverage_p10_p90
        Share of the truth inside [P10, P90] (0.8 when calibrated); None for a point forecast.
    n
        Number of (forecast, truth) pairs scored.
    """

    forecaster: str
    target: str
    baseline: bool
    horizon: str
    mae: float
    rmse: float
    skill_vs_persistence: float | None
    skill_vs_climatology: float | None
    pinball: float | None = None
    coverage_p10_p90: float | None = None
    n: int
