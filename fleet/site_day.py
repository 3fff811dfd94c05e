"""What the site drew and produced so far today: energy, cost, peak import and PV self-consumption.

Pure functions of the stored site samples (one a minute of site time, see ``site_monitor``) and a
price per interval. Each sample holds until the next one; a gap longer than ``MAX_SAMPLE_GAP`` is a
time nobody measured, so it counts for nothing rather than stretching one reading over it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from fleet.persistence.records import SiteSampleRecord

MAX_SAMPLE_GAP = timedelta(minutes=5)
"""A sample counts for at most this long after it [s]."""

PriceCurve = Callable[[pd.DatetimeIndex, pd.DatetimeIndex], np.ndarray]
"""Import price [EUR/kWh] of each interval, given the intervals' starts and ends."""


@dataclass(frozen=True, slots=True)
class DayTotals:
    since: datetime
    """Local midnight of the site, in UTC."""
    until: datetime
    grid_import_kwh: float
    ev_energy_kwh: float
    pv_energy_kwh: float
    pv_self_consumed_kwh: float
    """PV used on site (by the chargers and the building) rather than exported."""
    pv_self_consumption_share: float | None
    """``pv_self_consumed_kwh / pv_energy_kwh``; None when there was no PV."""
    peak_import_kw: float | None
    import_cost_eur: float


def local_midnight(now: datetime, timezone: str) -> datetime:
    """The start of ``now``'s day at the site, as an aware datetime in the site's zone."""
    local = now.astimezone(ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _import_kw(sample: SiteSampleRecord) -> float | None:
    if sample.grid_import_kw is not None:
        return sample.grid_import_kw
    if sample.pv_kw is None or sample.base_load_kw is None:
        return None
    return max(0.0, sample.ev_power_kw + sample.base_load_kw - sample.pv_kw)


def day_totals(samples: Sequence[SiteSampleRecord], since: datetime, until: datetime, price: PriceCurve) -> DayTotals:
    """Totals of the samples in [``since``, ``until``), oldest first.

    Parameters
    ----------
    samples
        Site samples, oldest first; those outside the period are ignored.
    since, until
        The period (aware datetimes).
    price
        Import price of intervals [EUR/kWh].
    """
    inside = [s for s in samples if since <= s.measured_at < until]
    if not inside:
        return DayTotals(since, until, 0.0, 0.0, 0.0, 0.0, None, None, 0.0)
    starts = [s.measured_at for s in inside]
    ends = [min(b, a + MAX_SAMPLE_GAP) for a, b in zip(starts, [*starts[1:], until], strict=True)]
    hours = np.array([(b - a).total_seconds() / 3600 for a, b in zip(starts, ends, strict=True)])
    ev_kw = np.array([s.ev_power_kw for s in inside])
    imports = [_import_kw(s) for s in inside]
    import_kw = np.array([0.0 if kw is None else kw for kw in imports])
    pv_kw = np.array([0.0 if s.pv_kw is None else s.pv_kw for s in inside])
    # PV serves the site's own demand first; only what is left is exported.
    demand_kw = np.array([s.ev_power_kw + (s.base_load_kw if s.base_load_kw is not None else 0.0) for s in inside])
    used_kw = np.minimum(pv_kw, demand_kw)
    prices = price(pd.DatetimeIndex(starts), pd.DatetimeIndex(ends))
    pv_kwh = float(np.sum(pv_kw * hours))
    used_kwh = float(np.sum(used_kw * hours))
    known = [kw for kw in imports if kw is not None]
    return DayTotals(
        since=since,
        until=until,
        grid_import_kwh=round(float(np.sum(import_kw * hours)), 3),
        ev_energy_kwh=round(float(np.sum(ev_kw * hours)), 3),
        pv_energy_kwh=round(pv_kwh, 3),
        pv_self_consumed_kwh=round(used_kwh, 3),
        pv_self_consumption_share=round(used_kwh / pv_kwh, 4) if pv_kwh > 0 else None,
        peak_import_kw=round(max(known), 3) if known else None,
        import_cost_eur=round(float(np.sum(import_kw * hours * prices)), 4),
    )
