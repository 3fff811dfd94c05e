"""Benchmark the charging optimiser on Milan-like problems.

Run ``python -m benchmarks.bench_optimizer``. Builds seeded random problems shaped like the Porta
Romana / Vettabbia hub (62 e-cars and 10 vans on a 500 kW connection with 250 kWp of PV, 96 slots
of 15 minutes over a weekday) and the same hub ten times over, times :func:`optimizer.solve`
(model build + HiGHS + schedule assembly), the fallback, the model with every optional term on,
dispatchable setpoints (LP then repair, with the gap to the LP optimum), and re-planning after
meter values cold (:func:`optimizer.solve`) and warm (:class:`optimizer.Replanner`); prints a table
and writes ``benchmarks/results/optimizer.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import platform
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

from optimizer import ChargingProblem, Replanner, Schedule, VehicleRequest, fallback_schedule, solve

RESULTS_PATH = Path(__file__).parent / "results" / "optimizer.json"
HORIZON_START_UTC = datetime(2025, 6, 16, 14, 0, tzinfo=UTC)
"""A Monday, 16:00 in Milan (UTC+2 in summer): the horizon runs through the evening peak."""
UTC_OFFSET_H = 2.0
SLOT_H = 0.25
N_SLOTS = 96
SITE_VEHICLES = 72
VANS_PER_SITE = 10


def _price_eur_per_kwh(local_h: float) -> float:
    """ARERA bands on a weekday: F1 08-19, F2 07-08 and 19-23, F3 otherwise."""
    hour = local_h % 24
    if 8 <= hour < 19:
        return 0.28
    if 7 <= hour < 8 or 19 <= hour < 23:
        return 0.24
    return 0.19


def _pv_per_kwp(local_h: float, cloud_factor: float) -> float:
    """Clear-sky-like June day in Milan (sunrise about 05:35, sunset 21:15), times cloudiness."""
    hour = local_h % 24
    if not 5.6 <= hour <= 21.2:
        return 0.0
    return 0.78 * math.pow(max(0.0, math.sin(math.pi * (hour - 5.6) / 15.6)), 1.3) * cloud_factor


def _base_load_per_site_kw(local_h: float, rng: random.Random) -> float:
    """Hub buildings and lighting: about 40 kW at night, up to 120 kW on working afternoons."""
    hour = local_h % 24
    day_shape = max(0.0, math.sin(math.pi * (hour - 6.5) / 14.0)) if 6.5 <= hour <= 20.5 else 0.0
    return 40.0 + 80.0 * day_shape * rng.uniform(0.85, 1.0)


def _available_h(arrive_h: float, depart_h: float) -> tuple[float, ...]:
    return tuple(max(0.0, min(depart_h, (t + 1) * SLOT_H) - max(arrive_h, t * SLOT_H)) for t in range(N_SLOTS))


def milan_like_problem(n_vehicles: int, *, seed: int) -> ChargingProblem:
    """A seeded random problem: the Milan hub scaled to ``n_vehicles`` (72 is the real site).

    Parameters
    ----------
    n_vehicles
        Number of vehicles; grid limit, PV, base load and the van share scale with it.
    seed
        Seed of the random generator.

    Returns
    -------
    ChargingProblem
        96 slots of 15 minutes from 16:00 local time on a weekday.
    """
    rng = random.Random(seed)
    scale = n_vehicles / SITE_VEHICLES
    local_h = [UTC_OFFSET_H + HORIZON_START_UTC.hour + t * SLOT_H for t in range(N_SLOTS)]
    clouds = [rng.uniform(0.5, 1.0) for _ in range(24)]
    pv_kw = tuple(250.0 * scale * _pv_per_kwp(h, clouds[int(h) % 24]) for h in local_h)
    import_price = tuple(_price_eur_per_kwh(h) for h in local_h)

    vehicles: list[VehicleRequest] = []
    n_vans = round(n_vehicles * VANS_PER_SITE / SITE_VEHICLES)
    for i in range(n_vehicles):
        if i < n_vans:
            # back from the delivery round 15:00-18:00 (or already plugged in), off at 06:00-07:00
            arrive_h = max(0.0, rng.uniform(15.0, 18.0) - local_h[0])
            depart_h = rng.uniform(30.0, 31.0) - local_h[0]
            energy_kwh, max_kw, priority = rng.uniform(50.0, 80.0), rng.choice((22.0, 22.0, 50.0)), 3.0
        else:
            # a car-sharing return some time in the day, parked for 1 to 10 hours
            arrive_h = rng.uniform(0.0, 22.0)
            depart_h = min(N_SLOTS * SLOT_H, arrive_h + rng.uniform(1.0, 10.0))
            energy_kwh, max_kw, priority = rng.uniform(5.0, 35.0), rng.choice((11.0, 11.0, 50.0)), 1.0
        vehicles.append(
            VehicleRequest(
                vehicle_id=f"{'van' if i < n_vans else 'car'}-{i:04d}",
                connector_key=f"CP{i:04d}/1",
                max_power_kw=max_kw,
                energy_needed_kwh=energy_kwh,
                available_h=_available_h(arrive_h, depart_h),
                priority=priority,
            )
        )
    return ChargingProblem(
        slot_starts_utc=tuple(HORIZON_START_UTC + timedelta(hours=t * SLOT_H) for t in range(N_SLOTS)),
        slot_duration_h=(SLOT_H,) * N_SLOTS,
        grid_import_limit_kw=(500.0 * scale,) * N_SLOTS,
        base_load_kw=tuple(scale * _base_load_per_site_kw(h, rng) for h in local_h),
        pv_kw=pv_kw,
        pv_firm_kw=tuple(0.5 * p for p in pv_kw),
        import_price_eur_per_kwh=import_price,
        export_price_eur_per_kwh=(0.10,) * N_SLOTS,
        vehicles=tuple(vehicles),
    )


def with_all_terms(problem: ChargingProblem) -> ChargingProblem:
    """The same site with every optional term on: batteries with a taper above 80 %, a capacity
    charge above a peak already reached, fairness, power-change cost and an export limit."""
    rng = random.Random(len(problem.vehicles))
    scale = len(problem.vehicles) / SITE_VEHICLES
    vehicles = tuple(
        dataclasses.replace(
            v,
            battery_kwh=75.0 if v.vehicle_id.startswith("van") else 50.0,
            initial_soc=rng.uniform(0.05, 0.3),
            taper=((0.0, v.max_power_kw), (0.8, v.max_power_kw), (1.0, 0.1 * v.max_power_kw)),
        )
        for v in problem.vehicles
    )
    return dataclasses.replace(
        problem,
        vehicles=vehicles,
        export_limit_kw=(50.0 * scale,) * problem.n_slots,
        capacity_charge_eur_per_kw=3.0,
        peak_import_so_far_kw=300.0 * scale,
        fairness_weight_eur=0.5,
        power_change_weight_eur_per_kw=0.001,
    )


def with_setpoints(problem: ChargingProblem) -> ChargingProblem:
    """AC chargers limited in whole amperes at 3 x 230 V (6 A minimum: 4.14 kW, steps of 0.69 kW,
    11 and 22 kW read as 16 and 32 A); DC chargers in steps of 0.1 kW."""
    vehicles = []
    for v in problem.vehicles:
        if v.max_power_kw <= 22.0:
            amps = round(v.max_power_kw / 0.69)
            vehicles.append(dataclasses.replace(v, max_power_kw=amps * 0.69, min_power_kw=4.14, power_step_kw=0.69))
        else:
            vehicles.append(dataclasses.replace(v, power_step_kw=0.1))
    return dataclasses.replace(problem, vehicles=tuple(vehicles))


def after_meter_values(problem: ChargingProblem, repeats: int) -> list[ChargingProblem]:
    """The problem as re-planned after each of ``repeats`` meter values took 2 % off every need."""
    return [
        dataclasses.replace(
            problem,
            vehicles=tuple(
                dataclasses.replace(v, energy_needed_kwh=v.energy_needed_kwh * (1.0 - 0.02 * k))
                for v in problem.vehicles
            ),
        )
        for k in range(repeats + 1)
    ]


@dataclass(frozen=True, slots=True)
class CaseResult:
    case: str
    vehicles: int
    slots: int
    repeats: int
    median_s: float
    min_s: float
    cpu_median_s: float
    """Median process time [s]: steadier than wall time on a shared machine."""
    status: str
    objective_eur: float | None
    unmet_energy_kwh: float
    gap_percent: float | None = None
    """Dispatchable plans: cost above the LP optimum [%]."""


def run_sequence(
    case: str, problems: Sequence[ChargingProblem], planner: Callable[[ChargingProblem], Schedule]
) -> CaseResult:
    """Time ``planner`` on ``problems[1:]`` in turn, after an untimed call on ``problems[0]``."""
    planner(problems[0])
    times_s: list[float] = []
    cpu_s: list[float] = []
    schedule: Schedule | None = None
    for problem in problems[1:]:
        started_s, started_cpu_s = time.perf_counter(), time.process_time()
        schedule = planner(problem)
        times_s.append(time.perf_counter() - started_s)
        cpu_s.append(time.process_time() - started_cpu_s)
    assert schedule is not None
    return CaseResult(
        case=case,
        vehicles=len(problems[0].vehicles),
        slots=problems[0].n_slots,
        repeats=len(times_s),
        median_s=statistics.median(times_s),
        min_s=min(times_s),
        cpu_median_s=statistics.median(cpu_s),
        status=schedule.status.value,
        objective_eur=schedule.objective_eur,
        unmet_energy_kwh=schedule.unmet_energy_kwh,
        gap_percent=schedule.gap_percent if schedule.dispatchable else None,
    )


def run_case(
    case: str, problem: ChargingProblem, planner: Callable[[ChargingProblem], Schedule], repeats: int
) -> CaseResult:
    """Time ``planner`` on ``problem`` ``repeats`` times (after one warm-up call)."""
    return run_sequence(case, [problem] * (repeats + 1), planner)


def _solve(problem: ChargingProblem) -> Schedule:
    return solve(problem, time_limit_s=30.0)


def _dispatchable(problem: ChargingProblem) -> Schedule:
    return solve(problem, time_limit_s=30.0, dispatchable=True)


def _fallback(problem: ChargingProblem) -> Schedule:
    return fallback_schedule(problem, reason="benchmark")


def cases_at(problem: ChargingProblem, repeats: int) -> list[CaseResult]:
    """Every case on one problem: plain, fallback, all terms, dispatchable, re-planning warm and cold."""
    meter_values = after_meter_values(problem, repeats)
    replanner = Replanner(time_limit_s=30.0)
    return [
        run_case("solve", problem, _solve, repeats),
        run_case("fallback", problem, _fallback, repeats),
        run_case("all terms", with_all_terms(problem), _solve, repeats),
        run_case("setpoints", with_setpoints(problem), _dispatchable, repeats),
        run_sequence("re-plan cold", meter_values, _solve),
        run_sequence("re-plan warm", meter_values, replanner.solve),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--repeats", type=int, default=9, help="timed repeats at site scale")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    args = parser.parse_args(argv)

    site = milan_like_problem(SITE_VEHICLES, seed=args.seed)
    large = milan_like_problem(10 * SITE_VEHICLES, seed=args.seed)
    large_repeats = max(1, args.repeats // 2)  # ten times the site takes about ten times as long
    results = cases_at(site, args.repeats) + cases_at(large, large_repeats)

    header = f"{'case':<13} {'vehicles':>8} {'slots':>5} {'runs':>4} {'median s':>9} {'min s':>8} {'cpu s':>7} "
    header += f"{'status':<9} {'objective EUR':>13} {'unmet kWh':>10} {'gap %':>6}"
    print(header)
    print("-" * len(header))
    for r in results:
        objective = "-" if r.objective_eur is None else f"{r.objective_eur:.2f}"
        gap = "-" if r.gap_percent is None else f"{r.gap_percent:.2f}"
        print(
            f"{r.case:<13} {r.vehicles:>8} {r.slots:>5} {r.repeats:>4} {r.median_s:>9.3f} {r.min_s:>8.3f} "
            f"{r.cpu_median_s:>7.3f} {r.status:<9} {objective:>13} {r.unmet_energy_kwh:>10.1f} {gap:>6}"
        )
    print(
        "\nall terms: taper, capacity charge, fairness, power changes, export limit; setpoints: dispatchable"
        "\n(6 A minimum, 1 A steps on AC); re-plan: needs down 2 % per solve, cold = solve(), warm = Replanner"
    )

    report = {
        "benchmark": "optimizer",
        "seed": args.seed,
        "python": platform.python_version(),
        "pyomo": version("pyomo"),
        "highspy": version("highspy"),
        "machine": platform.machine(),
        "results": [dataclasses.asdict(r) for r in results],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
