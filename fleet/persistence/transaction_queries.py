"""Queries on charging transactions and their meter values.

Ingestion is exactly-once under retries: a repeated StartTransaction finds the row it created (a
2.0.1 transaction by the charger's own transaction id), a repeated StopTransaction changes nothing,
and a repeated meter sample is ignored by the unique key (charge point, connector, measurand, phase,
instant).
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
from fleet.persistence.models import EvChargingNeedsRow, MeterValueRow, TransactionRow
from fleet.persistence.records import EvNeedsRecord, TransactionRecord
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


async def start_charger_transaction(
    session: AsyncSession,
    charge_point_id: str,
    charger_transaction_id: str,
    connector_id: int,
    id_tag: str,
    vehicle_id: str | None,
    meter_start_kwh: float,
    started_at: datetime,
    reservation_id: int | None = None,
) -> int:
    """Open the transaction a 2.0.1 charger named, or merge this start into the one stored.

    The charger's events may come in any order (offline history), so the stored start may have been
    made from a later event: an earlier start replaces its start time, meter start and connector.
    A start that names the id tag a stored one lacked ("": started without one) fills it in.
    """
    row = await _charger_transaction(session, charge_point_id, charger_transaction_id)
    if row is None:
        key = [TransactionRow.charge_point_id, TransactionRow.charger_transaction_id]
        insert = (
            conflict_insert(session, TransactionRow)
            .values(
                charge_point_id=charge_point_id,
                charger_transaction_id=charger_transaction_id,
                connector_id=connector_id,
                id_tag=id_tag,
                vehicle_id=vehicle_id,
                meter_start_kwh=meter_start_kwh,
                started_at=started_at,
                reservation_id=reservation_id,
            )
            .on_conflict_do_nothing(index_elements=key)
            .returning(TransactionRow.id)
        )
        created = await session.scalar(insert)
        if created is not None:
            return created
        # Another writer stored the same transaction meanwhile: merge into theirs.
        row = await _charger_transaction(session, charge_point_id, charger_transaction_id)
        if row is None:
            raise PersistenceError(
                f"transaction {charger_transaction_id!r} of {charge_point_id} conflicted on insert but cannot be found"
            )
    changes: dict[str, Any] = {}
    if started_at < row.started_at:
        changes.update(started_at=started_at, meter_start_kwh=meter_start_kwh, connector_id=connector_id)
    if not row.id_tag and id_tag:
        changes.update(id_tag=id_tag, vehicle_id=vehicle_id)
    if row.reservation_id is None and reservation_id is not None:
        changes["reservation_id"] = reservation_id
    if changes:
        await session.execute(
            update(TransactionRow)
            .where(TransactionRow.id == row.id)
            .values(changes)
            .execution_options(synchronize_session=False)
        )
    return row.id


async def _charger_transaction(
    session: AsyncSession, charge_point_id: str, charger_transaction_id: str
) -> TransactionRow | None:
    # Locked, so that two starts of one transaction merge one after the other.
    row: TransactionRow | None = await session.scalar(
        select(TransactionRow)
        .where(
            TransactionRow.charge_point_id == charge_point_id,
            TransactionRow.charger_transaction_id == charger_transaction_id,
        )
        .with_for_update()
    )
    return row


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
    statement = select(TransactionRow, EvChargingNeedsRow).outerjoin(
        EvChargingNeedsRow, EvChargingNeedsRow.transaction_id == TransactionRow.id
    )
    if charge_point_id is not None:
        statement = statement.where(TransactionRow.charge_point_id == charge_point_id)
    if active is True:
        statement = statement.where(TransactionRow.stopped_at.is_(None))
    elif active is False:
        statement = statement.where(TransactionRow.stopped_at.is_not(None))
    statement = statement.order_by(TransactionRow.started_at.desc(), TransactionRow.id.desc())
    rows = await session.execute(statement.limit(limit).offset(offset))
    return [_transaction_record(row, needs) for row, needs in rows]


async def find_charger_transaction(
    session: AsyncSession, charge_point_id: str, charger_transaction_id: str
) -> TransactionRecord | None:
    row: TransactionRow | None = await session.scalar(
        select(TransactionRow).where(
            TransactionRow.charge_point_id == charge_point_id,
            TransactionRow.charger_transaction_id == charger_transaction_id,
        )
    )
    if row is None:
        return None
    return _transaction_record(row, await session.get(EvChargingNeedsRow, row.id))


async def get_transaction(session: AsyncSession, transaction_id: int) -> TransactionRecord | None:
    row = await session.get(TransactionRow, transaction_id)
    if row is None:
        return None
    return _transaction_record(row, await session.get(EvChargingNeedsRow, transaction_id))


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


def _transaction_record(row: TransactionRow, needs: EvChargingNeedsRow | None = None) -> TransactionRecord:
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
        charger_transaction_id=row.charger_transaction_id,
        ev_needs=None if needs is None else ev_needs_record(needs),
    )


def ev_needs_record(row: EvChargingNeedsRow) -> EvNeedsRecord:
    return EvNeedsRecord(
        reported_at=row.reported_at,
        requested_energy_transfer=row.requested_energy_transfer,
        departure_at=row.departure_at,
        energy_amount_kwh=row.energy_amount_kwh,
        max_power_kw=row.max_power_kw,
        min_current_a=row.min_current_a,
        max_current_a=row.max_current_a,
        max_voltage_v=row.max_voltage_v,
        soc_percent=row.soc_percent,
        capacity_kwh=row.capacity_kwh,
        full_soc_percent=row.full_soc_percent,
        register_at_report_kwh=row.register_at_report_kwh,
    )
