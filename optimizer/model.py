"""The charging LP as a Pyomo model: one ``add_*`` function per block, its equation in the docstring.

Indices: ``v`` is a vehicle's position in ``problem.vehicles``, ``t`` a slot. Charging power exists
only where a vehicle can charge (plugged in for part of the slot, some power allowed, some energy
wanted), so the model stays sparse; the per-slot and per-vehicle index lists are computed once in
:func:`build_charge_index` and every rule sums over them with plain ``sum()``.

A vehicle plugged in for ``available_h[v][t]`` hours of a slot of ``slot_duration_h[t]`` hours draws
``charge_power_kw[v, t]`` while it is there: the grid limit holds that power (others may charge at
the same moment), while energy and cost use the slot average
``charge_power_kw[v, t] * available_h[v][t] / slot_duration_h[t]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyomo.environ as pyo

from optimizer.evaluation import ev_headroom_kw
from optimizer.problem import ChargingProblem

TIE_BREAK_EUR_PER_KWH_PER_SLOT = 1e-6
"""Cost added per kWh for each slot of delay, so that among equally cheap plans the earliest wins.

Large enough to stay above HiGHS's default dual feasibility tolerance (1e-7), small enough (about
1e-4 EUR/kWh over a day of 15-minute slots) not to outweigh any real price difference."""


@dataclass(frozen=True, slots=True)
class ChargeIndex:
    """Where charging variables exist: the sparse (vehicle, slot) index and its two projections."""

    pairs: tuple[tuple[int, int], ...]
    """Every (v, t) with a charging variable, vehicle-major."""
    vehicles_by_slot: tuple[tuple[int, ...], ...]
    """For each slot, the vehicles that may charge in it."""
    slots_by_vehicle: tuple[tuple[int, ...], ...]
    """For each vehicle, the slots it may charge in."""


def build_charge_index(problem: ChargingProblem) -> ChargeIndex:
    """Index the (vehicle, slot) pairs where charging is possible and useful.

    Parameters
    ----------
    problem
        A validated charging problem.

    Returns
    -------
    ChargeIndex
        Pairs where the vehicle is plugged in (``available_h > 0``), may draw power
        (``max_power_kw > 0``) and still wants energy (``energy_needed_kwh > 0``).
    """
    vehicles_by_slot: list[list[int]] = [[] for _ in range(problem.n_slots)]
    slots_by_vehicle: list[tuple[int, ...]] = []
    pairs: list[tuple[int, int]] = []
    for v, vehicle in enumerate(problem.vehicles):
        if vehicle.max_power_kw <= 0 or vehicle.energy_needed_kwh <= 0:
            slots_by_vehicle.append(())
            continue
        slots = tuple(t for t, hours in enumerate(vehicle.available_h) if hours > 0)
        slots_by_vehicle.append(slots)
        for t in slots:
            pairs.append((v, t))
            vehicles_by_slot[t].append(v)
    return ChargeIndex(
        pairs=tuple(pairs),
        vehicles_by_slot=tuple(tuple(vs) for vs in vehicles_by_slot),
        slots_by_vehicle=tuple(slots_by_vehicle),
    )


def build_model(problem: ChargingProblem, index: ChargeIndex) -> pyo.ConcreteModel:
    """Build the charging LP for a validated problem.

    Parameters
    ----------
    problem
        A validated charging problem.
    index
        Its charge index, from :func:`build_charge_index`.

    Returns
    -------
    pyomo.environ.ConcreteModel
        A linear model that is feasible for every valid problem: energy targets are soft.
    """
    m = pyo.ConcreteModel(name="vettabbia_charging")
    add_sets(m, problem, index)
    add_variables(m, problem)
    add_site_power_balance(m, problem, index)
    add_grid_limit(m, problem, index)
    add_vehicle_energy(m, problem, index)
    add_objective(m, problem, index)
    return m


def add_sets(m: pyo.ConcreteModel, p: ChargingProblem, index: ChargeIndex) -> None:
    """slots = {0..T-1}; vehicles = {0..V-1}; charge_pairs = {(v, t): v may charge in t}"""
    m.slots = pyo.Set(initialize=range(p.n_slots), ordered=True)
    m.vehicles = pyo.Set(initialize=range(len(p.vehicles)), ordered=True)
    m.charge_pairs = pyo.Set(initialize=index.pairs, dimen=2, ordered=True)


def add_variables(m: pyo.ConcreteModel, p: ChargingProblem) -> None:
    """0 <= charge_power_kw[v, t] <= max_power_kw[v]; grid_import_kw[t] >= 0;
    0 <= grid_export_kw[t] <= pv_kw[t]; unmet_energy_kwh[v] >= 0"""
    max_power_kw = [vehicle.max_power_kw for vehicle in p.vehicles]

    def power_bounds(_m: pyo.ConcreteModel, v: int, _t: int) -> tuple[float, float]:
        return (0.0, max_power_kw[v])

    def export_bounds(_m: pyo.ConcreteModel, t: int) -> tuple[float, float]:
        return (0.0, p.pv_kw[t])

    m.charge_power_kw = pyo.Var(m.charge_pairs, bounds=power_bounds)
    m.grid_import_kw = pyo.Var(m.slots, within=pyo.NonNegativeReals)
    m.grid_export_kw = pyo.Var(m.slots, bounds=export_bounds)
    m.unmet_energy_kwh = pyo.Var(m.vehicles, within=pyo.NonNegativeReals)


def add_site_power_balance(m: pyo.ConcreteModel, p: ChargingProblem, index: ChargeIndex) -> None:
    """grid_import_kw[t] - grid_export_kw[t]
    = sum_v charge_power_kw[v, t] * available_h[v][t] / slot_duration_h[t] + base_load_kw[t] - pv_kw[t]
    """
    share = {(v, t): p.vehicles[v].available_h[t] / p.slot_duration_h[t] for v, t in index.pairs}

    def rule(m: pyo.ConcreteModel, t: int) -> object:
        ev_kw = sum(m.charge_power_kw[v, t] * share[v, t] for v in index.vehicles_by_slot[t])
        return m.grid_import_kw[t] - m.grid_export_kw[t] == ev_kw + p.base_load_kw[t] - p.pv_kw[t]

    m.site_power_balance = pyo.Constraint(m.slots, rule=rule)


def add_grid_limit(m: pyo.ConcreteModel, p: ChargingProblem, index: ChargeIndex) -> None:
    """sum_v charge_power_kw[v, t] <= max(0, grid_import_limit_kw[t] - base_load_kw[t] + pv_firm_kw[t])

    Hard, and on the power drawn rather than the slot average: vehicles present for part of a slot
    may all be there at the same moment.
    """
    headroom_kw = ev_headroom_kw(p)

    def rule(m: pyo.ConcreteModel, t: int) -> object:
        vehicles = index.vehicles_by_slot[t]
        if not vehicles:
            return pyo.Constraint.Skip
        return sum(m.charge_power_kw[v, t] for v in vehicles) <= headroom_kw[t]

    m.grid_limit = pyo.Constraint(m.slots, rule=rule)


def add_vehicle_energy(m: pyo.ConcreteModel, p: ChargingProblem, index: ChargeIndex) -> None:
    """sum_t charge_power_kw[v, t] * available_h[v][t] * efficiency[v] + unmet_energy_kwh[v]
    = energy_needed_kwh[v]

    With ``unmet_energy_kwh >= 0`` a vehicle never gets more than it needs, and a need that cannot be
    met shows up as unmet energy instead of making the model infeasible.
    """

    def rule(m: pyo.ConcreteModel, v: int) -> object:
        vehicle = p.vehicles[v]
        delivered_kwh = sum(
            m.charge_power_kw[v, t] * (vehicle.available_h[t] * vehicle.efficiency) for t in index.slots_by_vehicle[v]
        )
        return delivered_kwh + m.unmet_energy_kwh[v] == vehicle.energy_needed_kwh

    m.vehicle_energy = pyo.Constraint(m.vehicles, rule=rule)


def add_objective(m: pyo.ConcreteModel, p: ChargingProblem, index: ChargeIndex) -> None:
    """min sum_t slot_duration_h[t] * (import_price[t] * grid_import_kw[t]
                                        - min(export_price[t], import_price[t]) * grid_export_kw[t])
        + sum_v unmet_energy_penalty * priority[v] * unmet_energy_kwh[v]
        + sum_(v,t) 1e-6 * t * charge_power_kw[v, t] * available_h[v][t] * efficiency[v]

    Export is valued at no more than import: one meter cannot buy and sell at once, and a higher
    export price would otherwise reward importing and exporting the same PV power together.
    """
    penalty = p.unmet_energy_penalty_eur_per_kwh
    energy_cost = sum(
        p.slot_duration_h[t]
        * (
            p.import_price_eur_per_kwh[t] * m.grid_import_kw[t]
            - min(p.export_price_eur_per_kwh[t], p.import_price_eur_per_kwh[t]) * m.grid_export_kw[t]
        )
        for t in m.slots
    )
    unmet_penalty = sum(penalty * vehicle.priority * m.unmet_energy_kwh[v] for v, vehicle in enumerate(p.vehicles))
    tie_break = sum(
        TIE_BREAK_EUR_PER_KWH_PER_SLOT
        * t
        * p.vehicles[v].available_h[t]
        * p.vehicles[v].efficiency
        * m.charge_power_kw[v, t]
        for v, t in index.pairs
    )
    m.total_cost_eur = pyo.Objective(expr=energy_cost + unmet_penalty + tie_break, sense=pyo.minimize)
