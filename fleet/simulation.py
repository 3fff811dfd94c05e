"""The demo's simulated site: the configured chargers and vehicles, played by the OCPP simulator."""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from datetime import datetime

from fleet.clock import Clock
from fleet.persistence.store import Store
from fleet.site_config import SiteConfig
from fleet.triggers import PlanTriggers
from fleet.yard import WaitingEntry, Yard
from ocpp_server.simulator.battery import SimVehicleSpec
from ocpp_server.simulator.charger_spec import SimChargerSpec
from ocpp_server.simulator.site import SiteSimulator
from ocpp_server.simulator.version_mix import mix_ocpp_versions

log = logging.getLogger(__name__)


class SimulatedFleetManager:
    """Enters a booking for each vehicle that plugs in, as the fleet's manager would through the API."""

    def __init__(self, store: Store, clock: Clock, triggers: PlanTriggers, yard: Yard) -> None:
        self._store = store
        self._clock = clock
        self._triggers = triggers
        self._yard = yard

    async def vehicle_plugged_in(
        self, vehicle_id: str, departure_utc: datetime, energy_needed_kwh: float, priority: float
    ) -> None:
        await self._store.add_booking(vehicle_id, departure_utc, energy_needed_kwh, priority, self._clock.now())
        self._triggers.request_replan(f"booking for {vehicle_id}")

    async def vehicle_waiting(
        self, vehicle_id: str, departure_utc: datetime, energy_needed_kwh: float, priority: float
    ) -> None:
        entry = WaitingEntry(vehicle_id, self._clock.now(), departure_utc, energy_needed_kwh, priority)
        self._yard.arrive(entry)
        self._triggers.request_replan(f"{vehicle_id} waiting for a charger")

    async def vehicle_left_yard(self, vehicle_id: str) -> None:
        if self._yard.leave(vehicle_id):
            self._triggers.request_replan(f"{vehicle_id} left the yard")


def simulated_chargers(site: SiteConfig) -> list[SimChargerSpec]:
    """The site's charge points as the simulator plays them, with the OCPP versions the site asks for."""
    chargers = [
        SimChargerSpec(
            charge_point_id=c.id,
            kind=c.kind,
            max_power_kw=c.max_power_kw,
            rate_unit=c.rate_unit,
            phases=c.phases,
            voltage_v=c.voltage_v,
            min_current_a=c.min_current_a,
            vendor=c.vendor or "Vettabbia-Sim",
            model=c.model or f"{c.kind}{c.max_power_kw:.0f}",
            max_schedule_periods=c.max_schedule_periods,
            ocpp_version=c.ocpp_version,
        )
        for c in site.charge_points
    ]
    named = {c.id for c in site.charge_points if "ocpp_version" in c.model_fields_set}
    return mix_ocpp_versions(chargers, site.simulation.ocpp201_share, fixed=named)


def simulated_vehicles(site: SiteConfig, rng: random.Random) -> list[SimVehicleSpec]:
    # Vans come back from yesterday's rounds half empty; shared cars are in every state.
    return [
        SimVehicleSpec(
            vehicle_id=v.id,
            id_tag=v.id_tag,
            vehicle_class=v.vehicle_class,
            battery_kwh=v.battery_kwh,
            max_ac_kw=v.max_ac_kw,
            max_dc_kw=v.max_dc_kw,
            initial_soc=rng.uniform(0.25, 0.5) if v.vehicle_class == "van" else rng.uniform(0.2, 0.85),
        )
        for v in site.vehicles
    ]


def build_simulator(
    site: SiteConfig,
    ocpp_url: str | Sequence[str],
    clock: Clock,
    store: Store,
    triggers: PlanTriggers,
    yard: Yard,
    seed: int,
) -> SiteSimulator:
    rng = random.Random(seed)
    return SiteSimulator(
        ocpp_url,
        simulated_chargers(site),
        simulated_vehicles(site, rng),
        clock,
        SimulatedFleetManager(store, clock, triggers, yard),
        seed=seed,
    )
