"""The charging LP as a Pyomo model: one ``add_*`` function per block, its equation in the docstring.

Indices: ``v`` is a vehicle's position in ``problem.vehicles``, ``t`` a slot. Charging power exists
only where a vehicle can charge (plugged in for part of the slot, some power allowed, some energy
wanted), so the model stays sparse; the per-slot and per-vehicle index lists are computed once in
:func:`build_charge_index` and every rule sums over them with plain ``sum()``. Every number comes
from :func:`optimizer.coefficients.lp_coefficients`; every constraint is written with its variables on
the left and one number on the right, so the compiled rows carry exactly those numbers.

A vehicle plugged in for ``available_h[v][t]`` hours of a slot of ``slot_duration_h[t]`` hours draws
``charge_power_kw[v, t]`` while it is there: the grid limit holds that power (others may charge at
the same moment), while energy and cost use the slot average
``charge_power_kw[v, t] * available_h[v][t] / slot_duration_h[t]``.

The core blocks are here; the optional ones (taper, phasor limits, fairness, power changes, peak
import) are in :mod:`optimizer.model_terms` and add nothing when their data or weight is absent.
"""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.charge_index import ChargeIndex, build_charge_index
from optimizer.coefficients import TIE_BREAK_EUR_PER_KWH_PER_SLOT, LpCoefficients, lp_coefficients
from optimizer.model_terms import (
    PairPositions,
    add_fairness,
    add_peak_import,
    add_power_change,
    add_site_limits,
    add_taper,
)
from optimizer.problem import ChargingProblem

__all__ = [
    "TIE_BREAK_EUR_PER_KWH_PER_SLOT",
    "ChargeIndex",
    "build_charge_index",
    "build_model",
]


def build_model(
    problem: ChargingProblem, index: ChargeIndex, coefficients: LpCoefficients | None = None
) -> pyo.ConcreteModel:
    """Build the charging LP for a validated problem.

    Parameters
    ----------
    problem
        A validated charging problem.
    index
        Its charge index, from :func:`build_charge_index`.
    coefficients
        Its numbers, from :func:`~optimizer.coefficients.lp_coefficients`; computed when omitted.

    Returns
    -------
    pyomo.environ.ConcreteModel
        A linear model that is feasible for every valid problem: energy targets are soft, and
        charging nothing meets every hard limit.
    """
    c = coefficients if coefficients is not None else lp_coefficients(problem, index)
    positions: PairPositions = {pair: i for i, pair in enumerate(index.pairs)}
    m = pyo.ConcreteModel(name="vettabbia_charging")
    add_sets(m, problem, index)
    add_variables(m, c, positions)
    add_site_power_balance(m, c, index, positions)
    add_grid_limit(m, c, index)
    add_vehicle_energy(m, c, index, positions)
    add_taper(m, c, index, positions)
    add_site_limits(m, c)
    extra_costs = [
        add_fairness(m, c),
        add_power_change(m, c, index),
        add_peak_import(m, c),
    ]
    add_objective(m, c, index, [cost for cost in extra_costs if cost is not None])
    return m


def add_sets(m: pyo.ConcreteModel, p: ChargingProblem, index: ChargeIndex) -> None:
    """slots = {0..T-1}; vehicles = {0..V-1}; charge_pairs = {(v, t): v may charge in t}"""
    m.slots = pyo.Set(initialize=range(p.n_slots), ordered=True)
    m.vehicles = pyo.Set(initialize=range(len(p.vehicles)), ordered=True)
    m.charge_pairs = pyo.Set(initialize=index.pairs, dimen=2, ordered=True)


def add_variables(m: pyo.ConcreteModel, c: LpCoefficients, positions: PairPositions) -> None:
    """0 <= charge_power_kw[v, t] <= max_power_kw[v]; grid_import_kw[t] >= 0;
    0 <= grid_export_kw[t] <= min(pv_kw[t], export_limit_kw[t]); unmet_energy_kwh[v] >= room shortfall

    The room shortfall ``max(0, energy_needed_kwh - (1 - initial_soc) * battery_kwh)`` is what a
    battery of known capacity cannot take (0 otherwise).
    """
    power_upper = c.power_upper_kw.tolist()
    export_upper = c.export_upper_kw.tolist()
    unmet_lower = c.unmet_lower_kwh.tolist()

    def power_bounds(_m: pyo.ConcreteModel, v: int, t: int) -> tuple[float, float]:
        return (0.0, power_upper[positions[v, t]])

    def export_bounds(_m: pyo.ConcreteModel, t: int) -> tuple[float, float]:
        return (0.0, export_upper[t])

    def unmet_bounds(_m: pyo.ConcreteModel, v: int) -> tuple[float, None]:
        return (unmet_lower[v], None)

    m.charge_power_kw = pyo.Var(m.charge_pairs, bounds=power_bounds)
    m.grid_import_kw = pyo.Var(m.slots, within=pyo.NonNegativeReals)
    m.grid_export_kw = pyo.Var(m.slots, bounds=export_bounds)
    m.unmet_energy_kwh = pyo.Var(m.vehicles, bounds=unmet_bounds)


def add_site_power_balance(
    m: pyo.ConcreteModel, c: LpCoefficients, index: ChargeIndex, positions: PairPositions
) -> None:
    """grid_import_kw[t] - grid_export_kw[t]
    - sum_v charge_power_kw[v, t] * available_h[v][t] / slot_duration_h[t] = base_load_kw[t] - pv_kw[t]

    ``>=`` instead of ``=`` when an export limit is set: the difference is curtailed PV.
    """
    share = c.share.tolist()
    rhs = c.balance_rhs_kw.tolist()

    def rule(m: pyo.ConcreteModel, t: int) -> object:
        ev_kw = sum(m.charge_power_kw[v, t] * share[positions[v, t]] for v in index.vehicles_by_slot[t])
        body = m.grid_import_kw[t] - m.grid_export_kw[t] - ev_kw
        return body >= rhs[t] if c.curtailment else body == rhs[t]

    m.site_power_balance = pyo.Constraint(m.slots, rule=rule)


def add_grid_limit(m: pyo.ConcreteModel, c: LpCoefficients, index: ChargeIndex) -> None:
    """sum_v charge_power_kw[v, t] <= max(0, grid_import_limit_kw[t] - base_load_kw[t] + pv_firm_kw[t])

    Hard, and on the power drawn rather than the slot average: vehicles present for part of a slot
    may all be there at the same moment.
    """
    headroom_kw = c.headroom_kw.tolist()

    def rule(m: pyo.ConcreteModel, t: int) -> object:
        vehicles = index.vehicles_by_slot[t]
        if not vehicles:
            return pyo.Constraint.Skip
        return sum(m.charge_power_kw[v, t] for v in vehicles) <= headroom_kw[t]

    m.grid_limit = pyo.Constraint(m.slots, rule=rule)


def add_vehicle_energy(m: pyo.ConcreteModel, c: LpCoefficients, index: ChargeIndex, positions: PairPositions) -> None:
    """sum_t charge_power_kw[v, t] * available_h[v][t] * efficiency[v] + unmet_energy_kwh[v]
    = energy_needed_kwh[v]

    With ``unmet_energy_kwh >= 0`` a vehicle never gets more than it needs, and a need that cannot be
    met shows up as unmet energy instead of making the model infeasible.
    """
    energy_per_kw = c.energy_per_kw.tolist()
    need_kwh = c.need_kwh.tolist()

    def rule(m: pyo.ConcreteModel, v: int) -> object:
        delivered_kwh = sum(m.charge_power_kw[v, t] * energy_per_kw[positions[v, t]] for t in index.slots_by_vehicle[v])
        return delivered_kwh + m.unmet_energy_kwh[v] == need_kwh[v]

    m.vehicle_energy = pyo.Constraint(m.vehicles, rule=rule)


def add_objective(m: pyo.ConcreteModel, c: LpCoefficients, index: ChargeIndex, extra_costs: list[object]) -> None:
    """min sum_t slot_duration_h[t] * (import_price[t] * grid_import_kw[t]
                                        - min(export_price[t], import_price[t]) * grid_export_kw[t])
        + sum_v unmet_energy_penalty * priority[v] * completion[v] * unmet_energy_kwh[v]
        + sum_(v,t) 1e-6 * t * charge_power_kw[v, t] * available_h[v][t] * efficiency[v]
        + the optional terms' costs (fairness, power changes, peak import)

    where ``completion[v] = 1 + completion_weight_kwh / max(need[v], 0.1)``
    (:meth:`~optimizer.problem.ChargingProblem.unmet_cost_eur_per_kwh`). Export is valued at no
    more than import: one meter cannot buy and sell at once, and a higher export price would
    otherwise reward importing and exporting the same PV power together.
    """
    import_cost = c.import_cost.tolist()
    export_cost = c.export_cost.tolist()
    unmet_cost = c.unmet_cost.tolist()
    tie_cost = c.tie_cost.tolist()
    energy_cost = sum(import_cost[t] * m.grid_import_kw[t] + export_cost[t] * m.grid_export_kw[t] for t in m.slots)
    unmet_penalty = sum(unmet_cost[v] * m.unmet_energy_kwh[v] for v in m.vehicles)
    tie_break = sum(tie_cost[i] * m.charge_power_kw[pair] for i, pair in enumerate(index.pairs))
    extra: object = sum(extra_costs)  # type: ignore[arg-type]  # Pyomo expressions add up
    m.total_cost_eur = pyo.Objective(expr=energy_cost + unmet_penalty + tie_break + extra, sense=pyo.minimize)
