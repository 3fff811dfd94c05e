"""Why a vehicle leaves short: its stay, itself, or the site.

Checked in this order, the first that holds is the reason:

1. NOT_ENOUGH_TIME: at ``max_power_kw`` for every plugged-in hour the need still could not be met.
2. VEHICLE_LIMIT: the battery has no room for the rest; or the plan held the vehicle at its own
   limit (maximum power, lowered by the taper at the slot's final state of charge) in every slot
   of its stay; or, for dispatchable setpoints, what is missing is less than any one setpoint
   change could add (a step up, or from 0 to the minimum power): the charger's granularity.
3. NOT_ENOUGH_GRID: anything else (site limits, other vehicles' priority, energy dearer than the
   vehicle's penalty).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from optimizer.costs import ENERGY_NOISE_KWH
from optimizer.problem import VehicleRequest
from optimizer.repair_slots import SetpointGrid
from optimizer.schedule import UnmetReason
from optimizer.taper import battery_room_kwh, taper_lines, vehicle_limit_kw

AT_LIMIT_KW = 1e-6
"""A plan within this of the vehicle's limit [kW] is at the limit."""


def unmet_reason(
    vehicle: VehicleRequest,
    power_kw: Sequence[float],
    unmet_kwh: float,
    *,
    dispatchable: bool = False,
    alone_kwh: float | None = None,
) -> UnmetReason | None:
    """The reason a plan leaves ``unmet_kwh`` [kWh] of a vehicle's need unmet (module docstring).

    Parameters
    ----------
    vehicle
        The request.
    power_kw
        Its plan, one power per slot [kW].
    unmet_kwh
        Its unmet energy under that plan [kWh].
    dispatchable
        The plan is made of setpoints that honour ``min_power_kw`` and ``power_step_kw``.
    alone_kwh
        What the vehicle could take at its maximum power over its whole stay [kWh], when already
        computed (for a whole site at once).

    Returns
    -------
    UnmetReason or None
        None when nothing is missing.
    """
    if unmet_kwh <= ENERGY_NOISE_KWH:
        return None
    need_kwh = vehicle.energy_needed_kwh
    if alone_kwh is None:
        alone_kwh = sum(vehicle.max_power_kw * hours * vehicle.efficiency for hours in vehicle.available_h)
    if alone_kwh < need_kwh - ENERGY_NOISE_KWH:
        return UnmetReason.NOT_ENOUGH_TIME
    if battery_room_kwh(vehicle) < need_kwh - ENERGY_NOISE_KWH:
        return UnmetReason.VEHICLE_LIMIT
    if _held_at_vehicle_limit(vehicle, power_kw, dispatchable=dispatchable):
        return UnmetReason.VEHICLE_LIMIT
    if dispatchable and unmet_kwh < _smallest_addition_kwh(vehicle, power_kw):
        return UnmetReason.VEHICLE_LIMIT
    return UnmetReason.NOT_ENOUGH_GRID


def _smallest_addition_kwh(vehicle: VehicleRequest, power_kw: Sequence[float]) -> float:
    """Least energy [kWh] one setpoint change could add: a step up, or from 0 to the lowest setpoint.

    Only changes within the vehicle's limit count; zero when the charger is continuous above its
    minimum in a slot where it charges below its limit, infinite when no change is possible.
    """
    grid = SetpointGrid(vehicle.min_power_kw, vehicle.power_step_kw)
    lines = taper_lines(vehicle.taper)
    smallest_kwh = math.inf
    delivered_kwh = 0.0
    for p_kw, hours in zip(power_kw, vehicle.available_h, strict=True):
        if hours <= 0:
            continue
        limit_kw = vehicle_limit_kw(vehicle, lines, delivered_kwh, hours * vehicle.efficiency)
        delivered_kwh += p_kw * hours * vehicle.efficiency
        higher_kw = grid.above(p_kw)
        if higher_kw is None:
            if p_kw < limit_kw - AT_LIMIT_KW:
                return 0.0
        elif higher_kw <= limit_kw + AT_LIMIT_KW:
            smallest_kwh = min(smallest_kwh, (higher_kw - p_kw) * hours * vehicle.efficiency)
    return smallest_kwh


def _held_at_vehicle_limit(vehicle: VehicleRequest, power_kw: Sequence[float], *, dispatchable: bool) -> bool:
    lines = taper_lines(vehicle.taper)
    step_kw = vehicle.power_step_kw if dispatchable else 0.0
    delivered_kwh = 0.0
    for p_kw, hours in zip(power_kw, vehicle.available_h, strict=True):
        if hours <= 0:
            continue
        # a setpoint one step below the limit is as close as the charger can get
        if p_kw < vehicle_limit_kw(vehicle, lines, delivered_kwh, hours * vehicle.efficiency) - step_kw - AT_LIMIT_KW:
            return False
        delivered_kwh += p_kw * hours * vehicle.efficiency
    return True
