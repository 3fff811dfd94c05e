"""Queries on charge points and their connectors.

Every write is an ``INSERT ... ON CONFLICT``: events about a charge point may arrive in any order
(a status before the boot, a boot before the first connection is recorded) and must never fail.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.persistence.dialect_insert import conflict_insert, later_of
from fleet.persistence.models import ChargePointRow, ConnectorRow
from fleet.persistence.records import ChargePointRecord, ConnectorRecord


async def record_connection(
    session: AsyncSession, charge_point_id: str, ocpp_version: str, connected: bool, at: datetime
) -> None:
    insert = conflict_insert(session, ChargePointRow).values(
        id=charge_point_id,
        ocpp_version=ocpp_version,
        connected=connected,
        connected_at=at if connected else None,
        last_seen_at=at,
    )
    changes = {
        "ocpp_version": insert.excluded.ocpp_version,
        "connected": insert.excluded.connected,
        "last_seen_at": later_of(ChargePointRow.last_seen_at, insert.excluded.last_seen_at),
    }
    if connected:
        changes["connected_at"] = insert.excluded.connected_at
    await session.execute(insert.on_conflict_do_update(index_elements=[ChargePointRow.id], set_=changes))


async def record_boot(
    session: AsyncSession,
    charge_point_id: str,
    vendor: str,
    model: str,
    serial_number: str | None,
    firmware_version: str | None,
    at: datetime,
) -> None:
    insert = conflict_insert(session, ChargePointRow).values(
        id=charge_point_id,
        vendor=vendor,
        model=model,
        serial_number=serial_number,
        firmware_version=firmware_version,
        connected=False,
        booted_at=at,
        last_seen_at=at,
    )
    changes = {
        "vendor": insert.excluded.vendor,
        "model": insert.excluded.model,
        "serial_number": insert.excluded.serial_number,
        "firmware_version": insert.excluded.firmware_version,
        "booted_at": insert.excluded.booted_at,
        "last_seen_at": later_of(ChargePointRow.last_seen_at, insert.excluded.last_seen_at),
    }
    await session.execute(insert.on_conflict_do_update(index_elements=[ChargePointRow.id], set_=changes))


async def record_connector_status(
    session: AsyncSession, charge_point_id: str, connector_id: int, status: str, error_code: str, at: datetime
) -> None:
    seen = conflict_insert(session, ChargePointRow).values(id=charge_point_id, connected=False, last_seen_at=at)
    await session.execute(
        seen.on_conflict_do_update(
            index_elements=[ChargePointRow.id],
            set_={"last_seen_at": later_of(ChargePointRow.last_seen_at, seen.excluded.last_seen_at)},
        )
    )
    insert = conflict_insert(session, ConnectorRow).values(
        charge_point_id=charge_point_id,
        connector_id=connector_id,
        status=status,
        error_code=error_code,
        status_at=at,
    )
    # A StatusNotification queued by the charger while offline may arrive after a newer one.
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[ConnectorRow.charge_point_id, ConnectorRow.connector_id],
            set_={
                "status": insert.excluded.status,
                "error_code": insert.excluded.error_code,
                "status_at": insert.excluded.status_at,
            },
            where=ConnectorRow.status_at <= insert.excluded.status_at,
        )
    )


async def mark_all_disconnected(session: AsyncSession, at: datetime) -> int:
    result = await session.execute(
        update(ChargePointRow)
        .where(
            ChargePointRow.connected.is_(True),
            or_(ChargePointRow.connected_at.is_(None), ChargePointRow.connected_at <= at),
        )
        .values(connected=False)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def list_charge_points(session: AsyncSession) -> list[ChargePointRecord]:
    connectors: defaultdict[str, list[ConnectorRecord]] = defaultdict(list)
    connector_rows = await session.scalars(
        select(ConnectorRow).order_by(ConnectorRow.charge_point_id, ConnectorRow.connector_id)
    )
    for connector in connector_rows:
        connectors[connector.charge_point_id].append(
            ConnectorRecord(
                connector_id=connector.connector_id,
                status=connector.status,
                error_code=connector.error_code,
                status_at=connector.status_at,
            )
        )
    rows = await session.scalars(select(ChargePointRow).order_by(ChargePointRow.id))
    return [
        ChargePointRecord(
            id=row.id,
            vendor=row.vendor,
            model=row.model,
            serial_number=row.serial_number,
            firmware_version=row.firmware_version,
            ocpp_version=row.ocpp_version,
            connected=row.connected,
            connected_at=row.connected_at,
            last_seen_at=row.last_seen_at,
            booted_at=row.booted_at,
            connectors=tuple(connectors[row.id]),
        )
        for row in rows
    ]


async def booted_at(session: AsyncSession, charge_point_id: str) -> datetime | None:
    at: datetime | None = await session.scalar(
        select(ChargePointRow.booted_at).where(ChargePointRow.id == charge_point_id)
    )
    return at


async def ocpp_version(session: AsyncSession, charge_point_id: str) -> str | None:
    version: str | None = await session.scalar(
        select(ChargePointRow.ocpp_version).where(ChargePointRow.id == charge_point_id)
    )
    return version
