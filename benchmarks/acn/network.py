"""The Caltech ACN's three-phase constraints as the optimiser's phasor limits.

ACN-Sim limits, for each constraint ``i`` and period, the magnitude of a phasor sum of EVSE currents:
``| sum_j A[i, j] * rate_a[j] * exp(1j * phase_deg[j]) | <= limit_a[i]``. The optimiser plans
power, and an EVSE at ``voltage_v`` draws ``1000 / voltage_v`` A per kW, so the same limit reads
``| sum_j coefficient[i, j] * power_kw[j] | <= limit_a[i]`` with
``coefficient[i, j] = A[i, j] * 1000 / voltage_v[j] * exp(1j * phase_deg[j])`` [A/kW].
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from acnportal.acnsim.interface import InfrastructureInfo  # type: ignore[import-untyped]
from acnportal.acnsim.network import ChargingNetwork  # type: ignore[import-untyped]
from acnportal.acnsim.network.sites import caltech_acn  # type: ignore[import-untyped]

from optimizer.problem import PhasorLimit

SAME_ANGLE_RAD = 1e-9
"""Angles closer than this [rad] are the same phase."""


@dataclass(frozen=True, slots=True)
class NetworkModel:
    """What the planner needs to know about a charging network.

    Parameters
    ----------
    station_ids
        EVSEs in the network's order.
    voltages_v, phases_deg
        Supply voltage [V] and current phase angle [deg] of each EVSE.
    constraint_ids, constraint_matrix, limits_a
        One row of ``A`` per constraint, over the stations, and its current limit [A].
    max_pilot_a, min_pilot_a
        Highest and lowest (non-zero) pilot of each EVSE [A].
    allowed_pilots_a
        The pilots an EVSE accepts [A], ascending; ``None`` where any pilot between 0 and the
        maximum is accepted.
    """

    station_ids: tuple[str, ...]
    voltages_v: tuple[float, ...]
    phases_deg: tuple[float, ...]
    constraint_ids: tuple[str, ...]
    constraint_matrix: tuple[tuple[float, ...], ...]
    limits_a: tuple[float, ...]
    max_pilot_a: tuple[float, ...]
    min_pilot_a: tuple[float, ...]
    allowed_pilots_a: tuple[tuple[float, ...] | None, ...]

    def kw_per_a(self, station: int) -> float:
        """Power an EVSE draws per ampere of pilot [kW/A]."""
        return self.voltages_v[station] / 1000.0


def caltech_network(transformer_cap_kw: float, *, basic_evse: bool = False) -> ChargingNetwork:
    """ACN-Sim's Caltech network at 208 V with the given transformer capacity [kW]."""
    if not transformer_cap_kw > 0:
        raise ValueError(f"transformer_cap_kw: must be positive, got {transformer_cap_kw}")
    return caltech_acn(basic_evse=basic_evse, voltage=208, transformer_cap=transformer_cap_kw)


def infrastructure_of(network: ChargingNetwork) -> InfrastructureInfo:
    """The network as the ``InfrastructureInfo`` ACN-Sim hands to algorithms."""
    return InfrastructureInfo(
        network.constraint_matrix,
        network.magnitudes,
        network._phase_angles,
        network._voltages,
        network.constraint_index,
        network.station_ids,
        network.max_pilot_signals,
        network.min_pilot_signals,
        network.allowable_rates,
        network.is_continuous,
    )


def network_model(infrastructure: InfrastructureInfo) -> NetworkModel:
    """Copy an ACN-Sim ``InfrastructureInfo`` into plain, immutable numbers."""
    continuous = [bool(c) for c in infrastructure.is_continuous]
    allowed = tuple(
        None if is_continuous else tuple(sorted(float(a) for a in rates))
        for rates, is_continuous in zip(infrastructure.allowable_pilots, continuous, strict=True)
    )
    matrix = np.asarray(infrastructure.constraint_matrix, dtype=float)
    return NetworkModel(
        station_ids=tuple(str(s) for s in infrastructure.station_ids),
        voltages_v=tuple(float(v) for v in infrastructure.voltages),
        phases_deg=tuple(float(p) for p in infrastructure.phases),
        constraint_ids=tuple(str(c) for c in infrastructure.constraint_ids),
        constraint_matrix=tuple(tuple(float(a) for a in row) for row in matrix),
        limits_a=tuple(float(m) for m in infrastructure.constraint_limits),
        max_pilot_a=tuple(float(m) for m in infrastructure.max_pilot),
        min_pilot_a=tuple(float(m) for m in infrastructure.min_pilot),
        allowed_pilots_a=allowed,
    )


def phasor_limits(
    model: NetworkModel,
    *,
    facets: int,
    connector_keys: Mapping[str, Sequence[str]] | None = None,
) -> tuple[PhasorLimit, ...]:
    """One PhasorLimit per network constraint, with coefficients in A per kW.

    Parameters
    ----------
    model
        The network.
    facets
        Sides of the optimiser's inscribed polygon for the limits that stay complex.
    connector_keys
        The connector keys each station appears under in the ChargingProblem; by default each
        station is one connector keyed by its station id. (A month-long problem gives every session
        its own key, so that one station can carry sessions one after the other.)

    Returns
    -------
    tuple of PhasorLimit
        Named after the constraints. A constraint whose coefficients all share one phase angle (a
        pod on one phase pair) is rotated onto the real axis: ``|exp(1j * theta) * x| = |x|`` for real
        ``x``, so it becomes an exact linear group limit instead of a polygon.
    """
    limits = []
    for name, row, limit_a in zip(model.constraint_ids, model.constraint_matrix, model.limits_a, strict=True):
        per_station = [
            (model.station_ids[j], a * 1000.0 / model.voltages_v[j] * cmath.exp(1j * math.radians(model.phases_deg[j])))
            for j, a in enumerate(row)
            if a != 0
        ]
        angles = [cmath.phase(c) for _, c in per_station]
        if per_station and all(_same_angle(angle, angles[0]) for angle in angles):
            per_station = [(station, complex(abs(c), 0.0)) for station, c in per_station]
        coefficients = tuple(
            (key, c)
            for station, c in per_station
            for key in (connector_keys.get(station, ()) if connector_keys is not None else (station,))
        )
        limits.append(PhasorLimit(name=name, coefficients=coefficients, limit=limit_a, facets=facets))
    return tuple(limits)


def _same_angle(a_rad: float, b_rad: float) -> bool:
    difference = (a_rad - b_rad + math.pi) % (2 * math.pi) - math.pi
    return abs(difference) < SAME_ANGLE_RAD


def limits_that_can_bind(limits: Sequence[PhasorLimit], max_power_kw: Mapping[str, float]) -> tuple[PhasorLimit, ...]:
    """The limits restricted to the connectors in use, without those no plan can reach.

    Parameters
    ----------
    limits
        Phasor limits over all connectors.
    max_power_kw
        Highest power of each connector in use [kW]; the others are left out of every limit.

    Returns
    -------
    tuple of PhasorLimit
        Each limit with only the connectors in use, dropped when
        ``sum_k |coefficient_k| * max_power_kw_k <= limit * cos(pi / facets)``: then even every
        connector at full power stays inside the optimiser's polygon (and inside the exact limit), so
        leaving the limit out changes no plan and spares the LP its rows.
    """
    kept = []
    for limit in limits:
        coefficients = tuple((key, c) for key, c in limit.coefficients if key in max_power_kw)
        worst = sum(abs(c) * max_power_kw[key] for key, c in coefficients)
        if worst > limit.limit * math.cos(math.pi / limit.facets):
            kept.append(PhasorLimit(name=limit.name, coefficients=coefficients, limit=limit.limit, facets=limit.facets))
    return tuple(kept)


def circumscribed(limit: PhasorLimit) -> PhasorLimit:
    """The limit loosened so that the optimiser's inscribed polygon contains the true circle.

    The polygon inscribed in a circle of radius ``limit / cos(pi / facets)`` circumscribes the circle
    of radius ``limit``: a plan within it may pass the true limit by up to that factor, so an optimum
    over it is an upper bound on any plan within the true limit. Collinear coefficients, which the
    optimiser models exactly, keep their limit.
    """
    terms = [complex(c) for _, c in limit.coefficients if c != 0]
    if not terms or _collinear(terms):
        return limit
    loosened = limit.limit / math.cos(math.pi / limit.facets)
    return PhasorLimit(name=limit.name, coefficients=limit.coefficients, limit=loosened, facets=limit.facets)


def _collinear(terms: Sequence[complex]) -> bool:
    scale = max(abs(c) for c in terms)
    direction = terms[0] / abs(terms[0])
    return all(abs((c * direction.conjugate()).imag) <= 1e-12 * scale for c in terms)
