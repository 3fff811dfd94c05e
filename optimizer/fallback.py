"""The solver-free plan: earliest departure first within the grid headroom of each slot.

Used whenever the solver gives no solution. It needs no solver and cannot fail on a valid problem;
its plan never passes the hard grid limit, a vehicle's maximum power or a vehicle's need.
"""

from __future__ import annotations

import time

from optimizer.evaluation import ev_headroom_kw, schedule_from_power
from optimizer.problem import ChargingProblem, VehicleRequest
from optimizer.schedule import Schedule, SolveStatus
from optimizer.validation import check_problem


def fallback_schedule(problem: ChargingProblem, *, reason: str) -> Schedule:
    """Plan charging without a solver, earliest departure first (EDF).

    Slot by slot, the EV headroom ``max(0, grid_import_limit_kw - base_load_kw + pv_firm_kw)`` is
    handed to the plugged-in vehicles in order of departure (then higher priority, then id), each
    taking as much as its maximum power and its remaining need allow.

    Parameters
    ----------
    problem
        The site and the vehicles. Checked first (:func:`~optimizer.validation.check_problem`).
    reason
        Why the fallback is used; becomes the schedule's ``termination``.

    Returns
    -------
    Schedule
        Status FALLBACK, ``objective_eur`` with the same formula as the solver's schedules.

    Raises
    ------
    ProblemError
        If the problem is inconsistent; the message names the field.
    """
    started_s = time.perf_counter()
    check_problem(problem)
    order = sorted(
        range(len(problem.vehicles)),
        key=lambda v: (
            _departure_h(problem, problem.vehicles[v]),
            -problem.vehicles[v].priority,
            problem.vehicles[v].vehicle_id,
        ),
    )
    remaining_kwh = [vehicle.energy_needed_kwh for vehicle in problem.vehicles]
    power_kw = [[0.0] * problem.n_slots for _ in problem.vehicles]
    for t, headroom_kw in enumerate(ev_headroom_kw(problem)):
        left_kw = headroom_kw
        for v in order:
            vehicle = problem.vehicles[v]
            battery_kwh_per_kw = vehicle.available_h[t] * vehicle.efficiency
            if left_kw <= 0 or battery_kwh_per_kw <= 0 or remaining_kwh[v] <= 0:
                continue
            p_kw = min(vehicle.max_power_kw, left_kw, remaining_kwh[v] / battery_kwh_per_kw)
            power_kw[v][t] = p_kw
            left_kw -= p_kw
            remaining_kwh[v] -= p_kw * battery_kwh_per_kw
    return schedule_from_power(
        problem,
        power_kw,
        status=SolveStatus.FALLBACK,
        termination=reason,
        solve_time_s=time.perf_counter() - started_s,
    )


def _departure_h(problem: ChargingProblem, vehicle: VehicleRequest) -> float:
    """Hours from the horizon start to the end of the vehicle's last plugged-in slot share.

    Within that slot the vehicle is taken to leave after ``available_h`` hours; a vehicle never
    plugged in sorts last.
    """
    elapsed_h = 0.0
    departure_h = float("inf")
    for hours, duration_h in zip(vehicle.available_h, problem.slot_duration_h, strict=True):
        if hours > 0:
            departure_h = elapsed_h + hours
        elapsed_h += duration_h
    return departure_h
