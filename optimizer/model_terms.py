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
    """stored_energy_kwh[v, s_0] = initial_soc[v] * battery_kwh[v];
    stored_energy_kwh[v, s_i] - stored_energy_kwh[v, s_(i-1)]
        - charge_power_kw[v, s_(i-1)] * available_h[v][s_(i-1)] * efficiency[v] = 0;
    charge_power_kw[v, t] * (1 - min(0, slope_k) * available_h[v][t] * efficiency[v] / battery_kwh[v])
        - slope_k / battery_kwh[v] * stored_energy_kwh[v, t] <= intercept_k

    For vehicles whose taper can bind, over the slots ``s_0 < s_1 < ...`` of their stay and the lines
    that can cut below ``max_power_kw`` (:class:`~optimizer.coefficients.TaperTerms`);
    ``stored_energy_kwh[v, t]`` is the battery energy at the start of slot ``t``.

    A falling line (``slope_k < 0``) is applied at the state of charge at the END of the slot
    (:func:`~optimizer.coefficients.taper_power_coefficients`): the charger holds the planned power
    as one limit for the slot while the power the battery accepts falls as it fills, so only a
    limit the battery still accepts at the slot's end is drawn in full. A rising line keeps the
    slot's start. Planning at the start (or halfway) would promise a nearly full battery more than
    it takes, slot after slot, and leave it short at departure.
    """
    if not c.taper:
        return
    terms = {x.vehicle: x for x in c.taper}
    initial = dict(zip(terms, c.initial_energy_kwh.tolist(), strict=True))
    energy_per_kw = c.energy_per_kw.tolist()

    def anchor_rule(m: pyo.ConcreteModel, v: int) -> object:
        return m.stored_energy_kwh[v, terms[v].slots[0]] == initial[v]

    def step_rule(m: pyo.ConcreteModel, v: int, later: int, earlier: int) -> object:
        charged_kwh = m.charge_power_kw[v, earlier] * energy_per_kw[positions[v, earlier]]
        return m.stored_energy_kwh[v, later] - m.stored_energy_kwh[v, earlier] - charged_kwh == 0.0

    # Plain floats: a numpy scalar times a Pyomo variable costs about a hundred times more to build.
    lines = {v: [(float(slope), float(intercept)) for slope, intercept in x.lines] for v, x in terms.items()}
    battery_kwh = {v: float(x.battery_kwh) for v, x in terms.items()}

    power_coef = c.taper_power_coef.tolist()
    row_of = {
        key: i
        for i, key in enumerate((v, t, k) for v, x in terms.items() for t in x.slots for k in range(len(x.lines)))
    }

    def taper_rule(m: pyo.ConcreteModel, v: int, t: int, k: int) -> object:
        slope, intercept = lines[v][k]
        power = power_coef[row_of[v, t, k]] * m.charge_power_kw[v, t]
        if slope == 0:
            return power <= intercept
        return power - (slope / battery_kwh[v]) * m.stored_energy_kwh[v, t] <= intercept

    m.taper_vehicles = pyo.Set(initialize=list(terms), ordered=True)
    m.taper_pairs = pyo.Set(initialize=[(v, t) for v, x in terms.items() for t in x.slots], dimen=2, ordered=True)
    m.stored_energy_kwh = pyo.Var(m.taper_pairs, within=pyo.NonNegativeReals)
    m.stored_energy_anchor = pyo.Constraint(m.taper_vehicles, rule=anchor_rule)
    steps = [(v, later, earlier) for v, x in terms.items() for earlier, later in itertools.pairwise(x.slots)]
    m.stored_energy_steps = pyo.Set(initialize=steps, dimen=3, ordered=True)
    m.stored_energy_step = pyo.Constraint(m.stored_energy_steps, rule=step_rule)
    rows = [(v, t, k) for v, x in terms.items() for t in x.slots for k in range(len(x.lines))]
    m.taper_rows = pyo.Set(initialize=rows, dimen=3, ordered=True)
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
    """charge_power_kw[v, t + 1] - charge_power_kw[v, t] - power_rise_kw[v, t] + power_fall_kw[v, t] = 0;
    cost power_change_weight * sum (power_rise_kw + power_fall_kw)

    For every vehicle and pair of consecutive slots of its stay, with ``power_rise_kw`` and
    ``power_fall_kw >= 0``: at the optimum one of them is 0 and their sum is
    ``|charge_power_kw[v, t + 1] - charge_power_kw[v, t]|``. One row and two columns per pair solve
    faster in HiGHS than two rows ``power_change_kw >= +-(difference)`` and one column.
    """
    if c.power_change_weight_eur_per_kw <= 0:
        return None
    adjacent = index.adjacent_pairs()
    if not adjacent:
        return None

    def rule(m: pyo.ConcreteModel, v: int, t: int) -> object:
        return (
            m.charge_power_kw[v, t + 1] - m.charge_power_kw[v, t] - m.power_rise_kw[v, t] + m.power_fall_kw[v, t] == 0.0
        )

    m.change_pairs = pyo.Set(initialize=adjacent, dimen=2, ordered=True)
    m.power_rise_kw = pyo.Var(m.change_pairs, within=pyo.NonNegativeReals)
    m.power_fall_kw = pyo.Var(m.change_pairs, within=pyo.NonNegativeReals)
    m.power_change = pyo.Constraint(m.change_pairs, rule=rule)
    cost: object = c.power_change_weight_eur_per_kw * sum(
        m.power_rise_kw[pair] + m.power_fall_kw[pair] for pair in m.change_pairs
    )
    return cost


def add_peak_import(m: pyo.ConcreteModel, c: LpCoefficients) -> object | None:
    """peak_import_kw >= peak_import_so_far_kw;
    peak_import_kw - grid_import_kw[t] + grid_export_kw[t] >= peak_margin_kw[t];
    cost capacity_charge * (peak_import_kw - peak_import_so_far_kw)

    The charge falls on the rise of the month's peak (slot-average import) above what it already is.
    The peak is the net import plus the slot's margin for forecast errors (``ChargingProblem.peak_margin_kw``).
    """
    if c.capacity_charge_eur_per_kw <= 0:
        return None
    rhs = c.peak_rhs_kw.tolist()

    def rule(m: pyo.ConcreteModel, t: int) -> object:
        return m.peak_import_kw - m.grid_import_kw[t] + m.grid_export_kw[t] >= rhs[t]

    m.peak_import_kw = pyo.Var(bounds=(c.peak_import_so_far_kw, None))
    m.peak_import = pyo.Constraint(m.slots, rule=rule)
    cost: object = c.capacity_charge_eur_per_kw * (m.peak_import_kw - c.peak_import_so_far_kw)
    return cost
