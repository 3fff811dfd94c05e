"""Outside forecast data (irradiance, hourly prices), fetched off the event loop and cached.

A failing source is logged and skipped: PV then comes from the clear-sky model corrected by the
site's measurements, and prices from the ARERA bands.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from fleet.forecast_inputs import forecast_inputs
from fleet.site_config import CsvIrradianceSource, SiteConfig
from forecasts import IrradianceProvider, IrradianceSeries, PriceProvider, PriceSeries
from forecasts.sources import CsvIrradianceProvider, CsvPriceProvider, OpenMeteoIrradianceProvider

log = logging.getLogger(__name__)

REFRESH = timedelta(hours=1)
LOOKAHEAD = timedelta(hours=72)


@dataclass(frozen=True, slots=True)
class ExternalForecasts:
    irradiance: IrradianceSeries | None
    prices: PriceSeries | None


def irradiance_provider(site: SiteConfig) -> IrradianceProvider | None:
    source = site.forecast_sources.irradiance
    if source is None:
        return None
    if isinstance(source, CsvIrradianceSource):
        return CsvIrradianceProvider(source.path)
    return OpenMeteoIrradianceProvider(base_url=source.base_url, timeout_s=source.timeout_s)


def price_provider(site: SiteConfig) -> PriceProvider | None:
    path = site.forecast_sources.prices_csv
    return None if path is None else CsvPriceProvider(path)


class ExternalSources:
    def __init__(self, site: SiteConfig) -> None:
        self._location = forecast_inputs(site).location
        self._irradiance = irradiance_provider(site)
        self._prices = price_provider(site)
        self._fetched_at: datetime | None = None
        self._latest = ExternalForecasts(None, None)

    async def get(self, now: datetime) -> ExternalForecasts:
        if self._irradiance is None and self._prices is None:
            return self._latest
        if self._fetched_at is None or now - self._fetched_at >= REFRESH:
            self._fetched_at = now
            irradiance, prices = await asyncio.gather(
                asyncio.to_thread(self._fetch_irradiance, now), asyncio.to_thread(self._fetch_prices, now)
            )
            self._latest = ExternalForecasts(irradiance or self._latest.irradiance, prices or self._latest.prices)
        return self._latest

    def _fetch_irradiance(self, now: datetime) -> IrradianceSeries | None:
        if self._irradiance is None:
            return None
        try:
            return self._irradiance.irradiance(self._location, now, now + LOOKAHEAD)
        except Exception:
            log.exception("irradiance forecast unavailable; PV from clear sky and measurements")
            return None

    def _fetch_prices(self, now: datetime) -> PriceSeries | None:
        if self._prices is None:
            return None
        try:
            return self._prices.import_prices(now, now + LOOKAHEAD)
        except Exception:
            log.exception("price series unavailable; prices from the tariff bands")
            return None
