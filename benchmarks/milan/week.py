"""One seed of the Milan week: no control, the MPC and the offline optimum on the same scenario, measured alike."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from benchmarks.milan.conditions import SiteForecastSeries
from benchmarks.milan.controllers import MpcController, Uncontrolled
from benchmarks.milan.history import history_sessions
from benchmarks.milan.meter import MeteredForecasts
from benchmarks.milan.metrics import ControllerMetrics, controller_metrics
from benchmarks.milan.offline import OfflineResult, offline_optimum
from benchmarks.milan.run import PlantRun, run_plant
from benchmarks.milan.scenario import Scenario, build_scenario
from fleet.site_config import SiteConfig
from ocpp_server.simulator.battery import CHARGING_EFFICIENCY


@dataclass(frozen=True, slots=True)
class SeedResult:
    seed: int
    metrics: tuple[ControllerMetrics, ...]
    """No control, the MPC and the offline optimum."""
    import_kw: dict[str, npt.NDArray[np.float64]]
    """Net import of every step, by controller [kW]."""
    pv_kw: npt.NDArray[np.float64]
    """Actual PV of every step [kW]."""
    energy_balance_error_kwh: float
    """Largest |battery gain - metered x efficiency| over the plant runs [kWh]: bookkeeping check."""
    offline_slots: int
    offline_solve_s: float
    wall_s: float


def _progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


def _plant_metrics(scenario: Scenario, run: PlantRun) -> ControllerMetrics:
    return controller_metrics(
        run.controller,
        scenario,
        run.ev_power_kw,
        run.import_kw,
        run.departures,
        [d.shortfall_kwh for d in run.departures],
        sum(s > 0 for s in run.trip_shortfalls_kwh),
        run.calls,
        open_stay_energy_kwh=sum(s.metered_kwh for s in run.stays if not s.departed),
    )


def _offline_metrics(scenario: Scenario, mpc: PlantRun, offline: OfflineResult) -> ControllerMetrics:
    # A departure without a stay got no charge from any plan: its shortfall is the plant's.
    shortfalls = [
        d.shortfall_kwh if d.transaction_id is None else offline.unmet_by_transaction[d.transaction_id]
        for d in mpc.departures
    ]
    return controller_metrics(
        "offline",
        scenario,
        offline.ev_power_kw,
        offline.import_kw,
        mpc.departures,
        shortfalls,
        sum(s > 0 for s in mpc.trip_shortfalls_kwh),
        (),
        open_stay_energy_kwh=offline.open_stay_energy_kwh,
    )


def run_seed(
    site: SiteConfig,
    forecast: SiteForecastSeries,
    seed: int,
    days: int,
    *,
    time_limit_s: float,
    perfect_forecasts: bool = False,
    with_history: bool = False,
    without_meter: bool = False,
) -> SeedResult:
    """Simulate the week for one seed under every controller and measure each.

    The MPC reads the site's PV and building meters (:class:`~benchmarks.milan.meter.MeteredForecasts`).
    With ``perfect_forecasts`` also the MPC planning on the actual PV and base load (``mpc-perfect``);
    with ``with_history`` also the MPC expecting arrivals learnt from four weeks of past sessions
    (``mpc-history``, :mod:`benchmarks.milan.history`); with ``without_meter`` also the MPC on the
    forecasters' priors alone (``mpc-no-meter``)."""
    started_s = time.perf_counter()
    scenario = build_scenario(site, forecast, seed, days)
    metered = MeteredForecasts(site, scenario.conditions)
    runs = [
        run_plant(scenario, Uncontrolled(), _progress),
        run_plant(scenario, MpcController(site, metered, time_limit_s=time_limit_s), _progress),
    ]
    mpc = runs[1]
    if without_meter:
        priors = MpcController(site, scenario.conditions, time_limit_s=time_limit_s, name="mpc-no-meter")
        runs.append(run_plant(scenario, priors, _progress))
    if perfect_forecasts:
        knowing = MpcController(
            site, scenario.conditions.with_perfect_forecasts(), time_limit_s=time_limit_s, name="mpc-perfect"
        )
        runs.append(run_plant(scenario, knowing, _progress))
    if with_history:
        past = history_sessions(site, scenario.vehicles, scenario.start_utc, seed)
        expecting = MpcController(site, metered, time_limit_s=time_limit_s, name="mpc-history", history=past)
        runs.append(run_plant(scenario, expecting, _progress))
    _progress(f"seed {seed}: offline optimum over {len(mpc.stays)} stays")
    offline = offline_optimum(scenario, mpc.stays)
    _progress(f"seed {seed}: offline optimum {offline.status} in {offline.solve_s:.1f} s")
    metrics = [
        _plant_metrics(scenario, runs[0]),
        _plant_metrics(scenario, mpc),
        *(_plant_metrics(scenario, run) for run in runs[2:]),
        _offline_metrics(scenario, mpc, offline),
    ]
    import_kw = {run.controller: run.import_kw for run in runs} | {"offline": offline.import_kw}
    return SeedResult(
        seed=seed,
        metrics=tuple(metrics),
        import_kw=import_kw,
        pv_kw=scenario.conditions.pv_kw[: scenario.n_steps],
        energy_balance_error_kwh=max(abs(r.stored_gain_kwh - r.metered_kwh * CHARGING_EFFICIENCY) for r in runs),
        offline_slots=offline.slots,
        offline_solve_s=offline.solve_s,
        wall_s=time.perf_counter() - started_s,
    )
