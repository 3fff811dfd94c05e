"""Every number of the charging LP, computed once from the problem.

The Pyomo model (:mod:`optimizer.model`) is built from these arrays, and the re-planner
(:mod:`optimizer.replan`) pushes the same arrays into a live HiGHS model, so the two cannot disagree
on a coefficient. Arrays are aligned with the model's indices: per slot ``t``, per pair (in
``ChargeIndex.pairs`` order), per vehicle ``v``, per taper vehicle, per site row.

The structural part (which blocks exist, the taper lines, the site rows' coefficients, the fairness
classes) is what :func:`structure_key` compares; everything else may change between two solves of
the same structure.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from optimizer.charge_index import ChargeIndex
from optimizer.limits import ev_headroom_kw, site_rows
from optimizer.problem import ChargingProblem
from optimizer.taper import (
    TaperLine,
    battery_room_kwh,
    deliverable_cap_kwh,
    initial_energy_kwh,
    taper_lines,
    unavoidable_unmet_kwh,
)

FloatArray = npt.NDArray[np.float64]

BINDING_SLACK_KW = 1e-9
"""A taper line must fall this far below ``max_power_kw`` [kW] to get a row."""

TIE_BREAK_EUR_PER_KWH_PER_SLOT = 1e-6
"""Cost added per kWh for each slot of delay, so that among equally cheap plans the earliest wins.

Large enough to stay above HiGHS's default dual feasibility tolerance (1e-7), small enough (about
1e-4 EUR/kWh over a day of 15-minute slots) not to outweigh any real price difference."""


@dataclass(frozen=True, slots=True)
class SiteRowTerms:
    """One site row in one slot: ``sum coefficient * charge_power_kw[v, slot] <= rhs[row]``."""

    row: int
    slot: int
    terms: tuple[tuple[int, float], ...]
    """``(vehicle, coefficient)`` for the vehicles present in the slot."""


@dataclass(frozen=True, slots=True)
class TaperTerms:
    """One vehicle's taper lines that can bind: those that fall below ``max_power_kw`` somewhere
    between the initial state of charge and the highest one its need and room let it reach.

    The others are redundant and left out (a flat segment at the maximum power always is). The
    test uses the target state of charge, not the slot, so that a meter value (a little more
    charge, a little less need) leaves the structure as it was and the re-planner stays warm.
    """

    vehicle: int
    slots: tuple[int, ...]
    """The slots of the stay, each with a stored-energy variable (energy at its start)."""
    lines: tuple[TaperLine, ...]
    battery_kwh: float


@dataclass(frozen=True, slots=True)
class LpCoefficients:
    """The LP's numbers; see the ``add_*`` functions of :mod:`optimizer.model` for where each goes."""

    import_cost: FloatArray
    """Per slot: ``slot_duration_h * import_price`` [EUR/kW]."""
    export_cost: FloatArray
    """Per slot: ``-slot_duration_h * min(export_price, import_price)`` [EUR/kW]."""
    export_upper_kw: FloatArray
    """Per slot: ``pv_kw``, and at most the export limit [kW]."""
    balance_rhs_kw: FloatArray
    """Per slot: ``base_load_kw - pv_kw`` [kW]."""
    headroom_kw: FloatArray
    """Per slot: the EV headroom under the grid limit [kW]."""
    curtailment: bool
    """An export limit is set: the site balance is ``>=`` (PV may be curtailed)."""
    share: FloatArray
    """Per pair: ``available_h / slot_duration_h`` [-]."""
    energy_per_kw: FloatArray
    """Per pair: ``available_h * efficiency`` [kWh battery per kW]."""
    tie_cost: FloatArray
    """Per pair: tie-break cost [EUR/kW]."""
    power_upper_kw: FloatArray
    """Per pair: the vehicle's ``max_power_kw``."""
    need_kwh: FloatArray
    """Per vehicle: ``energy_needed_kwh``."""
    unmet_cost: FloatArray
    """Per vehicle: ``penalty * priority`` and the completion weight [EUR/kWh]
    (:meth:`~optimizer.problem.ChargingProblem.unmet_cost_eur_per_kwh`)."""
    unmet_lower_kwh: FloatArray
    """Per vehicle: what the battery has no room for, ``max(0, need - room)`` [kWh]."""
    taper: tuple[TaperTerms, ...]
    """Vehicles whose taper can bind, with the slots and lines where it can."""
    initial_energy_kwh: FloatArray
    """Per entry of ``taper``: energy stored at the start [kWh]."""
    taper_power_coef: FloatArray
    """Per taper row, in the order of ``taper`` (vehicle, then slot, then line): the coefficient of
    ``charge_power_kw`` in ``charge_power_kw * (1 - min(0, slope) * energy_per_kw / battery_kwh)
    - slope / battery_kwh * stored_energy_kwh <= intercept`` [-]; see :func:`taper_power_coefficients`."""
    site_rows: tuple[SiteRowTerms, ...]
    """Every (site row, slot) with a vehicle that can push the row up."""
    site_row_rhs: FloatArray
    """Per site row (of :func:`optimizer.limits.site_rows`): its right-hand side."""
    fairness_weight_eur: float
    fairness_classes: tuple[tuple[int, ...], ...]
    """Vehicles with a pair, grouped by priority; empty when the weight is 0."""
    fairness_unmet_coef: FloatArray
    """Per vehicle: ``-1 / need`` [1/kWh] (0 when unused)."""
    fairness_rhs: FloatArray
    """Per vehicle: ``-unavoidable_unmet / need`` [-] (0 when unused)."""
    power_change_weight_eur_per_kw: float
    capacity_charge_eur_per_kw: float
    peak_import_so_far_kw: float
    peak_rhs_kw: FloatArray
    """Per slot: ``ChargingProblem.peak_margin_kw`` (0 without) [kW]."""


def lp_coefficients(problem: ChargingProblem, index: ChargeIndex) -> LpCoefficients:
    """Compute every number of the LP for a validated problem and its charge index."""
    durations = np.asarray(problem.slot_duration_h, dtype=np.float64)
    import_price = np.asarray(problem.import_price_eur_per_kwh, dtype=np.float64)
    export_price = np.minimum(np.asarray(problem.export_price_eur_per_kwh, dtype=np.float64), import_price)
    pv_kw = np.asarray(problem.pv_kw, dtype=np.float64)
    export_upper = np.minimum(pv_kw, problem.export_limit_kw) if problem.export_limit_kw else pv_kw

    vehicles = problem.vehicles
    pair_vehicles, pair_slots = index.pair_vehicles, index.pair_slots
    hours = problem.available_h_matrix()[pair_vehicles, pair_slots]
    efficiency = np.array([v.efficiency for v in vehicles], dtype=np.float64)
    share = hours / durations[pair_slots]
    energy_per_kw = hours * efficiency[pair_vehicles]
    tie_cost = TIE_BREAK_EUR_PER_KWH_PER_SLOT * pair_slots * energy_per_kw
    power_upper = np.array([v.max_power_kw for v in vehicles], dtype=np.float64)[pair_vehicles]

    taper = _taper_terms(problem, index)
    rows = site_rows(problem)
    return LpCoefficients(
        import_cost=durations * import_price,
        export_cost=-durations * export_price,
        export_upper_kw=np.asarray(export_upper, dtype=np.float64),
        balance_rhs_kw=np.asarray(problem.base_load_kw, dtype=np.float64) - pv_kw,
        headroom_kw=np.asarray(ev_headroom_kw(problem), dtype=np.float64),
        curtailment=bool(problem.export_limit_kw),
        share=share,
        energy_per_kw=energy_per_kw,
        tie_cost=tie_cost,
        power_upper_kw=power_upper,
        need_kwh=np.array([v.energy_needed_kwh for v in vehicles], dtype=np.float64),
        unmet_cost=np.array([problem.unmet_cost_eur_per_kwh(v) for v in vehicles]),
        unmet_lower_kwh=np.array([max(0.0, v.energy_needed_kwh - battery_room_kwh(v)) for v in vehicles]),
        taper=taper,
        initial_energy_kwh=np.array([initial_energy_kwh(vehicles[x.vehicle]) for x in taper], dtype=np.float64),
        taper_power_coef=taper_power_coefficients(taper, index, energy_per_kw),
        site_rows=_site_row_terms(problem, index),
        site_row_rhs=np.array([row.rhs for row in rows], dtype=np.float64),
        fairness_weight_eur=problem.fairness_weight_eur,
        fairness_classes=_fairness_classes(problem, index),
        fairness_unmet_coef=_fairness_unmet_coef(problem, index),
        fairness_rhs=_fairness_rhs(problem, index),
        power_change_weight_eur_per_kw=problem.power_change_weight_eur_per_kw,
        capacity_charge_eur_per_kw=problem.capacity_charge_eur_per_kw,
        peak_import_so_far_kw=problem.peak_import_so_far_kw,
        peak_rhs_kw=np.asarray(problem.peak_margins_kw(), dtype=np.float64),
    )


def taper_power_coefficients(
    taper: tuple[TaperTerms, ...], index: ChargeIndex, energy_per_kw: FloatArray
) -> FloatArray:
    """The coefficient of the charging power in each taper row (vehicle, then slot, then line).

    A falling taper line is applied at the state of charge at the slot's end, not at its start: the
    charger holds the planned power as one limit for the slot while the power the battery accepts
    falls as it charges, so the limit is drawn in full only if the battery still accepts it at the
    end (:func:`optimizer.taper.vehicle_limit_kw`). With ``e = charge_power_kw * energy_per_kw``
    charged in the slot, the row ``p <= slope * (soc_start + e / battery_kwh) + intercept`` stays
    linear. A rising line (low state of charge) keeps the start of the slot, its lower point.
    """
    if not taper:
        return np.zeros(0, dtype=np.float64)
    position = {pair: i for i, pair in enumerate(index.pairs)}
    coefficients: list[float] = []
    for terms in taper:
        for t in terms.slots:
            per_kw = float(energy_per_kw[position[terms.vehicle, t]])
            for slope, _ in terms.lines:
                coefficients.append(1.0 - min(0.0, float(slope)) * per_kw / float(terms.battery_kwh))
    return np.array(coefficients, dtype=np.float64)


def _taper_terms(problem: ChargingProblem, index: ChargeIndex) -> tuple[TaperTerms, ...]:
    terms: list[TaperTerms] = []
    for v, vehicle in enumerate(problem.vehicles):
        slots = index.slots_by_vehicle[v]
        if not vehicle.taper or not slots or vehicle.battery_kwh is None or vehicle.initial_soc is None:
            continue
        lowest_soc = vehicle.initial_soc
        highest_soc = lowest_soc + deliverable_cap_kwh(vehicle) / vehicle.battery_kwh
        binding = tuple(
            (slope, intercept)
            for slope, intercept in taper_lines(vehicle.taper)
            if min(slope * lowest_soc, slope * highest_soc) + intercept < vehicle.max_power_kw - BINDING_SLACK_KW
        )
        if binding:
            terms.append(TaperTerms(vehicle=v, slots=slots, lines=binding, battery_kwh=vehicle.battery_kwh))
    return tuple(terms)


def _site_row_terms(problem: ChargingProblem, index: ChargeIndex) -> tuple[SiteRowTerms, ...]:
    vehicles_on: dict[str, list[int]] = {}
    for v, vehicle in enumerate(problem.vehicles):
        if index.slots_by_vehicle[v]:
            vehicles_on.setdefault(vehicle.connector_key, []).append(v)
    terms: list[SiteRowTerms] = []
    for r, row in enumerate(site_rows(problem)):
        by_slot: dict[int, list[tuple[int, float]]] = {}
        for key, coefficient in row.coefficients:
            for v in vehicles_on.get(key, ()):
                for t in index.slots_by_vehicle[v]:
                    by_slot.setdefault(t, []).append((v, coefficient))
        for t in sorted(by_slot):
            slot_terms = sorted(by_slot[t])
            if any(c > 0 for _, c in slot_terms):
                terms.append(SiteRowTerms(row=r, slot=t, terms=tuple(slot_terms)))
    return tuple(terms)


def _fairness_classes(problem: ChargingProblem, index: ChargeIndex) -> tuple[tuple[int, ...], ...]:
    if problem.fairness_weight_eur <= 0:
        return ()
    classes: dict[float, list[int]] = {}
    for v, vehicle in enumerate(problem.vehicles):
        if index.slots_by_vehicle[v]:
            classes.setdefault(vehicle.priority, []).append(v)
    return tuple(tuple(members) for _, members in sorted(classes.items()))


def _fairness_unmet_coef(problem: ChargingProblem, index: ChargeIndex) -> FloatArray:
    coef = np.zeros(len(problem.vehicles))
    if problem.fairness_weight_eur > 0:
        for v, vehicle in enumerate(problem.vehicles):
            if index.slots_by_vehicle[v]:
                coef[v] = -1.0 / vehicle.energy_needed_kwh
    return coef


def _fairness_rhs(problem: ChargingProblem, index: ChargeIndex) -> FloatArray:
    rhs = np.zeros(len(problem.vehicles))
    if problem.fairness_weight_eur > 0:
        for v, vehicle in enumerate(problem.vehicles):
            if index.slots_by_vehicle[v]:
                rhs[v] = -unavoidable_unmet_kwh(vehicle) / vehicle.energy_needed_kwh
    return rhs


def structure_key(problem: ChargingProblem, index: ChargeIndex, coefficients: LpCoefficients) -> Hashable:
    """Everything that shapes the LP's rows, columns and non-zero pattern.

    Two problems with equal keys give LPs that differ only in costs, bounds, right-hand sides and
    the values (not the positions) of matrix entries.
    """
    return (
        problem.n_slots,
        index.pairs,
        tuple(v.connector_key for v in problem.vehicles),
        coefficients.taper,
        tuple((limit.coefficients, limit.facets) for limit in problem.phasor_limits),
        bool(problem.export_limit_kw),
        problem.capacity_charge_eur_per_kw > 0,
        problem.power_change_weight_eur_per_kw > 0,
        problem.fairness_weight_eur > 0,
        tuple(v.priority for v in problem.vehicles) if problem.fairness_weight_eur > 0 else (),
    )
