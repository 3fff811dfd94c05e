"""GET /charge-points/{id}/frames: the charger's last OCPP frames, both directions, as on the wire.

For the operator who wants to see what a charger just said and was told (kept in memory by the
central system, a handful per charger; a restart starts afresh). Secrets are masked.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel

from fleet.api.context import Ctx, require_charge_point
from fleet.api.problems import problem_responses
from fleet.api.security import SiteReader
from ocpp_server.message_trace import TracedFrame

router = APIRouter(prefix="/charge-points/{charge_point_id}", tags=["charge points"])

_MESSAGE_TYPES = {2: "CALL", 3: "CALLRESULT", 4: "CALLERROR"}


class OcppFramePublic(BaseModel):
    at: datetime
    direction: Literal["received", "sent"]
    message_type: Literal["CALL", "CALLRESULT", "CALLERROR"] | None
    """None for a frame that is not OCPP-J (it was answered with a CALLERROR)."""
    unique_id: str | None
    action: str | None
    """The action of a CALL; answers name none on the wire."""
    frame: str
    truncated: bool


def _public(traced: TracedFrame) -> OcppFramePublic:
    message_type: str | None = None
    unique_id: str | None = None
    action: str | None = None
    parsed: Any = None
    if not traced.truncated:
        try:
            parsed = json.loads(traced.frame)
        except ValueError:
            parsed = None
    if isinstance(parsed, list) and len(parsed) >= 3 and parsed[0] in _MESSAGE_TYPES:
        message_type = _MESSAGE_TYPES[parsed[0]]
        unique_id = str(parsed[1])
        if message_type == "CALL" and isinstance(parsed[2], str):
            action = parsed[2]
    return OcppFramePublic(
        at=traced.at,
        direction=traced.direction.value,
        message_type=message_type,
        unique_id=unique_id,
        action=action,
        frame=traced.frame,
        truncated=traced.truncated,
    )


@router.get("/frames", responses=problem_responses(401, 403, 404, 422))
async def recent_frames(charge_point_id: str, ctx: Ctx, _: SiteReader) -> list[OcppFramePublic]:
    """The charger's recent frames, newest first."""
    require_charge_point(ctx, charge_point_id)
    return [_public(traced) for traced in reversed(await ctx.recent_frames(charge_point_id))]
