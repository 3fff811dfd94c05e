"""Small builders of store records for the fleet tests."""

from __future__ import annotations

from datetime import UTC, datetime

from fleet.persistence.records import BookingRecord, TransactionRecord, VehicleClass, VehicleRecord

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Milan


def vehicle(vehicle_id: str = "VAN-01", vehicle_class: str = "van", battery_kwh: float = 79.0) -> VehicleRecord:
    return VehicleRecord(
        id=vehicle_id,
        fleet="e-logistics" if vehicle_class == "van" else "car-sharing",
        vehicle_class=VehicleClass(vehicle_class),
        name="",
        id_tag=f"RFID-{vehicle_id}",
        battery_kwh=battery_kwh,
        max_ac_kw=11.0,
        max_dc_kw=50.0,
    )


def transaction(
    transaction_id: int = 1,
    charge_point_id: str = "MI-AC-01",
    vehicle_id: str | None = "VAN-01",
    started_at: datetime = T0,
    energy_kwh: float = 0.0,
    soc_percent: float | None = None,
    power_kw: float | None = None,
) -> TransactionRecord:
    return TransactionRecord(
        id=transaction_id,
        charge_point_id=charge_point_id,
        connector_id=1,
        id_tag=f"RFID-{vehicle_id}",
        vehicle_id=vehicle_id,
        meter_start_kwh=100.0,
        started_at=started_at,
        meter_stop_kwh=None,
        stopped_at=None,
        stop_reason=None,
        last_energy_register_kwh=100.0 + energy_kwh,
        last_power_kw=power_kw,
        last_soc_percent=soc_percent,
        last_sample_at=started_at if power_kw is not None else None,
    )


def booking(vehicle_id: str, departure_at: datetime, energy_kwh: float, created_at: datetime = T0) -> BookingRecord:
    return BookingRecord(
        id=1,
        vehicle_id=vehicle_id,
        departure_at=departure_at,
        energy_needed_kwh=energy_kwh,
        priority=3.0,
        created_at=created_at,
    )
