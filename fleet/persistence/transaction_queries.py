"""Queries on charging transactions and their meter values.

Ingestion is exactly-once under retries: a repeated StartTransaction finds the row it created, a
repeated StopTransaction changes nothing, and a repeated meter sample is ignored by the unique key
(charge point, connector, measurand, phase, instant).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.persistence.dialect_insert import conflict_insert
from fleet.persistence.errors import PersistenceError
from fleet.persistence.models import MeterValueRow, TransactionRow
from fleet.persistence.records import TransactionRecord
from ocpp_server.events import Measurand, MeterSample

SAMPLE_ROWS_PER_STATEMENT = 1_000
"""Keeps one INSERT below the bound-parameter limits of SQLite and asyncpg (32766 / 32767)."""

# Only whole-connector samples (no phase) feed the latest readings: per-phase values are parts of
# the total, not the total.
_LATEST_READINGS = {
    Measurand.ENERGY_IMPORT_KWH: TransactionRow.last_energy_register_kwh,
    Measurand.POWER_IMPORT_KW: TransactionRow.last_power_kw,
    Measurand.SOC_PERCENT: TransactionRow.last_soc_percent,
}


async def start_transaction(
    session: AsyncSession,
    charge_point_id: str,
    connector_id: int,
    id_tag: str,
    vehicle_id: str | None,
    meter_start_kwh: float,
    started_at: datetime,
    reservation_id: int | None = None,
) -> int:
    key = {
        "charge_point_id": charge_point_id,
        "connector_id": connector_id,
        "id_tag": id_tag,
        "started_at": started_at,
    }
    insert = (
        conflict_insert(session, TransactionRow)
        .values(**key, vehicle_id=vehicle_id, meter_start_kwh=meter_start_kwh, reservation_id=reservation_id)
        .on_conflict_do_nothing(index_elements=[getattr(TransactionRow, name) for name in key])
        .returning(TransactionRow.id)
    )
    created = await session.scalar(insert)
    if created is not None:
        return created
    existing = await session.scalar(
        select(TransactionRow.id).where(*(getattr(TransactionRow, name) == value for name, value in key.items()))
    )
    if existing is None:
        raise PersistenceError(f"transaction {key} conflicted on insert but cannot be found")
    return existing


async def stop_transaction(
    session: AsyncSession,
    transaction_id: int,
    meter_stop_kwh: float,
    stopped_at: datetime,
    reason: str | None,
    samples: Sequence[MeterSample],
) -> bool:
    row = await session.get(TransactionRow, transaction_id, with_for_update=True)
    if row is None:
        return False
    # The first stop wins; a retried StopTransaction carries the same values anyway.
    await session.execute(
        update(TransactionRow)
        .where(TransactionRow.id == transaction_id, TransactionRow.stopped_at.is_(None))
        .values(meter_stop_kwh=meter_stop_kwh, stopped_at=stopped_at, stop_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if await _insert_samples(session, row.charge_point_id, row.connector_id, transaction_id, samples):
        await _refresh_latest_readings(session, transaction_id)
    return True


async def add_meter_samples(
    session: AsyncSession,
    charge_point_id: str,
    connector_id: int,
    transaction_id: int | None,
    samples: Sequence[MeterSample],
) -> tuple[int, bool]:
    """How many samples were new, and whether ``transaction_id`` (when given) is a known transaction."""
    named = transaction_id is not None
    if transaction_id is not None:
        # Locking the transaction row orders concurrent batches for it, so that the latest readings
        # are computed from every committed sample.
        known = await session.scalar(
            select(TransactionRow.id).where(TransactionRow.id == transaction_id).with_for_update()
        )
        transaction_id = known
    stored = await _insert_samples(session, charge_point_id, connector_id, transaction_id, samples)
    if stored and transaction_id is not None:
        await _refresh_latest_readings(session, transaction_id)
    return stored, transaction_id is not None or not named


async def list_transactions(
    session: AsyncSession, *, active: bool | None, limit: int | None, offset: int, charge_point_id: str | None = None
) -> list[TransactionRecord]:
    statement = select(TransactionRow)
    if charge_point_id is not None:
        statement = statement.where(TransactionRow.charge_point_id == charge_point_id)
    if active is True:
        statement = statement.where(TransactionRow.stopped_at.is_(None))
    elif active is False:
        statement = statement.where(TransactionRow.stopped_at.is_not(None))
    statement = statement.order_by(TransactionRow.started_at.desc(), TransactionRow.id.desc())
    rows = await session.scalars(statement.limit(limit).offset(offset))
    return [_transaction_record(row) for row in rows]


async def get_transaction(session: AsyncSession, transaction_id: int) -> TransactionRecord | None:
    row = await session.get(TransactionRow, transaction_id)
    return None if row is None else _transaction_record(row)


async def meter_series(
    session: AsyncSession, transaction_id: int, measurand: Measurand, phase: str
) -> list[tuple[datetime, float]]:
    rows = await session.execute(
        select(MeterValueRow.measured_at, MeterValueRow.value)
        .where(
            MeterValueRow.transaction_id == transaction_id,
            MeterValueRow.measurand == measurand.value,
            MeterValueRow.phase == phase,
        )
        .order_by(MeterValueRow.measured_at)
    )
    return [(measured_at, value) for measured_at, value in rows]


async def _insert_samples(
    session: AsyncSession,
    charge_point_id: str,
    connector_id: int,
    transaction_id: int | None,
    samples: Sequence[MeterSample],
) -> int:
    """Store the samples not stored yet; return how many were new."""
    rows: dict[tuple[str, str, datetime], dict[str, object]] = {}
    for sample in samples:
        measurand = Measurand(sample.measurand).value
        phase = sample.phase or ""
        # The first of repeated samples wins, as it does across messages.
        rows.setdefault(
            (measurand, phase, sample.measured_at),
            {
                "charge_point_id": charge_point_id,
                "connector_id": connector_id,
                "transaction_id": transaction_id,
                "measurand": measurand,
                "phase": phase,
                "value": sample.value,
                "measured_at": sample.measured_at,
            },
        )
    # Inserting in key order makes concurrent batches with common keys wait on each other in the
    # same order, which rules out deadlocks on PostgreSQL.
    ordered = [rows[key] for key in sorted(rows, key=lambda key: (key[2], key[0], key[1]))]
    stored = 0
    for chunk in _chunks(ordered, SAMPLE_ROWS_PER_STATEMENT):
        insert = (
            conflict_insert(session, MeterValueRow)
            .values(chunk)
            .on_conflict_do_nothing(
                index_elements=[
                    MeterValueRow.charge_point_id,
                    MeterValueRow.connector_id,
                    MeterValueRow.measurand,
                    MeterValueRow.phase,
                    MeterValueRow.measured_at,
                ]
            )
            .returning(MeterValueRow.id)
        )
        stored += len((await session.scalars(insert)).all())
    return stored


async def _refresh_latest_readings(session: AsyncSession, transaction_id: int) -> None:
    """Copy the newest stored value of each tracked measurand onto the transaction row."""
    changes: dict[str, Any] = {
        column.key: func.coalesce(_newest_value(transaction_id, measurand), column)
        for measurand, column in _LATEST_READINGS.items()
    }
    changes["last_sample_at"] = (
        select(func.max(MeterValueRow.measured_at))
        .where(MeterValueRow.transaction_id == transaction_id)
        .scalar_subquery()
    )
    await session.execute(
        update(TransactionRow)
        .where(TransactionRow.id == transaction_id)
        .values(changes)
        .execution_options(synchronize_session=False)
    )


def _chunks(items: Iterable[dict[str, object]], size: int) -> Iterator[list[dict[str, object]]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _newest_value(transaction_id: int, measurand: Measurand) -> ColumnElement[float]:
    return (
        select(MeterValueRow.value)
        .where(
            MeterValueRow.transaction_id == transaction_id,
            MeterValueRow.measurand == measurand.value,
            MeterValueRow.phase == "",
        )
        .order_by(MeterValueRow.measured_at.desc())
        .limit(1)
        .scalar_subquery()
    )


def _transaction_record(row: TransactionRow) -> TransactionRecord:
    return TransactionRecord(
        id=row.id,
        charge_point_id=row.charge_point_id,
        connector_id=row.connector_id,
        id_tag=row.id_tag,
        vehicle_id=row.vehicle_id,
        meter_start_kwh=row.meter_start_kwh,
        started_at=row.started_at,
        meter_stop_kwh=row.meter_stop_kwh,
        stopped_at=row.stopped_at,
        stop_reason=row.stop_reason,
        last_energy_register_kwh=row.last_energy_register_kwh,
        last_power_kw=row.last_power_kw,
        last_soc_percent=row.last_soc_percent,
        last_sample_at=row.last_sample_at,
        reservation_id=row.reservation_id,
    )
