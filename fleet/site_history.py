"""What the site remembers, in the forecasters' terms: past sessions and measured PV and base load.

Loaded from the store and refreshed every slot of site time; the learned models (PV clear-sky index
climatology and error spread, base-load profile by day type) are fitted at each refresh, off the
event loop, so a plan only applies them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from fleet.clock import Clock, interval_start
from fleet.forecast_inputs import ForecastInputs, forecast_inputs
from fleet.persistence.records import SiteSampleRecord, TransactionRecord, VehicleRecord
from fleet.persistence.store import Store
from fleet.site_config import SiteConfig
from forecasts import (
    SESSION_COLUMNS,
    LearnedLoadProfile,
    PvForecastModel,
    fit_base_load_profile,
    fit_pv_forecast_model,
)

HISTORY_WINDOW = timedelta(days=56)
RECENT_WINDOW = timedelta(hours=6)
"""How much of the latest measurements the on-line PV correction looks at."""
MEASUREMENT_STEP = timedelta(minutes=15)
"""The step of the measured series, and the quarter hour a capacity charge is billed on."""


@dataclass(frozen=True)
class SiteHistory:
    loaded_at: datetime
    sessions: pd.DataFrame
    """Finished sessions, columns forecasts.SESSION_COLUMNS."""
    pv_kw: pd.Series | None
    """Measured PV, 15-minute means, UTC index; None where the site has no PV meter."""
    base_load_kw: pd.Series | None
    pv_model: PvForecastModel
    load_profile: LearnedLoadProfile
    peak_import_this_month_kw: float = 0.0
    """Highest quarter-hour mean of measured grid import since the local month began [kW]."""

    def recent_pv_kw(self, now: datetime) -> pd.Series | None:
        if self.pv_kw is None:
            return None
        return self.pv_kw[self.pv_kw.index >= pd.Timestamp(now - RECENT_WINDOW)]

    def latest_base_load_kw(self, now: datetime) -> float | None:
        if self.base_load_kw is None or self.base_load_kw.empty:
            return None
        last_at = self.base_load_kw.index[-1]
        if pd.Timestamp(now) - last_at > pd.Timedelta(hours=1):
            return None
        return float(self.base_load_kw.iloc[-1])


def sessions_frame(transactions: list[TransactionRecord], vehicles: dict[str, VehicleRecord]) -> pd.DataFrame:
    rows = [
        {
            "vehicle_id": tx.vehicle_id,
            "vehicle_class": vehicles[tx.vehicle_id].vehicle_class.value,
            "arrived_at": tx.started_at,
            "departed_at": tx.stopped_at,
            "energy_kwh": tx.energy_kwh,
        }
        for tx in transactions
        if tx.vehicle_id in vehicles and tx.stopped_at is not None
    ]
    frame = pd.DataFrame(rows, columns=list(SESSION_COLUMNS))
    for column in ("arrived_at", "departed_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def measured_series(samples: list[SiteSampleRecord], field: str) -> pd.Series | None:
    """15-minute means of one measured field; None when it was never measured."""
    values = [(s.measured_at, getattr(s, field)) for s in samples if getattr(s, field) is not None]
    if not values:
        return None
    at, kw = zip(*values, strict=True)
    series = pd.Series(kw, index=pd.DatetimeIndex(at).tz_convert("UTC"), dtype=float, name=field)
    return series.resample(MEASUREMENT_STEP).mean().dropna()


def month_peak_kw(import_kw: pd.Series | None, now: datetime, timezone: str) -> float:
    """The month's peak of quarter-hour import so far [kW]: what a capacity charge is billed on.

    Only quarter hours that are over count: the one still running may yet end lower, and the plan
    counts its minutes gone on their own (:func:`fleet.planning.import_so_far`).
    """
    if import_kw is None or import_kw.empty:
        return 0.0
    local_now = pd.Timestamp(now).tz_convert(timezone)
    month_start = local_now.normalize().replace(day=1).tz_convert("UTC")
    quarter_ends = pd.DatetimeIndex(import_kw.index) + MEASUREMENT_STEP
    this_month = import_kw[(import_kw.index >= month_start) & (quarter_ends <= pd.Timestamp(now))]
    return max(0.0, float(this_month.max())) if not this_month.empty else 0.0


def fit_history(
    inputs: ForecastInputs,
    now: datetime,
    sessions: pd.DataFrame,
    pv_kw: pd.Series | None,
    base_load_kw: pd.Series | None,
    import_kw: pd.Series | None = None,
) -> SiteHistory:
    """Fit the learned forecast models on loaded history (CPU: run in a worker thread)."""
    return SiteHistory(
        loaded_at=now,
        sessions=sessions,
        pv_kw=pv_kw,
        base_load_kw=base_load_kw,
        pv_model=fit_pv_forecast_model(inputs.pv_arrays, inputs.location, pv_kw, now=now),
        load_profile=fit_base_load_profile(base_load_kw, now=now, location=inputs.location),
        peak_import_this_month_kw=month_peak_kw(import_kw, now, inputs.location.timezone),
    )


class HistoryCache:
    """Loads and fits history once per ``refresh`` of site time, and again as soon as a quarter hour
    has ended since the last load: the month's peak counts complete quarter hours only, and the one
    just ended must not wait a whole refresh to count."""

    def __init__(self, site: SiteConfig, store: Store, clock: Clock, refresh: timedelta | None = None) -> None:
        self._inputs = forecast_inputs(site)
        self._store = store
        self._clock = clock
        self._refresh = refresh or timedelta(minutes=site.planning.slot_min)
        self._history: SiteHistory | None = None

    async def get(self) -> SiteHistory:
        now = self._clock.now()
        if (
            self._history is None
            or now - self._history.loaded_at >= self._refresh
            or interval_start(now, MEASUREMENT_STEP) > self._history.loaded_at
        ):
            since = now - HISTORY_WINDOW
            vehicles = {v.id: v for v in await self._store.list_vehicles()}
            transactions = await self._store.finished_transactions(since)
            samples = await self._store.site_samples(since)
            sessions = sessions_frame(transactions, vehicles)
            self._history = await asyncio.to_thread(
                fit_history,
                self._inputs,
                now,
                sessions,
                measured_series(samples, "pv_kw"),
                measured_series(samples, "base_load_kw"),
                measured_series(samples, "grid_import_kw"),
            )
        return self._history
