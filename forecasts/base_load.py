"""Prior profile of the site's own load (hub buildings and lighting), without the chargers.

The load is ``min_kw + (max_kw - min_kw) * shape``, where the shape in [0, 1] depends on the local
time of day and on the kind of day. It is a climatology prior chosen by hand for a mobility hub
with offices, workshops and outdoor lighting; :mod:`forecasts.base_load_forecast` learns the
profile from measured load and falls back to this prior where the history is too short.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasts.day_types import DayKind, day_kinds, local_hour_of_day, to_local
from forecasts.errors import ForecastInputError
from forecasts.site import BaseLoadProfile, SiteLocation
from forecasts.slots import slot_average, sub_slot_samples

# (local hour, share of the min-max range) knots, linearly interpolated. Every kind of day starts and
# ends at the same night level so that the profile is continuous across midnight whatever follows.
_NIGHT = 0.10
_WORKING_DAY_KNOTS = (
    (0.0, _NIGHT),
    (3.0, 0.0),  # small hours: standby, ventilation, security lighting only
    (5.0, 0.0),
    (6.0, 0.15),
    (9.0, 1.0),  # morning ramp as staff and workshops start
    (17.0, 1.0),  # working-day plateau
    (18.0, 0.65),
    (19.5, 0.75),  # evening bump: street and yard lighting on while some buildings are still in use
    (21.0, 0.70),
    (23.0, 0.25),
    (24.0, _NIGHT),
)
_SATURDAY_KNOTS = (
    (0.0, _NIGHT),
    (3.0, 0.0),
    (6.0, 0.0),
    (7.0, 0.10),
    (10.0, 0.55),  # shops and part of the hub open, offices closed
    (17.0, 0.55),
    (18.0, 0.45),
    (19.5, 0.60),
    (21.0, 0.55),
    (23.0, 0.20),
    (24.0, _NIGHT),
)
_SUNDAY_OR_HOLIDAY_KNOTS = (
    (0.0, _NIGHT),
    (3.0, 0.0),
    (7.0, 0.0),
    (8.0, 0.10),
    (10.0, 0.35),  # buildings closed: common areas and services only
    (17.0, 0.35),
    (18.0, 0.30),
    (19.5, 0.50),
    (21.0, 0.45),
    (23.0, 0.20),
    (24.0, _NIGHT),
)
_KNOTS_BY_KIND = {
    DayKind.WORKING_DAY: _WORKING_DAY_KNOTS,
    DayKind.SATURDAY: _SATURDAY_KNOTS,
    DayKind.SUNDAY_OR_HOLIDAY: _SUNDAY_OR_HOLIDAY_KNOTS,
}


def hub_load_shape(local_hour: npt.ArrayLike, day_kind: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Share of the base-load range in use [-], in [0, 1].

    Low in the small hours, a morning ramp to a working-day plateau (the maximum), and a bump when the
    evening lighting comes on. Saturdays run at about half the working-day level and Sundays and
    public holidays at about a third.

    Parameters
    ----------
    local_hour
        Local wall-clock time of day [h], in [0, 24].
    day_kind
        :class:`~forecasts.day_types.DayKind` value of each time's local date.

    Returns
    -------
    numpy.ndarray
        The shape value of each time.
    """
    hours = np.asarray(local_hour, dtype=np.float64)
    kinds = np.asarray(day_kind)
    if hours.shape != kinds.shape:
        raise ForecastInputError(f"day_kind: shape {kinds.shape} differs from local_hour shape {hours.shape}")
    if np.any(~np.isfinite(hours)) or np.any((hours < 0.0) | (hours > 24.0)):
        raise ForecastInputError("local_hour: must be in [0, 24]")
    unknown = ~np.isin(kinds, [int(kind) for kind in DayKind])
    if np.any(unknown):
        raise ForecastInputError(f"day_kind: unknown values {sorted(set(kinds[unknown].tolist()))}")
    shape = np.zeros(hours.shape, dtype=np.float64)
    for kind, knots in _KNOTS_BY_KIND.items():
        of_kind = kinds == kind
        knot_hours, knot_shares = zip(*knots, strict=True)
        shape[of_kind] = np.interp(hours[of_kind], knot_hours, knot_shares)
    return shape


def base_load_kw(
    profile: BaseLoadProfile,
    location: SiteLocation,
    slot_starts: pd.DatetimeIndex,
    slot_ends: pd.DatetimeIndex,
) -> pd.Series:
    """Expected site base load averaged over each slot [kW].

    Parameters
    ----------
    profile
        The load range [kW].
    location
        The site; its time zone gives the local clock and the Italian public holidays apply.
    slot_starts, slot_ends
        The slot grid (timezone-aware, equal length).

    Returns
    -------
    pandas.Series
        ``base_load_kw`` indexed by ``slot_starts``, within ``[min_kw, max_kw]``.
    """
    samples = sub_slot_samples(slot_starts, slot_ends)
    local_times = to_local(samples.times_utc, location.timezone)
    shape = hub_load_shape(local_hour_of_day(local_times), day_kinds(local_times))
    load_kw = profile.min_kw + (profile.max_kw - profile.min_kw) * shape
    # The weighted mean of values equal to max_kw can land an ulp above it.
    average_kw = np.clip(slot_average(load_kw, samples), profile.min_kw, profile.max_kw)
    return pd.Series(average_kw, index=slot_starts, name="base_load_kw", dtype=np.float64)
