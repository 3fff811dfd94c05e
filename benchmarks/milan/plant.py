"""The Milan hub as a discrete-time plant: chargers, batteries, trips and the queue, in 5-minute steps.

The rules are the OCPP simulator's (:mod:`ocpp_server.simulator.site`), without the protocol:

* at the start every vehicle is at the hub and plugs in, vans first, then cars from the lowest state
  of charge up; the others wait;
* a returning vehicle drives its trip's energy out of its battery, then takes a free charger
  (:func:`~ocpp_server.simulator.site_rules.choose_charger`) or joins a first-come-first-served
  queue; a freed charger goes to the first in line;
* on plug-in the fleet manager books the next departure and the energy needed by then
  (:func:`~ocpp_server.simulator.site_rules.energy_needed_kwh`);
* a vehicle leaves at its departure however charged it is;
* a plugged-in vehicle draws ``min(charger limit, charger rating, what its battery accepts)``, the
  battery tapering above 80 % (:class:`~ocpp_server.simulator.battery.VehicleBattery`), held for the
  whole step.

Within a step departures come first, then returns; controllers then set the limits of the step.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from benchmarks.milan.conditions import STEP_H
from benchmarks.milan.records import METER_START_KWH
from benchmarks.milan.scenario import LOOKAHEAD_DAYS, Scenario
from benchmarks.milan.stays import READY_TOLERANCE_KWH, Booking, Departure, Stay, booking_at, ready_at_max_power
from fleet.simulation import simulated_chargers
from ocpp_server.simulator.battery import SimVehicleSpec, VehicleBattery
from ocpp_server.simulator.charger_spec import SimChargerSpec
from ocpp_server.simulator.day_plan import Trip
from ocpp_server.simulator.site_rules import choose_charger

STEP_S = STEP_H * 3600


@dataclass(frozen=True, slots=True)
class Session:
    """A vehicle on a charger, as a controller sees it at the start of a step."""

    transaction_id: int
    charge_point_id: str
    vehicle_id: str
    plugged_at: datetime
    meter_start_kwh: float
    register_kwh: float
    last_power_kw: float
    soc: float
    booking: Booking


@dataclass(slots=True)
class _OpenStay:
    transaction_id: int
    vehicle_id: str
    charger: SimChargerSpec
    plugged_step: int
    stored_at_plug_in_kwh: float
    meter_start_kwh: float
    booking: Booking
    last_power_kw: float = 0.0


class Plant:
    """The hub's physical state over one scenario; advanced by :meth:`begin_step` and :meth:`apply`."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.chargers = tuple(simulated_chargers(scenario.site))
        self._charger = {c.charge_point_id: c for c in self.chargers}
        self._specs = {v.vehicle_id: v for v in scenario.vehicles}
        self.batteries = {v.vehicle_id: VehicleBattery(v) for v in scenario.vehicles}
        self._trips: dict[str, list[Trip]] = {v.vehicle_id: [] for v in scenario.vehicles}
        for trip in scenario.trips:
            self._trips[trip.vehicle_id].append(trip)
        self._departures: dict[datetime, list[Trip]] = {}
        self._returns: dict[datetime, list[Trip]] = {}
        for trip in scenario.trips:
            self._departures.setdefault(trip.depart_utc, []).append(trip)
            self._returns.setdefault(trip.return_utc, []).append(trip)
        self._open: dict[str, _OpenStay] = {}
        """Charger id -> the stay on it."""
        self._queue: deque[str] = deque()
        self._registers_kwh = dict.fromkeys(self._charger, METER_START_KWH)
        self._next_transaction_id = 1
        self.step = 0
        self.stays: list[Stay] = []
        self.departures: list[Departure] = []
        self.trip_shortfalls_kwh: list[float] = []
        n = scenario.n_steps
        self.ev_power_kw = np.zeros(n)
        self.import_kw = np.zeros(n)
        self.waiting_count = np.zeros(n, dtype=np.int64)
        self.metered_kwh = 0.0
        self.driven_kwh = 0.0

    @property
    def now(self) -> datetime:
        return self.scenario.time_of(self.step)

    @property
    def finished(self) -> bool:
        return self.step >= self.scenario.n_steps

    def begin_step(self) -> bool:
        """Play the step's departures and returns; True when a vehicle plugged in."""
        plugged_before = self._next_transaction_id
        now = self.now
        for trip in self._departures.get(now, ()):
            self._leave(trip)
        if self.step == 0:
            at_hub = [v for v in self.scenario.vehicles if not self._on_trip(v.vehicle_id, now)]
            at_hub.sort(key=lambda v: (v.vehicle_class != "van", self.batteries[v.vehicle_id].soc))
            for vehicle in at_hub:
                self._arrive(vehicle)
        for trip in sorted(self._returns.get(now, ()), key=lambda t: t.vehicle_id):
            shortfall_kwh = self.batteries[trip.vehicle_id].drive(trip.energy_used_kwh)
            self.driven_kwh += trip.energy_used_kwh - shortfall_kwh
            self.trip_shortfalls_kwh.append(shortfall_kwh)
            self._arrive(self._specs[trip.vehicle_id])
        return self._next_transaction_id != plugged_before

    def sessions(self) -> tuple[Session, ...]:
        """Every vehicle on a charger, in the order they plugged in."""
        return tuple(
            Session(
                transaction_id=stay.transaction_id,
                charge_point_id=charger_id,
                vehicle_id=stay.vehicle_id,
                plugged_at=self.scenario.time_of(stay.plugged_step),
                meter_start_kwh=stay.meter_start_kwh,
                register_kwh=self._registers_kwh[charger_id],
                last_power_kw=stay.last_power_kw,
                soc=self.batteries[stay.vehicle_id].soc,
                booking=stay.booking,
            )
            for charger_id, stay in self._open.items()
        )

    def apply(self, limits_kw: Mapping[str, float]) -> None:
        """Charge for one step under the chargers' limits [kW] (a charger not named has no limit)."""
        ev_kwh = 0.0
        for charger_id, stay in self._open.items():
            charger = self._charger[charger_id]
            battery = self.batteries[stay.vehicle_id]
            limit_kw = limits_kw.get(charger_id, charger.max_power_kw)
            power_kw = max(0.0, min(limit_kw, charger.max_power_kw, battery.max_charge_power_kw(charger.kind)))
            drawn_kwh = battery.charge(power_kw, STEP_S) if power_kw > 0 else 0.0
            self._registers_kwh[charger_id] += drawn_kwh
            stay.last_power_kw = drawn_kwh / STEP_H
            ev_kwh += drawn_kwh
        conditions = self.scenario.conditions
        self.metered_kwh += ev_kwh
        self.ev_power_kw[self.step] = ev_kwh / STEP_H
        self.import_kw[self.step] = (
            self.ev_power_kw[self.step] + conditions.base_load_kw[self.step] - conditions.pv_kw[self.step]
        )
        self.waiting_count[self.step] = len(self._queue)
        self.step += 1

    def close(self) -> None:
        """End the run: stays still open are recorded as cut off by the end of the week."""
        for charger_id in list(self._open):
            self._unplug(charger_id, departed=False)

    # --- events -----------------------------------------------------------------------------

    def _on_trip(self, vehicle_id: str, at: datetime) -> bool:
        return any(t.depart_utc <= at < t.return_utc for t in self._trips[vehicle_id])

    def _arrive(self, vehicle: SimVehicleSpec) -> None:
        free = [c for c in self.chargers if c.charge_point_id not in self._open]
        choice = choose_charger(vehicle, self.batteries[vehicle.vehicle_id].soc, free)
        if choice is None:
            self._queue.append(vehicle.vehicle_id)
        else:
            self._plug_in(vehicle.vehicle_id, choice)

    def _plug_in(self, vehicle_id: str, charger: SimChargerSpec) -> None:
        spec = self._specs[vehicle_id]
        battery = self.batteries[vehicle_id]
        now = self.now
        trip = next((t for t in self._trips[vehicle_id] if t.depart_utc >= now), None)
        if trip is None:
            booking = booking_at(spec, battery.stored_kwh, now, now + timedelta(days=LOOKAHEAD_DAYS + 7), 0.0)
        else:
            booking = booking_at(spec, battery.stored_kwh, now, trip.depart_utc, trip.energy_used_kwh)
        self._open[charger.charge_point_id] = _OpenStay(
            transaction_id=self._next_transaction_id,
            vehicle_id=vehicle_id,
            charger=charger,
            plugged_step=self.step,
            stored_at_plug_in_kwh=battery.stored_kwh,
            meter_start_kwh=self._registers_kwh[charger.charge_point_id],
            booking=booking,
        )
        self._next_transaction_id += 1

    def _leave(self, trip: Trip) -> None:
        vehicle_id = trip.vehicle_id
        spec = self._specs[vehicle_id]
        stored_kwh = self.batteries[vehicle_id].stored_kwh
        charger_id = next((c for c, s in self._open.items() if s.vehicle_id == vehicle_id), None)
        if charger_id is None:
            if vehicle_id in self._queue:
                self._queue.remove(vehicle_id)
            target_kwh = booking_at(spec, stored_kwh, trip.depart_utc, trip.depart_utc, trip.energy_used_kwh).target_kwh
            possible = stored_kwh >= target_kwh - READY_TOLERANCE_KWH
            self.departures.append(
                Departure(vehicle_id, spec.vehicle_class, self.step, stored_kwh, target_kwh, None, possible)
            )
            return
        stay = self._open[charger_id]
        target_kwh = stay.booking.target_kwh
        possible = ready_at_max_power(
            spec, stay.charger, stay.stored_at_plug_in_kwh, self.step - stay.plugged_step, target_kwh, STEP_S
        )
        self.departures.append(
            Departure(vehicle_id, spec.vehicle_class, self.step, stored_kwh, target_kwh, stay.transaction_id, possible)
        )
        self._unplug(charger_id, departed=True)
        if self._queue:
            self._plug_in(self._queue.popleft(), self._charger[charger_id])

    def _unplug(self, charger_id: str, *, departed: bool) -> None:
        stay = self._open.pop(charger_id)
        spec = self._specs[stay.vehicle_id]
        self.stays.append(
            Stay(
                transaction_id=stay.transaction_id,
                vehicle_id=stay.vehicle_id,
                vehicle_class=spec.vehicle_class,
                charge_point_id=charger_id,
                charger_kind=stay.charger.kind,
                max_power_kw=min(stay.charger.max_power_kw, spec.rated_power_kw(stay.charger.kind)),
                plugged_step=stay.plugged_step,
                unplugged_step=self.step,
                departed=departed,
                stored_at_plug_in_kwh=stay.stored_at_plug_in_kwh,
                stored_at_unplug_kwh=self.batteries[stay.vehicle_id].stored_kwh,
                metered_kwh=self._registers_kwh[charger_id] - stay.meter_start_kwh,
                booking=stay.booking,
            )
        )
