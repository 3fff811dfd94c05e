"""Queries on what chargers report for planning to take in: vehicles' needs and limits set by others."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.persistence.dialect_insert import conflict_insert
from fleet.persistence.models import EvChargingNeedsRow, ExternalChargingLimitRow, TransactionRow
from fleet.persistence.records import ExternalLimitRecord
from ocpp_server.events import EvChargingNeeds


async def record_ev_needs(session: AsyncSession, needs: EvChargingNeeds) -> int | None:
    """Store ``needs`` on the latest open transaction of its connector; its id, None when none is open."""
    transaction = await session.scalar(
        select(TransactionRow)
        .where(
            TransactionRow.charge_point_id == needs.charge_point_id,
            TransactionRow.connector_id == needs.connector_id,
            TransactionRow.stopped_at.is_(None),
        )
        .order_by(TransactionRow.started_at.desc(), TransactionRow.id.desc())
        .limit(1)
        .with_for_update()
    )
    if transaction is None:
        return None
    register_kwh = transaction.last_energy_register_kwh
    values = {
        "reported_at": needs.at,
        "requested_energy_transfer": needs.requested_energy_transfer,
        "departure_at": needs.departure_at,
        "energy_amount_kwh": needs.energy_amount_kwh,
        "max_power_kw": needs.max_power_kw,
        "min_current_a": needs.min_current_a,
        "max_current_a": needs.max_current_a,
        "max_voltage_v": needs.max_voltage_v,
        "soc_percent": needs.soc_percent,
        "capacity_kwh": needs.capacity_kwh,
        "full_soc_percent": needs.full_soc_percent,
        "register_at_report_kwh": transaction.meter_start_kwh if register_kwh is None else register_kwh,
    }
    await session.execute(
        conflict_insert(session, EvChargingNeedsRow)
        .values(transaction_id=transaction.id, **values)
        .on_conflict_do_update(index_elements=[EvChargingNeedsRow.transaction_id], set_=values)
    )
    return transaction.id


async def set_external_limit(session: AsyncSession, limit: ExternalLimitRecord) -> bool:
    """Store the limit, replacing the same source's on the same connector unless that one is newer;
    whether it was stored."""
    values = {"limit_kw": limit.limit_kw, "grid_critical": limit.grid_critical, "set_at": limit.set_at}
    insert = conflict_insert(session, ExternalChargingLimitRow).values(
        charge_point_id=limit.charge_point_id, connector_id=limit.connector_id, source=limit.source, **values
    )
    stored = await session.scalar(
        insert.on_conflict_do_update(
            index_elements=[
                ExternalChargingLimitRow.charge_point_id,
                ExternalChargingLimitRow.connector_id,
                ExternalChargingLimitRow.source,
            ],
            set_=values,
            # A report that comes late (the charger was offline) does not undo a newer one.
            where=ExternalChargingLimitRow.set_at <= insert.excluded.set_at,
        ).returning(ExternalChargingLimitRow.set_at)
    )
    return stored is not None


async def clear_external_limit(
    session: AsyncSession, charge_point_id: str, connector_id: int, source: str, at: datetime
) -> int:
    """End the source's limit on the connector (on every connector for 0) set before ``at``; how many ended."""
    statement = delete(ExternalChargingLimitRow).where(
        ExternalChargingLimitRow.charge_point_id == charge_point_id,
        ExternalChargingLimitRow.source == source,
        ExternalChargingLimitRow.set_at <= at,
    )
    if connector_id != 0:
        statement = statement.where(ExternalChargingLimitRow.connector_id == connector_id)
    cleared = await session.scalars(statement.returning(ExternalChargingLimitRow.connector_id))
    return len(cleared.all())


async def external_limits(session: AsyncSession) -> list[ExternalLimitRecord]:
    rows = await session.scalars(
        select(ExternalChargingLimitRow).order_by(
            ExternalChargingLimitRow.charge_point_id,
            ExternalChargingLimitRow.connector_id,
            ExternalChargingLimitRow.source,
        )
    )
    return [
        ExternalLimitRecord(
            charge_point_id=row.charge_point_id,
            connector_id=row.connector_id,
            source=row.source,
            limit_kw=row.limit_kw,
            grid_critical=row.grid_critical,
            set_at=row.set_at,
        )
        for row in rows
    ]
