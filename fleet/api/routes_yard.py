"""The yard: vehicles on site waiting for a free charger, as a fleet manager or gate reports them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from fleet.api.context import Ctx
from fleet.api.problems import problem_responses
from fleet.api.routes_vehicles import visible_vehicle
from fleet.api.security import AnyRole, YardReporter
from fleet.yard import WaitingEntry

router = APIRouter(prefix="/yard", tags=["yard"])


class WaitingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    departure_at: AwareDatetime
    energy_needed_kwh: Annotated[float, Field(ge=0, le=500)]
    priority: Annotated[float, Field(gt=0, le=100)] = 1.0


class WaitingPublic(BaseModel):
    vehicle_id: str
    since: datetime
    departure_at: datetime
    energy_needed_kwh: float
    priority: float


def _public(entry: WaitingEntry) -> WaitingPublic:
    return WaitingPublic(
        vehicle_id=entry.vehicle_id,
        since=entry.since,
        departure_at=entry.departure_utc,
        energy_needed_kwh=entry.energy_needed_kwh,
        priority=entry.priority,
    )


@router.get("", responses=problem_responses(401, 403))
async def list_waiting(ctx: Ctx, caller: AnyRole) -> list[WaitingPublic]:
    """Vehicles waiting for a charger (a fleet manager sees their own fleet's)."""
    fleets = {v.id: v.fleet for v in await ctx.store.list_vehicles()}
    return [_public(e) for e in ctx.yard.waiting() if caller.sees_fleet(fleets.get(e.vehicle_id, ""))]


@router.put("/{vehicle_id}", responses=problem_responses(401, 403, 404, 422))
async def vehicle_waiting(vehicle_id: str, body: WaitingCreate, ctx: Ctx, caller: YardReporter) -> WaitingPublic:
    await visible_vehicle(ctx, caller, vehicle_id)
    entry = WaitingEntry(vehicle_id, ctx.clock.now(), body.departure_at, body.energy_needed_kwh, body.priority)
    ctx.yard.arrive(entry)
    ctx.planner.request_replan(f"{vehicle_id} waiting for a charger")
    return _public(entry)


@router.delete("/{vehicle_id}", status_code=204, responses=problem_responses(401, 403, 404))
async def vehicle_left(vehicle_id: str, ctx: Ctx, caller: YardReporter) -> Response:
    await visible_vehicle(ctx, caller, vehicle_id)
    if not ctx.yard.leave(vehicle_id):
        raise HTTPException(status_code=404, detail=f"vehicle {vehicle_id!r} is not waiting")
    ctx.planner.request_replan(f"{vehicle_id} left the yard")
    return Response(status_code=204)
