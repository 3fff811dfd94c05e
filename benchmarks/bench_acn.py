"""Benchmark the optimiser on real charging sessions: ACN-Sim on the Caltech ACN, March 2019.

Run ``python -m benchmarks.bench_acn`` (the full month at eight transformer capacities, for the docs)
or ``python -m benchmarks.bench_acn --quick`` (one weekday at two capacities). Every capacity runs
ACN-Sim's Uncontrolled, Round Robin, FCFS, EDF and LLF next to the optimiser as model-predictive
control, plus the offline optimum with perfect knowledge. Prints the table and the goals, writes
``benchmarks/results/acn.json`` (``acn_quick.json`` with ``--quick``) and, for the full run, the plot
``docs/benchmarks/acn.png``.

The sessions are ACN-Data's (Caltech, BSD-3-Clause), read from ``../shared/data/acn/`` next to the
repository or from ``$VETTABBIA_ACN_DATA``; they are not part of the repository.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from benchmarks.acn.mpc import MpcSettings
from benchmarks.acn.network import caltech_network, infrastructure_of, network_model
from benchmarks.acn.offline import OfflineResult, offline_optimum
from benchmarks.acn.report import OfflineBounds, check_goals, document, goals_text, plot, table, write_json
from benchmarks.acn.reuse import ReusedResults, reusable_results
from benchmarks.acn.runner import ALGORITHMS, OURS, PERIOD_MIN, TARIFF, RunMetrics, RunSpec, run
from benchmarks.acn.sessions import (
    DATA_FILE_NAME,
    PERIODS_PER_DAY_5MIN,
    AcnSession,
    data_path,
    load_sessions,
    sessions_in_days,
)

RESULTS_DIR = Path(__file__).parent / "results"
PLOT_PATH = Path(__file__).resolve().parents[1] / "docs" / "benchmarks" / "acn.png"
FULL_CAPACITIES_KW = (10.0, 20.0, 30.0, 40.0, 50.0, 70.0, 100.0, 150.0)
QUICK_CAPACITIES_KW = (10.0, 50.0)
QUICK_FIRST_DAY = 4
"""Tuesday 5 March 2019: a busy weekday."""
MONTH_DAYS = 31
UPPER_BOUND_FACETS = 64
"""Sides of the outer polygon of the upper bound: at most 1/cos(pi/64) - 1 = 0.12 % too loose."""
DEFAULT_MPC = MpcSettings(
    facets=16,
    fine_periods=24,
    coarse_periods=12,
    power_change_weight=0.001,
    round_up_first=True,
    expected_days=3,
    expected_weight=0.5,
    completion_weight=0.001,
)
"""The recorded settings: 5-minute slots for 2 h, then hours; steady plans while every session can be met;
pilots rounded up to the plan first; the arrivals of the last 3 days of the same kind expected at half
weight, each asking for a third of its request; a shortfall goes first to the sessions nearest their
request."""


@dataclass(frozen=True, slots=True)
class OfflineJob:
    transformer_cap_kw: float
    facets: int
    outer: bool


@dataclass(frozen=True, slots=True)
class JobOutcome:
    """What a worker sends back: a simulation run, or an offline optimum."""

    run: RunMetrics | None = None
    offline: OfflineResult | None = None
    transformer_cap_kw: float = 0.0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    path = data_path()
    if not path.exists():
        print(f"ACN data not found at {path}; set VETTABBIA_ACN_DATA to the event-queue file", file=sys.stderr)
        return 2
    default_capacities = QUICK_CAPACITIES_KW if args.quick else FULL_CAPACITIES_KW
    capacities = tuple(args.capacities) if args.capacities else default_capacities
    first_day = args.first_day if args.first_day is not None else QUICK_FIRST_DAY if args.quick else 0
    n_days = args.days if args.days is not None else 1 if args.quick else MONTH_DAYS
    settings = MpcSettings(
        facets=args.facets,
        fine_periods=args.fine_periods or None,
        coarse_periods=args.coarse_periods,
        fairness_weight=args.fairness_weight,
        price_rise_per_kwh_h=args.price_rise,
        power_change_weight=args.power_change_weight,
        round_up_first=args.round_up_first,
        expected_days=args.expected_days,
        expected_weight=args.expected_weight,
        expected_within_h=args.expected_within_h,
        expected_pickup=args.expected_pickup,
        completion_weight=args.completion_weight,
        known_arrivals=args.known_arrivals,
    )
    sessions = sessions_in_days(load_sessions(path), first_day=first_day, n_days=n_days)
    data = {
        "file": DATA_FILE_NAME,
        "source": "ACN-Data (Caltech), as an ACN-Sim event queue; BSD-3-Clause",
        "first_day": first_day,
        "days": n_days,
        "sessions": len(sessions),
        "requested_kwh": sum(s.requested_energy_kwh for s in sessions),
    }
    reused: ReusedResults | None = None
    if args.reuse_baselines is not None:
        try:
            reused = reusable_results(
                json.loads(args.reuse_baselines.read_text(encoding="utf-8")),
                data=data,
                capacities_kw=capacities,
                period_min=PERIOD_MIN,
                tariff=TARIFF,
                facets=settings.facets,
                upper_bound_facets=UPPER_BOUND_FACETS,
                acnportal_version=version("acnportal"),
            )
        except (OSError, ValueError) as error:
            print(f"cannot reuse {args.reuse_baselines}: {error}", file=sys.stderr)
            return 2
    print(
        f"{len(sessions)} sessions from day {first_day} for {n_days} day(s), capacities {list(capacities)} kW,"
        f" {args.workers} worker(s)",
        flush=True,
    )

    started_s = time.perf_counter()
    algorithms = (OURS,) if reused is not None else ALGORITHMS
    specs = [RunSpec(name, cap, first_day, settings) for cap in capacities for name in algorithms]
    # the MPC at small capacities takes longest: start it first so the pool stays busy
    specs.sort(key=lambda s: (s.algorithm != OURS, s.transformer_cap_kw))
    offline_jobs = [
        OfflineJob(cap, facets, outer)
        for cap in capacities
        for facets, outer in ((settings.facets, False), (UPPER_BOUND_FACETS, True))
        if reused is None
    ]
    runs: list[RunMetrics] = list(reused.runs) if reused is not None else []
    offline_results: dict[tuple[float, bool], OfflineResult] = dict(reused.offline) if reused is not None else {}
    total = len(specs) + len(offline_jobs)
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        futures: dict[Future[JobOutcome], str] = {}
        for spec in specs:
            label = f"{spec.algorithm} @ {spec.transformer_cap_kw:g} kW"
            futures[pool.submit(_run_job, spec, sessions, n_days)] = label
        for job in offline_jobs:
            label = "upper bound" if job.outer else "offline optimum"
            futures[pool.submit(_offline_job, job, sessions)] = f"{label} @ {job.transformer_cap_kw:g} kW"
        for done, future in enumerate(as_completed(futures), start=1):
            outcome = future.result()
            elapsed_min = (time.perf_counter() - started_s) / 60
            if outcome.run is not None:
                runs.append(outcome.run)
                detail = f"{outcome.run.energy_delivered_pct:.1f} % delivered in {outcome.run.wall_time_s:.0f} s"
            elif outcome.offline is not None:
                offline = outcome.offline
                offline_results[(outcome.transformer_cap_kw, offline.outer)] = offline
                detail = f"{100 * offline.delivered_kwh / offline.requested_kwh:.1f} % in {offline.solve_time_s:.0f} s"
            print(f"[{done}/{total}, {elapsed_min:.1f} min] {futures[future]}: {detail}", flush=True)
    wall_time_s = time.perf_counter() - started_s

    bounds = [OfflineBounds(cap, offline_results[(cap, False)], offline_results[(cap, True)]) for cap in capacities]
    checks = check_goals(runs, bounds)
    print()
    print(table(runs, bounds))
    print()
    print(goals_text(checks))
    print(f"\nwall time {wall_time_s / 60:.1f} min")

    metadata = {
        "benchmark": "ACN-Sim, Caltech ACN, March 2019",
        "data": data,
        "settings": {
            "capacities_kw": list(capacities),
            "period_min": PERIOD_MIN,
            "mpc": dataclasses.asdict(settings),
            "upper_bound_facets": UPPER_BOUND_FACETS,
            "tariff": TARIFF,
        },
        "environment": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "workers": args.workers,
            "acnportal": version("acnportal"),
            "highspy": version("highspy"),
            "pyomo": version("pyomo"),
        },
        "wall_time_s": wall_time_s,
    }
    if reused is not None:
        metadata["reused"] = {
            "file": args.reuse_baselines.name,
            "what": "baseline runs (energy, peak, cost, violations, call times) and offline optima",
            "wall_time_s": reused.wall_time_s,
        }
    output = args.output or RESULTS_DIR / ("acn_quick.json" if args.quick else "acn.json")
    write_json(output, document(metadata=metadata, runs=runs, offline=bounds, checks=checks))
    print(f"wrote {output}")
    plot_path = args.plot or (None if args.quick else PLOT_PATH)
    if plot_path is not None:
        plot(plot_path, runs, bounds, title=f"Caltech ACN, {len(sessions)} sessions, {n_days} day(s)")
        print(f"wrote {plot_path}")
    return 0


def _run_job(spec: RunSpec, sessions: tuple[AcnSession, ...], n_days: int) -> JobOutcome:
    label = f"{spec.algorithm} @ {spec.transformer_cap_kw:g} kW"
    # the simulation runs on until the last car leaves, days after the last arrival
    simulated_days = max(n_days, max(s.departure for s in sessions) // PERIODS_PER_DAY_5MIN + 1)

    def on_new_day(day: int) -> None:
        print(f"  {label}: day {day + 1}/{simulated_days}", flush=True)

    progress = on_new_day if spec.algorithm == OURS and n_days > 1 else None
    return JobOutcome(run=run(spec, sessions, on_new_day=progress), transformer_cap_kw=spec.transformer_cap_kw)


def _offline_job(job: OfflineJob, sessions: tuple[AcnSession, ...]) -> JobOutcome:
    model = network_model(infrastructure_of(caltech_network(job.transformer_cap_kw)))
    result = offline_optimum(sessions, model, facets=job.facets, outer=job.outer, period_h=PERIOD_MIN / 60)
    return JobOutcome(offline=result, transformer_cap_kw=job.transformer_cap_kw)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="one weekday at 10 and 50 kW")
    parser.add_argument("--capacities", type=float, nargs="+", help="transformer capacities [kW]")
    parser.add_argument("--first-day", type=int, help="first day of March 2019 to replay (0 = the 1st)")
    parser.add_argument("--days", type=int, help="days of arrivals to replay")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parallel processes")
    parser.add_argument("--facets", type=int, default=DEFAULT_MPC.facets, help="polygon sides per 3-phase limit")
    parser.add_argument(
        "--fine-periods", type=int, default=DEFAULT_MPC.fine_periods, help="5-minute slots ahead (0: all)"
    )
    parser.add_argument("--coarse-periods", type=int, default=DEFAULT_MPC.coarse_periods, help="periods per later slot")
    parser.add_argument(
        "--fairness-weight", type=float, default=DEFAULT_MPC.fairness_weight, help="optimiser fairness weight"
    )
    parser.add_argument(
        "--price-rise",
        type=float,
        default=DEFAULT_MPC.price_rise_per_kwh_h,
        help="planning price rise per hour ahead [per kWh per h]",
    )
    parser.add_argument(
        "--power-change-weight",
        type=float,
        default=DEFAULT_MPC.power_change_weight,
        help="weight on changes of a session's planned power, used while every session is met",
    )
    parser.add_argument(
        "--round-up-first",
        action=argparse.BooleanOptionalAction,
        default=DEFAULT_MPC.round_up_first,
        help="round pilots up to the plan where feasible before the least-laxity reallocation",
    )
    parser.add_argument(
        "--expected-days",
        type=int,
        default=DEFAULT_MPC.expected_days,
        help="plan today's arrivals to come as those of this many past days of the same kind (0: off)",
    )
    parser.add_argument(
        "--expected-weight",
        type=float,
        default=DEFAULT_MPC.expected_weight,
        help="unmet-energy weight of an expected session, relative to a present one",
    )
    parser.add_argument(
        "--expected-within-h",
        type=float,
        default=DEFAULT_MPC.expected_within_h,
        help="how far ahead expected arrivals are planned [h]",
    )
    parser.add_argument(
        "--expected-pickup",
        type=float,
        default=DEFAULT_MPC.expected_pickup,
        help="scale the expected sessions by how busy today has been so far against the days drawn from,"
        " smoothed by this many sessions (0: off)",
    )
    parser.add_argument(
        "--completion-weight",
        type=float,
        default=DEFAULT_MPC.completion_weight,
        help="raise a session's unmet-energy weight by this over its remaining demand in kWh, so that a"
        " short supply finishes the sessions nearest their request first (0: off)",
    )
    parser.add_argument(
        "--known-arrivals",
        action="store_true",
        help="a yardstick: expect today's arrivals as they will happen instead of forecasting them",
    )
    parser.add_argument(
        "--reuse-baselines",
        type=Path,
        metavar="JSON",
        help="take the baselines and offline optima from an earlier results file of the same sessions,"
        " capacities, facets and acnportal version; run only the MPC",
    )
    parser.add_argument("--output", type=Path, help="JSON results path")
    parser.add_argument("--plot", type=Path, help="PNG plot path (default: docs/benchmarks/acn.png for full runs)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(main())
