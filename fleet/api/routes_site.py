"""GET /site and /site/timeseries: power now, the horizon, and what was measured."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter

from fleet.api.context import Ctx
from fleet.api.problems import problem_responses
from fleet.api.schemas import HorizonPublic, MeasuredPublic, ScheduleSummary, SitePublic, SiteTimeseriesPublic
from fleet.api.security import SiteReader
from fleet.grid_limits import limit_now_kw
from fleet.site_forecast import SiteForecast, fallback_forecast, forecast_site
from fleet.site_monitor import forecast_now, measured_ev_power_kw

router = APIRouter(prefix="/site", tags=["site"])

MEASURED_HISTORY = timedelta(hours=24)
FRESH_MEASUREMENT = timedelta(minutes=5)


def _forecast_now(ctx: Ctx, now: datetime) -> tuple[float, float]:
    """PV and base load now: from the current plan, else forecast for this slot alone."""
    latest = ctx.planner.latest
    pv_kw, base_kw = forecast_now(latest.forecast if latest else None, now)
    if pv_kw is not None and base_kw is not None:
        return pv_kw, base_kw
    slot_h = ctx.site.planning.slot_min / 60
    forecast: SiteForecast
    try:
        forecast = forecast_site(ctx.site, now, slot_h, None)
    except Exception:
        forecast = fallback_forecast(ctx.site, now, slot_h)
    return forecast.pv_kw[0], forecast.base_load_kw[0]


@router.get("", responses=problem_responses(401, 403))
async def get_site(ctx: Ctx, _: SiteReader) -> SitePublic:
    now = ctx.clock.now()
    transactions = await ctx.store.active_transactions()
    ev_kw = measured_ev_power_kw(transactions, now)
    pv_kw, base_kw = _forecast_now(ctx, now)
    # A site with meters shows what they read; the forecast stands in only where nothing measures.
    # Meters read by this process and readings sent by a gateway are separate samples: take the
    # latest of each flow.
    recent = await ctx.store.site_samples(now - FRESH_MEASUREMENT)
    pv_kw = next((s.pv_kw for s in reversed(recent) if s.pv_kw is not None), pv_kw)
    base_kw = next((s.base_load_kw for s in reversed(recent) if s.base_load_kw is not None), base_kw)
    import_kw = max(0.0, ev_kw + base_kw - pv_kw)
    charging = sum(1 for tx in transactions if (tx.last_power_kw or 0.0) > 0.05)
    return SitePublic(
        site_id=ctx.site.site.id,
        name=ctx.site.site.name,
        timezone=ctx.site.site.location.timezone,
        now=now,
        grid_import_limit_kw=ctx.site.site.grid.import_limit_kw,
        import_limit_now_kw=limit_now_kw(
            ctx.site.site.grid.import_limit_kw, await ctx.store.fleet.grid_limits(now), now
        ),
        ev_power_kw=round(ev_kw, 3),
        pv_kw=round(pv_kw, 3),
        base_load_kw=round(base_kw, 3),
        grid_import_kw=round(import_kw, 3),
        charge_points_total=len(ctx.site.charge_points),
        charge_points_connected=len(ctx.connected_ids() & {c.id for c in ctx.site.charge_points}),
        connectors_charging=charging,
        vehicles_total=len(ctx.site.vehicles),
    )


@router.get("/timeseries", responses=problem_responses(401, 403))
async def get_site_timeseries(ctx: Ctx, _: SiteReader) -> SiteTimeseriesPublic:
    now = ctx.clock.now()
    record = await ctx.store.latest_schedule()
    samples = await ctx.store.site_samples(now - MEASURED_HISTORY)
    measured = MeasuredPublic(
        at=[s.measured_at for s in samples],
        ev_power_kw=[s.ev_power_kw for s in samples],
        grid_import_kw=[s.grid_import_kw for s in samples],
        pv_kw=[s.pv_kw for s in samples],
        base_load_kw=[s.base_load_kw for s in samples],
    )
    if record is None:
        return SiteTimeseriesPublic(horizon=HorizonPublic(), measured=measured, schedule=None)
    return SiteTimeseriesPublic(
        horizon=HorizonPublic.model_validate(record.body["horizon"]),
        measured=measured,
        schedule=ScheduleSummary(
            id=record.id,
            status=record.status,
            created_at=record.created_at,
            objective_eur=record.objective_eur,
            unmet_energy_kwh=record.unmet_energy_kwh,
        ),
    )
