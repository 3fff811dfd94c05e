"""Records what the site measured, once a minute of site time: EV power from the chargers' meter
values, PV and base load from the site's meters. The page shows it; the forecasters learn from it."""

from __future__ import annotations

import bisect
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from fleet.clock import Clock
from fleet.persistence.records import SiteSampleRecord, TransactionRecord
from fleet.persistence.store import Store
from fleet.site_forecast import SiteForecast
from fleet.site_meter import SiteMeter
from fleet.stopping import being_stopped, stop_if_asked

log = logging.getLogger(__name__)

SAMPLE_EVERY_S = 60.0
# A connector whose last reading is older than this is not counted as drawing power.
FRESH_READING = timedelta(minutes=5)
RECORDED_EV_POWER_HOLDS = timedelta(seconds=2 * SAMPLE_EVERY_S)
"""How long the EV power of a site sample stands for the site's: one missed sample is tolerated."""


def measured_ev_power_kw(transactions: Sequence[TransactionRecord], now: datetime) -> float:
    """Sum of the latest measured power of every active transaction with a fresh reading [kW]."""
    return sum(
        tx.last_power_kw
        for tx in transactions
        if tx.is_active
        and tx.last_power_kw is not None
        and tx.last_sample_at is not None
        and now - tx.last_sample_at <= FRESH_READING
    )


def recorded_ev_power_kw(samples: Sequence[SiteSampleRecord], at: datetime) -> float | None:
    """The EV power the site recorded at ``at`` [kW]: that of the latest sample at or before it, if
    taken at most ``RECORDED_EV_POWER_HOLDS`` earlier; None when nothing was recorded then (the
    controller was not running). ``samples`` oldest first."""
    k = bisect.bisect_right(samples, at, key=lambda sample: sample.measured_at)
    if k == 0 or at - samples[k - 1].measured_at > RECORDED_EV_POWER_HOLDS:
        return None
    return samples[k - 1].ev_power_kw


def forecast_now(forecast: SiteForecast | None, now: datetime) -> tuple[float | None, float | None]:
    """(pv_kw, base_load_kw) of the slot holding ``now``, None without a forecast covering it."""
    if forecast is None:
        return None, None
    t = forecast.slot_index(now)
    if t is None:
        return None, None
    return forecast.pv_kw[t], forecast.base_load_kw[t]


class SiteMonitor:
    def __init__(self, store: Store, clock: Clock, meter: SiteMeter) -> None:
        self._store = store
        self._clock = clock
        self._meter = meter

    async def sample_once(self) -> None:
        now = self._clock.now()
        ev_kw = measured_ev_power_kw(await self._store.active_transactions(), now)
        reading = self._meter.read(now)
        pv_kw, base_kw = reading.pv_kw, reading.base_load_kw
        # Import is only known when both other flows are measured; no forecast stands in for a meter.
        import_kw = None if pv_kw is None or base_kw is None else ev_kw + base_kw - pv_kw
        await self._store.add_site_sample(now, ev_kw, import_kw, pv_kw, base_kw)

    async def run(self) -> None:
        while True:
            stop_if_asked()
            try:
                await self.sample_once()
            except Exception:
                if being_stopped():
                    raise
                log.exception("site sample failed")
            await self._clock.sleep(SAMPLE_EVERY_S)
