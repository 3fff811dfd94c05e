"""GET /sessions: live and past charging sessions (OCPP transactions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Response
from pydantic import AwareDatetime

from fleet.api.context import Ctx
from fleet.api.problems import problem_responses
from fleet.api.schemas import PowerPoint, SessionDetailPublic, SessionPublic
from fleet.api.security import SiteReader
from fleet.forecast_inputs import forecast_inputs
from fleet.persistence.records import TransactionRecord
from fleet.session_cost import session_costs_eur
from fleet.session_export import sessions_csv, sessions_parquet
from ocpp_server.events import Measurand

router = APIRouter(prefix="/sessions", tags=["sessions"])


def _costs(ctx: Ctx, sessions: Sequence[TransactionRecord]) -> list[float]:
    inputs = forecast_inputs(ctx.site)
    return session_costs_eur(sessions, inputs.tariff, inputs.location, ctx.clock.now())


def _public(tx: TransactionRecord, cost_eur: float) -> SessionPublic:
    return SessionPublic(
        id=tx.id,
        charge_point_id=tx.charge_point_id,
        connector_id=tx.connector_id,
        id_tag=tx.id_tag,
        vehicle_id=tx.vehicle_id,
        started_at=tx.started_at,
        stopped_at=tx.stopped_at,
        energy_kwh=round(tx.energy_kwh, 3),
        cost_eur=cost_eur,
        power_kw=tx.last_power_kw if tx.is_active else None,
        soc_percent=tx.last_soc_percent,
        stop_reason=tx.stop_reason,
        reservation_id=tx.reservation_id,
    )


@router.get("", responses=problem_responses(401, 403, 422))
async def list_sessions(
    ctx: Ctx,
    _: SiteReader,
    active: Annotated[bool | None, Query(description="only live (true) or only finished (false) sessions")] = None,
    charge_point_id: Annotated[str | None, Query(max_length=64, description="only this charger's sessions")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[SessionPublic]:
    found = await ctx.store.list_transactions(
        active=active, limit=limit, offset=offset, charge_point_id=charge_point_id
    )
    return [_public(tx, cost) for tx, cost in zip(found, _costs(ctx, found), strict=True)]


EXPORT_PAGE = 1000
EXPORT_MAX = 200_000


@router.get(
    "/export",
    responses={
        **problem_responses(401, 403, 422),
        200: {"content": {"text/csv": {}, "application/vnd.apache.parquet": {}}, "description": "the sessions"},
    },
    response_class=Response,
)
async def export_sessions(
    ctx: Ctx,
    _: SiteReader,
    file_format: Annotated[Literal["csv", "parquet"], Query(alias="format")] = "csv",
    since: Annotated[AwareDatetime | None, Query(description="sessions started at or after")] = None,
    until: Annotated[AwareDatetime | None, Query(description="sessions started before")] = None,
    vehicle_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """Every session (newest first) as CSV or Parquet, optionally of one vehicle and period."""
    found: list[TransactionRecord] = []
    offset = 0
    while offset < EXPORT_MAX:
        page = await ctx.store.list_transactions(limit=EXPORT_PAGE, offset=offset)
        found.extend(
            tx
            for tx in page
            if (since is None or tx.started_at >= since)
            and (until is None or tx.started_at < until)
            and (vehicle_id is None or tx.vehicle_id == vehicle_id)
        )
        if len(page) < EXPORT_PAGE:
            break
        offset += EXPORT_PAGE
    stamp = ctx.clock.now().strftime("%Y%m%d")
    if file_format == "parquet":
        return Response(
            sessions_parquet(found, _costs(ctx, found)),
            media_type="application/vnd.apache.parquet",
            headers={"Content-Disposition": f'attachment; filename="sessions-{stamp}.parquet"'},
        )
    return Response(
        sessions_csv(found, _costs(ctx, found)),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="sessions-{stamp}.csv"'},
    )


@router.get("/{session_id}", responses=problem_responses(401, 403, 404, 422))
async def get_session(
    session_id: Annotated[int, Path(ge=0, le=2**31 - 1)], ctx: Ctx, _: SiteReader
) -> SessionDetailPublic:
    tx = await ctx.store.get_transaction(session_id)
    if tx is None:
        raise HTTPException(status_code=404, detail=f"unknown session {session_id}")
    curve = await ctx.store.meter_series(session_id, Measurand.POWER_IMPORT_KW)
    return SessionDetailPublic(
        **_public(tx, _costs(ctx, [tx])[0]).model_dump(),
        power_curve=[PowerPoint(at=at, power_kw=kw) for at, kw in curve],
    )
