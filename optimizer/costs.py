"""What a plan costs: the objective every planner is judged by, term by term.

The solver, the fallback and the repair all end up here, so their ``objective_eur`` can be compared.
The LP minimises the same terms (plus a tie-break of at most 1e-6 EUR/kWh per slot of delay), so for
a plan within the LP's limits its cost is never below the LP optimum when export pays no more than
import.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from optimizer.charge_index import may_charge
from optimizer.problem import ChargingProblem, VehicleRequest
from optimizer.schedule import CostBreakdown
from optimizer.taper import unavoidable_unmet_kwh

PowerPlan = Sequence[Sequence[float]] | npt.NDArray[np.float64]
"""One plan per vehicle, one power per slot [kW]: nested sequences or an array (vehicles, slots)."""

ENERGY_NOISE_KWH = 1e-6
"""Unmet energy below this [kWh] is numerical noise and reported as zero."""


def delivered_energy_kwh(vehicle: VehicleRequest, power_kw: Sequence[float]) -> float:
    """Battery energy [kWh] a power plan [kW] delivers to a vehicle over the horizon."""
    return sum(p_kw * hours * vehicle.efficiency for p_kw, hours in zip(power_kw, vehicle.available_h, strict=True))


def unmet_energy_kwh(vehicle: VehicleRequest, power_kw: Sequence[float]) -> float:
    """Energy [kWh] still missing at departure under a plan [kW]; noise below 1e-6 kWh is zero."""
    missing_kwh = vehicle.energy_needed_kwh - delivered_energy_kwh(vehicle, power_kw)
    return missing_kwh if missing_kwh > ENERGY_NOISE_KWH else 0.0


def grid_import_kw(problem: ChargingProblem, power_kw: PowerPlan) -> tuple[float, ...]:
    """Expected net grid import per slot, averaged over the slot [kW]; negative when exporting.

    A vehicle plugged in for part of a slot adds ``power_kw * available_h / slot_duration_h``.
    Expected (not firm) PV and the base load are included. With an export limit the site can
    curtail PV, and the net import of each slot lies between exporting at most the limit and
    curtailing all PV; the one taken is the cheapest, capacity charge included
    (:func:`_cheapest_net_kw`), as the LP chooses its import and export.
    """
    n_vehicles, n_slots = len(problem.vehicles), problem.n_slots
    plan = np.asarray(power_kw, dtype=np.float64).reshape(n_vehicles, n_slots)
    share = problem.available_h_matrix().reshape(n_vehicles, n_slots)
    ev_avg_kw = (plan * share).sum(axis=0) / np.asarray(problem.slot_duration_h)
    net_kw = ev_avg_kw + np.asarray(problem.base_load_kw) - np.asarray(problem.pv_kw)
    if not problem.export_limit_kw:
        return tuple(net_kw.tolist())
    return tuple(_cheapest_net_kw(problem, net_kw).tolist())


def _cheapest_net_kw(problem: ChargingProblem, net_kw: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Net import per slot [kW] after curtailing PV as cheaply as the export limit allows.

    Slot ``t`` may import anything from ``max(net, -export_limit)`` (export up to the limit) to
    ``net + pv`` (all PV curtailed). Without a capacity charge each slot takes the cheapest on its
    own: the energy cost is linear on each side of 0, so that is one of those ends or 0.

    With one, the slots are tied by the peak: with a margin (``peak_margin_kw``) the peak counts
    ``net + margin``, so a slot that exports lowers it below the margin, and curtailing to 0
    because export does not pay can cost more in capacity than the export would. For a cap ``P``
    on ``net + margin``, each slot takes its cheapest import up to ``P - margin``; the total is
    piecewise linear in ``P`` and bends only where a slot's range end or 0 meets the cap (``end +
    margin``), at 0 and at the month's peak so far, so its least is at one of those caps (the
    LP's own optimum for these powers). Ties go to the lowest import.
    """
    lowest = np.maximum(net_kw, -np.asarray(problem.export_limit_kw, dtype=np.float64))
    highest = net_kw + np.asarray(problem.pv_kw, dtype=np.float64)
    if problem.capacity_charge_eur_per_kw <= 0:
        alone, _ = _cheapest_up_to(problem, lowest, highest[None, :])
        each: npt.NDArray[np.float64] = alone[0]
        return each
    margin_kw = np.asarray(problem.peak_margins_kw(), dtype=np.float64)
    floor_kw = float((lowest + margin_kw).max())
    bends = np.concatenate([lowest + margin_kw, margin_kw, highest + margin_kw, [0.0, problem.peak_import_so_far_kw]])
    caps_kw = np.unique(np.append(bends[bends > floor_kw], floor_kw))  # sorted: ties go to the lowest cap
    upper = np.clip(caps_kw[:, None] - margin_kw[None, :], lowest, highest)
    nets, energy_eur = _cheapest_up_to(problem, lowest, upper)
    peak_kw = np.maximum((nets + margin_kw).max(axis=1), 0.0)
    capacity_eur = problem.capacity_charge_eur_per_kw * np.maximum(peak_kw - problem.peak_import_so_far_kw, 0.0)
    best: npt.NDArray[np.float64] = nets[int(np.argmin(energy_eur.sum(axis=1) + capacity_eur))]
    return best


def _cheapest_up_to(
    problem: ChargingProblem, lowest: npt.NDArray[np.float64], upper: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per row of ``upper`` (caps, slots): each slot's cheapest net import in ``[lowest, upper]``
    (the lowest of equals) and its energy cost [EUR]."""
    candidates = np.stack([np.broadcast_to(lowest, upper.shape), np.clip(0.0, lowest, upper), upper])
    import_price = np.asarray(problem.import_price_eur_per_kwh, dtype=np.float64)
    export_price = np.asarray(problem.export_price_eur_per_kwh, dtype=np.float64)
    price = np.where(candidates >= 0, import_price, export_price)
    cost_eur = price * candidates * np.asarray(problem.slot_duration_h, dtype=np.float64)
    pick = np.argmin(cost_eur, axis=0)[None]
    nets: npt.NDArray[np.float64] = np.take_along_axis(candidates, pick, axis=0)[0]
    energy_eur: npt.NDArray[np.float64] = np.take_along_axis(cost_eur, pick, axis=0)[0]
    return nets, energy_eur


def _slot_energy_eur_per_h(problem: ChargingProblem, t: int, net_kw: float) -> float:
    price = problem.import_price_eur_per_kwh[t] if net_kw >= 0 else problem.export_price_eur_per_kwh[t]
    return price * net_kw


def cost_breakdown(
    problem: ChargingProblem,
    power_kw: Sequence[Sequence[float]],
    net_kw: Sequence[float] | None = None,
    unmet_kwh: Sequence[float] | None = None,
) -> CostBreakdown:
    """Every term of a plan's objective.

    Parameters
    ----------
    problem
        The charging problem.
    power_kw
        One plan per vehicle, one power per slot [kW].
    net_kw, unmet_kwh
        Its :func:`grid_import_kw` and each vehicle's :func:`unmet_energy_kwh`, when already computed.

    Returns
    -------
    CostBreakdown
        energy ``sum_t slot_duration_h * (import_price * max(net, 0) - export_price * max(-net, 0))``;
        capacity ``charge * max(0, max_t max(net + peak_margin_kw, 0) - peak_import_so_far_kw)``
        (:meth:`~optimizer.problem.ChargingProblem.peak_margins_kw`); unmet penalty
        ``sum_v penalty * priority * completion[v] * unmet_energy_kwh``
        (:meth:`~optimizer.problem.ChargingProblem.unmet_cost_eur_per_kwh`); fairness ``weight * sum
        over priority classes of max(0, max_v (unmet - unavoidable) / need)``; power change ``weight * sum_v sum_t
        |p[v, t + 1] - p[v, t]|`` over consecutive slots of each stay. The LP's tie-break is not part
        of it.
    """
    net = grid_import_kw(problem, power_kw) if net_kw is None else net_kw
    energy_eur = sum(
        duration_h * _slot_energy_eur_per_h(problem, t, n)
        for t, (duration_h, n) in enumerate(zip(problem.slot_duration_h, net, strict=True))
    )
    capacity_eur = 0.0
    if problem.capacity_charge_eur_per_kw > 0:
        margins_kw = problem.peak_margins_kw()
        peak_kw = max((max(n + m, 0.0) for n, m in zip(net, margins_kw, strict=True)), default=0.0)
        capacity_eur = problem.capacity_charge_eur_per_kw * max(0.0, peak_kw - problem.peak_import_so_far_kw)
    unmet = (
        [unmet_energy_kwh(vehicle, plan) for vehicle, plan in zip(problem.vehicles, power_kw, strict=True)]
        if unmet_kwh is None
        else unmet_kwh
    )
    penalty_eur = sum(
        problem.unmet_cost_eur_per_kwh(vehicle) * missing_kwh
        for vehicle, missing_kwh in zip(problem.vehicles, unmet, strict=True)
    )
    return CostBreakdown(
        energy_eur=energy_eur,
        capacity_eur=capacity_eur,
        unmet_penalty_eur=penalty_eur,
        fairness_eur=_fairness_eur(problem, unmet),
        power_change_eur=_power_change_eur(problem, power_kw),
    )


def plan_cost_eur(problem: ChargingProblem, power_kw: Sequence[Sequence[float]]) -> float:
    """The total of :func:`cost_breakdown` [EUR]: the objective both planners are judged by."""
    return cost_breakdown(problem, power_kw).total_eur


def can_charge(vehicle: VehicleRequest) -> bool:
    """The vehicle has charging variables in the LP: power allowed, energy wanted, some presence."""
    return may_charge(vehicle) and any(h > 0 for h in vehicle.available_h)


def _fairness_eur(problem: ChargingProblem, unmet_kwh: Sequence[float]) -> float:
    if problem.fairness_weight_eur <= 0:
        return 0.0
    worst: dict[float, float] = {}
    for vehicle, missing_kwh in zip(problem.vehicles, unmet_kwh, strict=True):
        if can_charge(vehicle):
            share = (missing_kwh - unavoidable_unmet_kwh(vehicle)) / vehicle.energy_needed_kwh
            worst[vehicle.priority] = max(worst.get(vehicle.priority, 0.0), share)
    return problem.fairness_weight_eur * sum(worst.values())


def _power_change_eur(problem: ChargingProblem, power_kw: Sequence[Sequence[float]]) -> float:
    if problem.power_change_weight_eur_per_kw <= 0:
        return 0.0
    change_kw = 0.0
    for vehicle, plan in zip(problem.vehicles, power_kw, strict=True):
        if not can_charge(vehicle):
            continue
        hours = vehicle.available_h
        change_kw += sum(
            abs(plan[t + 1] - plan[t]) for t in range(problem.n_slots - 1) if hours[t] > 0 and hours[t + 1] > 0
        )
    return problem.power_change_weight_eur_per_kw * change_kw
