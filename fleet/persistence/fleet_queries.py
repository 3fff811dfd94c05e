"""Queries behind the fleet-management API: one vehicle at a time, bookings in bulk, grid limits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.persistence import vehicle_queries
from fleet.persistence.errors import IdTagConflictError
from fleet.persistence.models import BookingRow, GridLimitRow, VehicleIdTagRow, VehicleRow
from fleet.persistence.records import BookingRecord, GridLimitRecord, NewBooking, VehicleRecord


async def get_vehicle(session: AsyncSession, vehicle_id: str) -> VehicleRecord | None:
    row = await session.get(VehicleRow, vehicle_id)
    if row is None:
        return None
    extras = await vehicle_queries.extra_id_tags(session, [vehicle_id])
    return vehicle_queries.vehicle_record(row, extras.get(vehicle_id, ()))


async def save_vehicle(session: AsyncSession, vehicle: VehicleRecord) -> None:
    """Insert or replace one vehicle, refusing an id tag or ISO 15118 identity held by another."""
    for id_tag, holder in (await vehicle_queries.holders_of_tags(session, vehicle.id_tags)).items():
        if holder != vehicle.id:
            raise IdTagConflictError(f"{id_tag!r} belongs to vehicle {holder!r}")
    if vehicle.iso15118_id is not None:
        clash = await session.scalar(
            select(VehicleRow.id).where(VehicleRow.id != vehicle.id, VehicleRow.iso15118_id == vehicle.iso15118_id)
        )
        if clash is not None:
            raise IdTagConflictError(f"ISO 15118 identity {vehicle.iso15118_id!r} belongs to vehicle {clash!r}")
    row = await session.get(VehicleRow, vehicle.id)
    if row is None:
        row = VehicleRow(id=vehicle.id)
        session.add(row)
    row.fleet = vehicle.fleet
    row.vehicle_class = str(vehicle.vehicle_class)
    row.name = vehicle.name
    row.id_tag = vehicle.id_tag
    row.battery_kwh = vehicle.battery_kwh
    row.max_ac_kw = vehicle.max_ac_kw
    row.max_dc_kw = vehicle.max_dc_kw
    row.iso15118_id = vehicle.iso15118_id
    await session.flush()
    await session.execute(delete(VehicleIdTagRow).where(VehicleIdTagRow.vehicle_id == vehicle.id))
    session.add_all(VehicleIdTagRow(id_tag=id_tag, vehicle_id=vehicle.id) for id_tag in vehicle.extra_id_tags)
    await session.flush()


async def delete_vehicle(session: AsyncSession, vehicle_id: str) -> bool:
    """Delete a vehicle and its bookings; its past sessions stay, without the vehicle."""
    await session.execute(delete(BookingRow).where(BookingRow.vehicle_id == vehicle_id))
    await session.execute(delete(VehicleIdTagRow).where(VehicleIdTagRow.vehicle_id == vehicle_id))
    result = await session.execute(delete(VehicleRow).where(VehicleRow.id == vehicle_id))
    return bool(getattr(result, "rowcount", 0))


async def add_bookings(
    session: AsyncSession, bookings: Sequence[NewBooking], created_at: datetime
) -> list[BookingRecord]:
    """Store (vehicle id, departure, energy, priority, target SoC) bookings, all or none."""
    stored = []
    for vehicle_id, departure_at, energy_needed_kwh, priority, target_soc in bookings:
        stored.append(
            await vehicle_queries.add_booking(
                session, vehicle_id, departure_at, energy_needed_kwh, priority, created_at, target_soc
            )
        )
    return stored


async def add_grid_limit(
    session: AsyncSession,
    limit_kw: float,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    created_by: str,
    created_at: datetime,
) -> GridLimitRecord:
    row = GridLimitRow(
        limit_kw=limit_kw,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason,
        created_by=created_by,
        created_at=created_at,
    )
    session.add(row)
    await session.flush()
    return _grid_limit(row)


async def grid_limits(session: AsyncSession, ending_after: datetime) -> list[GridLimitRecord]:
    rows = await session.scalars(
        select(GridLimitRow)
        .where(GridLimitRow.ends_at > ending_after)
        .order_by(GridLimitRow.starts_at, GridLimitRow.id)
    )
    return [_grid_limit(row) for row in rows]


async def delete_grid_limit(session: AsyncSession, limit_id: int) -> bool:
    result = await session.execute(delete(GridLimitRow).where(GridLimitRow.id == limit_id))
    return bool(getattr(result, "rowcount", 0))


def _grid_limit(row: GridLimitRow) -> GridLimitRecord:
    return GridLimitRecord(row.id, row.limit_kw, row.starts_at, row.ends_at, row.reason, row.created_by, row.created_at)
