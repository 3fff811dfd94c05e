"""The simulated hub end to end: chargers and vehicles against a real OCPP 1.6 central system.

Three chargers, four vehicles: one vehicle has to wait for a charger. The clock runs 1,200 times
faster than real time (a simulated minute is 50 ms).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from ocpp.v16 import call

from ocpp_server.simulator.battery import SimVehicleSpec
from ocpp_server.simulator.charger_spec import SimChargerSpec
from ocpp_server.simulator.clock import ScaledClock
from ocpp_server.simulator.day_plan import Trip
from ocpp_server.simulator.site import SiteSimulator
from ocpp_server.simulator.timestamps import parse_ocpp_datetime

from .central_system import CentralSystem, Received

pytestmark = pytest.mark.timeout(60)

ROME = ZoneInfo("Europe/Rome")
T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
CHARGERS = [
    SimChargerSpec("AC-1", "AC", 22.0, "A", 3, 230.0, 6.0, "Vettabbia", "SimAC22"),
    SimChargerSpec("AC-2", "AC", 22.0, "A", 3, 230.0, 6.0, "Vettabbia", "SimAC22"),
    SimChargerSpec("DC-1", "DC", 50.0, "W", 3, 400.0, 0.0, "Vettabbia", "SimDC50"),
]
VAN = SimVehicleSpec("van-1", "TAG-VAN-1", "van", 75.0, 22.0, 50.0, 0.3)
CAR_LOW = SimVehicleSpec("car-low", "TAG-CAR-LOW", "car", 40.0, 11.0, 50.0, 0.2)
CAR_A = SimVehicleSpec("car-a", "TAG-CAR-A", "car", 40.0, 11.0, 50.0, 0.6)
CAR_B = SimVehicleSpec("car-b", "TAG-CAR-B", "car", 40.0, 11.0, 50.0, 0.7)


def trip(vehicle: SimVehicleSpec, depart_min: int, energy_kwh: float) -> Trip:
    return Trip(
        vehicle.vehicle_id,
        T0 + timedelta(minutes=depart_min),
        T0 + timedelta(minutes=depart_min + 240),
        energy_kwh,
    )


TRIPS = [trip(VAN, 180, 60.0), trip(CAR_LOW, 10, 5.0), trip(CAR_A, 25, 5.0), trip(CAR_B, 60, 5.0)]


@dataclass(frozen=True)
class PlugIn:
    vehicle_id: str
    departure_utc: datetime
    energy_needed_kwh: float
    priority: float


class RecordingBookings:
    def __init__(self) -> None:
        self.plug_ins: list[PlugIn] = []
        self.waiting: list[PlugIn] = []
        self.left_yard: list[str] = []

    async def vehicle_plugged_in(
        self, vehicle_id: str, departure_utc: datetime, energy_needed_kwh: float, priority: float
    ) -> None:
        self.plug_ins.append(PlugIn(vehicle_id, departure_utc, energy_needed_kwh, priority))

    async def vehicle_waiting(
        self, vehicle_id: str, departure_utc: datetime, energy_needed_kwh: float, priority: float
    ) -> None:
        self.waiting.append(PlugIn(vehicle_id, departure_utc, energy_needed_kwh, priority))

    async def vehicle_left_yard(self, vehicle_id: str) -> None:
        self.left_yard.append(vehicle_id)


@contextlib.asynccontextmanager
async def running(site: SiteSimulator) -> AsyncIterator[None]:
    task = asyncio.create_task(site.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def stop_of(central: CentralSystem, id_tag: str) -> Received | None:
    return next((r for r in central.messages("StopTransaction") if r.payload["id_tag"] == id_tag), None)


def start_of(central: CentralSystem, id_tag: str) -> Received | None:
    return next((r for r in central.messages("StartTransaction") if r.payload["id_tag"] == id_tag), None)


def samples(received: Received, measurand: str) -> list[tuple[datetime, float]]:
    return [
        (parse_ocpp_datetime(value["timestamp"], "timestamp"), float(sample["value"]))
        for value in received.payload["meter_value"]
        for sample in value["sampled_value"]
        if sample["measurand"] == measurand
    ]


async def test_a_short_day_at_the_hub() -> None:
    bookings = RecordingBookings()
    clock = ScaledClock(T0, 1200)
    async with CentralSystem() as central:
        site = SiteSimulator(
            central.base_url,
            CHARGERS,
            [VAN, CAR_LOW, CAR_A, CAR_B],
            clock,
            bookings,
            trips=TRIPS,
            timezone=ROME,
        )
        async with running(site):
            await central.wait_until(lambda: len(bookings.plug_ins) == 3)
            assert site.waiting_vehicles == ("car-b",)
            assert [w.vehicle_id for w in bookings.waiting] == ["car-b"]
            assert bookings.waiting[0].energy_needed_kwh > 0
            assert site.plugged_vehicles == {"AC-1": "van-1", "DC-1": "car-low", "AC-2": "car-a"}
            await central.wait_until(lambda: site.connected_count == 3)

            # The central system limits car-a's transaction to 10 A (6.9 kW).
            started = await central.wait_for("StartTransaction", "AC-2")
            await central.wait_until(lambda: site.charge_points["AC-2"].transaction_id is not None)
            profile = {
                "chargingProfileId": 1,
                "stackLevel": 0,
                "chargingProfilePurpose": "TxProfile",
                "chargingProfileKind": "Relative",
                "transactionId": started.payload["assigned_transaction_id"],
                "chargingSchedule": {
                    "chargingRateUnit": "A",
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10.0}],
                },
            }
            answer = await central.request(
                "AC-2", call.SetChargingProfile(connector_id=1, cs_charging_profiles=profile)
            )
            assert answer.status == "Accepted"
            limited_from = clock.now()

            # car-low leaves at +10 min; car-b, first in line, takes its DC charger.
            await central.wait_until(lambda: start_of(central, "TAG-CAR-B") is not None)
            assert not site.waiting_vehicles
            assert site.plugged_vehicles["DC-1"] == "car-b"
            # car-a leaves at +25 min.
            await central.wait_until(lambda: stop_of(central, "TAG-CAR-A") is not None)
            assert site.charging_count >= 1
        await central.wait_until(lambda: not any(central.is_connected(c.charge_point_id) for c in CHARGERS))

    assert len(central.messages("BootNotification")) == 3
    for charger in CHARGERS:
        first_two = central.messages("StatusNotification", charger.charge_point_id)[:2]
        assert [s.payload["connector_id"] for s in first_two] == [0, 1]

    # Departures stop transactions at the planned time, with the vehicle gone.
    for vehicle, charger_id in ((CAR_LOW, "DC-1"), (CAR_A, "AC-2")):
        stopped = stop_of(central, vehicle.id_tag)
        assert stopped is not None
        assert stopped.charge_point_id == charger_id
        assert stopped.payload["reason"] == "EVDisconnected"
        planned = next(t.depart_utc for t in TRIPS if t.vehicle_id == vehicle.vehicle_id)
        assert parse_ocpp_datetime(stopped.payload["timestamp"], "timestamp") >= planned
    car_b_start = start_of(central, CAR_B.id_tag)
    car_low_stop = stop_of(central, CAR_LOW.id_tag)
    assert car_b_start is not None
    assert car_low_stop is not None
    assert car_b_start.charge_point_id == "DC-1"
    assert car_b_start.payload["meter_start"] == car_low_stop.payload["meter_stop"]

    # car-a's meter only goes up, and its power respects the TxProfile once it is in force.
    car_a_meter = [m for m in central.messages("MeterValues", "AC-2")]
    energy = [value for m in car_a_meter for _, value in samples(m, "Energy.Active.Import.Register")]
    assert len(energy) >= 10
    assert energy == sorted(energy)
    assert energy[-1] > energy[0]
    limited = [power for m in car_a_meter for at, power in samples(m, "Power.Active.Import") if at >= limited_from]
    assert limited
    assert max(limited) <= 6900.0

    # The fleet manager announced every plug-in with the next departure and the need.
    assert [p.vehicle_id for p in bookings.plug_ins] == ["van-1", "car-low", "car-a", "car-b"]
    by_vehicle = {p.vehicle_id: p for p in bookings.plug_ins}
    assert by_vehicle["van-1"].departure_utc == T0 + timedelta(minutes=180)
    assert by_vehicle["van-1"].priority == 2.0
    # van: 60 kWh round + 7.5 kWh reserve - 22.5 kWh on board
    assert by_vehicle["van-1"].energy_needed_kwh == pytest.approx(45.0)
    # car-a: 80 % of 40 kWh - 24 kWh on board
    assert by_vehicle["car-a"].energy_needed_kwh == pytest.approx(8.0)
    assert by_vehicle["car-a"].priority == 1.0
    assert by_vehicle["car-b"].departure_utc == T0 + timedelta(minutes=60)


async def test_planned_vans_leave_in_their_morning_window() -> None:
    start = datetime(2024, 5, 2, 5, 55, tzinfo=ROME)
    vans = [SimVehicleSpec(f"van-{i}", f"TAG-VAN-{i}", "van", 75.0, 22.0, 50.0, 0.5) for i in range(2)]
    cars = [SimVehicleSpec(f"car-{i}", f"TAG-CAR-{i}", "car", 40.0, 11.0, 50.0, 0.5) for i in range(2)]
    bookings = RecordingBookings()
    async with CentralSystem() as central:
        site = SiteSimulator(
            central.base_url, CHARGERS, vans + cars, ScaledClock(start, 3600), bookings, seed=11, timezone=ROME
        )
        async with running(site):
            await central.wait_until(
                lambda: all(stop_of(central, van.id_tag) is not None for van in vans), timeout_s=20
            )
    announced = {p.vehicle_id: p.departure_utc for p in bookings.plug_ins}
    for van in vans:
        departure = announced[van.vehicle_id]
        assert time(6, 0) <= departure.astimezone(ROME).time() <= time(7, 0)
        assert departure.astimezone(ROME).date().isoformat() == "2024-05-02"
        stopped = stop_of(central, van.id_tag)
        assert stopped is not None
        assert parse_ocpp_datetime(stopped.payload["timestamp"], "timestamp") >= departure
        assert stopped.payload["reason"] == "EVDisconnected"
        assert stopped.charge_point_id.startswith("AC-")


def test_duplicate_ids_are_refused() -> None:
    clock = ScaledClock(T0, 1)
    same_tag = dataclasses.replace(CAR_A, vehicle_id="car-a-twin")
    with pytest.raises(ValueError, match="id_tag"):
        SiteSimulator("ws://127.0.0.1:1/ocpp", CHARGERS, [CAR_A, same_tag], clock, RecordingBookings())
    with pytest.raises(ValueError, match="chargers"):
        SiteSimulator("ws://127.0.0.1:1/ocpp", [], [CAR_A], clock, RecordingBookings())
