"""Queries on stored schedules and on the site power samples that the planner learns from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.persistence.dialect_insert import conflict_insert
from fleet.persistence.models import ScheduleRow, SiteSampleRow
from fleet.persistence.records import ScheduleRecord, SiteSampleRecord


async def save_schedule(
    session: AsyncSession,
    created_at: datetime,
    status: str,
    termination: str,
    objective_eur: float | None,
    solve_time_s: float,
    unmet_energy_kwh: float,
    body: dict[str, Any],
) -> int:
    row = ScheduleRow(
        created_at=created_at,
        status=status,
        termination=termination,
        objective_eur=objective_eur,
        solve_time_s=solve_time_s,
        unmet_energy_kwh=unmet_energy_kwh,
        body=body,
    )
    session.add(row)
    await session.flush()
    return row.id


async def latest_schedule(session: AsyncSession) -> ScheduleRecord | None:
    row = await session.scalar(
        select(ScheduleRow).order_by(ScheduleRow.created_at.desc(), ScheduleRow.id.desc()).limit(1)
    )
    if row is None:
        return None
    return ScheduleRecord(
        id=row.id,
        created_at=row.created_at,
        status=row.status,
        termination=row.termination,
        objective_eur=row.objective_eur,
        solve_time_s=row.solve_time_s,
        unmet_energy_kwh=row.unmet_energy_kwh,
        body=row.body,
    )


async def add_site_sample(
    session: AsyncSession,
    measured_at: datetime,
    ev_power_kw: float,
    grid_import_kw: float | None,
    pv_kw: float | None,
    base_load_kw: float | None,
) -> None:
    insert = conflict_insert(session, SiteSampleRow).values(
        measured_at=measured_at,
        ev_power_kw=ev_power_kw,
        grid_import_kw=grid_import_kw,
        pv_kw=pv_kw,
        base_load_kw=base_load_kw,
    )
    changed = ("ev_power_kw", "grid_import_kw", "pv_kw", "base_load_kw")
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[SiteSampleRow.measured_at],
            set_={name: insert.excluded[name] for name in changed},
        )
    )


async def site_samples(session: AsyncSession, since: datetime, until: datetime | None) -> list[SiteSampleRecord]:
    query = select(SiteSampleRow).where(SiteSampleRow.measured_at >= since)
    if until is not None:
        query = query.where(SiteSampleRow.measured_at <= until)
    rows = await session.scalars(query.order_by(SiteSampleRow.measured_at))
    return [
        SiteSampleRecord(
            measured_at=row.measured_at,
            ev_power_kw=row.ev_power_kw,
            grid_import_kw=row.grid_import_kw,
            pv_kw=row.pv_kw,
            base_load_kw=row.base_load_kw,
        )
        for row in rows
    ]
