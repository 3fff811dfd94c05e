"""The slot grid and the 5-minute averaging inside each slot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasts import ForecastInputError, coarse_slot_groups, slot_grid
from forecasts.slots import check_slot_grid, slot_average, sub_slot_samples


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> pd.Timestamp:
    return pd.Timestamp(datetime(year, month, day, hour, minute, second, tzinfo=UTC))


def test_first_slot_runs_from_now_to_the_next_boundary() -> None:
    starts, ends = slot_grid(datetime(2025, 6, 2, 10, 7, 30, tzinfo=UTC), horizon_h=1.0, slot_min=15)

    assert starts[0] == utc(2025, 6, 2, 10, 7, 30)
    assert ends[0] == utc(2025, 6, 2, 10, 15)
    assert list(starts[1:]) == [
        utc(2025, 6, 2, 10, 15),
        utc(2025, 6, 2, 10, 30),
        utc(2025, 6, 2, 10, 45),
        utc(2025, 6, 2, 11, 0),
    ]
    # now + 1 h = 11:07:30 lies in the slot 11:00-11:15, which is the last one.
    assert ends[-1] == utc(2025, 6, 2, 11, 15)
    assert len(starts) == len(ends) == 5


def test_now_on_a_boundary_gives_a_full_first_slot() -> None:
    starts, ends = slot_grid(datetime(2025, 6, 2, 10, 15, tzinfo=UTC), horizon_h=1.0, slot_min=15)

    assert starts[0] == utc(2025, 6, 2, 10, 15)
    assert ends[0] == utc(2025, 6, 2, 10, 30)
    assert ends[-1] == utc(2025, 6, 2, 11, 15)
    assert len(starts) == 4


def test_one_day_of_quarter_hours_from_midnight_has_96_slots() -> None:
    starts, ends = slot_grid(datetime(2025, 1, 1, tzinfo=UTC), horizon_h=24.0, slot_min=15)

    assert len(starts) == 96
    assert ends[-1] == utc(2025, 1, 2)


def test_horizon_shorter_than_the_first_slot_gives_one_slot() -> None:
    starts, ends = slot_grid(datetime(2025, 6, 2, 10, 7, tzinfo=UTC), horizon_h=0.05, slot_min=15)

    assert list(starts) == [utc(2025, 6, 2, 10, 7)]
    assert list(ends) == [utc(2025, 6, 2, 10, 15)]


def test_local_now_is_converted_to_utc() -> None:
    rome_summer = datetime(2025, 6, 2, 12, 7, tzinfo=ZoneInfo("Europe/Rome"))

    starts, ends = slot_grid(rome_summer, horizon_h=0.5, slot_min=15)

    assert str(starts.tz) == "UTC"
    assert str(ends.tz) == "UTC"
    assert starts[0] == utc(2025, 6, 2, 10, 7)
    assert ends[0] == utc(2025, 6, 2, 10, 15)


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="now: must be timezone-aware"):
        slot_grid(datetime(2025, 6, 2, 10, 0), horizon_h=1.0, slot_min=15)


@pytest.mark.parametrize(
    ("horizon_h", "slot_min", "field"),
    [
        (0.0, 15, "horizon_h"),
        (-1.0, 15, "horizon_h"),
        (float("nan"), 15, "horizon_h"),
        (float("inf"), 15, "horizon_h"),
        (1e9, 15, "horizon_h"),
        (True, 15, "horizon_h"),
        (1.0, 0, "slot_min"),
        (1.0, -15, "slot_min"),
        (1.0, 7, "slot_min"),
        (1.0, True, "slot_min"),
    ],
)
def test_bad_grid_parameters_are_rejected(horizon_h: float, slot_min: int, field: str) -> None:
    with pytest.raises(ForecastInputError, match=field):
        slot_grid(datetime(2025, 6, 2, 10, 0, tzinfo=UTC), horizon_h=horizon_h, slot_min=slot_min)


@settings(max_examples=200)
@given(
    now=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2060, 1, 1), timezones=st.just(UTC)),
    horizon_h=st.floats(min_value=0.01, max_value=72.0),
    slot_min=st.sampled_from([5, 10, 15, 30, 60, 120]),
)
def test_grid_is_contiguous_aligned_and_just_covers_the_horizon(now: datetime, horizon_h: float, slot_min: int) -> None:
    starts, ends = slot_grid(now, horizon_h, slot_min)
    slot = pd.Timedelta(minutes=slot_min)
    horizon_end = pd.Timestamp(now) + pd.Timedelta(hours=horizon_h)

    assert starts[0] == pd.Timestamp(now)
    assert (starts[1:] == ends[:-1]).all()
    assert (ends.floor(slot) == ends).all()
    assert pd.Timedelta(0) < ends[0] - starts[0] <= slot
    assert ((ends[1:] - starts[1:]) == slot).all()
    assert ends[-1] >= horizon_end
    assert starts[-1] < horizon_end


def test_pieces_are_cut_at_the_five_minute_marks() -> None:
    starts = pd.DatetimeIndex([utc(2025, 6, 2, 10, 2)])
    ends = pd.DatetimeIndex([utc(2025, 6, 2, 10, 13)])

    samples = sub_slot_samples(starts, ends)

    assert list(samples.times_utc) == [
        utc(2025, 6, 2, 10, 3, 30),
        utc(2025, 6, 2, 10, 7, 30),
        utc(2025, 6, 2, 10, 11, 30),
    ]
    assert samples.duration_s.tolist() == [180.0, 300.0, 180.0]
    assert samples.slot_position.tolist() == [0, 0, 0]
    # (180 * 1 + 300 * 2 + 180 * 4) / 660 = 1500 / 660
    assert slot_average([1.0, 2.0, 4.0], samples)[0] == pytest.approx(1500 / 660)


def test_average_is_taken_per_slot() -> None:
    starts, ends = slot_grid(datetime(2025, 6, 2, 10, 0, tzinfo=UTC), horizon_h=0.5, slot_min=15)
    samples = sub_slot_samples(starts, ends)

    assert samples.slot_position.tolist() == [0, 0, 0, 1, 1, 1]
    assert slot_average([1.0, 2.0, 3.0, 10.0, 10.0, 40.0], samples).tolist() == pytest.approx([2.0, 20.0])


def test_wrong_number_of_piece_values_is_rejected() -> None:
    starts, ends = slot_grid(datetime(2025, 6, 2, 10, 0, tzinfo=UTC), horizon_h=0.25, slot_min=15)

    with pytest.raises(ForecastInputError, match="values: expected 3"):
        slot_average(np.ones(4), sub_slot_samples(starts, ends))


def test_bad_grids_are_rejected_naming_the_problem() -> None:
    starts, ends = slot_grid(datetime(2025, 6, 2, 10, 0, tzinfo=UTC), horizon_h=1.0, slot_min=15)

    with pytest.raises(ForecastInputError, match="slot_ends: length 3 differs"):
        check_slot_grid(starts, ends[:3])
    with pytest.raises(ForecastInputError, match="slot_starts: must be timezone-aware"):
        check_slot_grid(starts.tz_localize(None), ends)
    with pytest.raises(ForecastInputError, match="slot_ends: slot 0 ends at"):
        check_slot_grid(starts, starts)
    with pytest.raises(ForecastInputError, match="empty"):
        check_slot_grid(starts[:0], ends[:0])
    with pytest.raises(ForecastInputError, match="strictly increasing"):
        check_slot_grid(starts[::-1], ends[::-1] + timedelta(hours=2))


def test_coarse_groups_keep_the_fine_slots_to_the_first_coarse_boundary_after_the_fine_horizon() -> None:
    now = datetime(2025, 6, 2, 10, 7, 30, tzinfo=UTC)
    starts, _ = slot_grid(now, horizon_h=4.0, slot_min=15)
    assert len(starts) == 17  # 10:07:30, then 10:15 ... 14:00

    groups = coarse_slot_groups(starts, now, fine_h=1.0, coarse_slot_min=60)

    # now + 1 h = 11:07:30: the fine slots run to 12:00, then one group per clock hour.
    assert groups.tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 8, 9, 9, 9, 9, 10]
    assert starts[8] == utc(2025, 6, 2, 12, 0)


def test_without_a_fine_horizon_the_coarse_slots_start_at_the_next_coarse_boundary() -> None:
    now = datetime(2025, 6, 2, 10, 7, 30, tzinfo=UTC)
    starts, _ = slot_grid(now, horizon_h=2.0, slot_min=15)

    groups = coarse_slot_groups(starts, now, fine_h=0.0, coarse_slot_min=30)

    # 10:07:30, 10:15 stay; 10:30-11:00 ... in half hours; 12:00 alone (the grid ends at 12:15).
    assert groups.tolist() == [0, 1, 2, 2, 3, 3, 4, 4, 5]


@pytest.mark.parametrize(
    ("now", "fine_h", "coarse_slot_min", "message"),
    [
        (datetime(2025, 6, 2, 10, 0), 1.0, 60, "naive"),
        (datetime(2025, 6, 2, 10, 0, tzinfo=UTC), -1.0, 60, "fine_h"),
        (datetime(2025, 6, 2, 10, 0, tzinfo=UTC), float("nan"), 60, "fine_h"),
        (datetime(2025, 6, 2, 10, 0, tzinfo=UTC), 1.0, 70, "coarse_slot_min"),
    ],
)
def test_coarse_groups_reject_bad_input(now: datetime, fine_h: float, coarse_slot_min: int, message: str) -> None:
    starts, _ = slot_grid(datetime(2025, 6, 2, 10, 0, tzinfo=UTC), horizon_h=2.0, slot_min=15)
    with pytest.raises(ForecastInputError, match=message):
        coarse_slot_groups(starts, now, fine_h, coarse_slot_min)
