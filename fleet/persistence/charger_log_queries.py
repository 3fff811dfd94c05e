"""Queries on the chargers' log: what chargers reported and what the central system flagged."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.persistence.models import ChargerLogRow
from fleet.persistence.records import ChargerLogRecord


async def add_entry(
    session: AsyncSession,
    charge_point_id: str,
    at: datetime,
    kind: str,
    status: str,
    *,
    flagged: bool,
    request_id: int | None,
    detail: str | None,
) -> None:
    await session.execute(
        insert(ChargerLogRow).values(
            charge_point_id=charge_point_id,
            at=at,
            kind=kind,
            status=status,
            flagged=flagged,
            request_id=request_id,
            detail=detail,
        )
    )


async def entries(
    session: AsyncSession, *, charge_point_id: str | None, flagged_only: bool, limit: int
) -> list[ChargerLogRecord]:
    statement = select(ChargerLogRow)
    if charge_point_id is not None:
        statement = statement.where(ChargerLogRow.charge_point_id == charge_point_id)
    if flagged_only:
        statement = statement.where(ChargerLogRow.flagged.is_(True))
    rows = await session.scalars(statement.order_by(ChargerLogRow.at.desc(), ChargerLogRow.id.desc()).limit(limit))
    return [
        ChargerLogRecord(
            id=row.id,
            charge_point_id=row.charge_point_id,
            at=row.at,
            kind=row.kind,
            status=row.status,
            flagged=row.flagged,
            request_id=row.request_id,
            detail=row.detail,
        )
        for row in rows
    ]
