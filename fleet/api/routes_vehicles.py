"""Vehicles and their next departure (booking); a booking change triggers a re-plan."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from fleet.api.context import Ctx
from fleet.api.schemas import BookingPublic, BookingUpdate, VehiclePublic
from fleet.persistence.records import BookingRecord, VehicleRecord

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
        departure_at=booking.departure_at if booking else None,
        energy_needed_kwh=booking.energy_needed_kwh if booking else None,
        priority=booking.priority if booking else None,
    )


@router.get("")
async def list_vehicles(ctx: Ctx) -> list[VehiclePublic]:
    bookings = await ctx.store.current_bookings()
    return [_public(v, bookings.get(v.id)) for v in await ctx.store.list_vehicles()]


@router.get("/{vehicle_id}", responses={404: {"description": "unknown vehicle"}})
async def get_vehicle(vehicle_id: str, ctx: Ctx) -> VehiclePublic:
    vehicle = next((v for v in await ctx.store.list_vehicles() if v.id == vehicle_id), None)
    if vehicle is None:
        raise HTTPException(status_code=404, detail=f"unknown vehicle {vehicle_id!r}")
    return _public(vehicle, (await ctx.store.current_bookings()).get(vehicle_id))


@router.put(
    "/{vehicle_id}/booking",
    responses={404: {"description": "unknown vehicle"}, 422: {"description": "invalid booking"}},
)
async def put_booking(vehicle_id: str, booking: BookingUpdate, ctx: Ctx) -> BookingPublic:
    now = ctx.clock.now()
    if booking.departure_at <= now:
        raise HTTPException(
            status_code=422, detail=f"departure_at {booking.departure_at.isoformat()} is not in the future"
        )
    vehicle = next((v for v in await ctx.store.list_vehicles() if v.id == vehicle_id), None)
    if vehicle is None:
        raise HTTPException(status_code=404, detail=f"unknown vehicle {vehicle_id!r}")
    if booking.energy_needed_kwh > vehicle.battery_kwh:
        raise HTTPException(
            status_code=422,
            detail=f"energy_needed_kwh {booking.energy_needed_kwh} exceeds the battery ({vehicle.battery_kwh} kWh)",
        )
    record = await ctx.store.add_booking(
        vehicle_id, booking.departure_at, booking.energy_needed_kwh, booking.priority, now
    )
    ctx.planner.request_replan(f"booking for {vehicle_id}")
    return BookingPublic(
        vehicle_id=record.vehicle_id,
        departure_at=record.departure_at,
        energy_needed_kwh=record.energy_needed_kwh,
        priority=record.priority,
        created_at=record.created_at,
    )
