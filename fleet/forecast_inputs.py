"""The site file's facts in the forecasters' own types."""

from __future__ import annotations

from dataclasses import dataclass

from fleet.site_config import SiteConfig
from forecasts import BaseLoadProfile, PvArray, SiteLocation, TariffBands


@dataclass(frozen=True, slots=True)
class ForecastInputs:
    """The site file's facts in the forecasters' own types."""

    location: SiteLocation
    pv_arrays: tuple[PvArray, ...]
    base_load: BaseLoadProfile
    tariff: TariffBands


def forecast_inputs(site: SiteConfig) -> ForecastInputs:
    info = site.site
    return ForecastInputs(
        location=SiteLocation(
            latitude_deg=info.location.latitude_deg,
            longitude_deg=info.location.longitude_deg,
            altitude_m=info.location.altitude_m,
            timezone=info.location.timezone,
        ),
        pv_arrays=tuple(
            PvArray(
                name=a.name,
                peak_power_kwp=a.peak_power_kwp,
                tilt_deg=a.tilt_deg,
                azimuth_deg=a.azimuth_deg,
                losses_fraction=a.losses_fraction,
            )
            for a in info.pv_arrays
        ),
        base_load=BaseLoadProfile(min_kw=info.base_load.min_kw, max_kw=info.base_load.max_kw),
        tariff=TariffBands(
            f1_eur_per_kwh=info.tariff.f1_eur_per_kwh,
            f2_eur_per_kwh=info.tariff.f2_eur_per_kwh,
            f3_eur_per_kwh=info.tariff.f3_eur_per_kwh,
            export_eur_per_kwh=info.tariff.export_eur_per_kwh,
            capacity_charge_eur_per_kw_month=info.tariff.capacity_charge_eur_per_kw_month,
        ),
    )
