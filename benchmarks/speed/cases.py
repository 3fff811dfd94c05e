"""The speed benchmark's cases and how one case is measured.

Each case is a site and a snapshot of its store. A case times the full re-plan (planning, solve,
dispatch; see :mod:`benchmarks.speed.pipeline`), then solves the core of the same problem with the
floor (:mod:`benchmarks.speed.floor`), the optimiser on both its paths, the leanest Pyomo model
(:mod:`benchmarks.speed.lean_pyomo`), Pyomo's stock HiGHS interface
(:mod:`benchmarks.speed.pyomo_path`) and its newer one, from scratch and kept between re-solves
(:mod:`benchmarks.speed.contrib_highs`), and checks that they all agree on the optimum.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from benchmarks.speed.contrib_highs import (
    DirectWarm,
    PersistentPyomo,
    Resolve,
    needs_after_meter_values,
    solve_with_contrib_highs,
    with_needs,
)
from benchmarks.speed.floor import FloorResult, core_problem, solve_floor
from benchmarks.speed.grid_quality import GridQuality, grid_quality
from benchmarks.speed.lean_pyomo import LeanPyomoResult, solve_lean_pyomo
from benchmarks.speed.pipeline import ReplanOutcome, problem_of, replan_once
from benchmarks.speed.pyomo_path import PyomoPathResult, solve_with_solver_factory
from benchmarks.speed.snapshot import Snapshot, hourly_after, milan_site, scaled_site, take_snapshot
from benchmarks.speed.stats import TimeStats, repeat, time_stats
from fleet.site_config import SiteConfig
from optimizer import ChargingProblem, Schedule, solve
from optimizer.evaluation import make_safe, plan_cost_eur
from optimizer.highs_backend import LpBackend, solve_lp_with_highs
from optimizer.model import build_charge_index
from optimizer.replan import Replanner

SNAPSHOT_AT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
"""A Monday, 16:00 in Milan, on a slot boundary: the evening returns are about to start."""
SOLVER_TIME_LIMIT_S = 120.0
"""Generous, so that every case is solved to optimality and times are comparable."""
WARM_UP_BELOW_S = 2.0
"""Cases whose first run is quicker than this get one untimed run first (imports, caches)."""


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    description: str
    site: Callable[[], SiteConfig]
    stay_h: float
    """Booked cars leave within this long; vans on one of the mornings within it [h]."""
    repeats: int
    quick_repeats: int
    goal_s: float
    """Target for the median of the full re-plan [s]."""
    compare_grids: bool = False
    """Price the plan against the one made on 15-minute slots all the way (a multi-resolution site)."""


FINE_H = 2.0
"""The ``-hours`` cases plan in 15-minute slots for 2 h (to the next clock hour after), then in hours."""

CASES = (
    Case("milan", "Milan site: 72 vehicles, 60 chargers busy, 96 slots", milan_site, 12.0, 15, 5, 0.25),
    Case("milan-288", "Milan site, 72 h horizon: 288 slots", lambda: milan_site(horizon_h=72.0), 70.0, 9, 3, 0.8),
    Case("x10", "Milan fleet x10: 720 vehicles on 720 chargers, 96 slots", lambda: scaled_site(720), 12.0, 5, 2, 2.5),
    Case(
        "x100",
        "Milan fleet x100: 7,200 vehicles on 7,200 chargers, 96 slots",
        lambda: scaled_site(7200),
        12.0,
        3,
        1,
        30.0,
    ),
    Case(
        "milan-hours",
        "Milan site, 15-min slots for 2 h, then hours",
        lambda: hourly_after(milan_site(), FINE_H),
        12.0,
        15,
        5,
        0.25,
        compare_grids=True,
    ),
    Case(
        "x10-hours",
        "Milan fleet x10, 15-min slots for 2 h, then hours",
        lambda: hourly_after(scaled_site(720), FINE_H),
        12.0,
        5,
        2,
        2.5,
        compare_grids=True,
    ),
    Case(
        "x100-hours",
        "Milan fleet x100, 15-min slots for 2 h, then hours",
        lambda: hourly_after(scaled_site(7200), FINE_H),
        12.0,
        3,
        1,
        30.0,
    ),
)


@dataclass(frozen=True, slots=True)
class CaseResult:
    name: str
    description: str
    lp_vehicles: int
    slots: int
    charge_variables: int
    status: str
    planning: TimeStats
    solve: TimeStats
    dispatch: TimeStats
    total: TimeStats
    total_cpu: TimeStats
    """CPU time of the full re-plan (all threads of the process) [s]."""
    floor_build: TimeStats
    floor_highs: TimeStats
    floor_total: TimeStats
    core_solve: TimeStats
    """``optimizer.solve`` on the core LP (optional terms at their defaults), the floor's problem."""
    pyomo_solve: TimeStats
    """``optimizer.solve`` on the core LP through the Pyomo model (compiled to matrices, then HiGHS)."""
    lean_pyomo: TimeStats
    """The floor's LP through the leanest Pyomo model (:mod:`benchmarks.speed.lean_pyomo`)."""
    solver_factory: TimeStats | None
    contrib_highs: TimeStats
    """The optimiser's Pyomo model through ``pyomo.contrib.solver``'s HiGHS, from scratch."""
    persistent_pyomo: TimeStats
    """That interface kept: a re-solve after a meter value moved every need (core LP)."""
    direct_warm: TimeStats
    """The same re-solve with the floor's LP kept in highspy."""
    persistent_setup_s: float
    """Building the kept Pyomo model, handing it to HiGHS and its first solve [s]."""
    warm: TimeStats
    """:class:`optimizer.replan.Replanner` re-solving after a meter value changed every need."""
    warm_starts: tuple[str, ...]
    """How each of those re-solves started (``warm`` when the kept model was updated in place)."""
    goal_s: float
    schedule_objective_eur: float | None
    """The optimiser's plan cost on the core LP (energy bill and unmet-energy penalty, no tie-break) [EUR]."""
    floor_plan_objective_eur: float
    """The same cost of the floor's plan [EUR]."""
    floor_lp_objective_eur: float
    solver_factory_lp_objective_eur: float | None
    lean_pyomo_lp_objective_eur: float
    contrib_highs_lp_objective_eur: float
    resolve_objectives_eur: tuple[float, float, float]
    """The last re-solve's optimum: kept Pyomo model, kept highspy LP, the floor from scratch [EUR]."""
    grid_quality: GridQuality | None = None
    """For ``compare_grids`` cases: the plan against the one made on 15-minute slots all the way."""

    @property
    def goal_met(self) -> bool:
        return self.total.median_s <= self.goal_s

    @property
    def solve_over_floor(self) -> float:
        return self.core_solve.median_s / self.floor_total.median_s

    @property
    def pyomo_over_floor(self) -> float:
        return self.pyomo_solve.median_s / self.floor_total.median_s

    @property
    def lean_pyomo_over_floor(self) -> float:
        return self.lean_pyomo.median_s / self.floor_total.median_s

    @property
    def contrib_highs_over_floor(self) -> float:
        return self.contrib_highs.median_s / self.floor_total.median_s

    @property
    def persistent_over_direct(self) -> float:
        return self.persistent_pyomo.median_s / self.direct_warm.median_s

    @property
    def persistent_over_floor(self) -> float:
        return self.persistent_pyomo.median_s / self.floor_total.median_s

    @property
    def solver_factory_over_floor(self) -> float | None:
        if self.solver_factory is None:
            return None
        return self.solver_factory.median_s / self.floor_total.median_s


Progress = Callable[[str], None]


def measure_case(
    case: Case, *, quick: bool, seed: int, budget_s: float, with_solver_factory: bool, progress: Progress
) -> CaseResult:
    """Time one case; ``budget_s`` bounds each of its three repeat loops [s] (each runs at least once):
    the re-plans, the rounds on the core LP (every way of solving it in turn), the warm re-solves."""
    site = case.site()
    snapshot = take_snapshot(site, SNAPSHOT_AT, seed, stay_h=case.stay_h)
    repeats = case.quick_repeats if quick else case.repeats
    with asyncio.Runner() as runner:

        def run() -> ReplanOutcome:
            return replan_once(site, snapshot, runner, time_limit_s=SOLVER_TIME_LIMIT_S)

        first = run()
        progress(f"{case.name}: first re-plan {first.timing.total_s:.3f} s")
        if first.timing.total_s < WARM_UP_BELOW_S:
            run()
        outcomes = repeat(run, repeats=repeats, budget_s=budget_s)
    # The floor models the core LP; the optimiser is compared with it on that same core problem.
    # The ways of solving it take turns, round after round, so that a burst of load on the shared
    # machine falls on all of them rather than on one loop, and their ratios stay fair.
    problem = core_problem(outcomes[-1].problem)
    core_runs: list[tuple[float, Schedule]] = []
    pyomo_runs: list[tuple[float, Schedule]] = []
    floors: list[FloorResult] = []
    factory: list[PyomoPathResult] = []
    lean: list[LeanPyomoResult] = []
    contrib: list[PyomoPathResult] = []
    kept_pyomo = PersistentPyomo(problem, time_limit_s=SOLVER_TIME_LIMIT_S)
    kept_highs = DirectWarm(problem, time_limit_s=SOLVER_TIME_LIMIT_S)
    resolves: list[tuple[Resolve, Resolve]] = []

    def one_round() -> None:
        core_runs.append(_timed_solve(problem))
        pyomo_runs.append(_timed_solve(problem, backend=solve_lp_with_highs))
        floors.append(solve_floor(problem, time_limit_s=SOLVER_TIME_LIMIT_S))
        lean.append(solve_lean_pyomo(problem, time_limit_s=SOLVER_TIME_LIMIT_S))
        contrib.append(solve_with_contrib_highs(problem, time_limit_s=SOLVER_TIME_LIMIT_S))
        needs = needs_after_meter_values(problem, len(resolves) + 1)
        resolves.append((kept_pyomo.resolve(needs), kept_highs.resolve(needs)))
        if with_solver_factory:
            factory.append(solve_with_solver_factory(problem, time_limit_s=SOLVER_TIME_LIMIT_S))

    repeat(one_round, repeats=repeats, budget_s=budget_s)
    schedule = core_runs[-1][1]
    progress(
        f"{case.name}: {len(core_runs)} rounds of optimizer.solve, the Pyomo model path, the floor, the lean Pyomo"
        " path, pyomo.contrib.solver's Highs from scratch and kept, the kept highspy LP"
        + (" and SolverFactory('highs')" if with_solver_factory else "")
        + " on the core LP"
    )
    resolved_floor = solve_floor(
        with_needs(problem, needs_after_meter_values(problem, len(resolves))), time_limit_s=SOLVER_TIME_LIMIT_S
    )
    median_s = time_stats([o.timing.total_s for o in outcomes]).median_s
    progress(f"{case.name}: {len(outcomes)} re-plans, median {median_s:.3f} s")
    warm, starts = _warm_resolves(site, snapshot, repeats=repeats, budget_s=budget_s)
    progress(f"{case.name}: {len(starts)} Replanner re-solves ({', '.join(sorted(set(starts)))})")
    floor_plan = make_safe(problem, floors[-1].power_kw.tolist())
    quality = grid_quality(site, snapshot, time_limit_s=SOLVER_TIME_LIMIT_S) if case.compare_grids else None
    if quality is not None:
        progress(f"{case.name}: plan held open loop on 15-minute slots costs {quality.cost_rise_pct:+.3f} % more")
    return CaseResult(
        name=case.name,
        description=case.description,
        lp_vehicles=len(problem.vehicles),
        slots=problem.n_slots,
        charge_variables=len(build_charge_index(problem).pairs),
        status=outcomes[-1].schedule.status.value,
        planning=time_stats([o.timing.planning_s for o in outcomes]),
        solve=time_stats([o.timing.solve_s for o in outcomes]),
        dispatch=time_stats([o.timing.dispatch_s for o in outcomes]),
        total=time_stats([o.timing.total_s for o in outcomes]),
        total_cpu=time_stats([o.timing.cpu_s for o in outcomes]),
        floor_build=time_stats([f.build_s for f in floors]),
        floor_highs=time_stats([f.run_s for f in floors]),
        floor_total=time_stats([f.total_s for f in floors]),
        core_solve=time_stats([t for t, _ in core_runs]),
        pyomo_solve=time_stats([t for t, _ in pyomo_runs]),
        lean_pyomo=time_stats([r.total_s for r in lean]),
        solver_factory=time_stats([f.total_s for f in factory]) if factory else None,
        contrib_highs=time_stats([r.total_s for r in contrib]),
        persistent_pyomo=time_stats([kept.time_s for kept, _ in resolves]),
        direct_warm=time_stats([direct.time_s for _, direct in resolves]),
        persistent_setup_s=kept_pyomo.setup_s,
        warm=warm,
        warm_starts=starts,
        goal_s=case.goal_s,
        schedule_objective_eur=schedule.objective_eur,
        floor_plan_objective_eur=plan_cost_eur(problem, floor_plan),
        floor_lp_objective_eur=floors[-1].objective_eur,
        solver_factory_lp_objective_eur=factory[-1].objective_eur if factory else None,
        lean_pyomo_lp_objective_eur=lean[-1].objective_eur,
        contrib_highs_lp_objective_eur=contrib[-1].objective_eur,
        resolve_objectives_eur=(
            resolves[-1][0].objective_eur,
            resolves[-1][1].objective_eur,
            resolved_floor.objective_eur,
        ),
        grid_quality=quality,
    )


def _after_meter_values(snapshot: Snapshot, added_kwh: float) -> Snapshot:
    """The same store a moment later: every transaction metered ``added_kwh`` [kWh] more."""
    return dataclasses.replace(
        snapshot,
        transactions=tuple(
            dataclasses.replace(tx, last_energy_register_kwh=(tx.last_energy_register_kwh or 0.0) + added_kwh)
            for tx in snapshot.transactions
        ),
    )


def _warm_resolves(
    site: SiteConfig, snapshot: Snapshot, *, repeats: int, budget_s: float
) -> tuple[TimeStats, tuple[str, ...]]:
    """Time Replanner.solve on problems whose needs moved by a meter value since the last solve."""
    problems = [problem_of(site, _after_meter_values(snapshot, 0.05 * k)) for k in range(repeats + 1)]
    replanner = Replanner(time_limit_s=SOLVER_TIME_LIMIT_S)
    replanner.solve(problems[0], dispatchable=True)
    remaining = iter(problems[1:])
    starts: list[str] = []

    def resolve() -> float:
        started_s = time.perf_counter()
        replanner.solve(next(remaining), dispatchable=True)
        elapsed_s = time.perf_counter() - started_s
        starts.append(str(replanner.last_start))
        return elapsed_s

    times_s = repeat(resolve, repeats=repeats, budget_s=budget_s)
    return time_stats(times_s), tuple(starts)


def _timed_solve(problem: ChargingProblem, backend: LpBackend | None = None) -> tuple[float, Schedule]:
    started_s = time.perf_counter()
    schedule = solve(problem, time_limit_s=SOLVER_TIME_LIMIT_S, backend=backend)
    return time.perf_counter() - started_s, schedule
