"""The solver-free plan: earliest departure first within the grid headroom of each slot.

Used whenever the solver gives no solution. It needs no solver and cannot fail on a valid problem;
its plan never passes the hard grid limit, a phasor limit (as the LP's linear rows), a vehicle's
maximum power or taper, its battery's room or its need. Expected vehicles are planned like the
others, so capacity is kept for them.
"""

from __future__ import annotations

import time

import numpy as np

from optimizer.evaluation import schedule_from_power
from optimizer.limits import ev_headroom_kw, vehicle_row_matrix
from optimizer.problem import ChargingProblem, VehicleRequest
from optimizer.schedule import Schedule, SolveStatus
from optimizer.taper import deliverable_cap_kwh, taper_lines, vehicle_limit_kw
from optimizer.validation import check_problem


def fallback_schedule(problem: ChargingProblem, *, reason: str) -> Schedule:
    """Plan charging without a solver, earliest departure first (EDF).

    Slot by slot, the EV headroom ``max(0, grid_import_limit_kw - base_load_kw + pv_firm_kw)`` is
    handed to the vehicles in order of departure (then higher priority, then id), each taking as
    much as its maximum power, its taper, its remaining need and the phasor rows allow.

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
    remaining_kwh = [deliverable_cap_kwh(vehicle) for vehicle in problem.vehicles]
    delivered_kwh = [0.0] * len(problem.vehicles)
    lines = [taper_lines(vehicle.taper) for vehicle in problem.vehicles]
    rows = vehicle_row_matrix(problem)
    has_rows = rows.n_rows > 0
    power_kw = [[0.0] * problem.n_slots for _ in problem.vehicles]
    for t, headroom_kw in enumerate(ev_headroom_kw(problem)):
        left_kw = headroom_kw
        row_lhs = np.zeros(rows.n_rows)
        for v in order:
            vehicle = problem.vehicles[v]
            battery_kwh_per_kw = vehicle.available_h[t] * vehicle.efficiency
            if left_kw <= 0 or battery_kwh_per_kw <= 0 or remaining_kwh[v] <= 0:
                continue
            p_kw = min(
                vehicle_limit_kw(vehicle, lines[v], delivered_kwh[v], battery_kwh_per_kw),
                left_kw,
                remaining_kwh[v] / battery_kwh_per_kw,
            )
            if has_rows:
                p_kw = min(p_kw, rows.headroom_kw(row_lhs, v))
            if p_kw <= 0:
                continue
            power_kw[v][t] = p_kw
            left_kw -= p_kw
            if has_rows:
                row_lhs += rows.coefficients[:, v] * p_kw
            remaining_kwh[v] -= p_kw * battery_kwh_per_kw
            delivered_kwh[v] += p_kw * battery_kwh_per_kw
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
