"""Readiness: will each vehicle leave with what it needs, under the current plan?"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from fleet.api.context import Ctx
from fleet.api.problems import problem_responses
from fleet.api.routes_vehicles import visible_vehicle
from fleet.api.security import AnyRole
from fleet.persistence.records import BookingRecord, ScheduleRecord, VehicleRecord
from fleet.yard import WaitingEntry

router = APIRouter(tags=["vehicles"])

AT_RISK_KWH = 0.05
"""Unmet energy below this is rounding, not a shortfall [kWh]."""


Status = Literal["ready", "at_risk", "waiting_for_charger", "not_plugged_in", "no_plan"]


class ReadinessPublic(BaseModel):
    vehicle_id: str
    status: Status
    """``ready``: the plan delivers the need by the departure; ``at_risk``: it falls short (see
    ``unmet_reason``); the others: the vehicle is not on a charger, so the plan holds nothing for it."""
    departure_at: datetime | None
    energy_needed_kwh: float | None
    planned_energy_kwh: float | None
    unmet_energy_kwh: float | None
    unmet_reason: str | None
    expected_soc_percent: float | None
    """State of charge expected at the departure, when the charger reports the vehicle's SoC."""
    connector_key: str | None
    schedule_id: int | None


def readiness(
    vehicle: VehicleRecord,
    booking: BookingRecord | None,
    schedule: ScheduleRecord | None,
    waiting: WaitingEntry | None,
) -> ReadinessPublic:
    """A vehicle's readiness from the stored plan (pure: no clock, no store)."""
    plan: dict[str, Any] | None = None
    if schedule is not None:
        plan = next((c for c in schedule.body["connectors"] if c.get("vehicle_id") == vehicle.id), None)
    if plan is not None and schedule is not None:
        unmet = float(plan["unmet_energy_kwh"])
        at_risk = unmet > AT_RISK_KWH
        return ReadinessPublic(
            vehicle_id=vehicle.id,
            status="at_risk" if at_risk else "ready",
            departure_at=datetime.fromisoformat(plan["departure_at"]),
            energy_needed_kwh=plan["energy_needed_kwh"],
            planned_energy_kwh=plan["planned_energy_kwh"],
            unmet_energy_kwh=unmet,
            unmet_reason=plan.get("unmet_reason") if at_risk else None,
            expected_soc_percent=plan.get("departure_soc_percent"),
            connector_key=plan["connector_key"],
            schedule_id=schedule.id,
        )
    if waiting is not None:
        status: Literal["waiting_for_charger", "not_plugged_in", "no_plan"] = "waiting_for_charger"
    else:
        status = "not_plugged_in" if schedule is not None else "no_plan"
    return ReadinessPublic(
        vehicle_id=vehicle.id,
        status=status,
        departure_at=booking.departure_at if booking else (waiting.departure_utc if waiting else None),
        energy_needed_kwh=booking.energy_needed_kwh if booking else None,
        planned_energy_kwh=None,
        unmet_energy_kwh=None,
        unmet_reason=None,
        expected_soc_percent=None,
        connector_key=None,
        schedule_id=schedule.id if schedule else None,
    )


@router.get("/readiness", responses=problem_responses(401, 403, 422))
async def list_readiness(
    ctx: Ctx,
    caller: AnyRole,
    status: Annotated[Status | None, Query(description="only vehicles in this state")] = None,
    fleet: Annotated[str | None, Query(max_length=64, description="only this fleet's vehicles")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[ReadinessPublic]:
    """Every visible vehicle's readiness under the current plan, by vehicle id."""
    schedule = await ctx.store.latest_schedule()
    bookings = await ctx.store.current_bookings()
    waiting = {e.vehicle_id: e for e in ctx.yard.waiting()}
    found = [
        readiness(v, bookings.get(v.id), schedule, waiting.get(v.id))
        for v in await ctx.store.list_vehicles()
        if caller.sees_fleet(v.fleet) and (fleet is None or v.fleet == fleet)
    ]
    return [r for r in found if status is None or r.status == status][offset : offset + limit]


@router.get("/vehicles/{vehicle_id}/readiness", responses=problem_responses(401, 403, 404))
async def get_readiness(vehicle_id: str, ctx: Ctx, caller: AnyRole) -> ReadinessPublic:
    """Will this vehicle leave with what it needs? Expected SoC and energy at its departure."""
    vehicle = await visible_vehicle(ctx, caller, vehicle_id)
    booking = (await ctx.store.current_bookings()).get(vehicle_id)
    waiting = next((e for e in ctx.yard.waiting() if e.vehicle_id == vehicle_id), None)
    return readiness(vehicle, booking, await ctx.store.latest_schedule(), waiting)
