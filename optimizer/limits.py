"""Phasor limits as linear rows: exact when the coefficients line up, an inscribed polygon otherwise.

A :class:`~optimizer.problem.PhasorLimit` bounds ``|z|`` with ``z = sum_k c_k * p_k`` (complex
``c_k``, power ``p_k >= 0``). When every ``c_k`` lies on one line through the origin,
``c_k = r_k * u`` with real ``r_k`` and ``|u| = 1``, so ``|z| = |sum_k r_k p_k|`` and two linear rows
are exact (one when all ``r_k`` share a sign: real non-negative coefficients give a plain group
limit). Otherwise ``|z| <= L`` is replaced by the regular ``N``-gon inscribed in that circle: for
``theta_j = 2 pi j / N``, ``Re(z) cos(theta_j) + Im(z) sin(theta_j) <= L cos(pi / N)``. Its vertices lie
on the circle, so any plan inside it has ``|z| <= L``, and it contains the circle of radius
``L cos(pi / N)``: the plan gives up at most ``1 - cos(pi / N)`` of the limit.

Every row reads ``sum coefficient * charge_power_kw <= rhs`` with ``rhs >= 0``, so charging nothing
always satisfies it; rows without a positive coefficient can never bind and are left out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from optimizer.problem import ChargingProblem, PhasorLimit

COLLINEAR_TOLERANCE = 1e-12
"""Relative imaginary part below which a coefficient counts as on the common line."""


@dataclass(frozen=True, slots=True)
class ConnectorRow:
    """``sum_k coefficient_k * power_kw[connector_k] <= rhs`` in every slot, ``rhs >= 0``."""

    name: str
    coefficients: tuple[tuple[str, float], ...]
    """``(connector_key, coefficient)``, at least one positive."""
    rhs: float
    exact: bool
    """True when the row is the limit itself, False for a facet of the inscribed polygon."""


def limit_rows(limit: PhasorLimit) -> tuple[ConnectorRow, ...]:
    """The linear rows that keep one phasor limit (see the module docstring).

    Parameters
    ----------
    limit
        A phasor limit; repeated connectors have their coefficients added.

    Returns
    -------
    tuple of ConnectorRow
        One or two exact rows for collinear coefficients, else up to ``facets`` polygon rows.
    """
    summed: dict[str, complex] = {}
    for key, coefficient in limit.coefficients:
        summed[key] = summed.get(key, 0j) + complex(coefficient)
    terms = [(key, c) for key, c in summed.items() if c != 0]
    if not terms:
        return ()
    scale = max(abs(c) for _, c in terms)
    direction = terms[0][1] / abs(terms[0][1])
    along = [(key, c * direction.conjugate()) for key, c in terms]
    if all(abs(c.imag) <= COLLINEAR_TOLERANCE * scale for _, c in along):
        rows = [
            _row(f"{limit.name}", [(key, c.real) for key, c in along], limit.limit, exact=True),
            _row(f"{limit.name} (opposite)", [(key, -c.real) for key, c in along], limit.limit, exact=True),
        ]
    else:
        rhs = limit.limit * math.cos(math.pi / limit.facets)
        rows = []
        for j in range(limit.facets):
            theta = 2.0 * math.pi * j / limit.facets
            cos_t, sin_t = math.cos(theta), math.sin(theta)
            facet = [(key, c.real * cos_t + c.imag * sin_t) for key, c in terms]
            rows.append(_row(f"{limit.name} facet {j}", facet, rhs, exact=False, scale=scale))
    return tuple(row for row in rows if row is not None)


def _row(
    name: str, terms: Sequence[tuple[str, float]], rhs: float, *, exact: bool, scale: float = 0.0
) -> ConnectorRow | None:
    # A facet nearly parallel to a coefficient leaves a rounding-sized projection: drop it.
    kept = tuple((key, c) for key, c in terms if abs(c) > COLLINEAR_TOLERANCE * scale)
    if not any(c > 0 for _, c in kept):
        return None
    return ConnectorRow(name=name, coefficients=kept, rhs=rhs, exact=exact)


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


def site_rows(problem: ChargingProblem) -> tuple[ConnectorRow, ...]:
    """The rows of every phasor limit of the problem, in order."""
    return tuple(row for limit in problem.phasor_limits for row in limit_rows(limit))


@dataclass(frozen=True, slots=True)
class RowMatrix:
    """Rows over a fixed list of columns (vehicles, or connectors), as a dense matrix."""

    coefficients: npt.NDArray[np.float64]
    """Shape (rows, columns)."""
    rhs: npt.NDArray[np.float64]
    """Shape (rows,)."""

    @property
    def n_rows(self) -> int:
        return int(self.rhs.shape[0])

    def lhs(self, power_kw: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Left-hand sides for one power per column [kW]."""
        return self.coefficients @ power_kw

    def headroom_kw(self, lhs: npt.NDArray[np.float64], column: int) -> float:
        """Most power [kW] column ``column`` may add to a slot whose rows read ``lhs``.

        Rows where the column's coefficient is not positive never stop it; an already violated row
        gives 0.
        """
        if not self.n_rows:
            return math.inf
        c = self.coefficients[:, column]
        binding = c > 0
        if not binding.any():
            return math.inf
        return max(0.0, float(np.min((self.rhs[binding] - lhs[binding]) / c[binding])))

    def scale_to_fit(self, lhs: npt.NDArray[np.float64], slack: float) -> float:
        """Largest factor in (0, 1] by which scaling every power keeps each row (``rhs >= 0``)."""
        if not self.n_rows:
            return 1.0
        over = lhs > self.rhs + slack
        if not over.any():
            return 1.0
        return float(np.min(self.rhs[over] / lhs[over]))


def row_matrix(rows: Sequence[ConnectorRow], column_keys: Sequence[str]) -> RowMatrix:
    """Lay connector rows over columns: column ``i`` is on connector ``column_keys[i]``.

    Several columns may share a connector (a plugged vehicle and an expected one); each gets the
    connector's coefficient. Connectors without a column are ignored.
    """
    columns_of: dict[str, list[int]] = {}
    for i, key in enumerate(column_keys):
        columns_of.setdefault(key, []).append(i)
    matrix = np.zeros((len(rows), len(column_keys)))
    for r, row in enumerate(rows):
        for key, coefficient in row.coefficients:
            for i in columns_of.get(key, ()):
                matrix[r, i] = coefficient
    return RowMatrix(coefficients=matrix, rhs=np.array([row.rhs for row in rows], dtype=np.float64))


def vehicle_row_matrix(problem: ChargingProblem) -> RowMatrix:
    """The problem's phasor rows over its vehicles."""
    return row_matrix(site_rows(problem), [v.connector_key for v in problem.vehicles])
