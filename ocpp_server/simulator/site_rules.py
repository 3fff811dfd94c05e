"""How the simulated fleet manager uses the hub: which charger a vehicle takes and what it asks for.

* Vans prefer AC chargers: they stay from the afternoon to the next morning (12 h and more), which
  is enough for 60-80 kWh at 11-22 kW, and the rapid DC chargers stay free for cars that turn
  around between bookings. A van takes a DC charger only when no AC charger is free.
* Cars below ``LOW_SOC`` prefer DC chargers (they may be booked again soon); other cars prefer AC.
* Within the preferred kind the most powerful free charger is taken, ties in the site's order.
* On plug-in a van asks for its next round's energy plus a ``RESERVE_SOC`` reserve; a car asks
  for ``CAR_TARGET_SOC`` or for what its next booking needs plus the reserve, whichever is more;
  both capped by the battery. Vans have priority ``VAN_PRIORITY``, cars ``CAR_PRIORITY``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ocpp_server.simulator.battery import ChargerKind, SimVehicleSpec
from ocpp_server.simulator.charger_spec import SimChargerSpec
from ocpp_server.simulator.day_plan import RESERVE_SOC

LOW_SOC = 0.3
CAR_TARGET_SOC = 0.8
VAN_PRIORITY = 2.0
CAR_PRIORITY = 1.0


def preferred_kinds(vehicle: SimVehicleSpec, soc: float) -> tuple[ChargerKind, ChargerKind]:
    """Charger kinds in order of preference for a vehicle at a state of charge [-]."""
    if vehicle.vehicle_class == "car" and soc < LOW_SOC:
        return ("DC", "AC")
    return ("AC", "DC")


def choose_charger(vehicle: SimVehicleSpec, soc: float, free: Sequence[SimChargerSpec]) -> SimChargerSpec | None:
    """The free charger a vehicle takes, or None when every charger is taken.

    Parameters
    ----------
    vehicle
        The arriving vehicle.
    soc
        Its state of charge on arrival [-].
    free
        Chargers without a vehicle, in the site's order.
    """
    for kind in preferred_kinds(vehicle, soc):
        candidates = [c for c in free if c.kind == kind]
        if candidates:
            # max() keeps the first of equals, so ties follow the site's order.
            return max(candidates, key=lambda c: c.max_power_kw)
    return None


def energy_needed_kwh(vehicle: SimVehicleSpec, stored_kwh: float, next_trip_energy_kwh: float) -> float:
    """Energy to add to the battery before the next departure [kWh], >= 0.

    Parameters
    ----------
    vehicle
        The vehicle (class and battery size).
    stored_kwh
        Energy in the battery at plug-in [kWh].
    next_trip_energy_kwh
        Energy the next trip will use [kWh]; 0 when no trip is planned.
    """
    capacity_kwh = vehicle.battery_kwh
    target_kwh = next_trip_energy_kwh + RESERVE_SOC * capacity_kwh
    if vehicle.vehicle_class == "car":
        target_kwh = max(CAR_TARGET_SOC * capacity_kwh, target_kwh)
    return max(0.0, min(target_kwh, capacity_kwh) - stored_kwh)


def booking_priority(vehicle: SimVehicleSpec) -> float:
    """Weight of the vehicle's energy request against the others' [-]."""
    return VAN_PRIORITY if vehicle.vehicle_class == "van" else CAR_PRIORITY
