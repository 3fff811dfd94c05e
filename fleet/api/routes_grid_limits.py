"""Temporary grid import limits with an expiry, as a grid operator sends them; each one re-plans."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from fleet.api.context import Ctx
from fleet.api.problems import problem_responses
from fleet.api.security import Operator, SiteReader
from fleet.persistence.records import GridLimitRecord

router = APIRouter(prefix="/site/grid-limits", tags=["site"])

LONGEST = timedelta(days=7)


class GridLimitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit_kw: Annotated[float, Field(ge=0, le=100_000)]
    """Import limit while in force [kW]; only a limit below the connection's changes anything."""
    starts_at: AwareDatetime | None = None
    """Default: now."""
    ends_at: AwareDatetime
    """The expiry: the connection's own limit applies again from this instant on (at most 7 days)."""
    reason: Annotated[str, Field(max_length=200)] = ""


class GridLimitPublic(BaseModel):
    id: int
    limit_kw: float
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_by: str
    created_at: datetime


def _public(limit: GridLimitRecord) -> GridLimitPublic:
    return GridLimitPublic(
        id=limit.id,
        limit_kw=limit.limit_kw,
        starts_at=limit.starts_at,
        ends_at=limit.ends_at,
        reason=limit.reason,
        created_by=limit.created_by,
        created_at=limit.created_at,
    )


@router.get("", responses=problem_responses(401, 403))
async def list_grid_limits(ctx: Ctx, _: SiteReader) -> list[GridLimitPublic]:
    """Temporary limits in force now or to come, by start."""
    return [_public(limit) for limit in await ctx.store.fleet.grid_limits(ctx.clock.now())]


@router.post("", status_code=201, responses=problem_responses(401, 403, 422))
async def add_grid_limit(body: GridLimitCreate, ctx: Ctx, caller: Operator) -> GridLimitPublic:
    """Lower the site's import limit until ``ends_at``; the plan keeps under it in every slot it touches."""
    now = ctx.clock.now()
    starts_at = body.starts_at or now
    if body.ends_at <= max(starts_at, now):
        raise HTTPException(422, detail=[{"field": "body.ends_at", "message": "must be after starts_at and now"}])
    if body.ends_at - starts_at > LONGEST:
        raise HTTPException(422, detail=[{"field": "body.ends_at", "message": "at most 7 days after starts_at"}])
    limit = await ctx.store.fleet.add_grid_limit(body.limit_kw, starts_at, body.ends_at, body.reason, caller.name, now)
    ctx.planner.request_replan(f"grid limit {body.limit_kw:g} kW until {body.ends_at.isoformat()}")
    return _public(limit)


@router.delete("/{limit_id}", status_code=204, responses=problem_responses(401, 403, 404, 422))
async def cancel_grid_limit(limit_id: Annotated[int, Path(ge=0, le=2**31 - 1)], ctx: Ctx, _: Operator) -> Response:
    """Cancel a temporary limit before its expiry."""
    if not await ctx.store.fleet.delete_grid_limit(limit_id):
        raise HTTPException(404, f"unknown grid limit {limit_id}")
    ctx.planner.request_replan(f"grid limit {limit_id} cancelled")
    return Response(status_code=204)
