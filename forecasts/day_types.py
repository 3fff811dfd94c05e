"""Local clock and kind of day (working day, Saturday, Sunday or Italian public holiday).

Tariff bands and the base-load profile both depend on the local wall clock and on whether the day
is a working day, so both read it from here.
"""

from __future__ import annotations

from enum import IntEnum

import holidays
import numpy as np
import numpy.typing as npt
import pandas as pd

_SATURDAY = 5
_SUNDAY = 6


class DayKind(IntEnum):
    """How a calendar day is used: drives both the base load and the tariff bands."""

    WORKING_DAY = 0
    SATURDAY = 1
    SUNDAY_OR_HOLIDAY = 2


def to_local(times: pd.DatetimeIndex, timezone: str) -> pd.DatetimeIndex:
    """Convert timezone-aware instants to the wall clock of ``timezone`` (DST included)."""
    return times.tz_convert(timezone)


def local_hour_of_day(local_times: pd.DatetimeIndex) -> npt.NDArray[np.float64]:
    """Wall-clock time of day [h] in [0, 24), e.g. 7.5 for 07:30."""
    seconds = local_times.hour * 3600 + local_times.minute * 60 + local_times.second
    return np.asarray(seconds, dtype=np.float64) / 3600.0 + np.asarray(local_times.microsecond) / 3.6e9


def italian_public_holiday(local_times: pd.DatetimeIndex) -> npt.NDArray[np.bool_]:
    """True where the local calendar date is an Italian national public holiday.

    Parameters
    ----------
    local_times
        Timestamps on the Italian wall clock.

    Returns
    -------
    numpy.ndarray of bool
        One flag per timestamp, from ``holidays.Italy`` (national holidays only: local patron
        saints such as Milan's Sant'Ambrogio are not included).
    """
    if len(local_times) == 0:
        return np.zeros(0, dtype=np.bool_)
    years = range(int(local_times.year.min()), int(local_times.year.max()) + 1)
    calendar = holidays.country_holidays("IT", years=years)
    holiday_dates = np.array(sorted(calendar.keys()), dtype="datetime64[D]")
    local_dates = np.asarray(local_times.tz_localize(None).values).astype("datetime64[D]")
    return np.isin(local_dates, holiday_dates)


def day_kinds(local_times: pd.DatetimeIndex) -> npt.NDArray[np.int8]:
    """Kind of day (a :class:`DayKind` value) of each timestamp's local calendar date.

    A holiday falling on a Saturday counts as a holiday.
    """
    weekday = np.asarray(local_times.day_of_week)
    kinds = np.full(len(local_times), DayKind.WORKING_DAY, dtype=np.int8)
    kinds[weekday == _SATURDAY] = DayKind.SATURDAY
    kinds[(weekday == _SUNDAY) | italian_public_holiday(local_times)] = DayKind.SUNDAY_OR_HOLIDAY
    return kinds
