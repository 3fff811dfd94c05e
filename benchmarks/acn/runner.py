"""One ACN-Sim run: an algorithm, a transformer capacity, the sessions; and what came out of it.

Every run gets a fresh network and fresh EVs. Afterwards the pilots applied in every period are
checked with the network's own ``is_feasible``; energy, demands met and peak come from ACN-Sim's
analysis functions, the energy cost from its SCE TOU-EV-4 tariff of March 2019.
"""

from __future__ import annotations

import statistics
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from acnportal import acnsim  # type: ignore[import-untyped]
from acnportal.acnsim.network import ChargingNetwork  # type: ignore[import-untyped]
from acnportal.algorithms import (  # type: ignore[import-untyped]
    BaseAlgorithm,
    RoundRobin,
    SortedSchedulingAlgo,
    UncontrolledCharging,
    earliest_deadline_first,
    first_come_first_served,
    least_laxity_first,
)
from acnportal.signals.tariffs import TimeOfUseTariff  # type: ignore[import-untyped]

from benchmarks.acn.mpc import MpcSettings, OptimiserMPC
from benchmarks.acn.network import caltech_network
from benchmarks.acn.sessions import AcnSession, event_queue

OURS = "Vettabbia MPC"
BASELINES = ("Uncontrolled", "Round Robin", "FCFS", "EDF", "LLF")
ALGORITHMS = (*BASELINES, OURS)
PERIOD_MIN = 5
SITE_TIMEZONE = ZoneInfo("America/Los_Angeles")
DATA_START_LOCAL = datetime(2019, 3, 1, tzinfo=SITE_TIMEZONE)
TARIFF = "sce_tou_ev_4_march_2019"
MET_THRESHOLD_KWH = 0.1
"""ACN-Sim's default: a session within 0.1 kWh of its request counts as met."""


@dataclass(frozen=True, slots=True)
class RunSpec:
    """What to simulate."""

    algorithm: str
    transformer_cap_kw: float
    first_day: int
    """Day of March 2019 (0 = the 1st) the sessions' period 0 falls on."""
    mpc: MpcSettings


@dataclass(frozen=True, slots=True)
class RunMetrics:
    """The outcome of one run."""

    algorithm: str
    transformer_cap_kw: float
    sessions: int
    requested_kwh: float
    delivered_kwh: float
    energy_delivered_pct: float
    demands_met_pct: float
    peak_kw: float
    energy_cost_usd: float
    """Energy at the SCE TOU-EV-4 (March 2019) prices [USD]."""
    periods: int
    violation_periods: int
    """Periods whose applied pilots fail the network's ``is_feasible``."""
    worst_overload_pct: float
    """Highest constraint current over its limit, as a percentage above it (0 when none)."""
    calls: int
    """Algorithm calls with at least one active session."""
    call_time_median_ms: float
    call_time_p95_ms: float
    wall_time_s: float
    pilot_repairs: int = 0
    raised_pilots: int = 0
    solver_statuses: tuple[tuple[str, int], ...] = ()


def make_algorithm(
    spec: RunSpec, on_new_day: Callable[[int], None] | None = None, sessions: Sequence[AcnSession] = ()
) -> BaseAlgorithm:
    """A fresh instance of the named algorithm (ACN-Sim's baselines, or the optimiser MPC, which gets
    ``sessions`` when its settings ask to know the arrivals)."""
    match spec.algorithm:
        case "Uncontrolled":
            return UncontrolledCharging()
        case "Round Robin":
            return RoundRobin(first_come_first_served)
        case "FCFS":
            return SortedSchedulingAlgo(first_come_first_served)
        case "EDF":
            return SortedSchedulingAlgo(earliest_deadline_first)
        case "LLF":
            return SortedSchedulingAlgo(least_laxity_first)
        case "Vettabbia MPC":
            known = sessions if spec.mpc.known_arrivals else ()
            return OptimiserMPC(spec.mpc, on_new_day=on_new_day, known_sessions=known)
    raise ValueError(f"algorithm: unknown {spec.algorithm!r}; choose one of {', '.join(ALGORITHMS)}")


def run(spec: RunSpec, sessions: Sequence[AcnSession], on_new_day: Callable[[int], None] | None = None) -> RunMetrics:
    """Simulate one algorithm at one transformer capacity over the sessions.

    Parameters
    ----------
    spec
        Algorithm, capacity, first day, MPC settings.
    sessions
        Sessions with periods counted from midnight of ``spec.first_day``.
    on_new_day
        Progress callback for the MPC (day number).

    Returns
    -------
    RunMetrics
        Energy, demands met, peak, TOU energy cost, feasibility of every period, call times.
    """
    if not sessions:
        raise ValueError("sessions: nothing to simulate")
    network = caltech_network(spec.transformer_cap_kw)
    algorithm = make_algorithm(spec, on_new_day, sessions)
    start = DATA_START_LOCAL + timedelta(days=spec.first_day)
    simulator = acnsim.Simulator(network, algorithm, event_queue(sessions), start, period=PERIOD_MIN, verbose=False)
    started_s = time.perf_counter()
    with warnings.catch_warnings():
        # uncontrolled charging is meant to break limits; the count below reports it
        warnings.filterwarnings("ignore", message="Invalid schedule provided", category=UserWarning)
        simulator.run()
    wall_time_s = time.perf_counter() - started_s

    violations, worst_overload_pct = _violations(network, simulator.pilot_signals)
    call_times_s = [stat["solve_time"] for stat in algorithm.solve_stats if stat["active_sessions"] > 0]
    power_kw = acnsim.aggregate_power(simulator)
    mpc_calls = algorithm.calls if isinstance(algorithm, OptimiserMPC) else []
    statuses: dict[str, int] = {}
    for call in mpc_calls:
        statuses[call.status] = statuses.get(call.status, 0) + 1
    requested_kwh = float(acnsim.total_energy_requested(simulator))
    delivered_kwh = float(acnsim.total_energy_delivered(simulator))
    return RunMetrics(
        algorithm=spec.algorithm,
        transformer_cap_kw=spec.transformer_cap_kw,
        sessions=len(simulator.ev_history),
        requested_kwh=requested_kwh,
        delivered_kwh=delivered_kwh,
        energy_delivered_pct=100.0 * delivered_kwh / requested_kwh,
        demands_met_pct=100.0 * float(acnsim.proportion_of_demands_met(simulator, threshold=MET_THRESHOLD_KWH)),
        peak_kw=float(np.max(power_kw)) if len(power_kw) else 0.0,
        energy_cost_usd=float(acnsim.energy_cost(simulator, tariff=TimeOfUseTariff(TARIFF))),
        periods=int(simulator.pilot_signals.shape[1]),
        violation_periods=violations,
        worst_overload_pct=worst_overload_pct,
        calls=len(call_times_s),
        call_time_median_ms=1000.0 * statistics.median(call_times_s) if call_times_s else 0.0,
        call_time_p95_ms=1000.0 * _percentile(call_times_s, 95.0) if call_times_s else 0.0,
        wall_time_s=wall_time_s,
        pilot_repairs=sum(call.repairs for call in mpc_calls),
        raised_pilots=sum(call.raised for call in mpc_calls),
        solver_statuses=tuple(sorted(statuses.items())),
    )


def _violations(network: ChargingNetwork, pilots_a: np.ndarray) -> tuple[int, float]:
    """Periods whose pilots fail ``network.is_feasible``, and the worst overload [% above the limit]."""
    violations = sum(not network.is_feasible(pilots_a[:, t : t + 1]) for t in range(pilots_a.shape[1]))
    currents = np.abs(network.constraint_current(pilots_a))
    limits = np.asarray(network.magnitudes, dtype=float)[:, None]
    worst = float(np.max(currents / limits)) if currents.size else 0.0
    return int(violations), max(0.0, 100.0 * (worst - 1.0))


def _percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q))
