"""The promises every schedule keeps, checked the same way for the solver, the fallback and the repair.

Independent of the optimiser's own bookkeeping: the phasor limits are checked on the true magnitude
of the phasor sum, and the taper at each slot's starting state of charge computed here.
"""

from __future__ import annotations

import itertools
import math

import pytest

from optimizer import ChargingProblem, Schedule, VehicleRequest
from optimizer.limits import ev_headroom_kw

TOLERANCE_KW = 1e-6
TOLERANCE_KWH = 1e-6


def assert_safe(problem: ChargingProblem, schedule: Schedule) -> None:
    """No limit is ever exceeded, nothing charges outside the stay, delivered plus unmet is the need."""
    assert [plan.vehicle_id for plan in schedule.plans] == [v.vehicle_id for v in problem.vehicles]
    assert schedule.slot_starts_utc == problem.slot_starts_utc
    for vehicle, plan in zip(problem.vehicles, schedule.plans, strict=True):
        assert len(plan.power_kw) == problem.n_slots
        assert plan.expected == vehicle.expected
        for p_kw, hours in zip(plan.power_kw, vehicle.available_h, strict=True):
            assert 0.0 <= p_kw <= vehicle.max_power_kw + TOLERANCE_KW
            if hours == 0:
                assert p_kw == 0.0
        delivered_kwh = sum(
            p_kw * hours * vehicle.efficiency for p_kw, hours in zip(plan.power_kw, vehicle.available_h, strict=True)
        )
        assert plan.planned_energy_kwh == pytest.approx(delivered_kwh, abs=TOLERANCE_KWH)
        assert plan.planned_energy_kwh <= vehicle.energy_needed_kwh + TOLERANCE_KWH
        assert plan.unmet_energy_kwh >= 0.0
        assert plan.planned_energy_kwh + plan.unmet_energy_kwh == pytest.approx(
            vehicle.energy_needed_kwh, abs=2 * TOLERANCE_KWH
        )
        assert (plan.unmet_reason is None) == (plan.unmet_energy_kwh == 0.0)
        _assert_battery_kept(vehicle, plan.power_kw)
    for t, headroom_kw in enumerate(ev_headroom_kw(problem)):
        slot_total_kw = sum(plan.power_kw[t] for plan in schedule.plans)
        assert schedule.ev_power_kw[t] == pytest.approx(slot_total_kw, abs=TOLERANCE_KW)
        assert slot_total_kw <= headroom_kw + TOLERANCE_KW
    for limit in problem.phasor_limits:
        for t in range(problem.n_slots):
            assert true_magnitude(problem, schedule, limit.coefficients, t) <= limit.limit * (1 + 1e-9) + 1e-6


def true_magnitude(
    problem: ChargingProblem, schedule: Schedule, coefficients: tuple[tuple[str, complex], ...], t: int
) -> float:
    """``|sum_k c_k * power_kw[connector_k]|`` in slot ``t``, over every vehicle on each connector."""
    total = 0j
    for key, coefficient in coefficients:
        for vehicle, plan in zip(problem.vehicles, schedule.plans, strict=True):
            if vehicle.connector_key == key:
                total += complex(coefficient) * plan.power_kw[t]
    return abs(total)


def _assert_battery_kept(vehicle: VehicleRequest, power_kw: tuple[float, ...]) -> None:
    """The taper at each slot's starting state of charge, and the battery's capacity, are kept."""
    if vehicle.battery_kwh is None or vehicle.initial_soc is None:
        return
    stored_kwh = vehicle.initial_soc * vehicle.battery_kwh
    for p_kw, hours in zip(power_kw, vehicle.available_h, strict=True):
        if vehicle.taper and hours > 0:
            soc = stored_kwh / vehicle.battery_kwh
            assert p_kw <= taper_at(vehicle.taper, soc) + TOLERANCE_KW
        stored_kwh += p_kw * hours * vehicle.efficiency
    assert stored_kwh <= vehicle.battery_kwh + TOLERANCE_KWH


def taper_at(taper: tuple[tuple[float, float], ...], soc: float) -> float:
    """The taper curve at ``soc`` by interpolation, end segments extended."""
    for (soc_a, kw_a), (soc_b, kw_b) in itertools.pairwise(taper):
        if soc <= soc_b or (soc_b, kw_b) == taper[-1]:
            return kw_a + (kw_b - kw_a) * (soc - soc_a) / (soc_b - soc_a)
    raise AssertionError("a taper has at least two breakpoints")


def assert_dispatchable(problem: ChargingProblem, schedule: Schedule) -> None:
    """Every setpoint is 0, or at least the minimum and a multiple of the step (to 1e-6 kW), or below
    the lowest setpoint: a draw the vehicle itself holds there (its taper or battery room accept
    less than that), counted at no more than that, or an average the charger gives by holding the
    lowest setpoint for ``part_slot_h`` of the slot. The limits the chargers are then given (the
    lowest setpoint for both) keep the EV headroom and every phasor limit."""
    assert schedule.dispatchable
    installed: list[list[float]] = []
    for vehicle, plan in zip(problem.vehicles, schedule.plans, strict=True):
        lowest_kw = _lowest_setpoint_kw(vehicle)
        stored_kwh = (vehicle.initial_soc or 0.0) * (vehicle.battery_kwh or 0.0)
        row: list[float] = []
        part_slot_h = plan.part_slot_h or (0.0,) * len(plan.power_kw)
        for p_kw, hours, part_h in zip(plan.power_kw, vehicle.available_h, part_slot_h, strict=True):
            row.append(p_kw)
            if p_kw >= lowest_kw - TOLERANCE_KW:
                if vehicle.power_step_kw > 0:
                    steps = p_kw / vehicle.power_step_kw
                    assert abs(steps - round(steps)) * vehicle.power_step_kw <= TOLERANCE_KW
                assert part_h == 0
            elif p_kw > 0:
                accepts_kw = _accepts_kw(vehicle, stored_kwh, hours)
                assert p_kw <= accepts_kw + TOLERANCE_KW
                if part_h > 0:
                    # the lowest setpoint for part of the slot gives the planned average
                    assert part_h * lowest_kw == pytest.approx(p_kw * hours, abs=1e-6), (
                        part_h * lowest_kw,
                        p_kw * hours,
                    )
                    assert part_h < hours
                else:
                    assert accepts_kw < lowest_kw, f"{vehicle.vehicle_id}: {p_kw} kW below the minimum, not held"
                row[-1] = lowest_kw
            else:
                assert part_h == 0
            stored_kwh += p_kw * hours * vehicle.efficiency
        installed.append(row)
    for t, headroom_kw in enumerate(ev_headroom_kw(problem)):
        assert sum(row[t] for row in installed) <= headroom_kw + TOLERANCE_KW
    for limit in problem.phasor_limits:
        for t in range(problem.n_slots):
            total = 0j
            for key, coefficient in limit.coefficients:
                for vehicle, row in zip(problem.vehicles, installed, strict=True):
                    if vehicle.connector_key == key:
                        total += complex(coefficient) * row[t]
            assert abs(total) <= limit.limit * (1 + 1e-9) + 1e-6


def _lowest_setpoint_kw(vehicle: VehicleRequest) -> float:
    if vehicle.power_step_kw <= 0:
        return vehicle.min_power_kw
    return max(1, math.ceil(vehicle.min_power_kw / vehicle.power_step_kw - 1e-9)) * vehicle.power_step_kw


def _accepts_kw(vehicle: VehicleRequest, stored_kwh: float, hours: float) -> float:
    """What the vehicle takes at most at the slot's start: its taper and maximum, and its battery's room."""
    if vehicle.battery_kwh is None or vehicle.initial_soc is None:
        return vehicle.max_power_kw
    accepts_kw = vehicle.max_power_kw
    if vehicle.taper:
        # the slot's power as the taper allows it at the slot's end, found by bisection:
        # the largest p with p <= taper(soc at the start + p * hours * efficiency / battery)
        battery_kwh, per_kw = vehicle.battery_kwh, hours * vehicle.efficiency
        low, high = 0.0, max(0.0, taper_at(vehicle.taper, stored_kwh / battery_kwh))
        for _ in range(60):
            middle = (low + high) / 2
            if middle <= taper_at(vehicle.taper, (stored_kwh + middle * per_kw) / battery_kwh):
                low = middle
            else:
                high = middle
        accepts_kw = min(accepts_kw, high)
    room_kwh = vehicle.battery_kwh - stored_kwh
    return max(0.0, min(accepts_kw, room_kwh / (hours * vehicle.efficiency)))
