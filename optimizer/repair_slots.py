"""Bookkeeping for the repair: what each charger can hold, each vehicle's state, each slot's limits."""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from optimizer.costs import can_charge
from optimizer.limits import ev_headroom_kw, vehicle_row_matrix
from optimizer.problem import ChargingProblem, VehicleRequest
from optimizer.taper import (
    battery_room_kwh,
    deliverable_cap_kwh,
    initial_energy_kwh,
    taper_lines,
    vehicle_limit_kw,
)

LIMIT_SLACK = 1e-9
"""Excess [kW, kWh, or the row's unit] taken as rounding, not a violation."""

SETPOINT_DECIMALS = 6
"""Setpoints are rounded down to 1e-6 kW, the grid the safety pass snaps noise onto: it leaves them alone."""


def _quantized(power_kw: float) -> float:
    scale = 10.0**SETPOINT_DECIMALS
    return math.floor(power_kw * scale + 1e-6) / scale


@dataclass(frozen=True, slots=True)
class SetpointGrid:
    """The powers a charger can hold: 0, or from ``min_kw`` up in steps of ``step_kw`` (any, if 0)."""

    min_kw: float
    step_kw: float
    lowest_kw: float = field(init=False)
    """Smallest non-zero setpoint [kW]: the minimum, rounded up onto the steps."""

    def __post_init__(self) -> None:
        lowest_kw = self.min_kw
        if self.step_kw > 0:
            lowest_kw = _quantized(max(1, math.ceil(self.min_kw / self.step_kw - 1e-9)) * self.step_kw)
        object.__setattr__(self, "lowest_kw", lowest_kw)

    def floor(self, power_kw: float) -> float:
        """Largest setpoint at or below ``power_kw`` [kW]."""
        if power_kw <= 0 or power_kw < self.lowest_kw - LIMIT_SLACK:
            return 0.0
        if self.step_kw <= 0:
            return power_kw
        return _quantized(math.floor(power_kw / self.step_kw + 1e-9) * self.step_kw)

    def installed_kw(self, power_kw: float) -> float:
        """The limit a charger is given for a planned draw [kW]: the lowest setpoint for a draw below
        it (held by the vehicle, :meth:`VehicleState.held_kw`, or for part of the slot,
        :meth:`VehicleState.part_slot_h`), the draw itself otherwise."""
        return self.lowest_kw if 0 < power_kw < self.lowest_kw else power_kw

    def above(self, power_kw: float) -> float | None:
        """Next setpoint above ``power_kw`` [kW]; None where any higher power would do (no steps)."""
        if power_kw < self.lowest_kw - LIMIT_SLACK:
            return self.lowest_kw if self.lowest_kw > 0 else None
        if self.step_kw <= 0:
            return None
        return _quantized((math.floor(power_kw / self.step_kw + 1e-9) + 1) * self.step_kw)


class VehicleState:
    """One vehicle during the repair: its target, its setpoints so far, and its limits."""

    def __init__(self, vehicle: VehicleRequest, target_kw: Sequence[float], durations_h: Sequence[float]) -> None:
        self.vehicle = vehicle
        self.target_kw = list(target_kw)
        self.grid = SetpointGrid(vehicle.min_power_kw, vehicle.power_step_kw)
        self.setpoint_kw = [0.0] * len(target_kw)
        self.energy_per_kw = [hours * vehicle.efficiency for hours in vehicle.available_h]
        self.share = [hours / duration_h for hours, duration_h in zip(vehicle.available_h, durations_h, strict=True)]
        charging = can_charge(vehicle)
        self.slots = tuple(t for t, hours in enumerate(vehicle.available_h) if charging and hours > 0)
        self._slot_set = frozenset(self.slots)
        self.last_slot = self.slots[-1] if self.slots else -1
        self.cap_kwh = deliverable_cap_kwh(vehicle)
        self.lines = taper_lines(vehicle.taper)
        self._slot_array = np.asarray(self.slots, dtype=np.int64)
        self._slot_energy_per_kw = np.asarray(self.energy_per_kw, dtype=np.float64)[self._slot_array]
        self._slopes = np.array([[slope] for slope, _ in self.lines], dtype=np.float64)
        self._intercepts = np.array([[intercept] for _, intercept in self.lines], dtype=np.float64)
        self._delivered_by_slot_kwh: list[float] | None = None
        """Cumulative energy of the setpoints at the end of each slot of the stay, while they stand."""
        self.delivered_kwh = 0.0
        """Delivered by the slots closed so far in the forward pass [kWh]."""
        self.target_so_far_kwh = 0.0
        self._total_kwh = 0.0
        self.target_total_kwh = sum(p * e for p, e in zip(self.target_kw, self.energy_per_kw, strict=True))

    def present(self, t: int) -> bool:
        return t in self._slot_set

    def aim_kw(self, t: int) -> float:
        """Target power in slot ``t`` plus the energy fallen behind the target so far [kW]."""
        return self.target_kw[t] + (self.target_so_far_kwh - self.delivered_kwh) / self.energy_per_kw[t]

    def upper_kw(self, t: int) -> float:
        """Most the vehicle accepts in slot ``t`` after the slots closed so far [kW]."""
        left_kwh = max(0.0, self.cap_kwh - self.delivered_kwh)
        own_kw = vehicle_limit_kw(self.vehicle, self.lines, self.delivered_kwh, self.energy_per_kw[t])
        return min(own_kw, left_kwh / self.energy_per_kw[t])

    def held_kw(self, t: int) -> float:
        """What the plan counts for slot ``t`` when the charger offers the lowest setpoint and the vehicle
        itself (its taper or its battery's room) takes less than that [kW]: its own limit, or its
        remaining need if smaller; 0 when it would take the whole setpoint.

        A charger cannot be set below its minimum current, but it need not be: it offers the
        minimum and a nearly full battery takes what it accepts. Without this the last few percent
        of a battery whose taper falls below 6 A would never charge.
        """
        accepts_kw = vehicle_limit_kw(self.vehicle, self.lines, self.delivered_kwh, self.energy_per_kw[t])
        room_kwh = battery_room_kwh(self.vehicle) - self.delivered_kwh
        accepts_kw = min(accepts_kw, max(0.0, room_kwh) / self.energy_per_kw[t])
        if not 0 < accepts_kw < self.grid.lowest_kw - LIMIT_SLACK:
            return 0.0
        # the plan counts no more than the need; the vehicle may take a little more, never above
        # what it accepts (less than one lowest setpoint for one slot)
        return self.upper_kw(t)

    def part_slot_h(self, t: int) -> float:
        """How long from the start of slot ``t`` the charger holds the lowest setpoint [h], where the
        setpoint is an average below it because the vehicle needs less than a whole slot of it:
        ``setpoint x hours / lowest``. 0 for a whole-slot setpoint (0, at least the lowest, or a
        draw the vehicle holds below the lowest by itself, which it accepts for the whole slot)."""
        power_kw = self.setpoint_kw[t]
        lowest_kw = self.grid.lowest_kw
        if not 0 < power_kw < lowest_kw - LIMIT_SLACK:
            return 0.0
        room_kwh = battery_room_kwh(self.vehicle) - self._delivered_before_kwh(t)
        accepts_kw = min(self.limit_at_kw(t), max(0.0, room_kwh) / self.energy_per_kw[t])
        if accepts_kw < lowest_kw - LIMIT_SLACK:
            return 0.0
        return power_kw * self.vehicle.available_h[t] / lowest_kw

    def close_slot(self, t: int) -> None:
        self.delivered_kwh += self.setpoint_kw[t] * self.energy_per_kw[t]
        self.target_so_far_kwh += self.target_kw[t] * self.energy_per_kw[t]

    def set_power(self, t: int, power_kw: float) -> None:
        self._total_kwh += (power_kw - self.setpoint_kw[t]) * self.energy_per_kw[t]
        self.setpoint_kw[t] = power_kw
        self._delivered_by_slot_kwh = None

    def total_kwh(self) -> float:
        """Energy all setpoints deliver [kWh]."""
        return self._total_kwh

    def lost_kwh(self) -> float:
        """Energy the setpoints deliver less than the target [kWh] (negative when more)."""
        return self.target_total_kwh - self.total_kwh()

    def room_left_kwh(self) -> float:
        """Energy the setpoints may still add before passing the need or the battery's room [kWh]."""
        return max(0.0, self.cap_kwh - self.total_kwh())

    def limit_at_kw(self, t: int) -> float:
        """The vehicle's own limit in slot ``t`` (maximum power, taper) under the current setpoints [kW]."""
        if not self.lines:
            return self.vehicle.max_power_kw
        return vehicle_limit_kw(self.vehicle, self.lines, self._delivered_before_kwh(t), self.energy_per_kw[t])

    def _delivered_before_kwh(self, t: int) -> float:
        """Energy the setpoints of the slots before ``t`` deliver [kWh]."""
        if self._delivered_by_slot_kwh is None:
            self._delivered_by_slot_kwh = np.cumsum(self._slot_setpoints_kw() * self._slot_energy_per_kw).tolist()
        earlier = bisect.bisect_left(self.slots, t)
        return self._delivered_by_slot_kwh[earlier - 1] if earlier else 0.0

    def best_cut(self, t: int, excess_kwh: float) -> tuple[int, float] | None:
        """The other slot whose setpoint, lowered by at least ``excess_kwh``, gives up the least:
        ``(slot, lowered setpoint [kW])``, or None when no other slot charges."""
        best: tuple[float, int, float] | None = None
        for u in self.slots:
            current_kw = self.setpoint_kw[u]
            if u == t or current_kw <= 0:
                continue
            lowered_kw = self.grid.floor(current_kw - excess_kwh / self.energy_per_kw[u])
            cut_kwh = (current_kw - lowered_kw) * self.energy_per_kw[u]
            if best is None or cut_kwh < best[0]:
                best = (cut_kwh, u, lowered_kw)
        return None if best is None else (best[1], best[2])

    def _slot_setpoints_kw(self) -> npt.NDArray[np.float64]:
        return np.asarray(self.setpoint_kw, dtype=np.float64)[self._slot_array]

    def _limits_after_kw(self, delivered_kwh: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """:func:`~optimizer.taper.vehicle_limit_kw` for an array of energies delivered [kW]."""
        battery_kwh = self.vehicle.battery_kwh
        if not self.lines or battery_kwh is None:
            return np.full(delivered_kwh.shape, self.vehicle.max_power_kw)
        soc = (initial_energy_kwh(self.vehicle) + delivered_kwh) / battery_kwh
        lines_kw = self._slopes * soc + self._intercepts
        # falling lines at the slot's end, as vehicle_limit_kw
        lines_kw /= 1.0 - np.minimum(self._slopes, 0.0) * self._slot_energy_per_kw / battery_kwh
        taper_kw: npt.NDArray[np.float64] = np.min(lines_kw, axis=0)
        return np.maximum(0.0, np.minimum(self.vehicle.max_power_kw, taper_kw))

    def upper_at_kw(self, t: int) -> float:
        """Most slot ``t`` may hold with every other setpoint as it is: own limit, need and room [kW]."""
        left_kwh = self.room_left_kwh() + self.setpoint_kw[t] * self.energy_per_kw[t]
        return min(self.limit_at_kw(t), left_kwh / self.energy_per_kw[t])

    def within_limits(self) -> bool:
        """Whether every setpoint keeps the taper (falling lines at its slot's end), the need and the room."""
        if not self.lines or not self.slots:
            return self._total_kwh <= self.cap_kwh + LIMIT_SLACK
        setpoints_kw = self._slot_setpoints_kw()
        delivered_kwh = np.cumsum(setpoints_kw * self._slot_energy_per_kw)
        before_kwh = np.concatenate(([0.0], delivered_kwh[:-1]))
        if bool((setpoints_kw > self._limits_after_kw(before_kwh) + LIMIT_SLACK).any()):
            return False
        return float(delivered_kwh[-1]) <= self.cap_kwh + LIMIT_SLACK


@dataclass(frozen=True, slots=True)
class Excess:
    """How far a slot is over its limits: the EV headroom [kW] and each phasor row."""

    grid_kw: float
    rows: npt.NDArray[np.float64]


class SlotState:
    """Every slot's totals under the setpoints: EV power, phasor rows, and average net import."""

    def __init__(self, problem: ChargingProblem, target_net_kw: Sequence[float] | None = None) -> None:
        self.problem = problem
        self.headroom_kw = list(ev_headroom_kw(problem))
        self.total_kw = [0.0] * problem.n_slots
        self.rows = vehicle_row_matrix(problem)
        self.has_rows = self.rows.n_rows > 0
        self.lhs = np.zeros((self.rows.n_rows, problem.n_slots))
        self.net_kw = [base - pv for base, pv in zip(problem.base_load_kw, problem.pv_kw, strict=True)]
        self.peak_margin_kw = problem.peak_margins_kw()
        self.peak_cap_kw = math.inf
        """The highest import the peak sees under the target plan, or the month's so far if higher [kW];
        infinite without a capacity charge."""
        if problem.capacity_charge_eur_per_kw > 0 and target_net_kw is not None:
            target_peak_kw = max((n + s for n, s in zip(target_net_kw, self.peak_margin_kw, strict=True)), default=0.0)
            self.peak_cap_kw = max(problem.peak_import_so_far_kw, target_peak_kw)

    def peak_room_kw(self, t: int) -> float:
        """How far slot ``t``'s average import may rise before the peak passes the cap [kW]."""
        room_kw = self.peak_cap_kw - self.net_kw[t] - self.peak_margin_kw[t]
        return room_kw if room_kw > LIMIT_SLACK else 0.0

    def under_peak(self, t: int, delta_avg_kw: float) -> bool:
        return delta_avg_kw <= self.peak_room_kw(t) + LIMIT_SLACK

    def over_peak(self, t: int) -> bool:
        return self.net_kw[t] + self.peak_margin_kw[t] > self.peak_cap_kw + LIMIT_SLACK

    def set(self, v: int, t: int, state: VehicleState, power_kw: float) -> None:
        """Plan ``power_kw`` for vehicle ``v`` in slot ``t``: the limits count what its charger is
        given (:meth:`SetpointGrid.installed_kw`), the bill what the vehicle draws.

        A vehicle held below the lowest setpoint draws anything from its planned power up to what
        the charger is given, so each phasor row counts the worse end: the limit given where the
        vehicle's coefficient is positive, the planned draw where it is negative (a phase-current
        facet that a larger draw on this connector would ease)."""
        installed_delta_kw = state.grid.installed_kw(power_kw) - state.grid.installed_kw(state.setpoint_kw[t])
        drawn_delta_kw = power_kw - state.setpoint_kw[t]
        state.set_power(t, power_kw)
        self.total_kw[t] += installed_delta_kw
        self.net_kw[t] += drawn_delta_kw * state.share[t]
        if self.has_rows:
            c = self.rows.coefficients[:, v]
            self.lhs[:, t] += np.where(c > 0, c * installed_delta_kw, c * drawn_delta_kw)

    def worst_excess(self, t: int) -> Excess | None:
        """The slot's excess over its limits, or None when it fits."""
        grid_kw = self.total_kw[t] - self.headroom_kw[t]
        rows = self.lhs[:, t] - self.rows.rhs if self.has_rows else np.zeros(0)
        if grid_kw <= LIMIT_SLACK and not (rows > LIMIT_SLACK).any():
            return None
        return Excess(grid_kw=max(0.0, grid_kw), rows=np.where(rows > LIMIT_SLACK, rows, 0.0))

    def reduction_needed_kw(self, v: int, t: int, excess: Excess) -> float:
        """How much vehicle ``v`` alone would have to drop to clear every excess it adds to [kW]."""
        needed_kw = excess.grid_kw if excess.grid_kw > LIMIT_SLACK else 0.0
        if self.has_rows:
            c = self.rows.coefficients[:, v]
            pushing = (c > 0) & (excess.rows > 0)
            if pushing.any():
                needed_kw = max(needed_kw, float(np.max(excess.rows[pushing] / c[pushing])))
        return needed_kw

    def room_kw(self, v: int, t: int) -> float:
        """Most vehicle ``v`` may add in slot ``t`` within the headroom and the rows [kW]."""
        room = self.headroom_kw[t] - self.total_kw[t]
        if self.has_rows:
            room = min(room, self.rows.headroom_kw(self.lhs[:, t], v))
        return max(0.0, room)

    def fits(self, v: int, t: int, delta_kw: float) -> bool:
        return delta_kw <= 0 or delta_kw <= self.room_kw(v, t) + LIMIT_SLACK

    def extra_cost_eur(self, t: int, delta_avg_kw: float) -> float:
        """What raising slot ``t``'s average import by ``delta_avg_kw`` [kW] adds to the bill [EUR].

        Energy at the slot's prices and the rise of the capacity charge, if any.
        """
        p = self.problem
        before_kw = self.net_kw[t]
        after_kw = before_kw + delta_avg_kw
        energy_eur = p.slot_duration_h[t] * (_slot_cost(p, t, after_kw) - _slot_cost(p, t, before_kw))
        if p.capacity_charge_eur_per_kw <= 0:
            return energy_eur
        # A rise above the target's peak is paid for from the cap, even where the repair already
        # passed it in another slot: only the first slot is sure to be executed as planned.
        return energy_eur + p.capacity_charge_eur_per_kw * max(0.0, delta_avg_kw - self.peak_room_kw(t))


def _slot_cost(problem: ChargingProblem, t: int, net_kw: float) -> float:
    price = problem.import_price_eur_per_kwh[t] if net_kw >= 0 else problem.export_price_eur_per_kwh[t]
    return price * net_kw
