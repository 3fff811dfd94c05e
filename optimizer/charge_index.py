"""Where charging variables exist: the sparse (vehicle, slot) index every model block sums over."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from optimizer.problem import ChargingProblem, VehicleRequest

NEGLIGIBLE_NEED_KWH = 1e-6
"""A need at or below this [kWh] is met: no charging variables (and no 1/need of absurd size)."""


def may_charge(vehicle: VehicleRequest) -> bool:
    """The vehicle may draw power and wants more than a negligible amount of energy."""
    return vehicle.max_power_kw > 0 and vehicle.energy_needed_kwh > NEGLIGIBLE_NEED_KWH


@dataclass(frozen=True, slots=True)
class ChargeIndex:
    """Where charging variables exist: the sparse (vehicle, slot) index and its two projections."""

    pairs: tuple[tuple[int, int], ...]
    """Every (v, t) with a charging variable, vehicle-major."""
    vehicles_by_slot: tuple[tuple[int, ...], ...]
    """For each slot, the vehicles that may charge in it."""
    slots_by_vehicle: tuple[tuple[int, ...], ...]
    """For each vehicle, the slots it may charge in."""

    def adjacent_pairs(self) -> tuple[tuple[int, int], ...]:
        """(v, t) for every pair whose vehicle may also charge in the next slot, t + 1."""
        return tuple(
            (v, t) for v, slots in enumerate(self.slots_by_vehicle) for t, u in itertools.pairwise(slots) if u == t + 1
        )


def build_charge_index(problem: ChargingProblem) -> ChargeIndex:
    """Index the (vehicle, slot) pairs where charging is possible and useful.

    Parameters
    ----------
    problem
        A validated charging problem.

    Returns
    -------
    ChargeIndex
        Pairs where the vehicle is plugged in (``available_h > 0``), may draw power
        (``max_power_kw > 0``) and still wants energy (``energy_needed_kwh`` above 1e-6 kWh).
    """
    vehicles_by_slot: list[list[int]] = [[] for _ in range(problem.n_slots)]
    slots_by_vehicle: list[tuple[int, ...]] = []
    pairs: list[tuple[int, int]] = []
    for v, vehicle in enumerate(problem.vehicles):
        if not may_charge(vehicle):
            slots_by_vehicle.append(())
            continue
        slots = tuple(t for t, hours in enumerate(vehicle.available_h) if hours > 0)
        slots_by_vehicle.append(slots)
        for t in slots:
            pairs.append((v, t))
            vehicles_by_slot[t].append(v)
    return ChargeIndex(
        pairs=tuple(pairs),
        vehicles_by_slot=tuple(tuple(vs) for vs in vehicles_by_slot),
        slots_by_vehicle=tuple(slots_by_vehicle),
    )
