"""Base-load prior: its daily shape, weekends, holidays and local time."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasts import (
    BaseLoadProfile,
    DayKind,
    ForecastInputError,
    SiteLocation,
    base_load_kw,
    hub_load_shape,
    slot_grid,
)

MILAN = SiteLocation(latitude_deg=45.445, longitude_deg=9.205, altitude_m=120.0, timezone="Europe/Rome")
HUB = BaseLoadProfile(min_kw=40.0, max_kw=120.0)


def local_day_kw(year: int, month: int, day: int, slot_min: int = 15) -> pd.Series:
    """One local (Europe/Rome) calendar day of base load, for a day without a clock change."""
    midnight_utc = pd.Timestamp(year=year, month=month, day=day, tz="Europe/Rome").tz_convert("UTC")
    starts, ends = slot_grid(midnight_utc.to_pydatetime(), horizon_h=24.0, slot_min=slot_min)
    return base_load_kw(HUB, MILAN, starts, ends)


def five_minutes_at(when_utc: datetime) -> pd.Series:
    starts, ends = slot_grid(when_utc, horizon_h=5 / 60, slot_min=5)
    return base_load_kw(HUB, MILAN, starts, ends)


def test_output_is_named_and_indexed_by_slot_start() -> None:
    starts, ends = slot_grid(datetime(2025, 3, 10, 9, 7, tzinfo=UTC), horizon_h=3.0, slot_min=15)

    load = base_load_kw(HUB, MILAN, starts, ends)

    assert load.name == "base_load_kw"
    assert load.index.equals(starts)


def test_working_day_spans_the_whole_range() -> None:
    load = local_day_kw(2025, 3, 10)  # Monday

    assert load.min() == pytest.approx(40.0)  # small hours
    assert load.max() == pytest.approx(120.0)  # working-day plateau


@pytest.mark.parametrize(
    ("local_hour", "kind", "share"),
    [
        (4.0, DayKind.WORKING_DAY, 0.0),
        (6.0, DayKind.WORKING_DAY, 0.15),
        (7.5, DayKind.WORKING_DAY, 0.575),  # halfway up the 06:00-09:00 ramp from 0.15 to 1.0
        (12.0, DayKind.WORKING_DAY, 1.0),
        (19.5, DayKind.WORKING_DAY, 0.75),
        (12.0, DayKind.SATURDAY, 0.55),
        (12.0, DayKind.SUNDAY_OR_HOLIDAY, 0.35),
        (0.0, DayKind.SUNDAY_OR_HOLIDAY, 0.10),
        (24.0, DayKind.SATURDAY, 0.10),
    ],
)
def test_shape_at_hand_checked_times(local_hour: float, kind: DayKind, share: float) -> None:
    assert hub_load_shape([local_hour], [kind]).tolist() == pytest.approx([share])


def test_shape_is_continuous_across_midnight_whatever_the_next_day_is() -> None:
    kinds = list(DayKind)
    at_midnight = hub_load_shape([24.0] * 3 + [0.0] * 3, kinds + kinds)

    assert len(set(at_midnight.tolist())) == 1


def test_evening_lighting_raises_the_load_after_the_working_day() -> None:
    shape = hub_load_shape([18.0, 19.5, 23.0], [DayKind.WORKING_DAY] * 3)

    assert shape[0] < shape[1]
    assert shape[2] < shape[0]


def test_bad_shape_inputs_are_rejected() -> None:
    with pytest.raises(ForecastInputError, match="local_hour"):
        hub_load_shape([25.0], [DayKind.WORKING_DAY])
    with pytest.raises(ForecastInputError, match="day_kind: unknown"):
        hub_load_shape([12.0], [7])
    with pytest.raises(ForecastInputError, match="day_kind: shape"):
        hub_load_shape([12.0, 13.0], [DayKind.WORKING_DAY])


def test_weekend_days_are_lower_than_working_days() -> None:
    monday = local_day_kw(2025, 3, 10).mean()
    saturday = local_day_kw(2025, 3, 15).mean()
    sunday = local_day_kw(2025, 3, 16).mean()

    assert sunday < saturday < monday


@pytest.mark.parametrize(
    ("holiday", "sunday"),
    [
        ((2025, 6, 2), (2025, 6, 1)),  # Republic Day, a Monday
        ((2025, 12, 25), (2025, 12, 21)),  # Christmas, a Thursday
        ((2025, 11, 1), (2025, 11, 2)),  # All Saints, a Saturday
    ],
)
def test_a_holiday_looks_like_a_sunday(holiday: tuple[int, int, int], sunday: tuple[int, int, int]) -> None:
    holiday_kw = local_day_kw(*holiday).to_numpy()
    sunday_kw = local_day_kw(*sunday).to_numpy()

    assert holiday_kw == pytest.approx(sunday_kw)


def test_profile_follows_local_time_across_the_clock_change() -> None:
    # The slot 06:00-06:05 local is evaluated at 06:02:30, on the working-day ramp from a share of
    # 0.15 at 06:00 (40 + 80 x 0.15 = 52 kW) rising by 0.85 over three hours.
    ramp_kw = 52.0 + 80.0 * (0.85 / 3.0) * (2.5 / 60.0)
    friday_winter = five_minutes_at(datetime(2025, 3, 28, 5, 0, tzinfo=UTC))  # 06:00 CET
    monday_summer = five_minutes_at(datetime(2025, 3, 31, 4, 0, tzinfo=UTC))  # 06:00 CEST

    assert friday_winter.tolist() == pytest.approx([ramp_kw])
    assert monday_summer.tolist() == pytest.approx([ramp_kw])


def test_the_long_autumn_sunday_has_a_slot_for_each_of_its_25_hours() -> None:
    # Sunday 26 October 2025 local runs from 25 October 22:00 UTC to 26 October 23:00 UTC.
    starts, ends = slot_grid(datetime(2025, 10, 25, 22, 0, tzinfo=UTC), horizon_h=25.0, slot_min=60)

    load = base_load_kw(HUB, MILAN, starts, ends)

    # 12:00-13:00 local is 11:00-12:00 UTC in winter time: the Sunday plateau, 40 + 80 x 0.35 = 68 kW.
    assert len(load) == 25
    assert load[pd.Timestamp("2025-10-26 11:00+00:00")] == pytest.approx(68.0)


@settings(max_examples=50, deadline=None)
@given(
    now=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)),
    min_kw=st.floats(min_value=0.0, max_value=500.0),
    extra_kw=st.floats(min_value=0.0, max_value=500.0),
    slot_min=st.sampled_from([5, 15, 60]),
)
def test_load_stays_within_the_profile_range(now: datetime, min_kw: float, extra_kw: float, slot_min: int) -> None:
    profile = BaseLoadProfile(min_kw=min_kw, max_kw=min_kw + extra_kw)
    starts, ends = slot_grid(now, horizon_h=48.0, slot_min=slot_min)

    load = base_load_kw(profile, MILAN, starts, ends)

    assert load.notna().all()
    assert bool(np.all(load >= profile.min_kw))
    assert bool(np.all(load <= profile.max_kw))
