"""Evaluation of the vehicle forecasts: real Caltech sessions and generated Milan history.

* **Caltech ACN, March 2019** (a US workplace car park, 954 sessions; see :mod:`.caltech`): the
  last 10 days are forecast with a rolling origin from everything before them, on the US calendar
  and Pacific time, as an open population (the drivers are anonymous).
* **Milan, generated** (:func:`forecasts.generate_history` with :data:`MILAN_SEED` on the site
  file's fleet and chargers): the last 14 days of 70 (7 of 42 with ``quick``), on the Italian
  calendar, as a closed fleet of 62 cars and 10 vans whose plugged-in vehicles are known at each
  forecast. The windows hold Easter Monday and Liberation Day (21 and 25 April 2025).

See :mod:`.vehicle_backtest` for the targets and baselines.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from benchmarks.forecast_eval.caltech import CALTECH_TIMEZONE, caltech_data_path, read_caltech_sessions
from benchmarks.forecast_eval.metrics import coverage, mae, pinball, rmse, skill
from benchmarks.forecast_eval.rows import EvalRow
from benchmarks.forecast_eval.vehicle_backtest import Backtest, BacktestSite, backtest_arrivals, backtest_sessions
from fleet.demo_history import history_site
from fleet.site_config import load_site
from forecasts import (
    SiteLocation,
    generate_history,
)

MILAN_SEED = 20250415
CALTECH_LOCATION = SiteLocation(
    latitude_deg=34.137, longitude_deg=-118.125, altitude_m=240.0, timezone=CALTECH_TIMEZONE
)
CALTECH_TEST_DAYS = tuple(date(2019, 3, 22) + timedelta(days=i) for i in range(10))
LOOKBACK_DAYS = 56
ARRIVALS = "expected_arrivals"
SESSIONS = "estimate_departure_and_need"
DAY_AHEAD = "day-ahead, 24 x 1 h from 00:00 local"
AT_PLUG_IN = "at plug-in"


def score_rows(backtest: Backtest, *, forecaster: str, target: str, horizon: str) -> list[EvalRow]:
    """The forecaster's row and the two baselines' rows, all scored on the same targets."""
    truth = backtest.truth
    rmse_model = rmse(backtest.model, truth)
    rmse_clim = rmse(backtest.climatology, truth)
    rmse_pers = rmse(backtest.persistence, truth)
    quantile_pinball = None
    inside = None
    if backtest.quantiles is not None:
        p10, p50, p90 = backtest.quantiles
        quantile_pinball = (pinball(p10, truth, 0.1) + pinball(p50, truth, 0.5) + pinball(p90, truth, 0.9)) / 3
        inside = coverage(p10, p90, truth)
    n = len(truth)
    return [
        EvalRow(
            forecaster=forecaster,
            target=target,
            baseline=False,
            horizon=horizon,
            mae=mae(backtest.model, truth),
            rmse=rmse_model,
            skill_vs_persistence=skill(rmse_model, rmse_pers),
            skill_vs_climatology=skill(rmse_model, rmse_clim),
            pinball=quantile_pinball,
            coverage_p10_p90=inside,
            n=n,
        ),
        EvalRow(
            forecaster="climatology",
            target=target,
            baseline=True,
            horizon=horizon,
            mae=mae(backtest.climatology, truth),
            rmse=rmse_clim,
            skill_vs_persistence=skill(rmse_clim, rmse_pers),
            skill_vs_climatology=None,
            n=n,
        ),
        EvalRow(
            forecaster="persistence",
            target=target,
            baseline=True,
            horizon=horizon,
            mae=mae(backtest.persistence, truth),
            rmse=rmse_pers,
            skill_vs_persistence=None,
            skill_vs_climatology=skill(rmse_pers, rmse_clim),
            n=n,
        ),
    ]


def caltech_rows(progress: Callable[[str], None]) -> list[EvalRow]:
    """Rows of the Caltech back-test; none, with a message, when the data file is absent."""
    path = caltech_data_path()
    if not path.exists():
        progress(f"Caltech ACN data not found at {path} (set VETTABBIA_ACN_DATA to its path): skipped")
        return []
    sessions = read_caltech_sessions(path)
    progress(f"Caltech: {len(sessions)} sessions from {path.name}")
    common = BacktestSite(CALTECH_LOCATION, "US", LOOKBACK_DAYS)
    arrivals = backtest_arrivals(sessions, CALTECH_TEST_DAYS, common, classes=("car",), progress=progress)
    per_session = backtest_sessions(sessions, CALTECH_TEST_DAYS, common, vehicle_class="car", progress=progress)
    return [
        *score_rows(arrivals["car"], forecaster=ARRIVALS, target="Caltech arrivals per hour [-]", horizon=DAY_AHEAD),
        *score_rows(
            per_session.energy, forecaster=SESSIONS, target="Caltech energy per session [kWh]", horizon=AT_PLUG_IN
        ),
        *score_rows(
            per_session.departure, forecaster=SESSIONS, target="Caltech departure per session [h]", horizon=AT_PLUG_IN
        ),
    ]


def milan_rows(*, quick: bool, seed: int, progress: Callable[[str], None]) -> list[EvalRow]:
    """Rows of the back-test on generated Milan history."""
    site = history_site(load_site())
    days, test = (42, 7) if quick else (70, 14)
    end = date(2025, 4, 26)
    start = end - timedelta(days=days)
    progress(f"Milan: generating {days} days from {start.isoformat()} with seed {seed}")
    history = generate_history(
        site, start=datetime(start.year, start.month, start.day, 12, tzinfo=UTC), days=days, seed=seed
    )
    sessions = history.sessions
    test_days = tuple(end - timedelta(days=test - i) for i in range(test))
    fleet_sizes = {c: sum(v.vehicle_class == c for v in site.vehicles) for c in ("car", "van")}
    common = BacktestSite(site.location, site.holiday_country, LOOKBACK_DAYS)
    arrivals = backtest_arrivals(
        sessions, test_days, common, classes=("car", "van"), fleet_sizes=fleet_sizes, progress=progress
    )
    rows: list[EvalRow] = []
    for vehicle_class in ("car", "van"):
        label = f"Milan seed {seed} {vehicle_class}"
        rows += score_rows(
            arrivals[vehicle_class], forecaster=ARRIVALS, target=f"{label} arrivals per hour [-]", horizon=DAY_AHEAD
        )
        per_session = backtest_sessions(sessions, test_days, common, vehicle_class=vehicle_class, progress=progress)
        rows += score_rows(
            per_session.energy, forecaster=SESSIONS, target=f"{label} energy per session [kWh]", horizon=AT_PLUG_IN
        )
        rows += score_rows(
            per_session.departure, forecaster=SESSIONS, target=f"{label} departure per session [h]", horizon=AT_PLUG_IN
        )
    return rows


def evaluate(*, quick: bool, progress: Callable[[str], None] = lambda _: None, seed: int = MILAN_SEED) -> list[EvalRow]:
    """Score the vehicle forecasts on Caltech sessions (when the data are there) and on Milan history.

    Parameters
    ----------
    quick
        Shorter Milan history and test window; the Caltech back-test is the same either way.
    progress
        Receives one line per step.
    seed
        Seed of the generated Milan history.

    Returns
    -------
    list of EvalRow
        For each target, the forecaster's row followed by the climatology and persistence rows.
    """
    return [*caltech_rows(progress), *milan_rows(quick=quick, seed=seed, progress=progress)]
