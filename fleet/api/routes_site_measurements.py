"""Site meter readings sent by the building's energy gateway: PV output and base load.

The process reads no meter itself outside the demo; a site's gateway (BMS, SCADA, a meter's own
push) sends its readings here as it takes them, a minute apart or so, and those it kept through an
outage of the link once it is back. Each reading becomes a site sample, as the demo's meter does:
the page shows it, the forecasters anchor PV on the clear-sky index measured over the last hour and
base load on the latest quarter hour (at the next history refresh, one slot at most), and a reading
of both flows gives the grid import the month's capacity charge is billed on: PV and base load from
the reading, the chargers' power from their meter values, now for a reading of the last 5 minutes,
as the site recorded it then for an older one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from fleet.api.context import Ctx
from fleet.api.problems import problem_responses
from fleet.api.security import Operator
from fleet.persistence.records import SiteSampleRecord
from fleet.site_monitor import FRESH_READING, RECORDED_EV_POWER_HOLDS, measured_ev_power_kw, recorded_ev_power_kw

router = APIRouter(prefix="/site/measurements", tags=["site"])

MAX_READINGS = 60
CLOCK_SKEW = timedelta(seconds=60)
"""How far ahead of this process's clock a gateway's clock may run."""

PowerKw = Annotated[float, Field(ge=0, le=1_000_000, allow_inf_nan=False)]


class MeterReading(BaseModel):
    model_config = ConfigDict(extra="forbid")

    measured_at: AwareDatetime
    """When the meters were read: at most a minute ahead of this server's clock; a reading older than
    5 minutes only while the controller ran then (it recorded the chargers' power)."""
    pv_kw: PowerKw | None = None
    """PV output [kW]; leave out where no PV meter measures it."""
    base_load_kw: PowerKw | None = None
    """Site load other than the chargers [kW]; leave out where nothing measures it."""

    @model_validator(mode="after")
    def _measures_something(self) -> MeterReading:
        if self.pv_kw is None and self.base_load_kw is None:
            raise ValueError("a reading needs pv_kw, base_load_kw or both")
        return self


class MeterReadings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    readings: Annotated[list[MeterReading], Field(min_length=1, max_length=MAX_READINGS)]


class MeterReadingsReceived(BaseModel):
    received: int
    """Readings taken; one at the instant of an earlier reading is kept once."""


@router.post("", responses=problem_responses(401, 403, 422))
async def add_measurements(body: MeterReadings, ctx: Ctx, _: Operator) -> MeterReadingsReceived:
    """Record the site's PV and base-load meter readings, as taken or late (after an outage)."""
    now = ctx.clock.now()
    ahead = [k for k, r in enumerate(body.readings) if r.measured_at > now + CLOCK_SKEW]
    if ahead:
        raise _refused(ahead, f"must not be ahead of this server's clock (now is {now.isoformat()})")
    fresh_ev_kw = measured_ev_power_kw(await ctx.store.active_transactions(), now)
    ev_kw = [
        fresh_ev_kw if r.measured_at >= now - FRESH_READING else await _recorded_ev_kw(ctx, r.measured_at)
        for r in body.readings
    ]
    unpaired = [k for k, power_kw in enumerate(ev_kw) if power_kw is None]
    if unpaired:
        hold_min = RECORDED_EV_POWER_HOLDS.total_seconds() / 60
        raise _refused(
            unpaired,
            f"no EV power was recorded in the {hold_min:g} minutes before this time (the controller was not "
            "running), so the site's grid import then is unknown; send only readings taken while it ran",
        )
    samples = [
        SiteSampleRecord(
            measured_at=min(r.measured_at, now),
            ev_power_kw=power_kw,
            grid_import_kw=None if r.pv_kw is None or r.base_load_kw is None else power_kw + r.base_load_kw - r.pv_kw,
            pv_kw=r.pv_kw,
            base_load_kw=r.base_load_kw,
        )
        for r, power_kw in zip(body.readings, ev_kw, strict=True)
        if power_kw is not None
    ]
    await ctx.store.add_site_samples(samples)
    return MeterReadingsReceived(received=len(samples))


async def _recorded_ev_kw(ctx: Ctx, at: datetime) -> float | None:
    # A reading taken a while ago is paired with the chargers' power the site recorded then, not now:
    # today's charging beside yesterday's load would be a grid import that never happened.
    return recorded_ev_power_kw(await ctx.store.site_samples(at - RECORDED_EV_POWER_HOLDS, at), at)


def _refused(indexes: list[int], message: str) -> HTTPException:
    return HTTPException(422, detail=[{"field": f"body.readings.{k}.measured_at", "message": message} for k in indexes])
