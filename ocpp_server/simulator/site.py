"""A simulated charging hub: charge points, a fleet, their trips, and the queue for chargers.

The simulator plays the vehicles and the fleet manager. Vehicles leave and return as their trips
say (see ``day_plan``); a returning vehicle takes a free charger (see ``site_rules`` for which)
or joins a first-come-first-served queue, as the hub has more bays than chargers, and plugs in
as soon as a charger frees. A vehicle leaves at its departure however charged it is. On every
plug-in the fleet manager tells the :class:`BookingSink` when the vehicle leaves next and how
much energy it needs by then.

At the start, a vehicle whose trip covers the start time is away until that trip returns; the
others are at the hub and plug in, vans first, then cars from the lowest state of charge up.
``initial_soc`` is each vehicle's state of charge at the start, or, for a vehicle that is away,
when it left.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from types import MappingProxyType
from typing import Protocol
from zoneinfo import ZoneInfo

from ocpp_server.simulator.battery import SimVehicleSpec, VehicleBattery
from ocpp_server.simulator.charge_point import SimulatedChargePoint
from ocpp_server.simulator.charger_spec import SimChargerSpec
from ocpp_server.simulator.clock import SimClock, sleep_until
from ocpp_server.simulator.day_plan import Trip
from ocpp_server.simulator.site_rules import booking_priority, choose_charger, energy_needed_kwh
from ocpp_server.simulator.trip_book import LOOKAHEAD_DAYS, TripBook

DEFAULT_TIMEZONE = "Europe/Rome"


class BookingSink(Protocol):
    """Receives the fleet manager's announcements (implemented by the application)."""

    async def vehicle_plugged_in(
        self, vehicle_id: str, departure_utc: datetime, energy_needed_kwh: float, priority: float
    ) -> None:
        """A vehicle has plugged in.

        Parameters
        ----------
        vehicle_id
            The vehicle.
        departure_utc
            When it leaves next.
        energy_needed_kwh
            Energy to add to its battery by then [kWh].
        priority
            Weight of this request against the others' [-]; vans 2, cars 1.
        """
        ...

    async def vehicle_waiting(
        self, vehicle_id: str, departure_utc: datetime, energy_needed_kwh: float, priority: float
    ) -> None:
        """A vehicle has arrived and waits in the yard for a free charger (same parameters)."""
        ...

    async def vehicle_left_yard(self, vehicle_id: str) -> None:
        """A vehicle that was waiting has left without charging."""
        ...


class _Vehicle:
    """Where one vehicle is; changed only by the site."""

    __slots__ = ("battery", "charger_id", "spec")

    def __init__(self, spec: SimVehicleSpec) -> None:
        self.spec = spec
        self.battery = VehicleBattery(spec)
        self.charger_id: str | None = None


class SiteSimulator:
    """Charge points and vehicles of one hub, driven by a simulated clock.

    Parameters
    ----------
    base_url
        Websocket URL of the central system without the charge point id; several spread the chargers
        over them in turn (gateway nodes without a load balancer in front).
    chargers, vehicles
        The hub's charge points and fleet; ids and idTags must be unique.
    clock
        Simulated time shared with the central system under test.
    bookings
        Where plug-in announcements go.
    seed
        Seed of the trip plans and reconnect jitter.
    meter_interval_s, heartbeat_interval_s
        Initial MeterValueSampleInterval and HeartbeatInterval of every charger [simulated s].
    timezone
        The site's time zone for the trip plans; Europe/Rome when None.
    trips
        Fixed trips instead of the planned ones (for tests and replays).
    validate_schemas
        Whether chargers check their messages against the OCPP schemas (costs CPU under load).
    """

    def __init__(
        self,
        base_url: str | Sequence[str],
        chargers: Sequence[SimChargerSpec],
        vehicles: Sequence[SimVehicleSpec],
        clock: SimClock,
        bookings: BookingSink,
        *,
        seed: int = 1,
        meter_interval_s: int = 60,
        heartbeat_interval_s: int = 300,
        timezone: tzinfo | None = None,
        trips: Sequence[Trip] | None = None,
        validate_schemas: bool = True,
    ) -> None:
        if not chargers:
            raise ValueError("chargers must not be empty")
        urls = [base_url] if isinstance(base_url, str) else list(base_url)
        if not urls:
            raise ValueError("base_url must name at least one URL")
        for name, values in (
            ("charge_point_id", [c.charge_point_id for c in chargers]),
            ("vehicle_id", [v.vehicle_id for v in vehicles]),
            ("id_tag", [v.id_tag for v in vehicles]),
        ):
            if len(set(values)) != len(values):
                raise ValueError(f"{name} values must be unique")
        self._clock = clock
        self._bookings = bookings
        self._charger_specs = tuple(chargers)
        self._charge_points = {
            spec.charge_point_id: SimulatedChargePoint(
                spec,
                urls[index % len(urls)],
                clock,
                meter_interval_s=meter_interval_s,
                heartbeat_interval_s=heartbeat_interval_s,
                validate_schemas=validate_schemas,
                seed=f"{seed}:{spec.charge_point_id}",
            )
            for index, spec in enumerate(chargers)
        }
        self._vehicles = {v.vehicle_id: _Vehicle(v) for v in vehicles}
        self._occupant: dict[str, str | None] = {c.charge_point_id: None for c in chargers}
        self._waiting: deque[str] = deque()
        self._book = TripBook(vehicles, timezone or ZoneInfo(DEFAULT_TIMEZONE), seed, trips)
        self._running = False
        self._log = logging.getLogger(__name__)

    # --- read-only views -------------------------------------------------------------------

    @property
    def charge_points(self) -> Mapping[str, SimulatedChargePoint]:
        return MappingProxyType(self._charge_points)

    @property
    def connected_count(self) -> int:
        """Chargers with an open, accepted connection."""
        return sum(cp.connected for cp in self._charge_points.values())

    @property
    def charging_count(self) -> int:
        """Chargers in status Charging."""
        return sum(cp.status == "Charging" for cp in self._charge_points.values())

    @property
    def waiting_vehicles(self) -> tuple[str, ...]:
        """Vehicles at the hub waiting for a free charger, first in line first."""
        return tuple(self._waiting)

    @property
    def plugged_vehicles(self) -> Mapping[str, str]:
        """Charger id -> id of the vehicle plugged into it."""
        return {cp: vehicle for cp, vehicle in self._occupant.items() if vehicle is not None}

    @property
    def vehicle_soc(self) -> Mapping[str, float]:
        """State of charge of every vehicle [-]."""
        return {vid: v.battery.soc for vid, v in self._vehicles.items()}

    # --- running ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Run the hub until cancelled; cancelling closes every charger's websocket."""
        if self._running:
            raise RuntimeError("this SiteSimulator is already running")
        self._running = True
        try:
            async with asyncio.TaskGroup() as tasks:
                for charge_point in self._charge_points.values():
                    tasks.create_task(charge_point.run())
                now = self._clock.now()
                away = {vid: self._book.trip_at(vid, now) for vid in self._vehicles}
                at_hub = [v for vid, v in self._vehicles.items() if away[vid] is None]
                at_hub.sort(key=lambda v: (v.spec.vehicle_class != "van", v.battery.soc))
                for vehicle in at_hub:
                    await self._arrive(vehicle, quiet=True)
                self._log.info(
                    "site start: %d vehicles plugged in, %d waiting, %d away",
                    sum(v is not None for v in self._occupant.values()),
                    len(self._waiting),
                    len(self._vehicles) - len(at_hub),
                )
                for vehicle_id, vehicle in self._vehicles.items():
                    tasks.create_task(self._live(vehicle, away[vehicle_id]))
        finally:
            self._running = False

    async def _live(self, vehicle: _Vehicle, trip_under_way: Trip | None) -> None:
        if trip_under_way is not None:
            await self._come_back(vehicle, trip_under_way)
        vehicle_id = vehicle.spec.vehicle_id
        while (trip := self._book.next_trip(vehicle_id, self._clock.now())) is not None:
            await sleep_until(self._clock, trip.depart_utc)
            await self._leave(vehicle)
            await self._come_back(vehicle, trip)

    async def _come_back(self, vehicle: _Vehicle, trip: Trip) -> None:
        await sleep_until(self._clock, trip.return_utc)
        shortfall_kwh = vehicle.battery.drive(trip.energy_used_kwh)
        if shortfall_kwh > 0:
            self._log.info("%s ran out of energy on its trip, %.1f kWh short", vehicle.spec.vehicle_id, shortfall_kwh)
        await self._arrive(vehicle)

    async def _arrive(self, vehicle: _Vehicle, *, quiet: bool = False) -> None:
        free = [c for c in self._charger_specs if self._occupant[c.charge_point_id] is None]
        choice = choose_charger(vehicle.spec, vehicle.battery.soc, free)
        if choice is None:
            self._waiting.append(vehicle.spec.vehicle_id)
            if not quiet:
                self._log.info(
                    "%s arrived (SoC %.0f %%), waits for a charger (%d in line)",
                    vehicle.spec.vehicle_id,
                    vehicle.battery.soc * 100,
                    len(self._waiting),
                )
            departure_utc, needed_kwh = self._next_need(vehicle)
            try:
                await self._bookings.vehicle_waiting(
                    vehicle.spec.vehicle_id, departure_utc, needed_kwh, booking_priority(vehicle.spec)
                )
            except Exception:
                self._log.exception("yard report of %s was not accepted", vehicle.spec.vehicle_id)
            return
        await self._plug_in(vehicle, choice.charge_point_id, quiet=quiet)

    async def _plug_in(self, vehicle: _Vehicle, charger_id: str, *, quiet: bool = False) -> None:
        vehicle_id = vehicle.spec.vehicle_id
        self._occupant[charger_id] = vehicle_id
        vehicle.charger_id = charger_id
        next_trip = self._book.next_trip(vehicle_id, self._clock.now())
        # The driver tells the car when it leaves; an ISO 15118 charger hears it from the car.
        self._charge_points[charger_id].plug_in(vehicle.battery, None if next_trip is None else next_trip.depart_utc)
        departure_utc, needed_kwh = self._next_need(vehicle)
        if not quiet:
            self._log.info(
                "%s plugged into %s (SoC %.0f %%), leaves %s, needs %.1f kWh",
                vehicle_id,
                charger_id,
                vehicle.battery.soc * 100,
                departure_utc.isoformat(timespec="minutes"),
                needed_kwh,
            )
        try:
            await self._bookings.vehicle_plugged_in(
                vehicle_id, departure_utc, needed_kwh, booking_priority(vehicle.spec)
            )
        except Exception:
            # A fleet manager whose booking call fails does not stop its vehicle from charging.
            self._log.exception("booking of %s was not accepted", vehicle_id)

    def _next_need(self, vehicle: _Vehicle) -> tuple[datetime, float]:
        """The vehicle's next departure and the energy it needs by then, as its fleet manager knows them."""
        now = self._clock.now()
        next_trip = self._book.next_trip(vehicle.spec.vehicle_id, now)
        if next_trip is None:
            departure_utc, trip_energy_kwh = now + timedelta(days=LOOKAHEAD_DAYS), 0.0
        else:
            departure_utc, trip_energy_kwh = next_trip.depart_utc, next_trip.energy_used_kwh
        return departure_utc, energy_needed_kwh(vehicle.spec, vehicle.battery.stored_kwh, trip_energy_kwh)

    async def _leave(self, vehicle: _Vehicle) -> None:
        vehicle_id = vehicle.spec.vehicle_id
        freed = vehicle.charger_id
        if freed is not None:
            self._charge_points[freed].unplug()
            self._occupant[freed] = None
            vehicle.charger_id = None
        elif vehicle_id in self._waiting:
            self._waiting.remove(vehicle_id)
            try:
                await self._bookings.vehicle_left_yard(vehicle_id)
            except Exception:
                self._log.exception("yard report of %s was not accepted", vehicle_id)
        self._log.info("%s left (SoC %.0f %%)", vehicle_id, vehicle.battery.soc * 100)
        if freed is not None and self._waiting:
            await self._plug_in(self._vehicles[self._waiting.popleft()], freed)
