"""What-if: "if I add this booking, will the vehicle be ready, and what does it cost?"

Answered by planning the site with and without the candidate (see ``fleet.what_if``) in a worker
thread; the stored booking and the current plan stay as they are.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import datetime
from typing import Annotated, Self

from fastapi import APIRouter, HTTPException
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from fleet.api.context import Ctx
from fleet.api.problems import problem_responses
from fleet.api.routes_vehicles import visible_vehicle
from fleet.api.security import AnyRole
from fleet.site_config import SiteConfig
from fleet.what_if import CandidateBooking, WhatIfOutcome, what_if
from optimizer import ChargingProblem, Schedule, fallback_schedule, solve

log = logging.getLogger(__name__)

router = APIRouter(prefix="/vehicles", tags=["vehicles"])


class WhatIfRequest(BaseModel):
    """A candidate booking: the departure and the energy [kWh] or target state of charge (0-1]."""

    model_config = ConfigDict(extra="forbid")

    departure_at: AwareDatetime
    energy_needed_kwh: Annotated[float, Field(ge=0, le=500)] | None = None
    target_soc: Annotated[float, Field(gt=0, le=1)] | None = None
    priority: Annotated[float, Field(gt=0, le=100)] = 1.0

    @model_validator(mode="after")
    def _one_need(self) -> Self:
        if (self.energy_needed_kwh is None) == (self.target_soc is None):
            raise ValueError("give exactly one of energy_needed_kwh and target_soc")
        return self


class WhatIfPublic(BaseModel):
    vehicle_id: str
    ready: bool
    """Whether the plan with the candidate delivers its need by the departure."""
    plugged_in: bool
    """False: planned as if the vehicle plugged in now into ``connector_key``."""
    connector_key: str | None
    departure_at: datetime
    energy_needed_kwh: float
    """Battery energy still needed for the candidate [kWh]."""
    expected_energy_kwh: float
    """Battery energy the plan delivers by the departure [kWh]."""
    unmet_energy_kwh: float
    unmet_reason: str | None
    expected_soc_percent: float | None
    """State of charge expected at the departure, when the vehicle's state of charge is known."""
    cost_eur: float | None
    """The site's energy and capacity cost over the horizon with the candidate [EUR]."""
    baseline_cost_eur: float | None
    """The same without it [EUR]."""
    cost_change_eur: float | None
    solve_status: str


def _solve(site: SiteConfig, problem: ChargingProblem) -> Schedule:
    """The optimiser's plan, or, as in the control loop, the solver-free plan if it fails."""
    try:
        return solve(problem, time_limit_s=site.planning.solver_time_limit_s, dispatchable=True)
    except Exception as exc:
        log.exception("what-if: optimiser failed; answering from the fallback plan")
        return fallback_schedule(problem, reason=f"optimiser error: {type(exc).__name__}: {exc}")


def _public(outcome: WhatIfOutcome, departure_at: datetime) -> WhatIfPublic:
    return WhatIfPublic(
        vehicle_id=outcome.vehicle_id,
        ready=outcome.ready,
        plugged_in=outcome.plugged_in,
        connector_key=outcome.connector_key,
        departure_at=departure_at,
        energy_needed_kwh=round(outcome.energy_needed_kwh, 3),
        expected_energy_kwh=round(outcome.expected_energy_kwh, 3),
        unmet_energy_kwh=round(outcome.unmet_energy_kwh, 3),
        unmet_reason=outcome.unmet_reason,
        expected_soc_percent=None if outcome.expected_soc is None else round(100 * outcome.expected_soc, 1),
        cost_eur=outcome.cost_eur,
        baseline_cost_eur=outcome.baseline_cost_eur,
        cost_change_eur=outcome.cost_change_eur,
        solve_status=outcome.solve_status,
    )


@router.post("/{vehicle_id}/what-if", responses=problem_responses(401, 403, 404, 422))
async def post_what_if(vehicle_id: str, body: WhatIfRequest, ctx: Ctx, caller: AnyRole) -> WhatIfPublic:
    """Would the vehicle be ready with this booking, and what would the plan cost? Changes nothing."""
    vehicle = await visible_vehicle(ctx, caller, vehicle_id)
    snapshot = await ctx.planner.snapshot()
    if body.departure_at <= snapshot.now:
        raise HTTPException(422, f"departure_at {body.departure_at.isoformat()} is not in the future")
    if body.energy_needed_kwh is not None and body.energy_needed_kwh > vehicle.battery_kwh:
        raise HTTPException(
            422, f"energy_needed_kwh {body.energy_needed_kwh} exceeds the battery ({vehicle.battery_kwh} kWh)"
        )
    candidate = CandidateBooking(body.departure_at, body.energy_needed_kwh, body.target_soc, body.priority)
    solver = functools.partial(_solve, ctx.site)
    outcome = await asyncio.to_thread(what_if, ctx.site, snapshot, vehicle, candidate, solver)
    return _public(outcome, body.departure_at)
