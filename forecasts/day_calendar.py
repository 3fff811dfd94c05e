"""Kind of day on any country's public-holiday calendar, and the local time-of-day bin.

The vehicle forecasts learn from sessions recorded at sites in different countries (the Milan hub,
and public workplace data from California for the back-tests), so the holiday calendar is a
parameter here: an ISO 3166 country code understood by the ``holidays`` package ("IT", "US", ...).
National holidays only; regional ones are not included.
"""

from __future__ import annotations

import holidays
import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasts.day_types import DayKind
from forecasts.errors import ForecastInputError

_SATURDAY = 5
_SUNDAY = 6
_MIN_PER_DAY = 24 * 60


def check_holiday_country(holiday_country: str) -> None:
    """Raise ForecastInputError unless ``holiday_country`` is a calendar ``holidays`` knows."""
    if not isinstance(holiday_country, str) or not holiday_country:
        raise ForecastInputError(f"holiday_country: must be an ISO 3166 country code, got {holiday_country!r}")
    try:
        holidays.country_holidays(holiday_country, years=2000)
    except NotImplementedError as exc:
        raise ForecastInputError(f"holiday_country: no holiday calendar for {holiday_country!r}") from exc


def day_kinds_in(local_times: pd.DatetimeIndex, holiday_country: str) -> npt.NDArray[np.int8]:
    """Kind of day (a :class:`~forecasts.day_types.DayKind` value) of each local calendar date.

    Parameters
    ----------
    local_times
        Timestamps on the site's wall clock (timezone-aware, already converted to local time).
    holiday_country
        Country whose national public holidays count as Sundays, e.g. ``"IT"`` or ``"US"``.

    Returns
    -------
    numpy.ndarray of int8
        One value per timestamp; a holiday on a Saturday counts as a holiday.
    """
    check_holiday_country(holiday_country)
    kinds = np.full(len(local_times), DayKind.WORKING_DAY, dtype=np.int8)
    if len(local_times) == 0:
        return kinds
    weekday = np.asarray(local_times.day_of_week)
    years = range(int(local_times.year.min()), int(local_times.year.max()) + 1)
    calendar = holidays.country_holidays(holiday_country, years=years)
    holiday_dates = np.array(sorted(calendar.keys()), dtype="datetime64[D]")
    local_dates = np.asarray(local_times.tz_localize(None).values).astype("datetime64[D]")
    kinds[weekday == _SATURDAY] = DayKind.SATURDAY
    kinds[(weekday == _SUNDAY) | np.isin(local_dates, holiday_dates)] = DayKind.SUNDAY_OR_HOLIDAY
    return kinds


def check_bin_min(bin_min: int) -> None:
    """Raise ForecastInputError unless ``bin_min`` [min] is a positive multiple of 5 dividing a day."""
    if isinstance(bin_min, bool) or not isinstance(bin_min, int):
        raise ForecastInputError(f"bin_min: must be an int, got {bin_min!r}")
    if bin_min <= 0 or bin_min % 5 != 0 or _MIN_PER_DAY % bin_min != 0:
        raise ForecastInputError(f"bin_min: must be a multiple of 5 that divides 1440, got {bin_min}")


def time_of_day_bins(local_times: pd.DatetimeIndex, bin_min: int) -> npt.NDArray[np.int64]:
    """Index of the wall-clock bin of ``bin_min`` minutes each timestamp falls in, from 0 at midnight.

    On the day clocks go back, the repeated hour falls in the same bins twice; on the day they go
    forward, the skipped hour's bins are empty. Both follow from reading the local wall clock.
    """
    minutes = np.asarray(local_times.hour * 60 + local_times.minute, dtype=np.int64)
    return minutes // bin_min


def local_hours_of_day(local_times: pd.DatetimeIndex) -> npt.NDArray[np.float64]:
    """Wall-clock time of day [h] in [0, 24)."""
    seconds = np.asarray(local_times.hour * 3600 + local_times.minute * 60 + local_times.second, dtype=np.float64)
    return seconds / 3600.0
