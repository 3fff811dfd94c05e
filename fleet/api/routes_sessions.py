"""GET /sessions: live and past charging sessions (OCPP transactions)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from fleet.api.context import Ctx
from fleet.api.schemas import PowerPoint, SessionDetailPublic, SessionPublic
from fleet.persistence.records import TransactionRecord
from ocpp_server.events import Measurand

router = APIRouter(prefix="/sessions", tags=["sessions"])


def _public(tx: TransactionRecord) -> SessionPublic:
    return SessionPublic(
        id=tx.id,
        charge_point_id=tx.charge_point_id,
        connector_id=tx.connector_id,
        id_tag=tx.id_tag,
        vehicle_id=tx.vehicle_id,
        started_at=tx.started_at,
        stopped_at=tx.stopped_at,
        energy_kwh=round(tx.energy_kwh, 3),
        power_kw=tx.last_power_kw if tx.is_active else None,
        soc_percent=tx.last_soc_percent,
        stop_reason=tx.stop_reason,
    )


@router.get("")
async def list_sessions(
    ctx: Ctx,
    active: Annotated[bool | None, Query(description="only live (true) or only finished (false) sessions")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[SessionPublic]:
    return [_public(tx) for tx in await ctx.store.list_transactions(active=active, limit=limit, offset=offset)]


@router.get("/{session_id}", responses={404: {"description": "unknown session"}})
async def get_session(session_id: int, ctx: Ctx) -> SessionDetailPublic:
    tx = await ctx.store.get_transaction(session_id)
    if tx is None:
        raise HTTPException(status_code=404, detail=f"unknown session {session_id}")
    curve = await ctx.store.meter_series(session_id, Measurand.POWER_IMPORT_KW)
    return SessionDetailPublic(
        **_public(tx).model_dump(), power_curve=[PowerPoint(at=at, power_kw=kw) for at, kw in curve]
    )
