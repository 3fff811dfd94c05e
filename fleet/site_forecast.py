"""The forecasts the planner needs, on its slot grid, for the configured site."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from fleet.site_config import SiteConfig
from forecasts import (
    BaseLoadProfile,
    PvArray,
    SiteLocation,
    TariffBands,
    base_load_kw,
    clear_sky_pv_kw,
    export_price_eur_per_kwh,
    import_price_eur_per_kwh,
    pv_firm_kw,
    slot_grid,
    tariff_band,
)


@dataclass(frozen=True, slots=True)
class SiteForecast:
    """Every series is indexed by slot (same length as ``slot_starts``)."""

    slot_starts: tuple[datetime, ...]
    slot_duration_h: tuple[float, ...]
    pv_kw: tuple[float, ...]
    pv_firm_kw: tuple[float, ...]
    base_load_kw: tuple[float, ...]
    import_price_eur_per_kwh: tuple[float, ...]
    export_price_eur_per_kwh: tuple[float, ...]
    tariff_band: tuple[str, ...]

    def slot_index(self, at: datetime) -> int | None:
        """Index of the slot containing ``at``, or None outside the horizon."""
        for t, start in enumerate(self.slot_starts):
            if start <= at < start + pd.Timedelta(hours=self.slot_duration_h[t]):
                return t
        return None


def _tuple(series: pd.Series) -> tuple[float, ...]:
    return tuple(float(v) for v in series.to_numpy())


def forecast_site(site: SiteConfig, now: datetime, horizon_h: float) -> SiteForecast:
    """PV (expected and firm), base load and prices on the slot grid starting at ``now``."""
    info = site.site
    location = SiteLocation(
        latitude_deg=info.location.latitude_deg,
        longitude_deg=info.location.longitude_deg,
        altitude_m=info.location.altitude_m,
        timezone=info.location.timezone,
    )
    starts, ends = slot_grid(now, horizon_h, site.planning.slot_min)
    arrays = [
        PvArray(
            name=a.name,
            peak_power_kwp=a.peak_power_kwp,
            tilt_deg=a.tilt_deg,
            azimuth_deg=a.azimuth_deg,
            losses_fraction=a.losses_fraction,
        )
        for a in info.pv_arrays
    ]
    pv = clear_sky_pv_kw(arrays, location, starts, ends) if arrays else pd.Series(0.0, index=starts, name="pv_kw")
    tariff = TariffBands(
        f1_eur_per_kwh=info.tariff.f1_eur_per_kwh,
        f2_eur_per_kwh=info.tariff.f2_eur_per_kwh,
        f3_eur_per_kwh=info.tariff.f3_eur_per_kwh,
        export_eur_per_kwh=info.tariff.export_eur_per_kwh,
        capacity_charge_eur_per_kw_month=info.tariff.capacity_charge_eur_per_kw_month,
    )
    base = base_load_kw(
        BaseLoadProfile(min_kw=info.base_load.min_kw, max_kw=info.base_load.max_kw), location, starts, ends
    )
    local_starts = starts.tz_convert(info.location.timezone)
    return SiteForecast(
        slot_starts=tuple(ts.to_pydatetime() for ts in starts),
        slot_duration_h=tuple(float(d) for d in ((ends - starts).total_seconds() / 3600.0)),
        pv_kw=_tuple(pv),
        pv_firm_kw=_tuple(pv_firm_kw(pv, site.planning.pv_firm_fraction)),
        base_load_kw=_tuple(base),
        import_price_eur_per_kwh=_tuple(import_price_eur_per_kwh(tariff, location, starts, ends)),
        export_price_eur_per_kwh=_tuple(export_price_eur_per_kwh(tariff, location, starts, ends)),
        tariff_band=tuple(str(tariff_band(ts)) for ts in local_starts),
    )


def fallback_forecast(site: SiteConfig, now: datetime, horizon_h: float) -> SiteForecast:
    """A conservative forecast for when the forecasters fail: no PV, peak base load, the F1 price."""
    starts, ends = slot_grid(now, horizon_h, site.planning.slot_min)
    n = len(starts)
    tariff = site.site.tariff
    return SiteForecast(
        slot_starts=tuple(ts.to_pydatetime() for ts in starts),
        slot_duration_h=tuple(float(d) for d in ((ends - starts).total_seconds() / 3600.0)),
        pv_kw=(0.0,) * n,
        pv_firm_kw=(0.0,) * n,
        base_load_kw=(site.site.base_load.max_kw,) * n,
        import_price_eur_per_kwh=(tariff.f1_eur_per_kwh,) * n,
        export_price_eur_per_kwh=(tariff.export_eur_per_kwh,) * n,
        tariff_band=("F1",) * n,
    )
