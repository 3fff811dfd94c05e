"""GET /alerts: offline chargers, faults, vehicles at risk of leaving short, chargers over their limit."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from fleet.alerts import (
    Alert,
    AlertKind,
    chargers_over_limit,
    faults,
    offline_chargers,
    vehicles_at_risk,
)
from fleet.api.context import Ctx
from fleet.api.problems import problem_responses
from fleet.api.security import SiteReader
from fleet.over_limit import excesses

router = APIRouter(prefix="/alerts", tags=["alerts"])


class AlertPublic(BaseModel):
    kind: AlertKind
    severity: str
    message: str
    charge_point_id: str | None
    connector_id: int | None
    vehicle_id: str | None
    since: datetime | None


def _public(alert: Alert) -> AlertPublic:
    return AlertPublic(
        kind=alert.kind,
        severity=alert.severity,
        message=alert.message,
        charge_point_id=alert.charge_point_id,
        connector_id=alert.connector_id,
        vehicle_id=alert.vehicle_id,
        since=alert.since,
    )


@router.get("", responses=problem_responses(401, 403, 422))
async def list_alerts(
    ctx: Ctx,
    _: SiteReader,
    kind: Annotated[AlertKind | None, Query(description="only alerts of this kind")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[AlertPublic]:
    """What needs attention now: critical alerts first."""
    now = ctx.clock.now()
    records = await ctx.store.list_charge_points()
    transactions = await ctx.store.active_transactions()
    schedule = await ctx.store.latest_schedule()
    over = await excesses(
        ctx.store, transactions, ctx.planner.installed_profile, ctx.site.planning.failsafe_limit_kw, now
    )
    found = [
        *chargers_over_limit(transactions, over),
        *faults(records),
        *vehicles_at_risk(schedule.body if schedule else None),
        *offline_chargers(ctx.site, {r.id: r for r in records}, ctx.connected_ids()),
    ]
    found = [a for a in found if kind is None or a.kind == kind]
    found.sort(key=lambda a: a.severity != "critical")
    return [_public(a) for a in found[offset : offset + limit]]
