"""Energy prices on the slot grid from the ARERA time bands of Italian non-domestic supply.

Bands (Italian legal time, so they move with daylight saving time):

* F1: Monday-Friday 08:00-19:00;
* F2: Monday-Friday 07:00-08:00 and 19:00-23:00, Saturday 07:00-23:00;
* F3: Monday-Saturday 23:00-07:00, all of Sunday and of Italian national public holidays.

A slot that straddles a band change gets the time-weighted mean of the band prices, which is what
a constant charging power over that slot would pay.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasts.day_types import DayKind, day_kinds, local_hour_of_day, to_local
from forecasts.errors import ForecastInputError
from forecasts.site import SiteLocation, TariffBands
from forecasts.slots import check_slot_grid, slot_average, sub_slot_samples

TariffBand = Literal["F1", "F2", "F3"]

ITALIAN_LEGAL_TIME = "Europe/Rome"
_BAND_NAMES: tuple[TariffBand, TariffBand, TariffBand] = ("F1", "F2", "F3")
_F1, _F2, _F3 = 0, 1, 2


def _band_codes(local_times: pd.DatetimeIndex) -> npt.NDArray[np.int8]:
    """Band of each wall-clock timestamp as 0 (F1), 1 (F2) or 2 (F3)."""
    hour = local_hour_of_day(local_times)
    kind = day_kinds(local_times)
    daytime = (hour >= 7.0) & (hour < 23.0)
    working_core = (hour >= 8.0) & (hour < 19.0)
    codes = np.full(len(local_times), _F3, dtype=np.int8)
    codes[(kind == DayKind.SATURDAY) & daytime] = _F2
    working = kind == DayKind.WORKING_DAY
    codes[working & daytime] = _F2
    codes[working & working_core] = _F1
    return codes


def tariff_band(ts_local: datetime) -> TariffBand:
    """ARERA band in force at one instant.

    Parameters
    ----------
    ts_local
        The instant; must be timezone-aware. It is read on Italian legal time (Europe/Rome), so
        a UTC timestamp gives the right band too.

    Returns
    -------
    {"F1", "F2", "F3"}
        The band.
    """
    if ts_local.tzinfo is None or ts_local.utcoffset() is None:
        raise ForecastInputError(f"ts_local: must be timezone-aware, got naive {ts_local.isoformat()}")
    local = pd.DatetimeIndex([pd.Timestamp(ts_local)]).tz_convert(ITALIAN_LEGAL_TIME)
    return _BAND_NAMES[int(_band_codes(local)[0])]


def band_price_eur_per_kwh(tariff: TariffBands, band: TariffBand) -> float:
    """Import price of one band [EUR/kWh]."""
    prices = {"F1": tariff.f1_eur_per_kwh, "F2": tariff.f2_eur_per_kwh, "F3": tariff.f3_eur_per_kwh}
    if band not in prices:
        raise ForecastInputError(f"band: must be one of F1, F2, F3, got {band!r}")
    return float(prices[band])


def import_price_eur_per_kwh(
    tariff: TariffBands,
    location: SiteLocation,
    slot_starts: pd.DatetimeIndex,
    slot_ends: pd.DatetimeIndex,
) -> pd.Series:
    """Average import price of each slot [EUR/kWh].

    Parameters
    ----------
    tariff
        Band prices.
    location
        The site; the bands are read on its legal time (``location.timezone``), which is Europe/Rome
        for any site in Italy.
    slot_starts, slot_ends
        The slot grid (timezone-aware, equal length).

    Returns
    -------
    pandas.Series
        ``import_price_eur_per_kwh`` indexed by ``slot_starts``: each slot's time-weighted mean of
        the band prices in force during it.
    """
    samples = sub_slot_samples(slot_starts, slot_ends)
    codes = _band_codes(to_local(samples.times_utc, location.timezone))
    band_prices = np.array([band_price_eur_per_kwh(tariff, name) for name in _BAND_NAMES], dtype=np.float64)
    average = slot_average(band_prices[codes], samples)
    return pd.Series(average, index=slot_starts, name="import_price_eur_per_kwh", dtype=np.float64)


def export_price_eur_per_kwh(
    tariff: TariffBands,
    location: SiteLocation,
    slot_starts: pd.DatetimeIndex,
    slot_ends: pd.DatetimeIndex,
) -> pd.Series:
    """Export price of each slot [EUR/kWh].

    Parameters
    ----------
    tariff
        Holds the export price, the same at all hours.
    location
        The site. A flat export price does not depend on it; the parameter keeps the signature
        equal to :func:`import_price_eur_per_kwh` so that callers need not know the export tariff's
        structure.
    slot_starts, slot_ends
        The slot grid (timezone-aware, equal length).

    Returns
    -------
    pandas.Series
        ``export_price_eur_per_kwh`` indexed by ``slot_starts``.
    """
    check_slot_grid(slot_starts, slot_ends)
    return pd.Series(
        np.full(len(slot_starts), float(tariff.export_eur_per_kwh)),
        index=slot_starts,
        name="export_price_eur_per_kwh",
        dtype=np.float64,
    )
