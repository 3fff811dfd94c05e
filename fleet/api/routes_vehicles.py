"""Vehicles and their next departure (booking); a booking change triggers a re-plan.

Fleet managers see and change only their own fleet's vehicles: another fleet's vehicle is answered
as unknown (404), so that one company cannot learn the other's fleet.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response

from fleet.api.context import Ctx
from fleet.api.problems import problem_responses
from fleet.api.schemas import BookingPublic, BookingUpdate, VehicleCreate, VehiclePublic, VehicleUpdate
from fleet.api.security import AnyRole, FleetWriter
from fleet.auth import Principal
from fleet.persistence.records import BookingRecord, VehicleClass, VehicleRecord

router = APIRouter(prefix="/vehicles", tags=["vehicles"])


def _public(vehicle: VehicleRecord, booking: BookingRecord | None) -> VehiclePublic:
    return VehiclePublic(
        id=vehicle.id,
        fleet=vehicle.fleet,
        vehicle_class=vehicle.vehicle_class,
        name=vehicle.name,
        battery_kwh=vehicle.battery_kwh,
        max_ac_kw=vehicle.max_ac_kw,
        max_dc_kw=vehicle.max_dc_kw,
        id_tag=vehicle.id_tag,
        extra_id_tags=list(vehicle.extra_id_tags),
        iso15118_id=vehicle.iso15118_id,
        departure_at=booking.departure_at if booking else None,
        energy_needed_kwh=booking.energy_needed_kwh if booking else None,
        target_soc=booking.target_soc if booking else None,
        priority=booking.priority if booking else None,
    )


async def visible_vehicle(ctx: Ctx, caller: Principal, vehicle_id: str) -> VehicleRecord:
    """The vehicle, if it exists and the caller may see it; else 404."""
    vehicle = await ctx.store.fleet.get_vehicle(vehicle_id)
    if vehicle is None or not caller.sees_fleet(vehicle.fleet):
        raise HTTPException(status_code=404, detail=f"unknown vehicle {vehicle_id!r}")
    return vehicle


@router.get("", responses=problem_responses(401, 403, 422))
async def list_vehicles(
    ctx: Ctx,
    caller: AnyRole,
    fleet: Annotated[str | None, Query(max_length=64, description="only this fleet's vehicles")] = None,
    vehicle_class: Annotated[VehicleClass | None, Query(description="only cars or only vans")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[VehiclePublic]:
    """The vehicles the caller may see, by id, with their current booking."""
    bookings = await ctx.store.current_bookings()
    found = [
        v
        for v in await ctx.store.list_vehicles()
        if caller.sees_fleet(v.fleet)
        and (fleet is None or v.fleet == fleet)
        and (vehicle_class is None or v.vehicle_class == vehicle_class)
    ]
    return [_public(v, bookings.get(v.id)) for v in found[offset : offset + limit]]


@router.post("", status_code=201, responses=problem_responses(401, 403, 409, 422))
async def create_vehicle(body: VehicleCreate, ctx: Ctx, caller: FleetWriter) -> VehiclePublic:
    """Add a vehicle to a fleet (a fleet manager: to their own); 409 if the id or a tag is taken."""
    if not caller.sees_fleet(body.fleet):
        raise HTTPException(403, f"a manager of fleet {caller.fleet!r} cannot add vehicles to {body.fleet!r}")
    if await ctx.store.fleet.get_vehicle(body.id) is not None:
        raise HTTPException(409, f"vehicle {body.id!r} exists already")
    vehicle = VehicleRecord(
        id=body.id,
        fleet=body.fleet,
        vehicle_class=VehicleClass(body.vehicle_class),
        name=body.name,
        id_tag=body.id_tag,
        battery_kwh=body.battery_kwh,
        max_ac_kw=body.max_ac_kw,
        max_dc_kw=body.max_dc_kw,
        iso15118_id=body.iso15118_id,
        extra_id_tags=tuple(body.extra_id_tags),
    )
    await ctx.store.fleet.save_vehicle(vehicle)
    ctx.planner.request_replan(f"vehicle {vehicle.id} added")
    return _public(vehicle, None)


@router.get("/{vehicle_id}", responses=problem_responses(401, 403, 404))
async def get_vehicle(vehicle_id: str, ctx: Ctx, caller: AnyRole) -> VehiclePublic:
    vehicle = await visible_vehicle(ctx, caller, vehicle_id)
    return _public(vehicle, (await ctx.store.current_bookings()).get(vehicle_id))


@router.put("/{vehicle_id}/booking", responses=problem_responses(401, 403, 404, 422))
async def put_booking(vehicle_id: str, booking: BookingUpdate, ctx: Ctx, caller: FleetWriter) -> BookingPublic:
    """Set the vehicle's next departure and the energy it needs by then; the site re-plans."""
    now = ctx.clock.now()
    vehicle = await visible_vehicle(ctx, caller, vehicle_id)
    if booking.departure_at <= now:
        raise HTTPException(
            status_code=422, detail=f"departure_at {booking.departure_at.isoformat()} is not in the future"
        )
    if booking.energy_needed_kwh is not None and booking.energy_needed_kwh > vehicle.battery_kwh:
        raise HTTPException(
            status_code=422,
            detail=f"energy_needed_kwh {booking.energy_needed_kwh} exceeds the battery ({vehicle.battery_kwh} kWh)",
        )
    record = await ctx.store.add_booking(
        vehicle_id,
        booking.departure_at,
        booking.energy_needed_kwh,
        booking.priority,
        now,
        target_soc=booking.target_soc,
    )
    ctx.planner.request_replan(f"booking for {vehicle_id}")
    return BookingPublic(
        vehicle_id=record.vehicle_id,
        departure_at=record.departure_at,
        energy_needed_kwh=record.energy_needed_kwh,
        target_soc=record.target_soc,
        priority=record.priority,
        created_at=record.created_at,
    )


@router.patch("/{vehicle_id}", responses=problem_responses(401, 403, 404, 409, 422))
async def update_vehicle(vehicle_id: str, body: VehicleUpdate, ctx: Ctx, caller: FleetWriter) -> VehiclePublic:
    """Change some of a vehicle's fields; the site re-plans."""
    vehicle = await visible_vehicle(ctx, caller, vehicle_id)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if "vehicle_class" in changes:
        changes["vehicle_class"] = VehicleClass(changes["vehicle_class"])
    if "extra_id_tags" in changes:
        changes["extra_id_tags"] = tuple(changes["extra_id_tags"])
    updated = dataclasses.replace(vehicle, **changes)
    await ctx.store.fleet.save_vehicle(updated)
    ctx.planner.request_replan(f"vehicle {vehicle_id} changed")
    return _public(updated, (await ctx.store.current_bookings()).get(vehicle_id))


@router.delete("/{vehicle_id}", status_code=204, responses=problem_responses(401, 403, 404))
async def delete_vehicle(vehicle_id: str, ctx: Ctx, caller: FleetWriter) -> Response:
    """Remove a vehicle and its bookings; its past sessions are kept without it."""
    await visible_vehicle(ctx, caller, vehicle_id)
    await ctx.store.fleet.delete_vehicle(vehicle_id)
    ctx.planner.request_replan(f"vehicle {vehicle_id} removed")
    return Response(status_code=204)
