"""The slot grid shared by every forecaster, and averaging over it at 5-minute resolution.

A forecaster evaluates its quantity at the midpoints of clock-aligned 5-minute pieces of each slot
and returns the duration-weighted mean per slot. Slot boundaries that are not on a 5-minute mark
(the first slot starts at *now*) only shorten the first and last piece, so a short first slot at
sunrise, or a slot straddling a tariff-band change, gets its true average rather than the value at
its start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasts.errors import ForecastInputError

SAMPLE_STEP_MIN = 5
_NS_PER_MIN = 60 * 1_000_000_000
_MIN_PER_DAY = 24 * 60


def slot_grid(now: datetime, horizon_h: float, slot_min: int) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """Build the planning slot grid starting at ``now``.

    The first slot runs from ``now`` to the next multiple of ``slot_min`` on the UTC clock (a full
    slot when ``now`` is exactly on a boundary); full slots follow until ``now + horizon_h`` is
    covered, so the last slot may end after it.

    Parameters
    ----------
    now
        Current time; must be timezone-aware. It is converted to UTC.
    horizon_h
        Length of time the grid must cover [h], > 0.
    slot_min
        Slot length [min], > 0 and a divisor of 1440 so that slots align with the clock every day.

    Returns
    -------
    tuple of pandas.DatetimeIndex
        ``(slot_starts, slot_ends)`` in UTC, of equal length.

    Raises
    ------
    ForecastInputError
        (a ValueError) for a naive ``now`` or a non-positive / non-finite ``horizon_h`` or
        ``slot_min``.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ForecastInputError(f"now: must be timezone-aware, got naive {now.isoformat()}")
    if isinstance(slot_min, bool) or not isinstance(slot_min, int):
        raise ForecastInputError(f"slot_min: must be an int, got {slot_min!r}")
    if slot_min <= 0:
        raise ForecastInputError(f"slot_min: must be > 0, got {slot_min}")
    if _MIN_PER_DAY % slot_min != 0:
        raise ForecastInputError(f"slot_min: must divide 1440 to stay aligned with the clock, got {slot_min}")
    if isinstance(horizon_h, bool) or not isinstance(horizon_h, int | float):
        raise ForecastInputError(f"horizon_h: must be a number, got {horizon_h!r}")
    if not math.isfinite(horizon_h) or horizon_h <= 0:
        raise ForecastInputError(f"horizon_h: must be finite and > 0, got {horizon_h}")

    start = pd.Timestamp(now).tz_convert("UTC").as_unit("ns")
    slot = pd.Timedelta(minutes=slot_min)
    first_end = start.floor(slot) + slot
    try:
        horizon_end = start + pd.Timedelta(hours=horizon_h)
    except (OverflowError, pd.errors.OutOfBoundsDatetime, pd.errors.OutOfBoundsTimedelta) as exc:
        raise ForecastInputError(f"horizon_h: {horizon_h} h from {start} is beyond the representable dates") from exc
    remaining_ns = max(0, (horizon_end - first_end).value)
    n_full_after_first = -(-remaining_ns // slot.value)
    ends = pd.date_range(first_end, periods=1 + n_full_after_first, freq=slot, name="slot_end_utc")
    starts = pd.DatetimeIndex([start, *ends[:-1]], name="slot_start_utc").as_unit("ns")
    return starts, ends.as_unit("ns")


def coarse_slot_groups(
    slot_starts: pd.DatetimeIndex, now: datetime, fine_h: float, coarse_slot_min: int
) -> npt.NDArray[np.intp]:
    """Which slot of a coarser grid each slot of a :func:`slot_grid` falls in, beyond ``fine_h``.

    The slots that start before the first multiple of ``coarse_slot_min`` on the UTC clock at or
    after ``now + fine_h`` stay as they are; each later one joins the others that start in the same
    ``coarse_slot_min`` of the clock. A plan then sees the next hours in full detail and the rest of
    its horizon in fewer, longer slots (a smaller LP), on boundaries that stay put as time moves on.

    Parameters
    ----------
    slot_starts
        Starts of the fine grid (from :func:`slot_grid`, whose slot length divides ``coarse_slot_min``).
    now
        The grid's start; timezone-aware.
    fine_h
        How long the fine slots run at least [h], >= 0.
    coarse_slot_min
        Length of the coarse slots [min], a divisor of 1440.

    Returns
    -------
    numpy.ndarray
        One group number per slot, 0, 1, 2... in slot order; equal numbers form one coarse slot.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ForecastInputError(f"now: must be timezone-aware, got naive {now.isoformat()}")
    if not math.isfinite(fine_h) or fine_h < 0:
        raise ForecastInputError(f"fine_h: must be finite and >= 0, got {fine_h}")
    if coarse_slot_min <= 0 or _MIN_PER_DAY % coarse_slot_min != 0:
        raise ForecastInputError(f"coarse_slot_min: must divide 1440, got {coarse_slot_min}")
    coarse_ns = coarse_slot_min * _NS_PER_MIN
    fine_until_ns = (pd.Timestamp(now).tz_convert("UTC") + pd.Timedelta(hours=fine_h)).value
    coarse_from_ns = -(-fine_until_ns // coarse_ns) * coarse_ns
    start_ns = _as_ns(slot_starts)
    key = np.where(start_ns < coarse_from_ns, start_ns, start_ns // coarse_ns * coarse_ns)
    groups: npt.NDArray[np.intp] = np.unique(key, return_inverse=True)[1].astype(np.intp)
    return groups


def check_slot_grid(slot_starts: pd.DatetimeIndex, slot_ends: pd.DatetimeIndex) -> None:
    """Raise ForecastInputError unless the two indexes form a usable slot grid.

    Parameters
    ----------
    slot_starts, slot_ends
        Start and end of each slot; timezone-aware, equal length, not empty, starts unique and
        increasing, each end after its start.
    """
    for field_name, index in (("slot_starts", slot_starts), ("slot_ends", slot_ends)):
        if not isinstance(index, pd.DatetimeIndex):
            raise ForecastInputError(f"{field_name}: must be a pandas DatetimeIndex, got {type(index).__name__}")
        if index.tz is None:
            raise ForecastInputError(f"{field_name}: must be timezone-aware (UTC)")
        if index.hasnans:
            raise ForecastInputError(f"{field_name}: contains NaT")
    if len(slot_starts) != len(slot_ends):
        raise ForecastInputError(
            f"slot_ends: length {len(slot_ends)} differs from slot_starts length {len(slot_starts)}"
        )
    if len(slot_starts) == 0:
        raise ForecastInputError("slot_starts: the slot grid is empty")
    if not (slot_starts.is_monotonic_increasing and slot_starts.is_unique):
        raise ForecastInputError("slot_starts: must be strictly increasing")
    not_after = np.flatnonzero(_as_ns(slot_ends) <= _as_ns(slot_starts))
    if not_after.size:
        i = int(not_after[0])
        raise ForecastInputError(f"slot_ends: slot {i} ends at {slot_ends[i]}, not after its start {slot_starts[i]}")


@dataclass(frozen=True)
class SubSlotSamples:
    """Clock-aligned 5-minute pieces of every slot.

    Attributes
    ----------
    times_utc
        Midpoint of each piece (UTC), where the forecast quantity is evaluated.
    slot_position
        Position in the slot grid of the slot each piece belongs to.
    duration_s
        Length of each piece [s], the weight of its value in the slot average.
    n_slots
        Number of slots in the grid.
    """

    times_utc: pd.DatetimeIndex
    slot_position: npt.NDArray[np.int64]
    duration_s: npt.NDArray[np.float64]
    n_slots: int


def sub_slot_samples(slot_starts: pd.DatetimeIndex, slot_ends: pd.DatetimeIndex) -> SubSlotSamples:
    """Cut each slot at the 5-minute marks of the UTC clock; the grid is checked first.

    Parameters
    ----------
    slot_starts, slot_ends
        The slot grid (see :func:`check_slot_grid`).

    Returns
    -------
    SubSlotSamples
        The pieces, in slot order then time order.
    """
    check_slot_grid(slot_starts, slot_ends)
    start_ns = _as_ns(slot_starts)
    end_ns = _as_ns(slot_ends)
    step_ns = SAMPLE_STEP_MIN * _NS_PER_MIN
    first_mark = start_ns // step_ns
    last_mark = -(-end_ns // step_ns)
    pieces_per_slot = last_mark - first_mark

    slot_position = np.repeat(np.arange(len(start_ns), dtype=np.int64), pieces_per_slot)
    offsets_into_slot = np.arange(int(pieces_per_slot.sum()), dtype=np.int64) - np.repeat(
        np.cumsum(pieces_per_slot) - pieces_per_slot, pieces_per_slot
    )
    mark = first_mark[slot_position] + offsets_into_slot
    piece_start = np.maximum(start_ns[slot_position], mark * step_ns)
    piece_end = np.minimum(end_ns[slot_position], (mark + 1) * step_ns)
    midpoint_ns = piece_start + (piece_end - piece_start) // 2
    times_utc = pd.DatetimeIndex(pd.to_datetime(midpoint_ns, unit="ns", utc=True))
    return SubSlotSamples(
        times_utc=times_utc,
        slot_position=slot_position,
        duration_s=(piece_end - piece_start).astype(np.float64) / 1e9,
        n_slots=len(start_ns),
    )


def slot_average(values: npt.ArrayLike, samples: SubSlotSamples) -> npt.NDArray[np.float64]:
    """Duration-weighted mean of piece values per slot.

    Parameters
    ----------
    values
        One value per piece of ``samples``, in the same order.
    samples
        The pieces the values were evaluated on.

    Returns
    -------
    numpy.ndarray
        One mean per slot, in slot order.
    """
    array = np.asarray(values, dtype=np.float64)
    if array.shape != samples.duration_s.shape:
        raise ForecastInputError(f"values: expected {samples.duration_s.size} piece values, got shape {array.shape}")
    weighted = np.bincount(samples.slot_position, weights=array * samples.duration_s, minlength=samples.n_slots)
    total_s = np.bincount(samples.slot_position, weights=samples.duration_s, minlength=samples.n_slots)
    result: npt.NDArray[np.float64] = weighted / total_s
    return result


def _as_ns(index: pd.DatetimeIndex) -> npt.NDArray[np.int64]:
    return np.asarray(index.as_unit("ns").asi8, dtype=np.int64)
