"""GET /schedule: the current plan per connector and slot, with its status and reasons."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from fleet.api.context import Ctx
from fleet.api.problems import problem_responses
from fleet.api.schemas import (
    ConnectorPlanPublic,
    CostPublic,
    ExpectedPlanPublic,
    RecommendationPublic,
    SchedulePublic,
)
from fleet.api.security import SiteReader

router = APIRouter(prefix="/schedule", tags=["schedule"])


@router.get("", responses=problem_responses(401, 403, 404))
async def get_schedule(ctx: Ctx, _: SiteReader) -> SchedulePublic:
    record = await ctx.store.latest_schedule()
    if record is None:
        raise HTTPException(status_code=404, detail="no schedule yet")
    body = record.body
    return SchedulePublic(
        id=record.id,
        status=record.status,
        termination=record.termination,
        created_at=record.created_at,
        objective_eur=record.objective_eur,
        solve_time_s=record.solve_time_s,
        unmet_energy_kwh=record.unmet_energy_kwh,
        reasons=body["reasons"],
        slot_starts=body["horizon"]["slot_starts"],
        slot_duration_h=body["horizon"]["slot_duration_h"],
        connectors=[ConnectorPlanPublic.model_validate(c) for c in body["connectors"]],
        expected_arrivals=[ExpectedPlanPublic.model_validate(e) for e in body.get("expected_arrivals", [])],
        recommendations=[RecommendationPublic.model_validate(r) for r in body.get("recommendations", [])],
        dispatchable=body.get("dispatchable", False),
        lp_objective_eur=body.get("lp_objective_eur"),
        gap_percent=body.get("gap_percent"),
        cost=CostPublic.model_validate(body["cost"]) if body.get("cost") else None,
        timings_s=body.get("timings", {}),
    )
