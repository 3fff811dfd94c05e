"""Simulated OCPP 1.6J and 2.0.1 charge points and fleet vehicles on a simulated clock.

Used by the demo, the end-to-end tests and the load benchmarks: the charge points speak real
OCPP 1.6J or 2.0.1 (each its own, see ``SimChargerSpec.ocpp_version`` and ``version_mix``) over
real websockets to whatever central system listens at ``base_url``.
"""

from ocpp_server.simulator.battery import SimVehicleSpec, VehicleBattery
from ocpp_server.simulator.charge_point import SimulatedChargePoint
from ocpp_server.simulator.charger_spec import SimChargerSpec
from ocpp_server.simulator.clock import ScaledClock, SimClock, sleep_until
from ocpp_server.simulator.day_plan import Trip, plan_trips
from ocpp_server.simulator.site import BookingSink, SiteSimulator

__all__ = [
    "BookingSink",
    "ScaledClock",
    "SimChargerSpec",
    "SimClock",
    "SimVehicleSpec",
    "SimulatedChargePoint",
    "SiteSimulator",
    "Trip",
    "VehicleBattery",
    "plan_trips",
    "sleep_until",
]
