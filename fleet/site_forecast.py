"""The forecasts the planner needs, on its slot grid, for the configured site."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from fleet.site_config import PlanningConfig, SiteConfig

if TYPE_CHECKING:
    from fleet.external_sources import ExternalForecasts
    from fleet.site_history import SiteHistory
from fleet.forecast_inputs import forecast_inputs
from forecasts import (
    base_load_forecast_kw,
    coarse_slot_groups,
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
    base_load_peak_kw: tuple[float, ...]
    """The highest base load within the slot: its mean on a slot of the planning grid's own length,
    the highest of those means on a longer slot of a multi-resolution grid [kW]."""

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
    forecast = SiteForecast(
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
        base_load_peak_kw=_tuple(base),
    )
    return on_planning_grid(forecast, site.planning, now)


def fallback_forecast(site: SiteConfig, now: datetime, horizon_h: float) -> SiteForecast:
    """A conservative forecast for when the forecasters fail: no PV, peak base load, the F1 price."""
    starts, ends = slot_grid(now, horizon_h, site.planning.slot_min)
    n = len(starts)
    tariff = site.site.tariff
    forecast = SiteForecast(
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
        base_load_peak_kw=(site.site.base_load.max_kw,) * n,
    )
    return on_planning_grid(forecast, site.planning, now)


def on_planning_grid(forecast: SiteForecast, planning: PlanningConfig, now: datetime) -> SiteForecast:
    """``forecast``, made at ``now`` on ``planning.slot_min`` slots, on the planning grid: as it is, or
    with the slots beyond ``planning.fine_horizon_h`` joined into ``planning.coarse_slot_min`` ones."""
    fine_h = planning.fine_horizon_h
    if fine_h is None:
        return forecast
    groups = coarse_slot_groups(pd.DatetimeIndex(forecast.slot_starts), now, fine_h, planning.coarse_slot_min)
    return coarsened(forecast, groups)


def coarsened(forecast: SiteForecast, groups: npt.NDArray[np.intp]) -> SiteForecast:
    """Join the forecast's slots by ``groups`` (one number per slot, equal numbers adjacent).

    Each joined slot starts with its first slot and lasts as long as all of them. PV, base load and
    prices become their duration-weighted means (each slot already holds its own mean, so this is
    the joined slot's mean); the firm PV its lowest value and ``base_load_peak_kw`` its highest, so
    that a grid limit kept with them for the whole joined slot is kept in each of its parts; the
    tariff band is the first slot's (bands change on the hour).
    """
    duration_h = np.asarray(forecast.slot_duration_h, dtype=np.float64)
    n_groups = int(groups[-1]) + 1 if groups.size else 0
    first = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    if groups.size != duration_h.size or first.size != n_groups:
        raise ValueError("groups: must hold one number per slot, 0, 1, 2... in adjacent runs")
    group_h = np.bincount(groups, weights=duration_h, minlength=n_groups)

    def mean(values: tuple[float, ...]) -> tuple[float, ...]:
        weighted = np.bincount(groups, weights=np.asarray(values, dtype=np.float64) * duration_h, minlength=n_groups)
        return tuple(float(v) for v in weighted / group_h)

    def extreme(values: tuple[float, ...], ufunc: np.ufunc) -> tuple[float, ...]:
        return tuple(float(v) for v in ufunc.reduceat(np.asarray(values, dtype=np.float64), first))

    return SiteForecast(
        slot_starts=tuple(forecast.slot_starts[i] for i in first),
        slot_duration_h=tuple(float(h) for h in group_h),
        pv_kw=mean(forecast.pv_kw),
        pv_p10_kw=mean(forecast.pv_p10_kw),
        pv_p90_kw=mean(forecast.pv_p90_kw),
        pv_firm_kw=extreme(forecast.pv_firm_kw, np.minimum),
        base_load_kw=mean(forecast.base_load_kw),
        import_price_eur_per_kwh=mean(forecast.import_price_eur_per_kwh),
        export_price_eur_per_kwh=mean(forecast.export_price_eur_per_kwh),
        tariff_band=tuple(forecast.tariff_band[i] for i in first),
        base_load_peak_kw=extreme(forecast.base_load_peak_kw, np.maximum),
    )
