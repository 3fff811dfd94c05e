"""Where each number of :mod:`optimizer.coefficients` sits in the compiled LP, to update it in place.

The cold build (:func:`optimizer.lp_assembly.assemble_lp`) records, for every coefficient array, the
HiGHS columns, rows or matrix entries it fills. :func:`lp_values` then lays any problem of the same structure
(:func:`optimizer.coefficients.structure_key`) onto those positions, and :func:`push_changes` sends
HiGHS only what differs. Rows are written as in :mod:`optimizer.model`: variables on the left with
these very numbers, one number on the right.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt

from optimizer.coefficients import LpCoefficients
from optimizer.highs_backend import HighsSolver

IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Entries:
    """Matrix entries ``(row, column)`` and, for each, the position of its number in a coefficient array."""

    rows: IntArray
    columns: IntArray
    source: IntArray
    sign: float
    """The entry is ``sign * array[source]``."""


@dataclass(frozen=True, slots=True)
class LpLayout:
    """Columns, rows and entries of one compiled LP, by coefficient array (see :func:`lp_values`)."""

    n_columns: int
    n_rows: int
    import_columns: IntArray
    export_columns: IntArray
    unmet_columns: IntArray
    power_columns: IntArray
    worst_share_columns: IntArray
    power_change_columns: IntArray
    peak_column: int
    """-1 without a capacity charge."""
    peak_rows: IntArray
    """One per slot with a capacity charge, none without."""
    balance_rows: IntArray
    grid_rows: IntArray
    grid_slots: IntArray
    energy_rows: IntArray
    site_rows: IntArray
    fairness_rows: IntArray
    fairness_vehicles: IntArray
    anchor_rows: IntArray
    """One per entry of ``LpCoefficients.taper``: stored energy at the first taper row's slot."""
    balance_entries: Entries
    energy_entries: Entries
    step_entries: Entries
    fairness_entries: Entries
    taper_entries: Entries
    """The charging power's coefficient in each taper row (``LpCoefficients.taper_power_coef``)."""


@dataclass(frozen=True, slots=True)
class LpValues:
    """Everything of an LP that may change without changing its structure."""

    cost: FloatArray
    offset: float
    col_lower: FloatArray
    col_upper: FloatArray
    row_lower: FloatArray
    row_upper: FloatArray
    entries: FloatArray
    """Values of the layout's entries, group by group as :func:`_entry_groups` lists them."""


def _ints(values: Iterable[int]) -> IntArray:
    return np.array(list(values), dtype=np.int32)


def lp_values(layout: LpLayout, c: LpCoefficients, base: LpValues) -> LpValues:
    """The LP's changeable numbers for coefficients ``c``, on top of ``base`` (the cold build's).

    Positions not driven by a coefficient array (e.g. the bounds of stored energy after the first
    slot) keep their ``base`` values.
    """
    cost = base.cost.copy()
    cost[layout.import_columns] = c.import_cost
    cost[layout.export_columns] = c.export_cost
    cost[layout.unmet_columns] = c.unmet_cost
    cost[layout.power_columns] = c.tie_cost
    cost[layout.worst_share_columns] = c.fairness_weight_eur
    cost[layout.power_change_columns] = c.power_change_weight_eur_per_kw
    offset = base.offset
    col_lower, col_upper = base.col_lower.copy(), base.col_upper.copy()
    col_upper[layout.export_columns] = c.export_upper_kw
    col_upper[layout.power_columns] = c.power_upper_kw
    col_lower[layout.unmet_columns] = c.unmet_lower_kwh
    if layout.peak_column >= 0:
        cost[layout.peak_column] = c.capacity_charge_eur_per_kw
        offset = -c.capacity_charge_eur_per_kw * c.peak_import_so_far_kw
        col_lower[layout.peak_column] = c.peak_import_so_far_kw
    row_lower, row_upper = base.row_lower.copy(), base.row_upper.copy()
    row_lower[layout.peak_rows] = c.peak_rhs_kw[: layout.peak_rows.size]
    row_lower[layout.balance_rows] = c.balance_rhs_kw
    row_upper[layout.balance_rows] = math.inf if c.curtailment else c.balance_rhs_kw
    row_upper[layout.grid_rows] = c.headroom_kw[layout.grid_slots]
    row_lower[layout.energy_rows] = c.need_kwh
    row_upper[layout.energy_rows] = c.need_kwh
    row_upper[layout.site_rows] = c.site_row_rhs[_ints(row.row for row in c.site_rows)]
    row_lower[layout.fairness_rows] = c.fairness_rhs[layout.fairness_vehicles]
    row_lower[layout.anchor_rows] = c.initial_energy_kwh
    row_upper[layout.anchor_rows] = c.initial_energy_kwh
    entries = np.concatenate(
        [
            layout.balance_entries.sign * c.share[layout.balance_entries.source],
            layout.energy_entries.sign * c.energy_per_kw[layout.energy_entries.source],
            layout.step_entries.sign * c.energy_per_kw[layout.step_entries.source],
            layout.fairness_entries.sign * c.fairness_unmet_coef[layout.fairness_entries.source],
            layout.taper_entries.sign * c.taper_power_coef[layout.taper_entries.source],
        ]
    )
    return LpValues(cost, offset, col_lower, col_upper, row_lower, row_upper, entries)


def compiled_values(layout: LpLayout, lp: highspy.HighsLp) -> LpValues:
    """The changeable numbers as they stand in a HiGHS LP, entries read at the layout's positions
    (slow: for checking an LP built or updated elsewhere)."""
    entries: list[float] = []
    matrix = lp.a_matrix_
    start, index, value = np.asarray(matrix.start_), np.asarray(matrix.index_), np.asarray(matrix.value_)
    for group in _entry_groups(layout):
        for row, column in zip(group.rows.tolist(), group.columns.tolist(), strict=True):
            segment = slice(start[column], start[column + 1])
            hit = np.nonzero(index[segment] == row)[0]
            entries.append(float(value[segment][hit[0]]) if hit.size else 0.0)
    return LpValues(
        cost=np.asarray(lp.col_cost_, dtype=np.float64).copy(),
        offset=float(lp.offset_),
        col_lower=np.asarray(lp.col_lower_, dtype=np.float64).copy(),
        col_upper=np.asarray(lp.col_upper_, dtype=np.float64).copy(),
        row_lower=np.asarray(lp.row_lower_, dtype=np.float64).copy(),
        row_upper=np.asarray(lp.row_upper_, dtype=np.float64).copy(),
        entries=np.array(entries, dtype=np.float64),
    )


def push_changes(highs: HighsSolver, layout: LpLayout, old: LpValues, new: LpValues) -> int:
    """Send HiGHS what differs between two sets of values; returns how many numbers changed."""
    changed = 0
    columns = np.nonzero(new.cost != old.cost)[0].astype(np.int32)
    if columns.size:
        highs.changeColsCost(columns.size, columns, new.cost[columns])
        changed += columns.size
    columns = np.nonzero((new.col_lower != old.col_lower) | (new.col_upper != old.col_upper))[0].astype(np.int32)
    if columns.size:
        highs.changeColsBounds(columns.size, columns, new.col_lower[columns], new.col_upper[columns])
        changed += columns.size
    rows = np.nonzero((new.row_lower != old.row_lower) | (new.row_upper != old.row_upper))[0].astype(np.int32)
    if rows.size:
        highs.changeRowsBounds(rows.size, rows, new.row_lower[rows], new.row_upper[rows])  # type: ignore[attr-defined]
        changed += rows.size
    if new.offset != old.offset:
        highs.changeObjectiveOffset(new.offset)
        changed += 1
    all_rows = np.concatenate([g.rows for g in _entry_groups(layout)])
    all_columns = np.concatenate([g.columns for g in _entry_groups(layout)])
    for k in np.nonzero(new.entries != old.entries)[0].tolist():
        highs.changeCoeff(int(all_rows[k]), int(all_columns[k]), float(new.entries[k]))
        changed += 1
    return changed


def _entry_groups(layout: LpLayout) -> tuple[Entries, ...]:
    return (
        layout.balance_entries,
        layout.energy_entries,
        layout.step_entries,
        layout.fairness_entries,
        layout.taper_entries,
    )
