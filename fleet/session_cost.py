"""What each charging session cost at the site's tariff: its metered energy over its time.

A session's energy is taken as drawn evenly from its start to its stop (to its last meter sample,
or now, while it runs), and priced at the time-weighted mean of the band prices in force meanwhile.
Evenly is what the stored figures allow for every session, imported history included (which has no
meter samples); a session charged mostly in one band and idle in another is priced at the mix.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from fleet.persistence.records import TransactionRecord
from forecasts import SiteLocation, TariffBands, import_price_eur_per_kwh

PRICE_STEP = timedelta(minutes=5)
"""Resolution of the price curve; band changes fall on the hour, so it is exact for bands."""
_NS_PER_S = 1_000_000_000


def session_end(tx: TransactionRecord, now: datetime) -> datetime:
    """When the session's energy stopped flowing, as far as the store knows."""
    end = tx.stopped_at or tx.last_sample_at or now
    return max(end, tx.started_at)


def session_costs_eur(
    sessions: Sequence[TransactionRecord], tariff: TariffBands, location: SiteLocation, now: datetime
) -> list[float]:
    """Cost [EUR] of each session's metered energy, in the order given.

    One price curve covers every session at once: the integral of price over time is read at each
    session's start and end, so a long export costs one tariff evaluation, not one per session.
    """
    if not sessions:
        return []
    starts = pd.DatetimeIndex([tx.started_at for tx in sessions]).tz_convert(UTC).as_unit("ns")
    ends = pd.DatetimeIndex([session_end(tx, now) for tx in sessions]).tz_convert(UTC).as_unit("ns")
    grid_start = starts.min().floor(PRICE_STEP)
    grid_end = ends.max().floor(PRICE_STEP) + PRICE_STEP
    slot_starts = pd.date_range(grid_start, grid_end - PRICE_STEP, freq=PRICE_STEP).as_unit("ns")
    slot_ends = slot_starts + PRICE_STEP
    price = import_price_eur_per_kwh(tariff, location, slot_starts, slot_ends).to_numpy(dtype=np.float64)
    boundaries_s = np.append(slot_starts.asi8, slot_ends.asi8[-1]).astype(np.float64) / _NS_PER_S
    integral = np.concatenate(([0.0], np.cumsum(price * PRICE_STEP.total_seconds())))
    start_s = starts.asi8.astype(np.float64) / _NS_PER_S
    end_s = ends.asi8.astype(np.float64) / _NS_PER_S
    duration_s = end_s - start_s
    mean_price = np.where(
        duration_s > 0,
        (np.interp(end_s, boundaries_s, integral) - np.interp(start_s, boundaries_s, integral))
        / np.maximum(duration_s, 1e-9),
        price[np.minimum(((start_s - boundaries_s[0]) // PRICE_STEP.total_seconds()).astype(np.int64), len(price) - 1)],
    )
    energy_kwh = np.array([tx.energy_kwh for tx in sessions], dtype=np.float64)
    return [float(round(cost, 4)) for cost in energy_kwh * mean_price]
