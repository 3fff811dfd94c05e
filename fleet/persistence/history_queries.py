"""Bulk writes and reads of history: finished sessions and site samples that the forecasters learn from."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.persistence.dialect_insert import conflict_insert
from fleet.persistence.models import SiteSampleRow, TransactionRow
from fleet.persistence.records import FinishedSession, SiteSampleRecord, TransactionRecord
from fleet.persistence.transaction_queries import _transaction_record

ROWS_PER_STATEMENT = 2_000
"""Keeps one INSERT below the bound-parameter limits of SQLite and asyncpg."""


async def add_site_samples(session: AsyncSession, samples: Sequence[SiteSampleRecord]) -> None:
    for start in range(0, len(samples), ROWS_PER_STATEMENT):
        chunk = samples[start : start + ROWS_PER_STATEMENT]
        insert = conflict_insert(session, SiteSampleRow).values(
            [
                {
                    "measured_at": s.measured_at,
                    "ev_power_kw": s.ev_power_kw,
                    "grid_import_kw": s.grid_import_kw,
                    "pv_kw": s.pv_kw,
                    "base_load_kw": s.base_load_kw,
                }
                for s in chunk
            ]
        )
        await session.execute(insert.on_conflict_do_nothing(index_elements=[SiteSampleRow.measured_at]))


async def import_sessions(session: AsyncSession, sessions: Sequence[FinishedSession]) -> None:
    for start in range(0, len(sessions), ROWS_PER_STATEMENT // 8):
        chunk = sessions[start : start + ROWS_PER_STATEMENT // 8]
        insert = conflict_insert(session, TransactionRow).values(
            [
                {
                    "charge_point_id": s.charge_point_id,
                    "connector_id": s.connector_id,
                    "id_tag": s.id_tag,
                    "vehicle_id": s.vehicle_id,
                    "meter_start_kwh": 0.0,
                    "started_at": s.started_at,
                    "meter_stop_kwh": s.energy_kwh,
                    "stopped_at": s.stopped_at,
                    "stop_reason": "History",
                }
                for s in chunk
            ]
        )
        await session.execute(insert.on_conflict_do_nothing())


async def finished_transactions(session: AsyncSession, since: datetime) -> list[TransactionRecord]:
    rows = await session.scalars(
        select(TransactionRow)
        .where(TransactionRow.stopped_at.is_not(None), TransactionRow.started_at >= since)
        .order_by(TransactionRow.started_at)
    )
    return [_transaction_record(row) for row in rows]
