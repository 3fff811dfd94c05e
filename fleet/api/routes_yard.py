"""The yard: vehicles on site waiting for a free charger, as a fleet manager or gate reports them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from fleet.api.context import Ctx
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


@router.get("")
async def list_waiting(ctx: Ctx) -> list[WaitingPublic]:
    return [_public(e) for e in ctx.yard.waiting()]


@router.put("/{vehicle_id}", responses={404: {"description": "unknown vehicle"}})
async def vehicle_waiting(vehicle_id: str, body: WaitingCreate, ctx: Ctx) -> WaitingPublic:
    if ctx.site.vehicles and vehicle_id not in {v.id for v in ctx.site.vehicles}:
        raise HTTPException(status_code=404, detail=f"unknown vehicle {vehicle_id!r}")
    entry = WaitingEntry(vehicle_id, ctx.clock.now(), body.departure_at, body.energy_needed_kwh, body.priority)
    ctx.yard.arrive(entry)
    ctx.planner.request_replan(f"{vehicle_id} waiting for a charger")
    return _public(entry)


@router.delete("/{vehicle_id}", status_code=204, responses={404: {"description": "not waiting"}})
async def vehicle_left(vehicle_id: str, ctx: Ctx) -> Response:
    if not ctx.yard.leave(vehicle_id):
        raise HTTPException(status_code=404, detail=f"vehicle {vehicle_id!r} is not waiting")
    ctx.planner.request_replan(f"{vehicle_id} left the yard")
    return Response(status_code=204)
