"""GET /site/tariff: the supply tariff, and the band and price now and over the current plan."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter

from fleet.api.context import Ctx
from fleet.api.problems import problem_responses
from fleet.api.schemas import SiteTariffPublic, TariffHorizonPublic, TariffNowPublic, TariffPublic
from fleet.api.security import SiteReader
from fleet.control_loop import PlanResult
from fleet.forecast_inputs import forecast_inputs
from fleet.site_config import SiteConfig
from forecasts import band_price_eur_per_kwh, capacity_charge_eur_per_kw_month, tariff_band

router = APIRouter(prefix="/site", tags=["site"])


def _tariff(site: SiteConfig) -> TariffPublic:
    bands = forecast_inputs(site).tariff
    prices_csv = site.forecast_sources.prices_csv
    return TariffPublic(
        f1_eur_per_kwh=band_price_eur_per_kwh(bands, "F1"),
        f2_eur_per_kwh=band_price_eur_per_kwh(bands, "F2"),
        f3_eur_per_kwh=band_price_eur_per_kwh(bands, "F3"),
        export_eur_per_kwh=bands.export_eur_per_kwh,
        capacity_charge_eur_per_kw_month=capacity_charge_eur_per_kw_month(bands),
        # The name only: where the file sits on the server is no business of the page.
        hourly_prices_csv=prices_csv.name if prices_csv is not None else None,
    )


def _now(site: SiteConfig, latest: PlanResult | None, now: datetime) -> TariffNowPublic:
    band = tariff_band(now)
    slot = latest.forecast.slot_index(now) if latest is not None else None
    if latest is not None and slot is not None:
        # The plan's price already follows the hourly series where it reaches.
        return TariffNowPublic(
            at=now,
            tariff_band=band,
            import_price_eur_per_kwh=latest.forecast.import_price_eur_per_kwh[slot],
            export_price_eur_per_kwh=latest.forecast.export_price_eur_per_kwh[slot],
            price_source="plan",
        )
    bands = forecast_inputs(site).tariff
    return TariffNowPublic(
        at=now,
        tariff_band=band,
        import_price_eur_per_kwh=band_price_eur_per_kwh(bands, band),
        export_price_eur_per_kwh=bands.export_eur_per_kwh,
        price_source="bands",
    )


def _horizon(latest: PlanResult | None) -> TariffHorizonPublic:
    if latest is None:
        return TariffHorizonPublic()
    forecast = latest.forecast
    return TariffHorizonPublic(
        schedule_id=latest.schedule_id,
        slot_starts=list(forecast.slot_starts),
        slot_duration_h=list(forecast.slot_duration_h),
        tariff_band=list(forecast.tariff_band),
        import_price_eur_per_kwh=list(forecast.import_price_eur_per_kwh),
        export_price_eur_per_kwh=list(forecast.export_price_eur_per_kwh),
    )


@router.get("/tariff", responses=problem_responses(401, 403))
async def get_site_tariff(ctx: Ctx, _: SiteReader) -> SiteTariffPublic:
    """The site's tariff, and the band and price in force now and in each slot of the current plan."""
    now = ctx.clock.now()
    latest = ctx.planner.latest
    return SiteTariffPublic(
        timezone=ctx.site.site.location.timezone,
        tariff=_tariff(ctx.site),
        now=_now(ctx.site, latest, now),
        horizon=_horizon(latest),
    )
