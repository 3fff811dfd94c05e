"""Dispatchable setpoints: the LP's continuous powers turned into values chargers can hold.

A charger holds 0 or at least its minimum (IEC 61851: 6 A), in steps (1 A, or 0.1 A); a binary per
vehicle and slot would make the LP a MILP that does not close its gap at site scale. So the LP is
solved as it is and its plan repaired, and the LP optimum certifies how far the repaired plan can be
from the best one (``Schedule.lp_objective_eur``, ``Schedule.gap_percent``).

The repair, slot by slot from the first:

1. Each vehicle aims at its LP power plus what it has fallen behind the LP's cumulative energy
   (or minus what it is ahead): error diffusion, so that energy lost to rounding in one slot is
   made up in the next ones.
2. That aim is capped at the vehicle's limit (maximum power, taper at the slot's final state of
   charge) and at what its need and battery room still allow, then rounded down onto the
   vehicle's setpoints (0, or multiples of ``power_step_kw`` from ``min_power_kw`` up).
3. If the slot then passes the EV headroom or a phasor row, vehicles are lowered, lowest priority
   first, until it fits.
4. Vehicles whose aim was rounded down are raised by one setpoint where the slot's limits allow,
   largest lost energy x priority first, when the aim is nearer the higher setpoint (or the slot is
   the vehicle's last).
5. Power the rounding left unused, up to the target plan's total for the slot, goes to vehicles that
   can take more (furthest behind first): they need less later, which makes room for the others.
6. Under a capacity charge, no step may lift the slot's import (with the problem's peak margin)
   above the target plan's peak or the month's peak so far, whichever is higher: raises stop there,
   and catching up is put off to later slots where it would pass it. The LP priced that peak; a
   repair that added a few kW in the slot that is executed would raise the month's peak, and the
   next plan, riding at the new peak, would do it again, slot after slot.

Then energy still short of the LP's is moved into the vehicle's other slots with room, cheapest
first, as long as its penalty outweighs the price (and any rise of the capacity charge above that
peak). Where the next setpoint up would pass the need (a step for 0.01 kWh missing, say), another slot of the
vehicle is lowered by the excess: a larger setpoint here, a smaller one there.

A vehicle whose own taper holds the draw below the lowest setpoint is planned at what it accepts:
the charger is offered the lowest setpoint for the whole slot. One that needs less than a slot at
the lowest setpoint with no other slot to exchange with (0.3 kWh missing, 4.14 kW for a quarter
hour giving 0.95 kWh) gets it in its last slot as an average: the charger is offered the lowest
setpoint for that share of the slot (``VehiclePlan.part_slot_h``), so that the last tenths of a
kWh are not lost to the charger's minimum. The limits count the lowest setpoint either way.

Every setpoint stays within the same limits as the LP (grid headroom, phasor rows, maximum power,
taper at the slot's final state of charge, need and battery room), so the LP optimum is a lower
bound on its cost.

What remains of the gap is mostly granularity: with 1 A steps (0.69 kW at 3 x 230 V) a vehicle can
miss up to one step-slot of energy (0.16 kWh in 15 minutes; 0.016 kWh with 0.1 A steps) without
passing its need, and a slot at the grid limit can leave up to one step unused.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from optimizer.costs import grid_import_kw
from optimizer.evaluation import schedule_from_power
from optimizer.problem import ChargingProblem
from optimizer.repair_slots import LIMIT_SLACK, SlotState, VehicleState
from optimizer.schedule import Schedule
from optimizer.validation import check_problem

SETPOINT_SLACK_KWH = 1e-6
"""Energy differences below this [kWh] are not worth a setpoint change."""


def dispatchable(schedule: Schedule, problem: ChargingProblem) -> Schedule:
    """Turn a schedule's powers into setpoints chargers can follow.

    Parameters
    ----------
    schedule
        A schedule for ``problem`` (from :func:`optimizer.solve` or the fallback).
    problem
        The problem it was made for. Each vehicle's ``min_power_kw`` and ``power_step_kw`` say what
        its charger can hold.

    Returns
    -------
    Schedule
        Same status, termination and LP optimum; ``dispatchable`` True; every power 0 or at least
        the vehicle's minimum, a multiple of its step (to 1e-6 kW), within every limit of the
        problem and never beyond the need. ``objective_eur`` is the repaired plan's cost, so
        ``gap_percent`` is the repair's cost against the LP optimum.

    Raises
    ------
    ProblemError
        If the problem is inconsistent.
    ValueError
        If the schedule does not fit the problem (other vehicles or slots).
    """
    check_problem(problem)
    vehicle_ids = [v.vehicle_id for v in problem.vehicles]
    if [plan.vehicle_id for plan in schedule.plans] != vehicle_ids:
        raise ValueError("schedule: its plans are not for the problem's vehicles, in order")
    if len(schedule.slot_duration_h) != problem.n_slots:
        raise ValueError(f"schedule: {len(schedule.slot_duration_h)} slots for a problem of {problem.n_slots}")
    target_kw = [list(plan.power_kw) for plan in schedule.plans]
    states = _repaired(problem, target_kw)
    part_slot_h = [[state.part_slot_h(t) for t in range(problem.n_slots)] for state in states]
    return schedule_from_power(
        problem,
        [state.setpoint_kw for state in states],
        status=schedule.status,
        termination=schedule.termination,
        solve_time_s=schedule.solve_time_s,
        dispatchable=True,
        lp_objective_eur=schedule.lp_objective_eur,
        timings=schedule.timings,
        part_slot_h=part_slot_h if any(any(row) for row in part_slot_h) else None,
    )


def repair_setpoints(problem: ChargingProblem, target_kw: Sequence[Sequence[float]]) -> list[list[float]]:
    """Setpoints close to a safe target plan (module docstring) [kW], one row per vehicle."""
    return [state.setpoint_kw for state in _repaired(problem, target_kw)]


def _repaired(problem: ChargingProblem, target_kw: Sequence[Sequence[float]]) -> list[VehicleState]:
    vehicles = [
        VehicleState(vehicle, target, problem.slot_duration_h)
        for vehicle, target in zip(problem.vehicles, target_kw, strict=True)
    ]
    slots = SlotState(problem, grid_import_kw(problem, target_kw))
    for t in range(problem.n_slots):
        _repair_slot(problem, vehicles, slots, t)
    _recover_lost_energy(problem, vehicles, slots)
    return vehicles


def _repair_slot(problem: ChargingProblem, vehicles: list[VehicleState], slots: SlotState, t: int) -> None:
    present = [v for v, state in enumerate(vehicles) if state.present(t)]
    aim_kw = {v: min(max(0.0, vehicles[v].aim_kw(t)), vehicles[v].upper_kw(t)) for v in present}
    for v in present:
        slots.set(v, t, vehicles[v], _rounded_kw(vehicles[v], t, aim_kw[v]))
    _fit_slot(problem, vehicles, slots, t, present)
    _raise_towards_aims(problem, vehicles, slots, t, aim_kw)
    _fill_to_target(problem, vehicles, slots, t, present)
    _fit_peak(problem, vehicles, slots, t, aim_kw)
    for v in present:
        vehicles[v].close_slot(t)


def _rounded_kw(state: VehicleState, t: int, aim_kw: float) -> float:
    """The setpoint for an aim: rounded down onto the charger's setpoints, or, where the vehicle
    itself holds the draw below the lowest setpoint, that draw when the aim is nearer it than 0."""
    held_kw = state.held_kw(t)
    if held_kw > 0 and aim_kw >= held_kw / 2:
        return held_kw
    return state.grid.floor(aim_kw)


def _fit_slot(
    problem: ChargingProblem, vehicles: list[VehicleState], slots: SlotState, t: int, present: list[int]
) -> None:
    """Lower setpoints until the slot fits: lowest priority first, larger setpoints of a class first."""
    by_priority = sorted(present, key=lambda v: (problem.vehicles[v].priority, -vehicles[v].setpoint_kw[t], v))
    while (excess := slots.worst_excess(t)) is not None:
        for v in by_priority:
            needed_kw = slots.reduction_needed_kw(v, t, excess)
            state = vehicles[v]
            if needed_kw > 0 and state.setpoint_kw[t] > 0:
                slots.set(v, t, state, state.grid.floor(max(0.0, state.setpoint_kw[t] - needed_kw)))
                break
        else:  # pragma: no cover - rows have rhs >= 0, so all-zero always fits
            raise RuntimeError(f"slot {t}: cannot fit the setpoints within the site limits")


def _fit_peak(
    problem: ChargingProblem, vehicles: list[VehicleState], slots: SlotState, t: int, aim_kw: dict[int, float]
) -> None:
    """While the slot's import passes the peak the target plan reaches, lower setpoints that rounding
    put above their aims, then those catching up on energy fallen behind (above the target) that
    have later slots to catch up in, lowest priority first: a rise above the plan's peak would raise
    the capacity charge for the rest of the month. A vehicle's last slot keeps its catch-up."""
    catching_up = {v: vehicles[v].target_kw[t] for v in aim_kw if vehicles[v].last_slot != t}
    for bound_kw in (aim_kw, catching_up):
        above = [v for v in bound_kw if vehicles[v].setpoint_kw[t] > bound_kw[v] + LIMIT_SLACK]
        above.sort(key=lambda v: (problem.vehicles[v].priority, bound_kw[v] - vehicles[v].setpoint_kw[t], v))
        for v in above:
            if not slots.over_peak(t):
                return
            state = vehicles[v]
            slots.set(v, t, state, state.grid.floor(max(0.0, bound_kw[v])))


def _raise_towards_aims(
    problem: ChargingProblem, vehicles: list[VehicleState], slots: SlotState, t: int, aim_kw: dict[int, float]
) -> None:
    """One setpoint up for vehicles nearer the higher setpoint (or in their last slot): those in their
    last slot first, then most lost first.

    Under a capacity charge, a vehicle in its last slot that cannot take the lowest setpoint for
    the whole slot (it needs less, or the slot would pass the plan's peak) gets its aim as an
    average: the lowest setpoint for part of the slot
    (:meth:`~optimizer.repair_slots.VehicleState.part_slot_h`). Left to the recovery at the end, the
    slot's room under the peak would be handed to other vehicles first, and the energy lost at
    departure."""

    def lost(v: int) -> float:
        return (aim_kw[v] - vehicles[v].setpoint_kw[t]) * vehicles[v].energy_per_kw[t] * problem.vehicles[v].priority

    # vehicles leaving after this slot first: what they lose here is lost for good
    for v in sorted(aim_kw, key=lambda v: (vehicles[v].last_slot != t, -lost(v), v)):
        state = vehicles[v]
        current_kw = state.setpoint_kw[t]
        higher_kw = state.grid.above(current_kw)
        if higher_kw is None or aim_kw[v] - current_kw <= SETPOINT_SLACK_KWH:
            continue
        nearer_higher = aim_kw[v] - current_kw >= (higher_kw - current_kw) / 2
        if not (nearer_higher or state.last_slot == t):
            continue
        if not slots.fits(v, t, higher_kw - current_kw):
            continue
        if higher_kw <= state.grid.floor(state.upper_kw(t)) and slots.under_peak(
            t, (higher_kw - current_kw) * state.share[t]
        ):
            slots.set(v, t, state, higher_kw)
        elif state.last_slot == t and current_kw == 0 and slots.peak_cap_kw < math.inf:
            part_kw = min(aim_kw[v], state.upper_kw(t))
            if part_kw > SETPOINT_SLACK_KWH and slots.under_peak(t, part_kw * state.share[t]):
                slots.set(v, t, state, part_kw)


def _fill_to_target(
    problem: ChargingProblem, vehicles: list[VehicleState], slots: SlotState, t: int, present: list[int]
) -> None:
    """Hand power the rounding left unused in the slot, up to the target's slot total, to vehicles
    that can take it (furthest behind first): they then need less later, where others fell short."""
    shortfall_kw = sum(vehicles[v].target_kw[t] for v in present) - slots.total_kw[t]
    if shortfall_kw <= SETPOINT_SLACK_KWH:
        return

    def behind_kwh(v: int) -> float:
        state = vehicles[v]
        return (state.aim_kw(t) - state.setpoint_kw[t]) * state.energy_per_kw[t] * problem.vehicles[v].priority

    for v in sorted(present, key=lambda v: (-behind_kwh(v), v)):
        state = vehicles[v]
        while shortfall_kw > SETPOINT_SLACK_KWH:
            current_kw = state.setpoint_kw[t]
            ceiling_kw = min(
                state.grid.floor(state.upper_kw(t)),
                current_kw + slots.room_kw(v, t),
                current_kw + slots.peak_room_kw(t) / max(state.share[t], LIMIT_SLACK),
            )
            raised_kw = state.grid.floor(min(ceiling_kw, current_kw + shortfall_kw))
            if raised_kw <= current_kw + LIMIT_SLACK:
                higher_kw = state.grid.above(current_kw)
                # a step nearer the target total than staying below it, if the limits allow it
                if higher_kw is None or higher_kw > ceiling_kw + LIMIT_SLACK:
                    break
                if higher_kw - current_kw > 2 * shortfall_kw:
                    break
                raised_kw = higher_kw
            shortfall_kw -= raised_kw - current_kw
            slots.set(v, t, state, raised_kw)


def _recover_lost_energy(problem: ChargingProblem, vehicles: list[VehicleState], slots: SlotState) -> None:
    """Move energy the rounding lost into the vehicle's other slots, cheapest first, while it pays."""
    order = sorted(
        (v for v, state in enumerate(vehicles) if state.lost_kwh() > SETPOINT_SLACK_KWH),
        key=lambda v: (-vehicles[v].lost_kwh() * problem.vehicles[v].priority, v),
    )
    for v in order:
        state = vehicles[v]
        benefit_eur_per_kwh = problem.unmet_cost_eur_per_kwh(problem.vehicles[v])
        by_price = sorted(state.slots, key=lambda t: (problem.import_price_eur_per_kwh[t], t))
        moved = True
        while moved and state.lost_kwh() > SETPOINT_SLACK_KWH:
            moved = any(_raise_or_exchange(v, t, state, slots, benefit_eur_per_kwh) for t in by_price)


def _raise_or_exchange(v: int, t: int, state: VehicleState, slots: SlotState, benefit_eur_per_kwh: float) -> bool:
    """Raise slot ``t`` towards the lost energy; if the next setpoint would pass the need, lower
    another slot of the vehicle by the excess (a larger setpoint there, a smaller one here); if no
    other slot charges and ``t`` is the vehicle's last, the lowest setpoint for part of it."""
    room_kw = slots.room_kw(v, t)
    if room_kw <= LIMIT_SLACK:
        # no setpoint above the current one fits the slot's limits: nothing to raise or exchange
        return False
    current_kw = state.setpoint_kw[t]
    within_kw = min(state.limit_at_kw(t), current_kw + room_kw)
    lost_kwh = state.lost_kwh()
    raised_kw = state.grid.floor(min(within_kw, state.upper_at_kw(t), current_kw + lost_kwh / state.energy_per_kw[t]))
    changes: list[tuple[int, float]] = []
    if raised_kw > current_kw:
        changes = [(t, raised_kw)]
    else:
        higher_kw = state.grid.above(current_kw)
        if higher_kw is None or higher_kw > within_kw + LIMIT_SLACK:
            return False
        excess_kwh = (higher_kw - current_kw) * state.energy_per_kw[t] - state.room_left_kwh()
        changes = [(t, higher_kw)]
        if excess_kwh > LIMIT_SLACK:
            compensation = state.best_cut(t, excess_kwh)
            if compensation is not None:
                changes.append(compensation)
            elif t == state.last_slot and current_kw == 0:
                # less than a whole last slot at the lowest setpoint (which fits: higher_kw is it)
                changes = [(t, min(state.upper_at_kw(t), lost_kwh / state.energy_per_kw[t]))]
            else:
                return False
    gained_kwh = sum((p_kw - state.setpoint_kw[u]) * state.energy_per_kw[u] for u, p_kw in changes)
    if gained_kwh <= SETPOINT_SLACK_KWH:
        return False
    extra_eur = sum(slots.extra_cost_eur(u, (p_kw - state.setpoint_kw[u]) * state.share[u]) for u, p_kw in changes)
    if extra_eur >= benefit_eur_per_kwh * min(gained_kwh, lost_kwh):
        return False
    before = [(u, state.setpoint_kw[u]) for u, _ in changes]
    for u, p_kw in changes:
        slots.set(v, u, state, p_kw)
    if state.within_limits():
        return True
    for u, p_kw in before:
        slots.set(v, u, state, p_kw)
    return False
