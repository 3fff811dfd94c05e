"""Where charging variables exist: the sparse (vehicle, slot) index every model block sums over."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from optimizer.problem import ChargingProblem, VehicleRequest

_NO_PAIRS = np.zeros(0, dtype=np.int32)

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
    pair_vehicles: npt.NDArray[np.int32] = field(default_factory=lambda: _NO_PAIRS, compare=False, repr=False)
    """The vehicle of each pair, as an array (derived from ``pairs`` when not given)."""
    pair_slots: npt.NDArray[np.int32] = field(default_factory=lambda: _NO_PAIRS, compare=False, repr=False)
    """The slot of each pair, as an array (derived from ``pairs`` when not given)."""

    def __post_init__(self) -> None:
        n = len(self.pairs)
        if self.pair_vehicles.size != n or self.pair_slots.size != n:
            object.__setattr__(self, "pair_vehicles", np.fromiter((v for v, _ in self.pairs), dtype=np.int32, count=n))
            object.__setattr__(self, "pair_slots", np.fromiter((t for _, t in self.pairs), dtype=np.int32, count=n))

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
    n_slots = problem.n_slots
    if not problem.vehicles:
        return ChargeIndex(pairs=(), vehicles_by_slot=((),) * n_slots, slots_by_vehicle=())
    charging = np.array([may_charge(vehicle) for vehicle in problem.vehicles])
    present = (problem.available_h_matrix() > 0) & charging[:, None]
    # row-major order: vehicle-major pairs, each vehicle's slots ascending
    vehicle_array, slot_array = (a.astype(np.int32) for a in np.nonzero(present))
    pair_vehicles, pair_slots = vehicle_array.tolist(), slot_array.tolist()
    # a vehicle's pairs are contiguous, a slot's are its vehicles in order (the transpose's nonzeros)
    vehicle_ends = np.cumsum(present.sum(axis=1)).tolist()
    by_slot_slots, by_slot_vehicles = np.nonzero(present.T)
    slot_ends = np.cumsum(np.bincount(by_slot_slots, minlength=n_slots)).tolist()
    slot_vehicles = by_slot_vehicles.tolist()
    return ChargeIndex(
        pairs=tuple(zip(pair_vehicles, pair_slots, strict=True)),
        vehicles_by_slot=tuple(
            tuple(slot_vehicles[start:end]) for start, end in zip([0, *slot_ends[:-1]], slot_ends, strict=True)
        ),
        slots_by_vehicle=tuple(
            tuple(pair_slots[start:end]) for start, end in zip([0, *vehicle_ends[:-1]], vehicle_ends, strict=True)
        ),
        pair_vehicles=vehicle_array,
        pair_slots=slot_array,
    )
