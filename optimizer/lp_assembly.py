"""The charging LP of :mod:`optimizer.model`, assembled straight into HiGHS's matrices.

:mod:`optimizer.model` states the LP in Pyomo, block by block; walking that model into matrices costs
several times what HiGHS then needs to solve it. This module lays the very same rows, columns, bounds
and costs, from the same :class:`~optimizer.coefficients.LpCoefficients`, as numpy arrays in one pass,
and records where each coefficient array landed (:class:`~optimizer.lp_layout.LpLayout`) so that the
re-planner can update the live model in place. ``tests/optimizer/test_lp_assembly.py`` checks that
both give the same optimum on random problems with every optional block.

Columns, in order: ``charge_power_kw`` per pair (``ChargeIndex.pairs`` order), ``grid_import_kw`` and
``grid_export_kw`` per slot, ``unmet_energy_kwh`` per vehicle, ``stored_energy_kwh`` per taper slot,
``worst_unmet_share`` per fairness class, ``power_rise_kw`` then ``power_fall_kw`` per adjacent pair,
and ``peak_import_kw``. Rows, in order: site power balance, grid limit, vehicle energy, taper anchors,
steps and limits, site limits, fairness, power change, peak import (on the net import, plus the
slot's ``peak_margin_kw``).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt

from optimizer.charge_index import ChargeIndex
from optimizer.coefficients import LpCoefficients
from optimizer.highs_backend import HighsSolver, pass_lp_arrays
from optimizer.lp_layout import Entries, LpLayout, LpValues

IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class AssembledLp:
    """An LP as HiGHS's column-wise arrays (minimised), with the positions of its coefficient arrays."""

    n_columns: int
    n_rows: int
    offset: float
    col_cost: FloatArray
    col_lower: FloatArray
    col_upper: FloatArray
    row_lower: FloatArray
    row_upper: FloatArray
    a_start: IntArray
    """Column starts, ``n_columns + 1`` of them."""
    a_index: IntArray
    a_value: FloatArray
    layout: LpLayout

    def pass_to(self, highs: HighsSolver) -> highspy.HighsStatus:
        """Hand the LP to ``highs`` (:func:`optimizer.highs_backend.pass_lp_arrays`)."""
        return pass_lp_arrays(
            highs,
            offset=self.offset,
            col_cost=self.col_cost,
            col_lower=self.col_lower,
            col_upper=self.col_upper,
            row_lower=self.row_lower,
            row_upper=self.row_upper,
            a_start=self.a_start,
            a_index=self.a_index,
            a_value=self.a_value,
        )

    def values(self) -> LpValues:
        """Its changeable numbers, but the matrix entries (left empty: ``lp_layout.lp_values`` fills them)."""
        return LpValues(
            cost=self.col_cost.copy(),
            offset=self.offset,
            col_lower=self.col_lower.copy(),
            col_upper=self.col_upper.copy(),
            row_lower=self.row_lower.copy(),
            row_upper=self.row_upper.copy(),
            entries=np.zeros(0, dtype=np.float64),
        )

    @property
    def lp(self) -> highspy.HighsLp:
        """The same LP as a ``HighsLp`` (slow to build: for inspection and tests)."""
        lp = highspy.HighsLp()
        lp.num_col_ = self.n_columns
        lp.num_row_ = self.n_rows
        lp.offset_ = self.offset
        lp.col_cost_ = self.col_cost
        lp.col_lower_ = self.col_lower
        lp.col_upper_ = self.col_upper
        lp.row_lower_ = self.row_lower
        lp.row_upper_ = self.row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = self.a_start
        lp.a_matrix_.index_ = self.a_index
        lp.a_matrix_.value_ = self.a_value
        return lp


class _Builder:
    """Columns and rows handed out in order, with their bounds, costs and matrix entries."""

    def __init__(self) -> None:
        self.n_columns = 0
        self.n_rows = 0
        self._col_lower: list[FloatArray] = []
        self._col_upper: list[FloatArray] = []
        self._cost: list[FloatArray] = []
        self._row_lower: list[FloatArray] = []
        self._row_upper: list[FloatArray] = []
        self._entry_rows: list[IntArray] = []
        self._entry_columns: list[IntArray] = []
        self._entry_values: list[FloatArray] = []

    def columns(
        self, lower: FloatArray | float, upper: FloatArray | float, cost: FloatArray | float, n: int
    ) -> IntArray:
        first = self.n_columns
        self.n_columns += n
        self._col_lower.append(np.broadcast_to(np.asarray(lower, dtype=np.float64), (n,)))
        self._col_upper.append(np.broadcast_to(np.asarray(upper, dtype=np.float64), (n,)))
        self._cost.append(np.broadcast_to(np.asarray(cost, dtype=np.float64), (n,)))
        return np.arange(first, first + n, dtype=np.int32)

    def rows(self, lower: FloatArray | float, upper: FloatArray | float, n: int) -> IntArray:
        first = self.n_rows
        self.n_rows += n
        self._row_lower.append(np.broadcast_to(np.asarray(lower, dtype=np.float64), (n,)))
        self._row_upper.append(np.broadcast_to(np.asarray(upper, dtype=np.float64), (n,)))
        return np.arange(first, first + n, dtype=np.int32)

    def entries(self, rows: npt.ArrayLike, columns: npt.ArrayLike, values: npt.ArrayLike) -> None:
        rows_array = np.asarray(rows, dtype=np.int32)
        self._entry_rows.append(rows_array)
        self._entry_columns.append(np.asarray(columns, dtype=np.int32))
        self._entry_values.append(np.broadcast_to(np.asarray(values, dtype=np.float64), rows_array.shape))

    def lp(self, offset: float, layout: LpLayout) -> AssembledLp:
        rows = np.concatenate(self._entry_rows) if self._entry_rows else np.zeros(0, dtype=np.int32)
        columns = np.concatenate(self._entry_columns) if self._entry_columns else np.zeros(0, dtype=np.int32)
        values = _concat(self._entry_values)
        keep = values != 0.0
        rows, columns, values = rows[keep], columns[keep], values[keep]
        order = np.lexsort((rows, columns))
        counts = np.bincount(columns, minlength=self.n_columns)
        start = np.zeros(self.n_columns + 1, dtype=np.int32)
        np.cumsum(counts, out=start[1:])
        return AssembledLp(
            n_columns=self.n_columns,
            n_rows=self.n_rows,
            offset=offset,
            col_cost=_concat(self._cost),
            col_lower=_concat(self._col_lower),
            col_upper=_concat(self._col_upper),
            row_lower=_concat(self._row_lower),
            row_upper=_concat(self._row_upper),
            a_start=start,
            a_index=rows[order].astype(np.int32),
            a_value=values[order].astype(np.float64),
            layout=layout,
        )


def _concat(parts: list[FloatArray]) -> FloatArray:
    return np.concatenate(parts).astype(np.float64) if parts else np.zeros(0, dtype=np.float64)


def assemble_lp(index: ChargeIndex, c: LpCoefficients) -> AssembledLp:
    """Lay the charging LP of :func:`optimizer.model.build_model` out as HiGHS matrices.

    Parameters
    ----------
    index
        The problem's charge index.
    c
        The problem's coefficients, for that index.

    Returns
    -------
    AssembledLp
        The LP (minimised) and where each coefficient array sits in it.
    """
    b = _Builder()
    n_slots = len(index.vehicles_by_slot)
    n_vehicles = len(index.slots_by_vehicle)
    n_pairs = len(index.pairs)
    pair_vehicles, pair_slots = index.pair_vehicles, index.pair_slots
    # where each (vehicle, slot) pair sits: only the optional blocks look pairs up
    needs_position = bool(c.taper or c.site_rows) or c.power_change_weight_eur_per_kw > 0
    position = {pair: i for i, pair in enumerate(index.pairs)} if needs_position else {}
    all_pairs = np.arange(n_pairs, dtype=np.int32)

    power = b.columns(0.0, c.power_upper_kw, c.tie_cost, n_pairs)
    grid_import = b.columns(0.0, math.inf, c.import_cost, n_slots)
    grid_export = b.columns(0.0, c.export_upper_kw, c.export_cost, n_slots)
    unmet = b.columns(c.unmet_lower_kwh, math.inf, c.unmet_cost, n_vehicles)

    # site power balance: import - export - sum share * power (= or >=) base load - pv
    balance = b.rows(c.balance_rhs_kw, math.inf if c.curtailment else c.balance_rhs_kw, n_slots)
    b.entries(balance, grid_import, 1.0)
    b.entries(balance, grid_export, -1.0)
    b.entries(balance[pair_slots], power, -c.share)

    # grid limit on the power drawn, for slots where anything may charge
    grid_slots = np.flatnonzero(np.bincount(pair_slots, minlength=n_slots)).astype(np.int32)
    grid = b.rows(-math.inf, c.headroom_kw[grid_slots], grid_slots.size)
    grid_row_of_slot = np.full(n_slots, -1, dtype=np.int32)
    grid_row_of_slot[grid_slots] = grid
    b.entries(grid_row_of_slot[pair_slots], power, 1.0)

    # vehicle energy: delivered + unmet = need
    energy = b.rows(c.need_kwh, c.need_kwh, n_vehicles)
    b.entries(energy[pair_vehicles], power, c.energy_per_kw)
    b.entries(energy, unmet, 1.0)

    anchor_rows, step_rows, step_earlier, taper_rows, taper_columns = _add_taper(b, c, position, power)
    site = _add_site_limits(b, c, position, power)
    fairness_rows, fairness_vehicles, worst = _add_fairness(b, c, unmet)
    changes = _add_power_change(b, c, index, position, power)
    peak_column, peak_rows, offset = _add_peak_import(b, c, grid_import, grid_export)

    layout = LpLayout(
        n_columns=b.n_columns,
        n_rows=b.n_rows,
        import_columns=grid_import,
        export_columns=grid_export,
        unmet_columns=unmet,
        power_columns=power,
        worst_share_columns=worst,
        power_change_columns=changes,
        peak_column=peak_column,
        peak_rows=peak_rows,
        balance_rows=balance,
        grid_rows=grid,
        grid_slots=grid_slots,
        energy_rows=energy,
        site_rows=site,
        fairness_rows=fairness_rows,
        fairness_vehicles=fairness_vehicles,
        anchor_rows=anchor_rows,
        balance_entries=Entries(balance[pair_slots], power, all_pairs, -1.0),
        energy_entries=Entries(energy[pair_vehicles], power, all_pairs, 1.0),
        step_entries=Entries(step_rows, power[step_earlier], step_earlier, -1.0),
        fairness_entries=Entries(fairness_rows, unmet[fairness_vehicles], fairness_vehicles, 1.0),
        taper_entries=Entries(taper_rows, taper_columns, np.arange(taper_rows.size, dtype=np.int32), 1.0),
    )
    return b.lp(offset, layout)


def _add_taper(
    b: _Builder, c: LpCoefficients, position: dict[tuple[int, int], int], power: IntArray
) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray]:
    """Stored energy per taper slot, its anchor and steps, and the taper lines (see ``add_taper``).

    Returns the anchor rows, the step rows with the pair of each step's earlier slot, and the taper
    rows with their power columns (in the order of ``LpCoefficients.taper_power_coef``)."""
    empty = np.zeros(0, dtype=np.int32)
    if not c.taper:
        return empty, empty, empty, empty, empty
    anchors: list[int] = []
    step_rows: list[IntArray] = []
    step_earlier: list[IntArray] = []
    limit_rows: list[IntArray] = []
    limit_columns: list[IntArray] = []
    for terms, initial_kwh in zip(c.taper, c.initial_energy_kwh.tolist(), strict=True):
        v, slots = terms.vehicle, terms.slots
        n = len(slots)
        stored = b.columns(0.0, math.inf, 0.0, n)
        anchor = b.rows(initial_kwh, initial_kwh, 1)
        b.entries(anchor, stored[:1], 1.0)
        anchors.append(int(anchor[0]))
        pair_at = np.fromiter((position[v, t] for t in slots), dtype=np.int32, count=n)
        if n > 1:
            steps = b.rows(0.0, 0.0, n - 1)
            b.entries(steps, stored[1:], 1.0)
            b.entries(steps, stored[:-1], -1.0)
            b.entries(steps, power[pair_at[:-1]], -c.energy_per_kw[pair_at[:-1]])
            step_rows.append(steps)
            step_earlier.append(pair_at[:-1])
        # rows slot-major, lines within a slot: the order of LpCoefficients.taper_power_coef
        n_lines = len(terms.lines)
        limits = b.rows(-math.inf, np.tile([float(i) for _, i in terms.lines], n), n * n_lines)
        limit_rows.append(limits)
        limit_columns.append(np.repeat(power[pair_at], n_lines))
        for k, (slope, _) in enumerate(terms.lines):
            if slope != 0:
                b.entries(limits[k::n_lines], stored, -float(slope) / float(terms.battery_kwh))
    taper_rows = np.concatenate(limit_rows)
    taper_columns = np.concatenate(limit_columns)
    b.entries(taper_rows, taper_columns, c.taper_power_coef)
    return (
        np.array(anchors, dtype=np.int32),
        np.concatenate(step_rows) if step_rows else empty,
        np.concatenate(step_earlier) if step_earlier else empty,
        taper_rows,
        taper_columns,
    )


def _add_site_limits(b: _Builder, c: LpCoefficients, position: dict[tuple[int, int], int], power: IntArray) -> IntArray:
    """One row per phasor-limit row and slot with a vehicle that can push it up."""
    if not c.site_rows:
        return np.zeros(0, dtype=np.int32)
    rhs = c.site_row_rhs[np.fromiter((row.row for row in c.site_rows), dtype=np.int32, count=len(c.site_rows))]
    rows = b.rows(-math.inf, rhs, len(c.site_rows))
    entry_rows = [r for r, row in zip(rows.tolist(), c.site_rows, strict=True) for _ in row.terms]
    entry_columns = [power[position[v, row.slot]] for row in c.site_rows for v, _ in row.terms]
    entry_values = [coefficient for row in c.site_rows for _, coefficient in row.terms]
    b.entries(entry_rows, entry_columns, entry_values)
    return rows


def _add_fairness(b: _Builder, c: LpCoefficients, unmet: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """worst_unmet_share[g] + coef[v] * unmet[v] >= rhs[v] for every member v of class g."""
    empty = np.zeros(0, dtype=np.int32)
    if not c.fairness_classes:
        return empty, empty, empty
    worst = b.columns(0.0, math.inf, c.fairness_weight_eur, len(c.fairness_classes))
    member_classes = np.array([g for g, members in enumerate(c.fairness_classes) for _ in members], dtype=np.int32)
    member_vehicles = np.array([v for members in c.fairness_classes for v in members], dtype=np.int32)
    rows = b.rows(c.fairness_rhs[member_vehicles], math.inf, member_vehicles.size)
    b.entries(rows, worst[member_classes], 1.0)
    b.entries(rows, unmet[member_vehicles], c.fairness_unmet_coef[member_vehicles])
    return rows, member_vehicles, worst


def _add_power_change(
    b: _Builder, c: LpCoefficients, index: ChargeIndex, position: dict[tuple[int, int], int], power: IntArray
) -> IntArray:
    """power[v, t + 1] - power[v, t] - rise[v, t] + fall[v, t] = 0 for consecutive slots of a stay."""
    if c.power_change_weight_eur_per_kw <= 0:
        return np.zeros(0, dtype=np.int32)
    earlier = [
        position[v, t]
        for v, slots in enumerate(index.slots_by_vehicle)
        for t, u in itertools.pairwise(slots)
        if u == t + 1
    ]
    if not earlier:
        return np.zeros(0, dtype=np.int32)
    earlier_pairs = np.array(earlier, dtype=np.int32)
    n = earlier_pairs.size
    rise = b.columns(0.0, math.inf, c.power_change_weight_eur_per_kw, n)
    fall = b.columns(0.0, math.inf, c.power_change_weight_eur_per_kw, n)
    rows = b.rows(0.0, 0.0, n)
    # pairs are vehicle-major with a stay's slots in order: the next slot's pair is the next position
    b.entries(rows, power[earlier_pairs + 1], 1.0)
    b.entries(rows, power[earlier_pairs], -1.0)
    b.entries(rows, rise, -1.0)
    b.entries(rows, fall, 1.0)
    return np.concatenate([rise, fall])


def _add_peak_import(
    b: _Builder, c: LpCoefficients, grid_import: IntArray, grid_export: IntArray
) -> tuple[int, IntArray, float]:
    """peak_import_kw - grid_import_kw[t] + grid_export_kw[t] >= peak_rhs_kw[t], peak at least the
    month's so far; returns (column, rows, offset)."""
    if c.capacity_charge_eur_per_kw <= 0:
        return -1, np.zeros(0, dtype=np.int32), 0.0
    peak = b.columns(c.peak_import_so_far_kw, math.inf, c.capacity_charge_eur_per_kw, 1)
    rows = b.rows(c.peak_rhs_kw, math.inf, grid_import.size)
    b.entries(rows, np.full(grid_import.size, peak[0]), 1.0)
    b.entries(rows, grid_import, -1.0)
    b.entries(rows, grid_export, 1.0)
    return int(peak[0]), rows, -c.capacity_charge_eur_per_kw * c.peak_import_so_far_kw
