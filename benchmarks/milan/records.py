"""Store records as the fleet code reads them, made from the site file and from plant state.

The benchmarks hand these to :func:`fleet.planning.plugged_vehicles`, so that the planning code they
measure is the code the control loop runs on records from the database.
"""

from __future__ import annotations

from datetime import datetime

from fleet.persistence.records import BookingRecord, TransactionRecord, VehicleRecord
from fleet.runtime import vehicle_records as runtime_vehicle_records
from fleet.site_config import SiteConfig

METER_START_KWH = 1000.0
"""Register reading of every charger when a benchmark starts [kWh]; any value works."""


def vehicle_records(site: SiteConfig) -> dict[str, VehicleRecord]:
    """The site file's vehicles as the store returns them, by id (what the control loop stores)."""
    return {v.id: v for v in runtime_vehicle_records(site)}


def active_transaction(
    transaction_id: int,
    charge_point_id: str,
    vehicle: VehicleRecord,
    started_at: datetime,
    meter_start_kwh: float,
    register_kwh: float,
    power_kw: float,
    soc_percent: float,
    sampled_at: datetime,
) -> TransactionRecord:
    """A running transaction on connector 1 with its latest meter values.

    Parameters
    ----------
    transaction_id
        Unique id of the transaction.
    charge_point_id
        The charger.
    vehicle
        The vehicle, which authorised with its own id tag.
    started_at
        When it plugged in.
    meter_start_kwh, register_kwh
        The charger's energy register at the start and at the latest sample [kWh].
    power_kw
        Power at the latest sample [kW].
    soc_percent
        State of charge at the latest sample [%] (the simulated chargers report it, AC and DC).
    sampled_at
        Time of the latest sample.
    """
    return TransactionRecord(
        id=transaction_id,
        charge_point_id=charge_point_id,
        connector_id=1,
        id_tag=vehicle.id_tag,
        vehicle_id=vehicle.id,
        meter_start_kwh=meter_start_kwh,
        started_at=started_at,
        meter_stop_kwh=None,
        stopped_at=None,
        stop_reason=None,
        last_energy_register_kwh=register_kwh,
        last_power_kw=power_kw,
        last_soc_percent=soc_percent,
        last_sample_at=sampled_at,
    )


def booking(
    booking_id: int, vehicle_id: str, departure_at: datetime, energy_kwh: float, priority: float, created_at: datetime
) -> BookingRecord:
    """A fleet manager's booking: the vehicle leaves at ``departure_at`` needing ``energy_kwh`` [kWh] more."""
    return BookingRecord(
        id=booking_id,
        vehicle_id=vehicle_id,
        departure_at=departure_at,
        energy_needed_kwh=energy_kwh,
        priority=priority,
        created_at=created_at,
    )
