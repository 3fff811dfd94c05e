"""GET /events: a server-sent-events stream of state changes, so pages and integrations need not poll.

Events (``event:`` name, ``data:`` one JSON object): ``schedule`` (a new plan), ``charge-points``
(which chargers are connected), ``sessions`` (which sessions are running), ``yard`` (which vehicles
wait for a charger), ``grid-limits`` (the temporary limits in force or to come). The first of each
is sent at once with the current state; afterwards only changes are sent, within a second.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from fleet.api.context import ApiContext, Ctx
from fleet.api.problems import problem_responses
from fleet.api.security import SiteReader

router = APIRouter(prefix="/events", tags=["events"])

CHECK_EVERY_S: Final = 1.0
KEEP_ALIVE_S: Final = 15.0


async def _state(ctx: ApiContext) -> dict[str, Any]:
    schedule = await ctx.store.latest_schedule()
    now = ctx.clock.now()
    return {
        "schedule": None
        if schedule is None
        else {
            "id": schedule.id,
            "status": schedule.status,
            "created_at": schedule.created_at.isoformat(),
            "unmet_energy_kwh": schedule.unmet_energy_kwh,
        },
        "charge-points": {"connected": sorted(ctx.connected_ids())},
        "sessions": {"active": [tx.id for tx in await ctx.store.active_transactions()]},
        "yard": {"waiting": [e.vehicle_id for e in ctx.yard.waiting()]},
        "grid-limits": {
            "limits": [
                {"id": lim.id, "limit_kw": lim.limit_kw, "ends_at": lim.ends_at.isoformat()}
                for lim in await ctx.store.fleet.grid_limits(now)
            ]
        },
    }


def _event(name: str, data: object) -> str:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def state_changes(ctx: ApiContext, max_events: int | None) -> AsyncIterator[str]:
    """Events for every part of the state that changed since the last look, until ``max_events`` or
    the application stops."""
    sent = 0
    last: dict[str, Any] = {}
    quiet_s = 0.0
    while max_events is None or sent < max_events:
        state = await _state(ctx)
        changed = [name for name, value in state.items() if name not in last or last[name] != value]
        for name in changed:
            yield _event(name, state[name])
            sent += 1
            if max_events is not None and sent >= max_events:
                return
        last = state
        quiet_s = 0.0 if changed else quiet_s + CHECK_EVERY_S
        if quiet_s >= KEEP_ALIVE_S:
            # A comment line keeps proxies from closing an idle stream.
            yield ": keep-alive\n\n"
            quiet_s = 0.0
        try:
            await asyncio.wait_for(ctx.stopping.wait(), CHECK_EVERY_S)
        except TimeoutError:
            continue
        return


@router.get(
    "",
    response_class=StreamingResponse,
    responses={**problem_responses(401, 403, 422), 200: {"content": {"text/event-stream": {}}}},
)
async def stream_events(
    ctx: Ctx,
    _: SiteReader,
    max_events: Annotated[int | None, Query(ge=1, le=10_000, description="end the stream after this many")] = None,
) -> StreamingResponse:
    """Server-sent events of state changes (``text/event-stream``)."""
    return StreamingResponse(
        state_changes(ctx, max_events),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
