"""A week at the Milan hub in 5-minute steps: no control, the site controller's MPC, and the offline optimum.

Run ``python -m benchmarks.bench_milan_week`` (``--quick`` for one seed over two days). For each seed
the plant (:mod:`benchmarks.milan.plant`) plays the fleet's trips, the queue for chargers, battery
taper, cloudy PV and a noisy base load; the controllers are no control at all, the MPC running the
real planning, optimiser and dispatch code every 15 minutes and at each plug-in, and one LP over the
whole week with perfect knowledge. Prints a table, checks the goals, writes
``benchmarks/results/milan_week.json`` and plots one day's site import.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks.milan.conditions import STEP_H, forecast_series
from benchmarks.milan.goals import COST_GAP_GOAL, cost_goal
from benchmarks.milan.metrics import ControllerMetrics
from benchmarks.milan.plot import plot_import_day
from benchmarks.milan.scenario import LOOKAHEAD_DAYS, STEPS_PER_DAY
from benchmarks.milan.week import SeedResult, run_seed
from fleet.site_config import load_site

RESULTS_PATH = Path(__file__).parent / "results" / "milan_week.json"
PLOT_PATH = Path(__file__).parent.parent / "docs" / "benchmarks" / "milan-week-import.png"
WEEK_START_LOCAL = datetime(2026, 6, 8, tzinfo=ZoneInfo("Europe/Rome"))
"""Monday 8 June 2026: long days for the PV, no public holiday in the week."""
BALANCE_TOLERANCE_KWH = 1e-6


def _progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


def _row(m: ControllerMetrics) -> str:
    solve = "-" if m.solve_median_s is None else f"{m.solve_median_s:.3f}/{m.solve_p90_s:.3f}"
    return (
        f"{m.controller:<12} {m.seed:>4} {m.energy_cost_eur:>9.1f} {m.capacity_charge_eur:>7.1f} "
        f"{m.total_cost_eur:>9.1f} {m.ev_cost_eur:>8.1f} {m.ev_energy_kwh:>8.0f} {m.open_stay_energy_kwh:>6.0f} "
        f"{m.peak_import_kw:>7.1f} {max(m.peak_import_by_day_kw[1:], default=0.0):>7.1f} "
        f"{m.pv_self_consumption_pct:>6.1f} {m.grid_violations:>5} {sum(m.grid_violations_by_day[1:]):>4} "
        f"{m.vans_ready_pct:>6.1f} {m.vans_ready_when_possible:>3}/{m.vans_possible:<3} "
        f"{m.van_shortfall_max_kwh:>5.1f} {m.cars_ready_pct:>6.1f} {m.car_shortfall_mean_kwh:>5.2f} "
        f"{m.departure_shortfall_kwh:>6.1f} "
        f"{m.trips_short:>5} {m.plan_calls:>6} {solve:>13}"
    )


def _table(results: list[SeedResult]) -> str:
    header = (
        f"{'controller':<12} {'seed':>4} {'bill EUR':>9} {'cap EUR':>7} {'total':>9} {'EV EUR':>8} {'EV kWh':>8} "
        f"{'open':>6} {'peak kW':>7} {'peak d2+':>7} "
        f"{'PV %':>6} {'over':>5} {'d2+':>4} {'vans %':>6} {'ok/poss':>7} {'v-gap':>5} {'cars %':>6} {'c-gap':>5} "
        f"{'d-gap':>6} {'short':>5} {'plans':>6} {'solve med/p90':>13}"
    )
    lines = [header, "-" * len(header)]
    for result in results:
        lines.extend(_row(m) for m in result.metrics)
    lines.append(
        "bill = site energy bill; cap = capacity charge on the highest quarter hour; total = both; EV EUR = bill "
        "minus the bill without charging;\nopen = EV kWh to stays still plugged in at the week's end; d-gap = "
        "sum of the departures' shortfalls [kWh];\n"
        "over = 5-min steps above the grid limit; peak d2+, d2+ = peak and steps over from the second day on "
        "(at the start every charger starts at once);\n"
        "vans % = van departures with at least the booked energy; ok/poss = ready among those that "
        "full power could make ready;\nv-gap = largest van shortfall at departure [kWh]; c-gap = mean car "
        "shortfall [kWh]; short = trips on which a battery ran empty; solve in s per call."
    )
    return "\n".join(lines)


def _goals(results: list[SeedResult]) -> list[dict[str, Any]]:
    goals: list[dict[str, Any]] = []
    for result in results:
        by_name = {m.controller: m for m in result.metrics}
        mpc, offline = by_name["mpc"], by_name["offline"]
        cost_measured, cost_met = cost_goal(mpc, offline)
        goals += [
            {
                "goal": f"seed {result.seed}: MPC has every van ready whenever physically possible",
                "measured": f"{mpc.vans_ready_when_possible}/{mpc.vans_possible}, largest gap "
                f"{mpc.van_shortfall_max_kwh:.2f} kWh",
                "met": mpc.vans_ready_when_possible == mpc.vans_possible,
            },
            {
                "goal": f"seed {result.seed}: MPC energy cost within {COST_GAP_GOAL:.0%} of the offline optimum",
                "measured": cost_measured,
                "met": cost_met,
            },
            {
                "goal": f"seed {result.seed}: MPC never above the grid limit",
                "measured": f"{mpc.grid_violations} steps, peak {mpc.peak_import_kw:.1f} kW",
                "met": mpc.grid_violations == 0,
            },
            {
                "goal": f"seed {result.seed}: plant energy bookkeeping (battery gain = metered x efficiency)",
                "measured": f"{result.energy_balance_error_kwh:.2e} kWh",
                "met": result.energy_balance_error_kwh <= BALANCE_TOLERANCE_KWH,
            },
        ]
    return goals


def _plot_day(result: SeedResult, days: int) -> int:
    """The day with the highest uncontrolled peak, leaving out the first: everyone plugs in at its start."""
    candidates = range(1, days) if days > 1 else range(days)
    peaks = {
        d: float(result.import_kw["uncontrolled"][d * STEPS_PER_DAY : (d + 1) * STEPS_PER_DAY].max())
        for d in candidates
    }
    return max(peaks, key=lambda d: peaks[d])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="one seed over two days")
    parser.add_argument("--seeds", default="1,2", help="comma-separated seeds")
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2, help="seeds simulated in parallel")
    parser.add_argument("--time-limit-s", type=float, default=10.0, help="solver time limit per MPC call [s]")
    parser.add_argument(
        "--plot-day",
        type=int,
        default=None,
        help="day of the first seed to plot (0 = Monday); default: the day after the first with the highest "
        "uncontrolled peak",
    )
    parser.add_argument(
        "--perfect-forecasts",
        action="store_true",
        help="also run the MPC on forecasts that are the actual PV and base load (row mpc-perfect)",
    )
    parser.add_argument(
        "--history",
        action="store_true",
        help="also run the MPC with four weeks of the fleet's past sessions, expecting arrivals as the "
        "control loop does (row mpc-history)",
    )
    parser.add_argument(
        "--without-meter",
        action="store_true",
        help="also run the MPC on the forecasters' priors alone, without the site's PV and building meters "
        "(row mpc-no-meter)",
    )
    parser.add_argument(
        "--fine-horizon-h",
        type=float,
        default=None,
        help="plan in the site's slots for this long, then in hours (planning.fine_horizon_h); default: the site's",
    )
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    parser.add_argument("--plot", type=Path, default=PLOT_PATH)
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    days = args.days
    if args.quick:
        seeds, days = seeds[:1], 2
    if not seeds or days < 1:
        parser.error("need at least one seed and one day")

    started_s = time.perf_counter()
    site = load_site()
    if args.fine_horizon_h is not None:
        site = site.with_planning(fine_horizon_h=args.fine_horizon_h)
    start_utc = WEEK_START_LOCAL.astimezone(UTC)
    _progress(f"forecasts for {days + LOOKAHEAD_DAYS} days from {WEEK_START_LOCAL.date()}")
    forecast = forecast_series(site, start_utc, (days + LOOKAHEAD_DAYS) * STEPS_PER_DAY)
    _progress(f"simulating seeds {seeds} over {days} days, {min(args.workers, len(seeds))} at a time")
    with ProcessPoolExecutor(max_workers=max(1, min(args.workers, len(seeds)))) as pool:
        futures = [
            pool.submit(
                run_seed,
                site,
                forecast,
                seed,
                days,
                time_limit_s=args.time_limit_s,
                perfect_forecasts=args.perfect_forecasts,
                with_history=args.history,
                without_meter=args.without_meter,
            )
            for seed in seeds
        ]
        results = [f.result() for f in futures]

    print(_table(results))
    goals = _goals(results)
    print()
    for goal in goals:
        print(f"{'met    ' if goal['met'] else 'NOT MET'}  {goal['goal']}: {goal['measured']}")

    first = results[0]
    plot_day = _plot_day(first, days) if args.plot_day is None else min(max(args.plot_day, 0), days - 1)
    day = slice(plot_day * STEPS_PER_DAY, (plot_day + 1) * STEPS_PER_DAY)
    plotted = (WEEK_START_LOCAL + timedelta(days=plot_day)).date()
    plot_import_day(
        args.plot,
        title=f"Milan hub, {plotted:%A %d %B %Y} (seed {first.seed}): site import",
        step_h=STEP_H,
        series={name: first.import_kw[name][day] for name in ("uncontrolled", "mpc")},
        pv_kw=first.pv_kw[day],
        limit_kw=site.site.grid.import_limit_kw,
    )
    report = {
        "benchmark": "milan_week",
        "quick": args.quick,
        "week_start_local": WEEK_START_LOCAL.isoformat(),
        "days": days,
        "seeds": seeds,
        "grid_margin_kw": site.planning.grid_margin_kw,
        "fine_horizon_h": site.planning.fine_horizon_h,
        "plot": {"path": str(args.plot), "seed": first.seed, "day": plot_day},
        "solver_time_limit_s": args.time_limit_s,
        "perfect_forecasts": args.perfect_forecasts,
        "history": args.history,
        "without_meter": args.without_meter,
        "python": platform.python_version(),
        "pyomo": version("pyomo"),
        "highspy": version("highspy"),
        "wall_time_s": round(time.perf_counter() - started_s, 1),
        "results": [
            {
                "seed": r.seed,
                "wall_s": round(r.wall_s, 1),
                "offline_slots": r.offline_slots,
                "offline_solve_s": r.offline_solve_s,
                "energy_balance_error_kwh": r.energy_balance_error_kwh,
                "controllers": [
                    dataclasses.asdict(m)
                    | {
                        "vans_ready_pct": m.vans_ready_pct,
                        "vans_ready_when_possible_pct": m.vans_ready_when_possible_pct,
                        "cars_ready_pct": m.cars_ready_pct,
                        "ev_eur_per_kwh": m.ev_eur_per_kwh,
                    }
                    for m in r.metrics
                ],
            }
            for r in results
        ],
        "goals": goals,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.output} and {args.plot} in {report['wall_time_s']} s")


if __name__ == "__main__":
    main()
