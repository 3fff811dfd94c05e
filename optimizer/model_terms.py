"""The optional blocks of the charging LP; each adds nothing when its data or weight is absent.

Each ``add_*`` function that prices something returns its cost expression for the objective (None
when it added nothing). Index conventions are those of :mod:`optimizer.model`.
"""

from __future__ import annotations

import itertools

import pyomo.environ as pyo

from optimizer.charge_index import ChargeIndex
from optimizer.coefficients import LpCoefficients

PairPositions = dict[tuple[int, int], int]
"""Position of each (v, t) pair in ``ChargeIndex.pairs``: where its numbers sit in the arrays."""


def add_taper(m: pyo.ConcreteModel, c: LpCoefficients, index: ChargeIndex, positions: PairPositions) -> None:
    """stored_energy_kwh[v, t_0] = initial_soc[v] * battery_kwh[v];
    stored_energy_kwh[v, t_i] - stored_energy_kwh[v, t_(i-1)]
        - charge_power_kw[v, t_(i-1)] * available_h[v][t_(i-1)] * efficiency[v] = 0;
    charge_power_kw[v, t] - slope_k / battery_kwh[v] * stored_energy_kwh[v, t] <= intercept_k

    For vehicles with a taper, over the slots ``t_0 < t_1 < ...`` they may charge in. The taper is
    applied at the state of charge at the START of each slot: within a slot the limit does not fall
    as the battery fills, so where the taper falls (``slope_k < 0``) the plan may exceed the true
    curve by at most ``|slope_k| * energy charged in that slot / battery_kwh`` kW. With 15-minute slots
    and a car battery this is a few percent of the slot's power, and the next plan starts from the
    measured state of charge.
    """
    if not c.taper_vehicles:
        return
    stored_pairs = [(v, t) for v in c.taper_vehicles for t in index.slots_by_vehicle[v]]
    first_slot = {v: index.slots_by_vehicle[v][0] for v in c.taper_vehicles}
    initial = dict(zip(c.taper_vehicles, c.initial_energy_kwh.tolist(), strict=True))
    battery = dict(zip(c.taper_vehicles, c.battery_kwh.tolist(), strict=True))
    lines = dict(zip(c.taper_vehicles, c.taper_lines, strict=True))
    energy_per_kw = c.energy_per_kw.tolist()

    def stored_bounds(_m: pyo.ConcreteModel, v: int, t: int) -> tuple[float, float | None]:
        return (initial[v], initial[v]) if t == first_slot[v] else (0.0, None)

    m.taper_pairs = pyo.Set(initialize=stored_pairs, dimen=2, ordered=True)
    m.stored_energy_kwh = pyo.Var(m.taper_pairs, bounds=stored_bounds)

    steps = [
        (v, later, earlier)
        for v in c.taper_vehicles
        for earlier, later in itertools.pairwise(index.slots_by_vehicle[v])
    ]

    def step_rule(m: pyo.ConcreteModel, v: int, later: int, earlier: int) -> object:
        charged_kwh = m.charge_power_kw[v, earlier] * energy_per_kw[positions[v, earlier]]
        return m.stored_energy_kwh[v, later] - m.stored_energy_kwh[v, earlier] - charged_kwh == 0.0

    m.stored_energy_steps = pyo.Set(initialize=steps, dimen=3, ordered=True)
    m.stored_energy_step = pyo.Constraint(m.stored_energy_steps, rule=step_rule)

    taper_rows = [(v, t, k) for v, t in stored_pairs for k in range(len(lines[v]))]

    def taper_rule(m: pyo.ConcreteModel, v: int, t: int, k: int) -> object:
        slope, intercept = lines[v][k]
        if slope == 0:
            return m.charge_power_kw[v, t] <= intercept
        return m.charge_power_kw[v, t] - (slope / battery[v]) * m.stored_energy_kwh[v, t] <= intercept

    m.taper_rows = pyo.Set(initialize=taper_rows, dimen=3, ordered=True)
    m.taper_limit = pyo.Constraint(m.taper_rows, rule=taper_rule)


def add_site_limits(m: pyo.ConcreteModel, c: LpCoefficients) -> None:
    """sum_v coefficient[r, v] * charge_power_kw[v, t] <= rhs[r]

    One row per phasor-limit row ``r`` of :func:`optimizer.limits.site_rows` and slot ``t`` in which a
    vehicle with a positive coefficient may charge: exact for collinear coefficients, a facet of the
    inscribed polygon otherwise.
    """
    if not c.site_rows:
        return
    rhs = c.site_row_rhs.tolist()

    def rule(m: pyo.ConcreteModel, j: int) -> object:
        row = c.site_rows[j]
        return sum(coefficient * m.charge_power_kw[v, row.slot] for v, coefficient in row.terms) <= rhs[row.row]

    m.site_limit_rows = pyo.Set(initialize=range(len(c.site_rows)), ordered=True)
    m.site_limit = pyo.Constraint(m.site_limit_rows, rule=rule)


def add_fairness(m: pyo.ConcreteModel, c: LpCoefficients) -> object | None:
    """worst_unmet_share[g] - unmet_energy_kwh[v] / need[v] >= -unavoidable_unmet[v] / need[v]
    for every vehicle v of priority class g; cost fairness_weight * sum_g worst_unmet_share[g]

    ``worst_unmet_share[g] >= 0`` is the largest share of a need left unmet in the class beyond what
    the vehicle could not get even alone (:func:`~optimizer.taper.unavoidable_unmet_kwh`).
    Moving energy between vehicles of equal priority leaves the penalty unchanged, so even a small
    weight makes the plan share a shortfall instead of leaving one vehicle empty.
    """
    if not c.fairness_classes:
        return None
    members = [(g, v) for g, vehicles in enumerate(c.fairness_classes) for v in vehicles]
    unmet_coef = c.fairness_unmet_coef.tolist()
    rhs = c.fairness_rhs.tolist()

    def rule(m: pyo.ConcreteModel, g: int, v: int) -> object:
        return m.worst_unmet_share[g] + unmet_coef[v] * m.unmet_energy_kwh[v] >= rhs[v]

    m.fairness_classes = pyo.Set(initialize=range(len(c.fairness_classes)), ordered=True)
    m.fairness_members = pyo.Set(initialize=members, dimen=2, ordered=True)
    m.worst_unmet_share = pyo.Var(m.fairness_classes, within=pyo.NonNegativeReals)
    m.fairness = pyo.Constraint(m.fairness_members, rule=rule)
    cost: object = c.fairness_weight_eur * sum(m.worst_unmet_share[g] for g in m.fairness_classes)
    return cost


def add_power_change(m: pyo.ConcreteModel, c: LpCoefficients, index: ChargeIndex) -> object | None:
    """power_change_kw[v, t] >= charge_power_kw[v, t] - charge_power_kw[v, t + 1];
    power_change_kw[v, t] >= charge_power_kw[v, t + 1] - charge_power_kw[v, t];
    cost power_change_weight * sum power_change_kw

    For every vehicle and pair of consecutive slots of its stay; at the optimum
    ``power_change_kw = |charge_power_kw[v, t + 1] - charge_power_kw[v, t]|``.
    """
    if c.power_change_weight_eur_per_kw <= 0:
        return None
    adjacent = index.adjacent_pairs()
    if not adjacent:
        return None

    def down_rule(m: pyo.ConcreteModel, v: int, t: int) -> object:
        return m.power_change_kw[v, t] + m.charge_power_kw[v, t + 1] - m.charge_power_kw[v, t] >= 0.0

    def up_rule(m: pyo.ConcreteModel, v: int, t: int) -> object:
        return m.power_change_kw[v, t] - m.charge_power_kw[v, t + 1] + m.charge_power_kw[v, t] >= 0.0

    m.change_pairs = pyo.Set(initialize=adjacent, dimen=2, ordered=True)
    m.power_change_kw = pyo.Var(m.change_pairs, within=pyo.NonNegativeReals)
    m.power_change_down = pyo.Constraint(m.change_pairs, rule=down_rule)
    m.power_change_up = pyo.Constraint(m.change_pairs, rule=up_rule)
    cost: object = c.power_change_weight_eur_per_kw * sum(m.power_change_kw[pair] for pair in m.change_pairs)
    return cost


def add_peak_import(m: pyo.ConcreteModel, c: LpCoefficients) -> object | None:
    """peak_import_kw >= peak_import_so_far_kw; peak_import_kw - grid_import_kw[t] >= 0;
    cost capacity_charge * (peak_import_kw - peak_import_so_far_kw)

    The charge falls on the rise of the month's peak (slot-average import) above what it already is.
    """
    if c.capacity_charge_eur_per_kw <= 0:
        return None

    def rule(m: pyo.ConcreteModel, t: int) -> object:
        return m.peak_import_kw - m.grid_import_kw[t] >= 0.0

    m.peak_import_kw = pyo.Var(bounds=(c.peak_import_so_far_kw, None))
    m.peak_import = pyo.Constraint(m.slots, rule=rule)
    cost: object = c.capacity_charge_eur_per_kw * (m.peak_import_kw - c.peak_import_so_far_kw)
    return cost
