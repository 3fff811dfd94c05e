"""The forecasts the planner needs, on its slot grid, for the configured site."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from fleet.site_config import SiteConfig

if TYPE_CHECKING:
    from fleet.external_sources import ExternalForecasts
    from fleet.site_history import SiteHistory
from fleet.forecast_inputs import forecast_inputs
from forecasts import (
    base_load_forecast_kw,
    export_price_eur_per_kwh,
    import_price_eur_per_kwh,
    pv_firm_kw,
    pv_forecast_kw,
    slot_grid,
    tariff_bands,
)


@dataclass(frozen=True, slots=True)
class SiteForecast:
    """Every series is indexed by slot (same length as ``slot_starts``)."""

    slot_starts: tuple[datetime, ...]
    slot_duration_h: tuple[float, ...]
    pv_kw: tuple[float, ...]
    """Expected (mean) PV output [kW]."""
    pv_p10_kw: tuple[float, ...]
    pv_p90_kw: tuple[float, ...]
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


def forecast_site(
    site: SiteConfig,
    now: datetime,
    horizon_h: float,
    history: SiteHistory | None = None,
    external: ExternalForecasts | None = None,
) -> SiteForecast:
    """PV (P10/P50/P90, firm), base load and prices on the slot grid starting at ``now``.

    With history, PV is the clear-sky model (or the external irradiance forecast) corrected by the
    latest measured clear-sky index and the site's climatology, and base load is the learned day-type
    profile blended with the latest measurement; without, both fall back to their priors (clear sky,
    the configured load shape). Prices follow the external hourly series where it reaches, else the
    ARERA bands.
    """
    inputs = forecast_inputs(site)
    starts, ends = slot_grid(now, horizon_h, site.planning.slot_min)
    if inputs.pv_arrays:
        pv = pv_forecast_kw(
            inputs.pv_arrays,
            inputs.location,
            starts,
            ends,
            now=now,
            measured_pv_kw=history.recent_pv_kw(now) if history else None,
            history_pv_kw=None,
            model=history.pv_model if history else None,
            irradiance=external.irradiance if external else None,
        )
        # The clear-sky index is bimodal (sun or cloud): the mean prices energy better than the median.
        pv_p10, pv_mean, pv_p90 = pv["p10_kw"], pv["mean_kw"], pv["p90_kw"]
    else:
        pv_p10 = pv_mean = pv_p90 = pd.Series(0.0, index=starts)
    base = base_load_forecast_kw(
        starts,
        ends,
        now=now,
        location=inputs.location,
        history_kw=None,  # the profile is already fitted on it, once per history refresh
        latest_kw=history.latest_base_load_kw(now) if history else None,
        prior=inputs.base_load,
        profile=history.load_profile if history else None,
    )
    prices = external.prices if external else None
    return SiteForecast(
        slot_starts=tuple(ts.to_pydatetime() for ts in starts),
        slot_duration_h=tuple(float(d) for d in ((ends - starts).total_seconds() / 3600.0)),
        pv_kw=_tuple(pv_mean),
        pv_p10_kw=_tuple(pv_p10),
        pv_p90_kw=_tuple(pv_p90),
        # The grid limit may only lean on the pessimistic PV curve, and only as far as configured.
        pv_firm_kw=_tuple(pv_firm_kw(pv_p10, site.planning.pv_firm_fraction)),
        base_load_kw=_tuple(base),
        import_price_eur_per_kwh=_tuple(
            import_price_eur_per_kwh(prices or inputs.tariff, inputs.location, starts, ends, fallback=inputs.tariff)
        ),
        export_price_eur_per_kwh=_tuple(export_price_eur_per_kwh(inputs.tariff, inputs.location, starts, ends)),
        tariff_band=tariff_bands(starts),
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
        pv_p10_kw=(0.0,) * n,
        pv_p90_kw=(0.0,) * n,
        pv_firm_kw=(0.0,) * n,
        base_load_kw=(site.site.base_load.max_kw,) * n,
        import_price_eur_per_kwh=(tariff.f1_eur_per_kwh,) * n,
        export_price_eur_per_kwh=(tariff.export_eur_per_kwh,) * n,
        tariff_band=("F1",) * n,
    )
