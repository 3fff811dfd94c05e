"""Queries on the id-tag store, the tags vehicles hold, and the chargers' local authorisation lists."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.persistence.dialect_insert import conflict_insert
from fleet.persistence.id_tag_records import (
    IdTagLookup,
    IdTagRecord,
    LocalListEntry,
    LocalListRecord,
    TagTransaction,
    id_tag_key,
)
from fleet.persistence.models import (
    ConnectorRow,
    IdTagRow,
    LocalListEntryRow,
    LocalListRow,
    TransactionRow,
    VehicleIdTagRow,
    VehicleRow,
)
from ocpp_server.ports import IdTagInfo, IdTagStatus


async def add_id_tag(session: AsyncSession, record: IdTagRecord) -> bool:
    """Insert ``record``; ``False`` (and nothing stored) when the tag is taken in any letter case."""
    statement = (
        conflict_insert(session, IdTagRow)
        .values(id_tag_key=id_tag_key(record.id_tag), **_columns(record))
        .on_conflict_do_nothing(index_elements=[IdTagRow.id_tag_key])
    )
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]  # an insert's CursorResult


async def get_id_tag(session: AsyncSession, id_tag: str) -> IdTagRecord | None:
    row = await session.get(IdTagRow, id_tag_key(id_tag))
    return None if row is None else _record(row)


async def list_id_tags(session: AsyncSession, status: IdTagStatus | None, limit: int, offset: int) -> list[IdTagRecord]:
    query = select(IdTagRow).order_by(IdTagRow.id_tag_key).limit(limit).offset(offset)
    if status is not None:
        query = query.where(IdTagRow.status == status.value)
    return [_record(row) for row in await session.scalars(query)]


async def replace_id_tag(session: AsyncSession, record: IdTagRecord) -> bool:
    """Overwrite the stored tag's answer and owner; ``False`` when the tag is not stored."""
    row = await session.get(IdTagRow, id_tag_key(record.id_tag))
    if row is None:
        return False
    for name, value in _columns(record).items():
        setattr(row, name, value)
    return True


async def delete_id_tag(session: AsyncSession, id_tag: str) -> bool:
    result = await session.execute(delete(IdTagRow).where(IdTagRow.id_tag_key == id_tag_key(id_tag)))
    return bool(result.rowcount)  # type: ignore[attr-defined]  # a delete's CursorResult


async def lookup(session: AsyncSession, id_tag: str) -> IdTagLookup:
    """The store's entry for ``id_tag``, the vehicle holding it, and its open transactions."""
    return IdTagLookup(
        entry=await get_id_tag(session, id_tag),
        vehicle_id=await _vehicle_holding(session, id_tag),
        open_transactions=tuple(await _open_transactions(session, id_tag)),
    )


async def _vehicle_holding(session: AsyncSession, id_tag: str) -> str | None:
    """The vehicle holding ``id_tag`` in any letter case; one holding it exactly as written wins."""
    # SQL lower() folds at least A-Z on every backend, so it finds a superset of the matches;
    # the comparison of keys then keeps exactly the case-insensitive ones.
    wanted = func.lower(literal(id_tag))
    first = select(VehicleRow.id_tag, VehicleRow.id).where(func.lower(VehicleRow.id_tag) == wanted)
    further = select(VehicleIdTagRow.id_tag, VehicleIdTagRow.vehicle_id).where(
        func.lower(VehicleIdTagRow.id_tag) == wanted
    )
    holders = sorted(
        (tag != id_tag, vehicle_id)
        for tag, vehicle_id in [*await session.execute(first), *await session.execute(further)]
        if id_tag_key(tag) == id_tag_key(id_tag)
    )
    return holders[0][1] if holders else None


async def _open_transactions(session: AsyncSession, id_tag: str) -> list[TagTransaction]:
    query = (
        select(
            TransactionRow.id,
            TransactionRow.charge_point_id,
            TransactionRow.connector_id,
            TransactionRow.id_tag,
            TransactionRow.started_at,
            ConnectorRow.status,
            ConnectorRow.status_at,
        )
        .outerjoin(
            ConnectorRow,
            and_(
                ConnectorRow.charge_point_id == TransactionRow.charge_point_id,
                ConnectorRow.connector_id == TransactionRow.connector_id,
            ),
        )
        .where(TransactionRow.stopped_at.is_(None), func.lower(TransactionRow.id_tag) == func.lower(literal(id_tag)))
        .order_by(TransactionRow.started_at, TransactionRow.id)
    )
    return [
        TagTransaction(transaction_id, charge_point_id, connector_id, started_at, status, status_at)
        for transaction_id, charge_point_id, connector_id, tag, started_at, status, status_at in await session.execute(
            query
        )
        if id_tag_key(tag) == id_tag_key(id_tag)
    ]


async def local_list(session: AsyncSession, charge_point_id: str) -> LocalListRecord:
    header = await session.get(LocalListRow, charge_point_id)
    if header is None:
        return LocalListRecord(charge_point_id, 0, (), None)
    rows = await session.scalars(
        select(LocalListEntryRow)
        .where(LocalListEntryRow.charge_point_id == charge_point_id)
        .order_by(LocalListEntryRow.id_tag_key)
    )
    entries = tuple(
        LocalListEntry(row.id_tag, IdTagInfo(IdTagStatus(row.status), row.expires_at, row.parent_id_tag))
        for row in rows
    )
    return LocalListRecord(charge_point_id, header.version, entries, header.updated_at)


async def save_local_list(
    session: AsyncSession,
    charge_point_id: str,
    version: int,
    entries: Sequence[LocalListEntry],
    updated_at: datetime,
) -> None:
    """Make ``entries`` (unique by key) the charger's whole list at ``version``."""
    header = await session.get(LocalListRow, charge_point_id)
    if header is None:
        session.add(LocalListRow(charge_point_id=charge_point_id, version=version, updated_at=updated_at))
    else:
        header.version = version
        header.updated_at = updated_at
    await session.flush()
    await session.execute(delete(LocalListEntryRow).where(LocalListEntryRow.charge_point_id == charge_point_id))
    session.add_all(
        LocalListEntryRow(
            charge_point_id=charge_point_id,
            id_tag_key=id_tag_key(entry.id_tag),
            id_tag=entry.id_tag,
            status=entry.info.status.value,
            expires_at=entry.info.expires_at,
            parent_id_tag=entry.info.parent_id_tag,
        )
        for entry in entries
    )


def _columns(record: IdTagRecord) -> dict[str, object]:
    return {
        "id_tag": record.id_tag,
        "status": record.info.status.value,
        "expires_at": record.info.expires_at,
        "parent_id_tag": record.info.parent_id_tag,
        "fleet": record.fleet,
        "description": record.description,
    }


def _record(row: IdTagRow) -> IdTagRecord:
    info = IdTagInfo(IdTagStatus(row.status), row.expires_at, row.parent_id_tag)
    return IdTagRecord(row.id_tag, info, fleet=row.fleet, description=row.description)
