"""Charging sessions of generated history: the fleet's trips played through the hub's chargers.

The rules are those of the site simulator, without load management (the history is of a site
charging every vehicle at full power):

* At the start every vehicle is at the hub and plugs in, vans first, then cars from the lowest
  state of charge up; the rest wait.
* A returning vehicle takes a free charger or joins a first-come-first-served queue, and plugs in
  as soon as a charger frees. Vans prefer AC chargers; cars below 30 % state of charge prefer DC,
  other cars AC; within a kind the most powerful free charger is taken, ties in the site's order.
* On plug-in the vehicle asks for its next trip's energy plus a 10 % reserve (cars at least 80 %),
  capped by the battery, and charges at ``min(charger, vehicle)`` power until it has that or leaves.
* A vehicle leaves at its departure however charged it is; a waiting vehicle leaves the queue.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from forecasts.history_trips import PlannedTrip

LOW_SOC = 0.3
CAR_TARGET_SOC = 0.8
RESERVE_SOC = 0.1
_DEPART, _RETURN = 0, 1
_NS_PER_H = 3600 * 1_000_000_000

ChargerKind = Literal["AC", "DC"]


@dataclass(frozen=True, slots=True)
class HubVehicle:
    """A fleet vehicle: class, battery [kWh] and charging limits on AC and DC [kW]."""

    vehicle_id: str
    vehicle_class: str
    battery_kwh: float
    max_ac_kw: float
    max_dc_kw: float


@dataclass(frozen=True, slots=True)
class HubCharger:
    """One connector of the hub's charge points; a point with two connectors is two of these."""

    charge_point_id: str
    kind: ChargerKind
    max_power_kw: float
    connector_id: int = 1


@dataclass(frozen=True, slots=True)
class HubSession:
    """One plug-in: vehicle and charger positions, plug-in and unplug times (UTC ns), energy [kWh]."""

    vehicle_index: int
    charger_index: int
    plugged_ns: int
    unplugged_ns: int
    energy_kwh: float


class _Hub:
    """Mutable state of one replay; lives only inside :func:`simulate_hub`."""

    def __init__(self, vehicles: Sequence[HubVehicle], chargers: Sequence[HubCharger], soc_kwh: list[float]) -> None:
        self.vehicles = vehicles
        self.chargers = chargers
        self.soc_kwh = soc_kwh
        self.occupant: list[int | None] = [None] * len(chargers)
        self.charger_of: list[int | None] = [None] * len(vehicles)
        self.plugged_ns = [0] * len(vehicles)
        self.need_kwh = [0.0] * len(vehicles)
        # Energy of each vehicle's next trip [kWh]; 0 when it has none left.
        self.next_trip_kwh = [0.0] * len(vehicles)
        self.waiting: deque[int] = deque()
        self.sessions: list[HubSession] = []

    def arrive(self, v: int, now_ns: int) -> None:
        charger = self._choose_charger(v)
        if charger is None:
            self.waiting.append(v)
        else:
            self._plug(v, charger, now_ns)

    def leave(self, v: int, now_ns: int, trip_kwh: float) -> None:
        charger = self.charger_of[v]
        if charger is not None:
            self._unplug(v, charger, now_ns)
            if self.waiting:
                self._plug(self.waiting.popleft(), charger, now_ns)
        elif v in self.waiting:
            self.waiting.remove(v)
        self.soc_kwh[v] = max(0.0, self.soc_kwh[v] - trip_kwh)

    def _choose_charger(self, v: int) -> int | None:
        vehicle = self.vehicles[v]
        low = self.soc_kwh[v] < LOW_SOC * vehicle.battery_kwh
        kinds: tuple[ChargerKind, ChargerKind] = (
            ("DC", "AC") if vehicle.vehicle_class != "van" and low else ("AC", "DC")
        )
        for kind in kinds:
            free = [c for c, who in enumerate(self.occupant) if who is None and self.chargers[c].kind == kind]
            if free:
                # max() keeps the first of equals, so ties follow the site's order.
                return max(free, key=lambda c: self.chargers[c].max_power_kw)
        return None

    def _plug(self, v: int, charger: int, now_ns: int) -> None:
        vehicle = self.vehicles[v]
        capacity = vehicle.battery_kwh
        target = self.next_trip_kwh[v] + RESERVE_SOC * capacity
        if vehicle.vehicle_class != "van":
            target = max(CAR_TARGET_SOC * capacity, target)
        self.need_kwh[v] = max(0.0, min(target, capacity) - self.soc_kwh[v])
        self.occupant[charger] = v
        self.charger_of[v] = charger
        self.plugged_ns[v] = now_ns

    def _unplug(self, v: int, charger: int, now_ns: int) -> None:
        vehicle = self.vehicles[v]
        spec = self.chargers[charger]
        vehicle_kw = vehicle.max_dc_kw if spec.kind == "DC" else vehicle.max_ac_kw
        power_kw = min(spec.max_power_kw, vehicle_kw)
        stay_h = (now_ns - self.plugged_ns[v]) / _NS_PER_H
        energy_kwh = min(self.need_kwh[v], power_kw * stay_h)
        self.soc_kwh[v] += energy_kwh
        self.sessions.append(HubSession(v, charger, self.plugged_ns[v], now_ns, energy_kwh))
        self.occupant[charger] = None
        self.charger_of[v] = None


def simulate_hub(
    vehicles: Sequence[HubVehicle],
    chargers: Sequence[HubCharger],
    trips: Sequence[PlannedTrip],
    start_ns: int,
    initial_soc: npt.NDArray[np.float64],
) -> list[HubSession]:
    """Replay the trips through the hub and return every finished plug-in.

    Parameters
    ----------
    vehicles, chargers
        The fleet and the hub's charge points, in the site's order.
    trips
        Every vehicle's trips (``vehicle_index`` into ``vehicles``), none departing before ``start_ns``.
    start_ns
        When the replay starts (UTC ns), with every vehicle at the hub.
    initial_soc
        State of charge of each vehicle at the start [-], in [0, 1].

    Returns
    -------
    list of HubSession
        In the order they ended; sessions still plugged in after the last trip are not included.
    """
    by_vehicle: list[list[PlannedTrip]] = [[] for _ in vehicles]
    for trip in sorted(trips, key=lambda t: t.depart_ns):
        by_vehicle[trip.vehicle_index].append(trip)
    hub = _Hub(vehicles, chargers, [float(s) * v.battery_kwh for s, v in zip(initial_soc, vehicles, strict=True)])
    events: list[tuple[int, int, int, int]] = []
    for v, own in enumerate(by_vehicle):
        if own:
            hub.next_trip_kwh[v] = own[0].energy_kwh
            heapq.heappush(events, (own[0].depart_ns, _DEPART, v, 0))
    at_start = sorted(range(len(vehicles)), key=lambda v: (vehicles[v].vehicle_class != "van", hub.soc_kwh[v]))
    for v in at_start:
        hub.arrive(v, start_ns)
    while events:
        now_ns, what, v, position = heapq.heappop(events)
        trip = by_vehicle[v][position]
        if what == _DEPART:
            hub.leave(v, now_ns, trip.energy_kwh)
            heapq.heappush(events, (trip.return_ns, _RETURN, v, position))
            continue
        following = by_vehicle[v][position + 1] if position + 1 < len(by_vehicle[v]) else None
        hub.next_trip_kwh[v] = following.energy_kwh if following is not None else 0.0
        hub.arrive(v, now_ns)
        if following is not None:
            heapq.heappush(events, (following.depart_ns, _DEPART, v, position + 1))
    return hub.sessions
