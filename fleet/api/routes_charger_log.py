"""GET /charge-points/{id}/log: what a charger reported and what the central system flagged in it.

The same lines as ``vettabbia charger-log``: status notifications of firmware updates, diagnostics
and log uploads, security events, and problems flagged in what the charger sent (stops of unknown
transactions, meters running backwards, ...). Read-only, for the operator page's charger view.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from fleet.api.context import Ctx, require_charge_point
from fleet.api.problems import problem_responses
from fleet.api.security import SiteReader
from fleet.persistence.records import ChargerLogRecord

router = APIRouter(prefix="/charge-points/{charge_point_id}", tags=["charge points"])


class ChargerLogPublic(BaseModel):
    id: int
    at: datetime
    kind: str
    """What the line is about: ``FirmwareStatus``, ``SecurityEvent``, or the kind of flagged problem."""
    status: str
    flagged: bool
    """True for what the operator should look at."""
    request_id: int | None
    detail: str | None


def _public(line: ChargerLogRecord) -> ChargerLogPublic:
    return ChargerLogPublic(
        id=line.id,
        at=line.at,
        kind=line.kind,
        status=line.status,
        flagged=line.flagged,
        request_id=line.request_id,
        detail=line.detail,
    )


@router.get("/log", responses=problem_responses(401, 403, 404, 422))
async def charger_log(
    charge_point_id: str,
    ctx: Ctx,
    _: SiteReader,
    flagged: Annotated[bool, Query(description="only the lines flagged for the operator")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ChargerLogPublic]:
    """The charger's log, newest line first."""
    require_charge_point(ctx, charge_point_id)
    lines = await ctx.store.charger_log(charge_point_id=charge_point_id, flagged_only=flagged, limit=limit)
    return [_public(line) for line in lines]
