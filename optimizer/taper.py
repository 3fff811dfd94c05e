"""What a vehicle's battery accepts: its taper curve and the energy it still has room for.

A taper is a concave piecewise-linear curve of grid-side power against state of charge, so it is the
lowest of the lines through its segments: ``limit(soc) = min_k (slope_k * soc + intercept_k)``. The
LP holds one constraint per line; the fallback, the safety pass and the repair evaluate the same
lines, falling ones at the state of charge at the end of each slot (:func:`vehicle_limit_kw`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from optimizer.problem import ProblemError, VehicleRequest

CONCAVITY_SLACK = 1e-9
"""Slope increase [kW per unit SoC] still taken as concave: rounding in breakpoints read from files."""

TaperLine = tuple[float, float]
"""``(slope_kw_per_soc, intercept_kw)``: one segment of a taper, extended to a line."""


def taper_lines(taper: Sequence[tuple[float, float]]) -> tuple[TaperLine, ...]:
    """The line through each segment of a taper.

    Parameters
    ----------
    taper
        ``(soc, max_power_kw)`` breakpoints, ``soc`` strictly increasing (checked by
        :func:`check_taper`).

    Returns
    -------
    tuple of (float, float)
        ``(slope [kW per unit SoC], intercept [kW])`` per segment, without repeats; empty for an
        empty taper.
    """
    lines: list[TaperLine] = []
    for (soc_a, kw_a), (soc_b, kw_b) in itertools.pairwise(taper):
        slope = (kw_b - kw_a) / (soc_b - soc_a)
        line = (slope, kw_a - slope * soc_a)
        if line not in lines:
            lines.append(line)
    return tuple(lines)


def taper_limit_kw(lines: Sequence[TaperLine], soc: float) -> float:
    """Highest power [kW] the taper allows at a state of charge [-]; infinite without a taper."""
    return min((slope * soc + intercept for slope, intercept in lines), default=math.inf)


def battery_room_kwh(vehicle: VehicleRequest) -> float:
    """Energy the battery can still take [kWh]: infinite unless capacity and SoC are known."""
    if vehicle.battery_kwh is None or vehicle.initial_soc is None:
        return math.inf
    return max(0.0, (1.0 - vehicle.initial_soc) * vehicle.battery_kwh)


def deliverable_cap_kwh(vehicle: VehicleRequest) -> float:
    """Most battery energy [kWh] any plan may deliver: the need, or less when the battery is fuller."""
    return min(vehicle.energy_needed_kwh, battery_room_kwh(vehicle))


def unavoidable_unmet_kwh(vehicle: VehicleRequest) -> float:
    """Unmet energy [kWh] even with the site to itself: at ``max_power_kw`` for its whole stay.

    Within the battery's room; the taper is ignored, so this may be less than what is truly
    unavoidable.
    """
    alone_kwh = sum(vehicle.max_power_kw * hours * vehicle.efficiency for hours in vehicle.available_h)
    return max(0.0, vehicle.energy_needed_kwh - min(alone_kwh, battery_room_kwh(vehicle)))


def initial_energy_kwh(vehicle: VehicleRequest) -> float:
    """Energy stored now [kWh]; 0 when the battery is unknown (then no taper applies)."""
    if vehicle.battery_kwh is None or vehicle.initial_soc is None:
        return 0.0
    return vehicle.initial_soc * vehicle.battery_kwh


def vehicle_limit_kw(
    vehicle: VehicleRequest, lines: Sequence[TaperLine], delivered_kwh: float, energy_per_kw: float = 0.0
) -> float:
    """Highest power [kW] the vehicle accepts after ``delivered_kwh`` [kWh] charged in this horizon.

    ``max_power_kw``, lowered by the taper at the state of charge reached; never negative. For a
    slot in which each kW delivers ``energy_per_kw`` [kWh], falling taper lines hold the slot's
    power at what they allow at the slot's END (as the LP does,
    :func:`optimizer.coefficients.taper_power_coefficients`); 0 gives the limit at the slot's start.

    A charger holds one limit for the whole slot while the power the battery accepts falls as it
    fills: only a limit the battery still accepts at the slot's end is drawn in full. A limit at
    what it accepts halfway is drawn in the first half and not in the second, and each re-plan
    within the slot finds less than was planned (up to 0.2 kWh short at departure).
    """
    battery_kwh = vehicle.battery_kwh
    if not lines or battery_kwh is None:
        return vehicle.max_power_kw
    soc = (initial_energy_kwh(vehicle) + delivered_kwh) / battery_kwh
    limit_kw = math.inf
    for slope, intercept in lines:
        line_kw = slope * soc + intercept
        if slope < 0:
            line_kw /= 1.0 - slope * energy_per_kw / battery_kwh
        limit_kw = min(limit_kw, line_kw)
    return max(0.0, min(vehicle.max_power_kw, limit_kw))


def vehicle_limits_kw(
    vehicle: VehicleRequest,
    lines: Sequence[TaperLine],
    delivered_kwh: npt.NDArray[np.float64],
    energy_per_kw: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """:func:`vehicle_limit_kw` for many slots at once: ``delivered_kwh`` before each, ``energy_per_kw`` in each."""
    battery_kwh = vehicle.battery_kwh
    if not lines or battery_kwh is None:
        return np.full(delivered_kwh.shape, vehicle.max_power_kw)
    soc = (initial_energy_kwh(vehicle) + delivered_kwh) / battery_kwh
    limit_kw = np.full(delivered_kwh.shape, math.inf)
    for slope, intercept in lines:
        line_kw = slope * soc + intercept
        if slope < 0:
            line_kw /= 1.0 - slope * energy_per_kw / battery_kwh
        np.minimum(limit_kw, line_kw, out=limit_kw)
    limits: npt.NDArray[np.float64] = np.maximum(0.0, np.minimum(vehicle.max_power_kw, limit_kw))
    return limits


def soc_after(vehicle: VehicleRequest, delivered_kwh: float) -> float | None:
    """State of charge [-] after ``delivered_kwh`` [kWh]; None when the battery is unknown."""
    if vehicle.battery_kwh is None or vehicle.initial_soc is None:
        return None
    return vehicle.initial_soc + delivered_kwh / vehicle.battery_kwh


def check_taper(vehicle: VehicleRequest, where: str) -> None:
    """Raise ProblemError unless the vehicle's battery fields and taper make sense.

    ``battery_kwh`` positive, ``initial_soc`` in [0, 1]; a taper has at least two breakpoints with
    ``soc`` strictly increasing in [0, 1], finite non-negative powers, non-increasing slopes
    (concave), needs both battery fields, and allows no negative power between ``initial_soc`` and a
    full battery (so charging nothing is always possible).
    """
    if vehicle.battery_kwh is not None and not (math.isfinite(vehicle.battery_kwh) and vehicle.battery_kwh > 0):
        raise ProblemError(f"{where}.battery_kwh: must be a positive number, got {vehicle.battery_kwh}")
    if vehicle.initial_soc is not None and not 0.0 <= vehicle.initial_soc <= 1.0:
        raise ProblemError(f"{where}.initial_soc: must lie in [0, 1], got {vehicle.initial_soc}")
    taper = vehicle.taper
    if not taper:
        return
    if vehicle.battery_kwh is None or vehicle.initial_soc is None:
        raise ProblemError(f"{where}.taper: needs battery_kwh and initial_soc")
    if len(taper) < 2:
        raise ProblemError(f"{where}.taper: needs at least two (soc, max_power_kw) breakpoints")
    for soc, power_kw in taper:
        if not (math.isfinite(soc) and math.isfinite(power_kw)) or not 0.0 <= soc <= 1.0 or power_kw < 0:
            raise ProblemError(f"{where}.taper: breakpoint ({soc}, {power_kw}) needs soc in [0, 1] and power >= 0")
    if any(b[0] <= a[0] for a, b in itertools.pairwise(taper)):
        raise ProblemError(f"{where}.taper: soc must increase strictly")
    slopes = [(b[1] - a[1]) / (b[0] - a[0]) for a, b in itertools.pairwise(taper)]
    if any(later > earlier + CONCAVITY_SLACK * max(1.0, abs(earlier)) for earlier, later in itertools.pairwise(slopes)):
        raise ProblemError(f"{where}.taper: must be concave (slopes may not increase)")
    lines = taper_lines(taper)
    if min(taper_limit_kw(lines, vehicle.initial_soc), taper_limit_kw(lines, 1.0)) < -CONCAVITY_SLACK:
        raise ProblemError(f"{where}.taper: extended segments go below 0 kW between initial_soc and a full battery")
