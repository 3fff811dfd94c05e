"""Turn per-vehicle power plans into a Schedule: make them safe, then measure energy and cost.

Both the solver and the fallback end here, so their schedules obey the same limits and their
``objective_eur`` uses one cost formula and can be compared.
"""

from __future__ import annotations

from collections.abc import Sequence

from optimizer.problem import ChargingProblem, VehicleRequest
from optimizer.schedule import Schedule, SolveStatus, VehiclePlan

POWER_DECIMALS = 6
"""Plans are rounded to 1e-6 kW (1 mW): clears solver noise, far below what a charger resolves."""

ENERGY_NOISE_KWH = 1e-6
"""Unmet energy below this [kWh] is numerical noise and reported as zero."""

FLOAT_SLACK = 1e-9
"""Excess [kW or kWh] left alone when checking bounds: floating-point rounding, not a violation."""


def ev_headroom_kw(problem: ChargingProblem) -> tuple[float, ...]:
    """Highest total EV power the hard grid limit allows in each slot.

    Parameters
    ----------
    problem
        The charging problem.

    Returns
    -------
    tuple of float
        ``max(0, grid_import_limit_kw - base_load_kw + pv_firm_kw)`` per slot [kW]. Only firm PV
        counts: expected PV may not come.
    """
    return tuple(
        max(0.0, limit_kw - base_kw + firm_kw)
        for limit_kw, base_kw, firm_kw in zip(
            problem.grid_import_limit_kw, problem.base_load_kw, problem.pv_firm_kw, strict=True
        )
    )


def delivered_energy_kwh(vehicle: VehicleRequest, power_kw: Sequence[float]) -> float:
    """Battery energy [kWh] a power plan [kW] delivers to a vehicle over the horizon."""
    return sum(p_kw * hours * vehicle.efficiency for p_kw, hours in zip(power_kw, vehicle.available_h, strict=True))


def make_safe(problem: ChargingProblem, power_kw: Sequence[Sequence[float]]) -> list[list[float]]:
    """Round plans and enforce every hard bound, whatever produced them.

    Parameters
    ----------
    problem
        The charging problem.
    power_kw
        One plan per vehicle, one power per slot [kW].

    Returns
    -------
    list of list of float
        Plans with noise rounded away, zero where the vehicle is absent, within ``[0, max_power_kw]``,
        scaled down where they would deliver more than the need or where a slot's total would pass
        the EV headroom. A solver's plan only moves by its tolerances here.
    """
    if len(power_kw) != len(problem.vehicles):
        raise ValueError(f"power_kw: {len(power_kw)} plans for {len(problem.vehicles)} vehicles")
    safe: list[list[float]] = []
    for vehicle, plan in zip(problem.vehicles, power_kw, strict=True):
        if len(plan) != problem.n_slots:
            raise ValueError(f"power_kw[{vehicle.vehicle_id}]: {len(plan)} values for {problem.n_slots} slots")
        row = [
            min(max(round(p_kw, POWER_DECIMALS), 0.0), vehicle.max_power_kw) if hours > 0 else 0.0
            for p_kw, hours in zip(plan, vehicle.available_h, strict=True)
        ]
        delivered_kwh = delivered_energy_kwh(vehicle, row)
        if delivered_kwh > vehicle.energy_needed_kwh + FLOAT_SLACK:
            scale = vehicle.energy_needed_kwh / delivered_kwh
            row = [p_kw * scale for p_kw in row]
        safe.append(row)
    for t, headroom_kw in enumerate(ev_headroom_kw(problem)):
        total_kw = sum(row[t] for row in safe)
        if total_kw > headroom_kw + FLOAT_SLACK:
            scale = headroom_kw / total_kw
            for row in safe:
                row[t] *= scale
    return safe


def plan_cost_eur(problem: ChargingProblem, power_kw: Sequence[Sequence[float]]) -> float:
    """Energy bill plus unmet-energy penalty of a plan: the objective both planners are judged by.

    Parameters
    ----------
    problem
        The charging problem.
    power_kw
        One plan per vehicle, one power per slot [kW].

    Returns
    -------
    float
        ``sum_t slot_duration_h * (import_price * max(net, 0) - export_price * max(-net, 0))
        + sum_v penalty * priority * unmet_energy_kwh`` [EUR], with ``net`` from
        :func:`grid_import_kw`. The solver's tie-break is not part of it.
    """
    cost_eur = 0.0
    for t, net_kw in enumerate(grid_import_kw(problem, power_kw)):
        price = problem.import_price_eur_per_kwh[t] if net_kw >= 0 else problem.export_price_eur_per_kwh[t]
        cost_eur += problem.slot_duration_h[t] * price * net_kw
    for vehicle, plan in zip(problem.vehicles, power_kw, strict=True):
        cost_eur += problem.unmet_energy_penalty_eur_per_kwh * vehicle.priority * unmet_energy_kwh(vehicle, plan)
    return cost_eur


def unmet_energy_kwh(vehicle: VehicleRequest, power_kw: Sequence[float]) -> float:
    """Energy [kWh] still missing at departure under a plan [kW]; noise below 1e-6 kWh is zero."""
    missing_kwh = vehicle.energy_needed_kwh - delivered_energy_kwh(vehicle, power_kw)
    return missing_kwh if missing_kwh > ENERGY_NOISE_KWH else 0.0


def grid_import_kw(problem: ChargingProblem, power_kw: Sequence[Sequence[float]]) -> tuple[float, ...]:
    """Expected net grid import per slot, averaged over the slot [kW]; negative when exporting.

    A vehicle plugged in for part of a slot adds ``power_kw * available_h / slot_duration_h``.
    Expected (not firm) PV and the base load are included.
    """
    ev_avg_kw = [0.0] * problem.n_slots
    for vehicle, plan in zip(problem.vehicles, power_kw, strict=True):
        for t, (p_kw, hours) in enumerate(zip(plan, vehicle.available_h, strict=True)):
            if p_kw:
                ev_avg_kw[t] += p_kw * hours / problem.slot_duration_h[t]
    return tuple(
        ev_kw + base_kw - pv_kw
        for ev_kw, base_kw, pv_kw in zip(ev_avg_kw, problem.base_load_kw, problem.pv_kw, strict=True)
    )


def schedule_from_power(
    problem: ChargingProblem,
    power_kw: Sequence[Sequence[float]],
    *,
    status: SolveStatus,
    termination: str,
    solve_time_s: float,
) -> Schedule:
    """Assemble a Schedule from raw per-vehicle plans.

    Parameters
    ----------
    problem
        The charging problem the plans are for.
    power_kw
        One plan per vehicle (in ``problem.vehicles`` order), one power per slot [kW]; made safe
        with :func:`make_safe` first.
    status, termination
        How the plans were obtained, in the solver's own words or as the fallback's reason.
    solve_time_s
        Wall time spent producing them [s].

    Returns
    -------
    Schedule
        Every field filled; ``objective_eur`` from :func:`plan_cost_eur`.
    """
    safe = make_safe(problem, power_kw)
    plans = tuple(
        VehiclePlan(
            vehicle_id=vehicle.vehicle_id,
            connector_key=vehicle.connector_key,
            power_kw=tuple(row),
            planned_energy_kwh=delivered_energy_kwh(vehicle, row),
            unmet_energy_kwh=unmet_energy_kwh(vehicle, row),
        )
        for vehicle, row in zip(problem.vehicles, safe, strict=True)
    )
    return Schedule(
        status=status,
        termination=termination,
        objective_eur=plan_cost_eur(problem, safe),
        slot_starts_utc=problem.slot_starts_utc,
        slot_duration_h=problem.slot_duration_h,
        plans=plans,
        ev_power_kw=tuple(sum(row[t] for row in safe) for t in range(problem.n_slots)),
        grid_import_kw=grid_import_kw(problem, safe),
        solve_time_s=solve_time_s,
    )
