"""GET /site/today: the site's energy, import cost, peak and PV self-consumption since local midnight."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
from fastapi import APIRouter
from pydantic import BaseModel

from fleet.api.context import Ctx
from fleet.api.problems import problem_responses
from fleet.api.security import SiteReader
from fleet.forecast_inputs import forecast_inputs
from fleet.site_day import day_totals, local_midnight
from forecasts import import_price_eur_per_kwh

router = APIRouter(prefix="/site", tags=["site"])


class SiteTodayPublic(BaseModel):
    since: datetime
    """Local midnight at the site."""
    until: datetime
    grid_import_kwh: float
    ev_energy_kwh: float
    pv_energy_kwh: float
    pv_self_consumed_kwh: float
    pv_self_consumption_share: float | None
    """Share of the PV energy used on site (0-1); null without PV."""
    peak_import_kw: float | None
    import_cost_eur: float
    """Grid import at the site's tariff (band or hourly prices), without the capacity charge."""


@router.get("/today", responses=problem_responses(401, 403))
async def get_site_today(ctx: Ctx, _: SiteReader) -> SiteTodayPublic:
    now = ctx.clock.now()
    since = local_midnight(now, ctx.site.site.location.timezone).astimezone(UTC)
    inputs = forecast_inputs(ctx.site)

    def price(starts: pd.DatetimeIndex, ends: pd.DatetimeIndex) -> np.ndarray:
        return import_price_eur_per_kwh(inputs.tariff, inputs.location, starts, ends).to_numpy(dtype=np.float64)

    totals = day_totals(await ctx.store.site_samples(since), since, now, price)
    return SiteTodayPublic(
        since=totals.since,
        until=totals.until,
        grid_import_kwh=totals.grid_import_kwh,
        ev_energy_kwh=totals.ev_energy_kwh,
        pv_energy_kwh=totals.pv_energy_kwh,
        pv_self_consumed_kwh=totals.pv_self_consumed_kwh,
        pv_self_consumption_share=totals.pv_self_consumption_share,
        peak_import_kw=totals.peak_import_kw,
        import_cost_eur=totals.import_cost_eur,
    )
