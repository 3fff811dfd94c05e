"""Energy prices on the slot grid: ARERA time bands, or a price series such as hourly prices.

Bands of Italian non-domestic supply (Italian legal time, so they move with daylight saving time):

* F1: Monday-Friday 08:00-19:00;
* F2: Monday-Friday 07:00-08:00 and 19:00-23:00, Saturday 07:00-23:00;
* F3: Monday-Saturday 23:00-07:00, all of Sunday and of Italian national public holidays.

A slot that straddles a band change, or an hour boundary of a price series, gets the time-weighted
mean of the prices in force during it, which is what a constant charging power over that slot would
pay. A price series (indexed by interval start, see :mod:`forecasts.series`) usually stops at the end
of the last published day; the part of the horizon beyond it takes the band prices of a fallback
tariff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasts.day_types import DayKind, day_kinds, local_hour_of_day, to_local
from forecasts.errors import ForecastInputError
from forecasts.series import checked_series, values_at
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


def tariff_bands(times: pd.DatetimeIndex) -> tuple[TariffBand, ...]:
    """ARERA band in force at each of many instants (timezone-aware), in one vectorised pass.

    Equal to ``tariff_band`` applied to each; a plan asks for a whole horizon at once.
    """
    if times.tz is None:
        raise ForecastInputError("times: must be timezone-aware")
    codes = _band_codes(times.tz_convert(ITALIAN_LEGAL_TIME))
    return tuple(_BAND_NAMES[int(code)] for code in codes)


def band_price_eur_per_kwh(tariff: TariffBands, band: TariffBand) -> float:
    """Import price of one band [EUR/kWh]."""
    prices = {"F1": tariff.f1_eur_per_kwh, "F2": tariff.f2_eur_per_kwh, "F3": tariff.f3_eur_per_kwh}
    if band not in prices:
        raise ForecastInputError(f"band: must be one of F1, F2, F3, got {band!r}")
    return float(prices[band])


@dataclass(frozen=True, eq=False)
class PriceSeries:
    """Import prices over intervals [EUR/kWh], indexed by interval start (e.g. one per hour).

    Parameters
    ----------
    import_eur_per_kwh
        All-in import price of each interval; finite, and may be negative (wholesale prices are, at
        times of surplus). Normalised to float64 on UTC.
    """

    import_eur_per_kwh: pd.Series

    def __post_init__(self) -> None:
        prices = checked_series("import_eur_per_kwh", self.import_eur_per_kwh)
        if len(prices) == 0:
            raise ForecastInputError("import_eur_per_kwh: the price series is empty")
        object.__setattr__(self, "import_eur_per_kwh", prices.rename("import_eur_per_kwh"))


class PriceProvider(Protocol):
    """Where hourly (or finer) import prices come from: a file, a market feed."""

    def import_prices(self, start_utc: datetime, end_utc: datetime) -> PriceSeries:
        """The prices known for ``[start_utc, end_utc)``; they may stop before ``end_utc``."""
        ...


def import_price_eur_per_kwh(
    tariff: TariffBands | PriceSeries,
    location: SiteLocation,
    slot_starts: pd.DatetimeIndex,
    slot_ends: pd.DatetimeIndex,
    *,
    fallback: TariffBands | None = None,
) -> pd.Series:
    """Average import price of each slot [EUR/kWh].

    Parameters
    ----------
    tariff
        Band prices, or a price series.
    location
        The site; the bands are read on its legal time (``location.timezone``), which is Europe/Rome
        for any site in Italy.
    slot_starts, slot_ends
        The slot grid (timezone-aware, equal length).
    fallback
        Band prices for the time a price series does not cover; without it, a gap is an error.

    Returns
    -------
    pandas.Series
        ``import_price_eur_per_kwh`` indexed by ``slot_starts``: each slot's time-weighted mean of
        the prices in force during it.
    """
    samples = sub_slot_samples(slot_starts, slot_ends)
    if isinstance(tariff, PriceSeries):
        price, covered = values_at(tariff.import_eur_per_kwh, samples.times_utc)
        if not covered.all():
            if fallback is None:
                first = slot_starts[int(samples.slot_position[int(np.argmin(covered))])]
                raise ForecastInputError(
                    f"tariff: the price series has no price in the slot starting at {first} and there is no fallback"
                )
            price[~covered] = _band_prices(fallback, location, samples.times_utc[~covered])
    elif isinstance(tariff, TariffBands):
        price = _band_prices(tariff, location, samples.times_utc)
    else:
        raise ForecastInputError(f"tariff: must be TariffBands or a PriceSeries, got {type(tariff).__name__}")
    average = slot_average(price, samples)
    return pd.Series(average, index=slot_starts, name="import_price_eur_per_kwh", dtype=np.float64)


def _band_prices(tariff: TariffBands, location: SiteLocation, times_utc: pd.DatetimeIndex) -> npt.NDArray[np.float64]:
    codes = _band_codes(to_local(times_utc, location.timezone))
    band_prices = np.array([band_price_eur_per_kwh(tariff, name) for name in _BAND_NAMES], dtype=np.float64)
    result: npt.NDArray[np.float64] = band_prices[codes]
    return result


def capacity_charge_eur_per_kw_month(tariff: TariffBands) -> float:
    """Charge on the month's peak import power [EUR/kW/month].

    Parameters
    ----------
    tariff
        The supply tariff; the charge is the same whether energy is priced by band or by series.

    Returns
    -------
    float
        The charge, >= 0.
    """
    if not isinstance(tariff, TariffBands):
        raise ForecastInputError(f"tariff: must be TariffBands, got {type(tariff).__name__}")
    return float(tariff.capacity_charge_eur_per_kw_month)


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
