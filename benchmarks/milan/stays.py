"""What the plant records: bookings made at plug-in, stays on chargers, departures and their readiness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ocpp_server.simulator.battery import ChargerKind, SimVehicleSpec, VehicleBattery
from ocpp_server.simulator.charger_spec import SimChargerSpec
from ocpp_server.simulator.site_rules import booking_priority, energy_needed_kwh

READY_TOLERANCE_KWH = 0.05
"""A vehicle leaving with this little [kWh] below its target still counts as ready: rounding, not need."""


@dataclass(frozen=True, slots=True)
class Booking:
    """What the fleet manager announces when a vehicle plugs in."""

    created_at: datetime
    departure_utc: datetime
    need_kwh: float
    """Energy to add to the battery by departure [kWh]."""
    target_kwh: float
    """Energy the battery should hold at departure [kWh]: the next trip plus a reserve (cars: 80 % or more)."""
    priority: float


def booking_at(
    vehicle: SimVehicleSpec, stored_kwh: float, now: datetime, departure_utc: datetime, trip_energy_kwh: float
) -> Booking:
    """The simulator's fleet manager's booking for a vehicle holding ``stored_kwh`` [kWh] at ``now``."""
    return Booking(
        created_at=now,
        departure_utc=departure_utc,
        need_kwh=energy_needed_kwh(vehicle, stored_kwh, trip_energy_kwh),
        target_kwh=energy_needed_kwh(vehicle, 0.0, trip_energy_kwh),
        priority=booking_priority(vehicle),
    )


@dataclass(frozen=True, slots=True)
class Stay:
    """One vehicle on one charger, from plug-in to unplugging (or to the end of the run)."""

    transaction_id: int
    vehicle_id: str
    vehicle_class: str
    charge_point_id: str
    charger_kind: ChargerKind
    max_power_kw: float
    """Lower of the charger's and the vehicle's rating on this kind of charger [kW]."""
    plugged_step: int
    unplugged_step: int
    departed: bool
    """False when the run ended with the vehicle still plugged in."""
    stored_at_plug_in_kwh: float
    stored_at_unplug_kwh: float
    metered_kwh: float
    booking: Booking


@dataclass(frozen=True, slots=True)
class Departure:
    """A vehicle leaving the hub, charged or not."""

    vehicle_id: str
    vehicle_class: str
    step: int
    stored_kwh: float
    target_kwh: float
    transaction_id: int | None
    """The stay it leaves from; None when it never got a charger."""
    possible: bool
    """Whether charging at full power (taper included) from plug-in would have reached the target."""

    @property
    def shortfall_kwh(self) -> float:
        """How far below its target the battery left [kWh]; 0 when it made it."""
        return max(0.0, self.target_kwh - self.stored_kwh)

    @property
    def ready(self) -> bool:
        return self.shortfall_kwh <= READY_TOLERANCE_KWH


def ready_at_max_power(
    vehicle: SimVehicleSpec,
    charger: SimChargerSpec,
    stored_kwh: float,
    steps: int,
    target_kwh: float,
    step_s: float,
) -> bool:
    """Whether ``steps`` steps at the highest power the vehicle takes reach ``target_kwh`` [kWh].

    The grid limit and the other vehicles are ignored: this is what the vehicle and its charger
    allow, the best any controller could do for it alone.
    """
    battery = VehicleBattery(_with_soc(vehicle, stored_kwh / vehicle.battery_kwh))
    for _ in range(steps):
        if battery.stored_kwh >= target_kwh - READY_TOLERANCE_KWH:
            return True
        power_kw = min(charger.max_power_kw, battery.max_charge_power_kw(charger.kind))
        battery.charge(power_kw, step_s)
    return battery.stored_kwh >= target_kwh - READY_TOLERANCE_KWH


def _with_soc(vehicle: SimVehicleSpec, soc: float) -> SimVehicleSpec:
    return SimVehicleSpec(
        vehicle_id=vehicle.vehicle_id,
        id_tag=vehicle.id_tag,
        vehicle_class=vehicle.vehicle_class,
        battery_kwh=vehicle.battery_kwh,
        max_ac_kw=vehicle.max_ac_kw,
        max_dc_kw=vehicle.max_dc_kw,
        initial_soc=min(1.0, max(0.0, soc)),
    )
