"""Queries on vehicles and their bookings (departure time and energy needed)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from fleet.persistence.dialect_insert import conflict_insert
from fleet.persistence.errors import IdTagConflictError, UnknownVehicleError
from fleet.persistence.models import BookingRow, SiteFileVehicleRow, VehicleIdTagRow, VehicleRow
from fleet.persistence.records import BookingRecord, VehicleClass, VehicleRecord


async def add_site_file_vehicles(session: AsyncSession, vehicles: Sequence[VehicleRecord]) -> list[str]:
    """Add the site file's vehicles it has never added before; returns their ids.

    A vehicle added once belongs to the API from then on: changed, deleted or re-created there, it
    is left as it is. A new vehicle whose id the API already uses keeps the API's record.
    """
    given = [vehicle.id for vehicle in vehicles]
    if not given:
        return []
    added_before = set(
        (await session.execute(select(SiteFileVehicleRow.vehicle_id).where(SiteFileVehicleRow.vehicle_id.in_(given))))
        .scalars()
        .all()
    )
    new = [vehicle for vehicle in vehicles if vehicle.id not in added_before]
    if not new:
        return []
    stored = set(
        (await session.execute(select(VehicleRow.id).where(VehicleRow.id.in_([v.id for v in new])))).scalars().all()
    )
    await upsert_vehicles(session, [vehicle for vehicle in new if vehicle.id not in stored])
    await session.execute(
        conflict_insert(session, SiteFileVehicleRow)
        .values([{"vehicle_id": vehicle.id} for vehicle in new])
        .on_conflict_do_nothing(index_elements=[SiteFileVehicleRow.vehicle_id])
    )
    return [vehicle.id for vehicle in new if vehicle.id not in stored]


async def upsert_vehicles(session: AsyncSession, vehicles: Sequence[VehicleRecord]) -> None:
    """Insert or update ``vehicles``; ids and id tags must already be unique within the batch."""
    if not vehicles:
        return
    claimants = {vehicle.id_tag: vehicle.id for vehicle in vehicles}
    batch_ids = set(claimants.values())
    for id_tag, holder in (await _vehicle_ids_with_tags(session, list(claimants))).items():
        if holder != claimants[id_tag] and holder not in batch_ids:
            raise IdTagConflictError(
                f"{id_tag!r} belongs to vehicle {holder!r}, cannot give it to {claimants[id_tag]!r}"
            )
    insert = conflict_insert(session, VehicleRow).values(
        [
            {
                "id": vehicle.id,
                "fleet": vehicle.fleet,
                "vehicle_class": str(vehicle.vehicle_class),
                "name": vehicle.name,
                "id_tag": vehicle.id_tag,
                "battery_kwh": vehicle.battery_kwh,
                "max_ac_kw": vehicle.max_ac_kw,
                "max_dc_kw": vehicle.max_dc_kw,
                "iso15118_id": vehicle.iso15118_id,
            }
            for vehicle in vehicles
        ]
    )
    changed = ("fleet", "vehicle_class", "name", "id_tag", "battery_kwh", "max_ac_kw", "max_dc_kw")
    # The site file knows no ISO 15118 identities: a vehicle given without one keeps the stored one.
    keep_identity = func.coalesce(insert.excluded["iso15118_id"], VehicleRow.iso15118_id)
    statement = insert.on_conflict_do_update(
        index_elements=[VehicleRow.id],
        set_={**{name: insert.excluded[name] for name in changed}, "iso15118_id": keep_identity},
    )
    try:
        await session.execute(statement)
    except IntegrityError as error:
        # The unique constraint is checked row by row: tags cannot swap between stored vehicles.
        raise IdTagConflictError(
            "an id tag moves between stored vehicles in one call; give its holder a new tag first"
        ) from error


async def _vehicle_ids_with_tags(session: AsyncSession, id_tags: Sequence[str]) -> dict[str, str]:
    """The holder of each of ``id_tags`` that is taken, as first or further tag."""
    rows = await session.execute(select(VehicleRow.id_tag, VehicleRow.id).where(VehicleRow.id_tag.in_(id_tags)))
    extra = await session.execute(
        select(VehicleIdTagRow.id_tag, VehicleIdTagRow.vehicle_id).where(VehicleIdTagRow.id_tag.in_(id_tags))
    )
    return {id_tag: vehicle_id for id_tag, vehicle_id in [*rows, *extra]}


async def holders_of_tags(session: AsyncSession, id_tags: Sequence[str]) -> dict[str, str]:
    """Vehicle id by id tag, for those of ``id_tags`` some vehicle holds."""
    return await _vehicle_ids_with_tags(session, id_tags)


async def extra_id_tags(session: AsyncSession, vehicle_ids: Sequence[str] | None = None) -> dict[str, tuple[str, ...]]:
    """The further id tags of each vehicle that has any (of ``vehicle_ids``, or of all), sorted."""
    query = select(VehicleIdTagRow.vehicle_id, VehicleIdTagRow.id_tag).order_by(VehicleIdTagRow.id_tag)
    if vehicle_ids is not None:
        query = query.where(VehicleIdTagRow.vehicle_id.in_(vehicle_ids))
    found: dict[str, list[str]] = {}
    for vehicle_id, id_tag in await session.execute(query):
        found.setdefault(vehicle_id, []).append(id_tag)
    return {vehicle_id: tuple(tags) for vehicle_id, tags in found.items()}


async def list_vehicles(session: AsyncSession) -> list[VehicleRecord]:
    rows = await session.scalars(select(VehicleRow).order_by(VehicleRow.id))
    extras = await extra_id_tags(session)
    return [vehicle_record(row, extras.get(row.id, ())) for row in rows]


async def vehicle_by_id_tag(session: AsyncSession, id_tag: str) -> VehicleRecord | None:
    """The vehicle holding ``id_tag``, as its first or a further tag."""
    holder = (await _vehicle_ids_with_tags(session, [id_tag])).get(id_tag)
    row = None if holder is None else await session.get(VehicleRow, holder)
    if row is None:
        return None
    return vehicle_record(row, (await extra_id_tags(session, [row.id])).get(row.id, ()))


async def require_vehicle(session: AsyncSession, vehicle_id: str) -> None:
    """Raise ``UnknownVehicleError`` unless a vehicle with this id is stored."""
    if await session.scalar(select(VehicleRow.id).where(VehicleRow.id == vehicle_id)) is None:
        raise UnknownVehicleError(vehicle_id)


async def add_booking(
    session: AsyncSession,
    vehicle_id: str,
    departure_at: datetime,
    energy_needed_kwh: float | None,
    priority: float,
    created_at: datetime,
    target_soc: float | None = None,
) -> BookingRecord:
    await require_vehicle(session, vehicle_id)
    row = BookingRow(
        vehicle_id=vehicle_id,
        departure_at=departure_at,
        energy_needed_kwh=energy_needed_kwh,
        priority=priority,
        created_at=created_at,
        target_soc=target_soc,
    )
    session.add(row)
    await session.flush()
    return _booking_record(row)


async def current_bookings(session: AsyncSession) -> dict[str, BookingRecord]:
    ranked = select(
        BookingRow,
        func.row_number()
        .over(
            partition_by=BookingRow.vehicle_id,
            order_by=(BookingRow.created_at.desc(), BookingRow.id.desc()),
        )
        .label("recency"),
    ).subquery()
    latest = aliased(BookingRow, ranked)
    rows = await session.scalars(select(latest).where(ranked.c.recency == 1).order_by(latest.vehicle_id))
    return {row.vehicle_id: _booking_record(row) for row in rows}


def vehicle_record(row: VehicleRow, extra_tags: tuple[str, ...] = ()) -> VehicleRecord:
    return VehicleRecord(
        id=row.id,
        fleet=row.fleet,
        vehicle_class=VehicleClass(row.vehicle_class),
        name=row.name,
        id_tag=row.id_tag,
        battery_kwh=row.battery_kwh,
        max_ac_kw=row.max_ac_kw,
        max_dc_kw=row.max_dc_kw,
        iso15118_id=row.iso15118_id,
        extra_id_tags=extra_tags,
    )


def _booking_record(row: BookingRow) -> BookingRecord:
    return BookingRecord(
        id=row.id,
        vehicle_id=row.vehicle_id,
        departure_at=row.departure_at,
        energy_needed_kwh=row.energy_needed_kwh,
        priority=row.priority,
        created_at=row.created_at,
        target_soc=row.target_soc,
    )
