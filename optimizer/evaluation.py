"""Turn per-vehicle power plans into a Schedule: make them safe, then measure energy and cost.

The solver, the fallback and the repair all end here, so their schedules obey the same limits and
their ``objective_eur`` uses one cost formula (:mod:`optimizer.costs`) and can be compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from optimizer.costs import (
    ENERGY_NOISE_KWH,
    PowerPlan,
    cost_breakdown,
    delivered_energy_kwh,
    grid_import_kw,
    plan_cost_eur,
    unmet_energy_kwh,
)
from optimizer.limits import RowMatrix, ev_headroom_kw, vehicle_row_matrix
from optimizer.problem import ChargingProblem, VehicleRequest
from optimizer.reasons import unmet_reason
from optimizer.recommend import plug_in_recommendations
from optimizer.schedule import Schedule, SolveStatus, SolveTimings, VehiclePlan
from optimizer.taper import (
    TaperLine,
    deliverable_cap_kwh,
    soc_after,
    taper_lines,
    vehicle_limit_kw,
    vehicle_limits_kw,
)

__all__ = [
    "ENERGY_NOISE_KWH",
    "FLOAT_SLACK",
    "POWER_DECIMALS",
    "POWER_NOISE_KW",
    "delivered_energy_kwh",
    "denoised_kw",
    "ev_headroom_kw",
    "grid_import_kw",
    "make_safe",
    "plan_cost_eur",
    "schedule_from_power",
    "unmet_energy_kwh",
]

POWER_DECIMALS = 6
"""Powers within :data:`POWER_NOISE_KW` of a multiple of 1e-6 kW (1 mW) are snapped onto it."""

POWER_NOISE_KW = 1e-9
"""How far [kW] a solver's power may sit from a round value and still be taken as that value.

Only noise is rounded away: a power the LP chose, such as the share of a small need, is kept as it
is. Rounding every power to 1e-6 kW moves a plan by up to 5e-7 kW, and the fairness term prices
a vehicle's unmet share at ``weight * available_h / need`` per kW: for a need of 1e-4 kWh that
is 1250 EUR/kW, and the rounded plan cost 6e-4 EUR more than the LP's optimum, more than the
fallback's plan.
"""

FLOAT_SLACK = 1e-9
"""Excess [kW or kWh] left alone when checking bounds: floating-point rounding, not a violation."""

SETTLE_TOLERANCE_KW = 1e-4
"""Most [kW] :func:`settled_at_once` may move a power: HiGHS's feasibility tolerance (1e-7) over
the slot's and the vehicle's terms, with room to spare, and a tenth of a watt at a charger."""

FIT_PASSES = 20
"""Row-by-row corrections of one slot before its powers are scaled down together."""


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
        Plans with noise rounded away and zero where the vehicle is absent; then, slot by slot from
        the first, each vehicle's power is capped at its limit (``max_power_kw`` and the taper at the
        state of charge reached so far) and at what its need and battery room still allow, and the
        slot's powers are scaled down where they would pass the EV headroom or a phasor row
        (:func:`_fit_slot`); later slots see the states of charge the safe plan reaches. A
        solver's plan only moves by its tolerances here.
    """
    result: list[list[float]] = safe_plan(problem, power_kw).tolist()
    return result


def safe_plan(problem: ChargingProblem, power_kw: PowerPlan) -> npt.NDArray[np.float64]:
    """:func:`make_safe` as an array of shape (vehicles, slots) [kW]."""
    if len(power_kw) != len(problem.vehicles):
        raise ValueError(f"power_kw: {len(power_kw)} plans for {len(problem.vehicles)} vehicles")
    if not isinstance(power_kw, np.ndarray) or power_kw.shape != (len(problem.vehicles), problem.n_slots):
        for vehicle, plan in zip(problem.vehicles, power_kw, strict=True):
            if len(plan) != problem.n_slots:
                raise ValueError(f"power_kw[{vehicle.vehicle_id}]: {len(plan)} values for {problem.n_slots} slots")
    vehicles = problem.vehicles
    if not vehicles:
        return np.zeros((0, problem.n_slots))
    max_kw = np.array([v.max_power_kw for v in vehicles], dtype=np.float64)
    safe: npt.NDArray[np.float64] = np.clip(denoised_kw(power_kw), 0.0, max_kw[:, None]).astype(np.float64)
    safe[problem.available_h_matrix() <= 0] = 0.0
    limits = SlotLimits.of(problem)
    settled = settled_at_once(safe, limits)
    if settled is not None:
        return settled
    fit_slot_by_slot(safe, limits)
    return safe


def denoised_kw(power_kw: PowerPlan) -> npt.NDArray[np.float64]:
    """``power_kw`` with each power within :data:`POWER_NOISE_KW` of a multiple of 1e-6 kW snapped
    onto it (0 included), the others as they are."""
    plan = np.asarray(power_kw, dtype=np.float64)
    rounded = np.round(plan, POWER_DECIMALS)
    snapped: npt.NDArray[np.float64] = np.where(np.abs(plan - rounded) <= POWER_NOISE_KW, rounded, plan)
    return snapped


@dataclass(frozen=True, slots=True)
class SlotLimits:
    """What :func:`safe_plan` holds each slot's powers to."""

    vehicles: tuple[VehicleRequest, ...]
    energy_per_kw: npt.NDArray[np.float64]
    """kWh into the battery per kW, per vehicle and slot."""
    cap_kwh: npt.NDArray[np.float64]
    """Most energy each vehicle may take over the horizon [kWh]."""
    lines: dict[int, tuple[TaperLine, ...]]
    """The taper lines of each vehicle that has a taper."""
    headrooms_kw: tuple[float, ...]
    rows: RowMatrix

    @classmethod
    def of(cls, problem: ChargingProblem) -> SlotLimits:
        vehicles = problem.vehicles
        return cls(
            vehicles=vehicles,
            energy_per_kw=problem.available_h_matrix() * np.array([v.efficiency for v in vehicles])[:, None],
            cap_kwh=np.array([deliverable_cap_kwh(v) for v in vehicles], dtype=np.float64),
            lines={v: taper_lines(vehicle.taper) for v, vehicle in enumerate(vehicles) if vehicle.taper},
            headrooms_kw=ev_headroom_kw(problem),
            rows=vehicle_row_matrix(problem),
        )


def fit_slot_by_slot(plan_kw: npt.NDArray[np.float64], limits: SlotLimits) -> None:
    """Lower ``plan_kw`` in place, slot by slot from the first (see :func:`make_safe`)."""
    delivered_kwh = np.zeros(len(limits.vehicles))
    for t, headroom_kw in enumerate(limits.headrooms_kw):
        column = plan_kw[:, t]
        per_kw = limits.energy_per_kw[:, t]
        present = per_kw > 0
        left_kwh = np.maximum(limits.cap_kwh - delivered_kwh, 0.0)
        column[present] = np.minimum(column[present], left_kwh[present] / per_kw[present])
        for v, vehicle_lines in limits.lines.items():
            if column[v] > 0:
                column[v] = min(
                    column[v], vehicle_limit_kw(limits.vehicles[v], vehicle_lines, delivered_kwh[v], per_kw[v])
                )
        _fit_slot(column, headroom_kw, limits.rows)
        delivered_kwh += column * per_kw


def settled_at_once(plan_kw: npt.NDArray[np.float64], limits: SlotLimits) -> npt.NDArray[np.float64] | None:
    """``plan_kw`` within every limit, settled for all slots at once; None when that would move it
    by more than a solver's tolerances or still pass a taper or phasor row (the pass then runs).

    A solver's plan passes its limits by its tolerances only: a vehicle's last slots a few 1e-7
    kWh over its need, a binding grid limit by as much. The energy each vehicle has taken by the
    end of each slot is cut at its cap (the pass's own rule, in closed form), then each slot over
    the EV headroom is scaled down to it, then each vehicle to its taper on what it has taken before.
    All of it only lowers powers, so the energy caps and the headroom hold; the taper and the
    phasor rows are checked on the result. It is within :data:`SETTLE_TOLERANCE_KW` of the plan,
    and of the pass's result, which may hand a scaled slot's few watts to a later one.
    """
    energy_per_kw = limits.energy_per_kw
    present = energy_per_kw > 0
    taken_kwh = np.minimum(np.cumsum(plan_kw * energy_per_kw, axis=1), limits.cap_kwh[:, None])
    taken_before_kwh = np.zeros_like(taken_kwh)
    taken_before_kwh[:, 1:] = taken_kwh[:, :-1]
    settled = plan_kw.copy()
    settled[present] = (taken_kwh[present] - taken_before_kwh[present]) / energy_per_kw[present]
    np.minimum(settled, plan_kw, out=settled)  # rounding in the difference never raises a power
    total_kw = settled.sum(axis=0)
    headroom_kw = np.asarray(limits.headrooms_kw, dtype=np.float64)
    over = total_kw > headroom_kw + FLOAT_SLACK
    settled[:, over] *= headroom_kw[over] / total_kw[over]
    if limits.lines:
        # a taper's limit at each slot depends on what came before: cut each vehicle to its limits
        # on the plan so far, then check them on the plan that results
        for v, vehicle_lines in limits.lines.items():
            np.minimum(settled[v], _taper_limits_kw(settled[v], limits, v, vehicle_lines), out=settled[v])
    if np.abs(settled - plan_kw).max(initial=0.0) > SETTLE_TOLERANCE_KW:
        return None
    rows = limits.rows
    if rows.n_rows and (rows.lhs(settled) > rows.rhs[:, None] + FLOAT_SLACK).any():
        return None
    for v, vehicle_lines in limits.lines.items():
        if (settled[v] > _taper_limits_kw(settled[v], limits, v, vehicle_lines) + FLOAT_SLACK).any():
            return None
    return settled


def _taper_limits_kw(
    plan_kw: npt.NDArray[np.float64], limits: SlotLimits, v: int, lines: tuple[TaperLine, ...]
) -> npt.NDArray[np.float64]:
    """Vehicle ``v``'s taper limit in each slot [kW] after what ``plan_kw`` delivers before it."""
    added_kwh = plan_kw * limits.energy_per_kw[v]
    before_kwh = np.cumsum(added_kwh) - added_kwh
    return vehicle_limits_kw(limits.vehicles[v], lines, before_kwh, limits.energy_per_kw[v])


def _fit_slot(column: npt.NDArray[np.float64], headroom_kw: float, rows: RowMatrix) -> None:
    """Lower one slot's powers [kW] in place until the EV headroom and every phasor row hold.

    The headroom scales everyone. A violated row scales only the vehicles that push it up, so that
    solver noise on a small cabinet does not cost the whole site; lowering a vehicle can push up a
    row where its coefficient is negative, so this repeats, and scaling the whole slot settles what
    is left (charging less always fits, every right-hand side being >= 0).
    """
    total_kw = float(column.sum())
    if total_kw > headroom_kw + FLOAT_SLACK:
        column *= headroom_kw / total_kw
    if not rows.n_rows:
        return
    for _ in range(FIT_PASSES):
        lhs = rows.lhs(column)
        r = int(np.argmax(lhs - rows.rhs))
        if lhs[r] <= rows.rhs[r] + FLOAT_SLACK:
            return
        pushing = rows.coefficients[r] > 0
        pushing_up = float(rows.coefficients[r][pushing] @ column[pushing])
        column[pushing] *= max(0.0, (rows.rhs[r] - (lhs[r] - pushing_up)) / pushing_up)
    column *= rows.scale_to_fit(rows.lhs(column), FLOAT_SLACK)


def schedule_from_power(
    problem: ChargingProblem,
    power_kw: PowerPlan,
    *,
    status: SolveStatus,
    termination: str,
    solve_time_s: float,
    dispatchable: bool = False,
    lp_objective_eur: float | None = None,
    timings: SolveTimings | None = None,
    part_slot_h: Sequence[Sequence[float]] | None = None,
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
    dispatchable
        The plans are setpoints that honour minimum powers and steps (reasons take it into account).
    lp_objective_eur
        The LP optimum the plans come from, if any.
    timings
        Where the time went, if measured.
    part_slot_h
        Per vehicle and slot, how long the charger holds its minimum for a power planned below it
        [h] (:attr:`~optimizer.schedule.VehiclePlan.part_slot_h`); None when no plan has such slots.

    Returns
    -------
    Schedule
        Every field filled; ``objective_eur`` and ``cost`` from :func:`optimizer.costs.cost_breakdown`,
        per-vehicle unmet reasons (:mod:`optimizer.reasons`) and plug-in recommendations
        (:mod:`optimizer.recommend`).
    """
    safe = safe_plan(problem, power_kw)
    rows = safe.tolist()
    net_kw = grid_import_kw(problem, safe)
    hours = problem.available_h_matrix().reshape(safe.shape)
    energy_per_kw = hours * np.array([v.efficiency for v in problem.vehicles], dtype=np.float64)[:, None]
    delivered = (safe * energy_per_kw).sum(axis=1).tolist()
    alone = (energy_per_kw.sum(axis=1) * np.array([v.max_power_kw for v in problem.vehicles])).tolist()
    unmet = [
        missing if (missing := v.energy_needed_kwh - d) > ENERGY_NOISE_KWH else 0.0
        for v, d in zip(problem.vehicles, delivered, strict=True)
    ]
    plans = tuple(
        VehiclePlan(
            vehicle_id=vehicle.vehicle_id,
            connector_key=vehicle.connector_key,
            power_kw=tuple(row),
            planned_energy_kwh=delivered_kwh,
            unmet_energy_kwh=missing_kwh,
            expected=vehicle.expected,
            unmet_reason=unmet_reason(vehicle, row, missing_kwh, dispatchable=dispatchable, alone_kwh=alone_kwh),
            departure_soc=soc_after(vehicle, delivered_kwh),
            part_slot_h=tuple(part_h) if any(part_h) else (),
        )
        for vehicle, row, delivered_kwh, missing_kwh, alone_kwh, part_h in zip(
            problem.vehicles, rows, delivered, unmet, alone, part_slot_h or [()] * len(rows), strict=True
        )
    )
    cost = cost_breakdown(problem, rows, net_kw, unmet)
    return Schedule(
        status=status,
        termination=termination,
        objective_eur=cost.total_eur,
        slot_starts_utc=problem.slot_starts_utc,
        slot_duration_h=problem.slot_duration_h,
        plans=plans,
        ev_power_kw=tuple(safe.sum(axis=0).tolist()),
        grid_import_kw=net_kw,
        solve_time_s=solve_time_s,
        lp_objective_eur=lp_objective_eur,
        dispatchable=dispatchable,
        cost=cost,
        recommendations=plug_in_recommendations(problem, rows),
        timings=timings if timings is not None else SolveTimings(),
    )
