"""Bookings in bulk, as a car-sharing platform sends them: all stored, or none."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from fleet.api.context import Ctx
from fleet.api.problems import InvalidField, problem_responses
from fleet.api.schemas import BookingPublic, BookingUpdate, VehicleId
from fleet.api.security import FleetWriter

router = APIRouter(prefix="/bookings", tags=["vehicles"])

MAX_BATCH = 1000


class BookingItem(BookingUpdate):
    """One booking of a batch: a vehicle's booking (energy or target state of charge) and its id."""

    vehicle_id: VehicleId


class BookingBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bookings: Annotated[list[BookingItem], Field(min_length=1, max_length=MAX_BATCH)]


class BookingBatchPublic(BaseModel):
    stored: int
    bookings: list[BookingPublic]


def _refusals(batch: BookingBatch, batteries_kwh: dict[str, float], now: datetime) -> list[InvalidField]:
    refusals = []
    for index, item in enumerate(batch.bookings):
        where = f"body.bookings.{index}"
        if item.vehicle_id not in batteries_kwh:
            refusals.append(InvalidField(field=f"{where}.vehicle_id", message=f"unknown vehicle {item.vehicle_id!r}"))
        elif item.energy_needed_kwh is not None and item.energy_needed_kwh > batteries_kwh[item.vehicle_id]:
            message = f"exceeds the battery ({batteries_kwh[item.vehicle_id]} kWh)"
            refusals.append(InvalidField(field=f"{where}.energy_needed_kwh", message=message))
        if item.departure_at <= now:
            refusals.append(InvalidField(field=f"{where}.departure_at", message="is not in the future"))
    return refusals


@router.post("/batch", status_code=201, responses=problem_responses(401, 403, 422))
async def add_bookings(batch: BookingBatch, ctx: Ctx, caller: FleetWriter) -> BookingBatchPublic:
    """Store many bookings at once (one re-plan for all); any invalid item refuses the whole batch.

    A vehicle named twice gets the later booking of the batch as its current one.
    """
    now = ctx.clock.now()
    visible = {v.id: v.battery_kwh for v in await ctx.store.list_vehicles() if caller.sees_fleet(v.fleet)}
    refusals = _refusals(batch, visible, now)
    if refusals:
        raise HTTPException(422, detail=[r.model_dump() for r in refusals])
    items = [(b.vehicle_id, b.departure_at, b.energy_needed_kwh, b.priority, b.target_soc) for b in batch.bookings]
    records = await ctx.store.fleet.add_bookings(items, now)
    ctx.planner.request_replan(f"{len(records)} bookings")
    return BookingBatchPublic(
        stored=len(records),
        bookings=[
            BookingPublic(
                vehicle_id=r.vehicle_id,
                departure_at=r.departure_at,
                energy_needed_kwh=r.energy_needed_kwh,
                target_soc=r.target_soc,
                priority=r.priority,
                created_at=r.created_at,
            )
            for r in records
        ],
    )
