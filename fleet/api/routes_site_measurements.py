"""Site meter readings sent by the building's energy gateway: PV output and base load.

The process reads no meter itself outside the demo; a site's gateway (BMS, SCADA, a meter's own
push) sends its readings here as it takes them, a minute apart or so. Each reading becomes a site
sample, as the demo's meter does: the page shows it, the forecasters anchor PV on the clear-sky
index measured over the last hour and base load on the latest quarter hour (at the next history
refresh, one slot at most), and a reading of both flows gives the grid import the month's capacity
charge is billed on.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from fleet.api.context import Ctx
from fleet.api.problems import problem_responses
from fleet.api.security import Operator
from fleet.persistence.records import SiteSampleRecord
from fleet.site_monitor import FRESH_READING, measured_ev_power_kw

router = APIRouter(prefix="/site/measurements", tags=["site"])

MAX_READINGS = 60
CLOCK_SKEW = timedelta(seconds=60)
"""How far ahead of this process's clock a gateway's clock may run."""

PowerKw = Annotated[float, Field(ge=0, le=1_000_000, allow_inf_nan=False)]


class MeterReading(BaseModel):
    model_config = ConfigDict(extra="forbid")

    measured_at: AwareDatetime
    """When the meters were read; within the last 5 minutes."""
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
    """Record the site's PV and base-load meter readings of the last 5 minutes."""
    now = ctx.clock.now()
    for k, reading in enumerate(body.readings):
        # Only a fresh reading can be paired with the chargers' power now into a grid import;
        # an older one would put today's charging beside yesterday's load.
        if not now - FRESH_READING <= reading.measured_at <= now + CLOCK_SKEW:
            raise HTTPException(
                422,
                detail=[
                    {
                        "field": f"body.readings.{k}.measured_at",
                        "message": f"must be within the last {FRESH_READING.total_seconds() / 60:g} minutes "
                        f"(now is {now.isoformat()})",
                    }
                ],
            )
    ev_kw = measured_ev_power_kw(await ctx.store.active_transactions(), now)
    samples = [
        SiteSampleRecord(
            measured_at=min(r.measured_at, now),
            ev_power_kw=ev_kw,
            grid_import_kw=None if r.pv_kw is None or r.base_load_kw is None else ev_kw + r.base_load_kw - r.pv_kw,
            pv_kw=r.pv_kw,
            base_load_kw=r.base_load_kw,
        )
        for r in body.readings
    ]
    await ctx.store.add_site_samples(samples)
    return MeterReadingsReceived(received=len(samples))
