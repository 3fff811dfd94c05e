"""Base load learned from measured history by kind of day and local quarter-hour, blended with the latest reading."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

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
    base_load_forecast_kw,
    base_load_kw,
    fit_base_load_profile,
    slot_grid,
)
from forecasts.day_types import day_kinds, local_hour_of_day

MILAN = SiteLocation(latitude_deg=45.445, longitude_deg=9.205, altitude_m=120.0, timezone="Europe/Rome")
PRIOR = BaseLoadProfile(min_kw=40.0, max_kw=120.0)
ROME = "Europe/Rome"


def office(hour: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """Working days 100 kW from 08:00 to 18:00 local and 50 kW otherwise; Saturdays 70; Sundays 40."""
    working = np.where((hour >= 8.0) & (hour < 18.0), 100.0, 50.0)
    return np.select([kind == DayKind.WORKING_DAY, kind == DayKind.SATURDAY], [working, 70.0], default=40.0)


def history(
    first_local_day: str, days: int, load: Callable[[np.ndarray, np.ndarray], np.ndarray], step_min: int = 15
) -> pd.Series:
    """Measured load every ``step_min`` minutes for ``days`` local days, valued at each interval's start."""
    start = pd.Timestamp(first_local_day, tz=ROME)
    end = start + pd.DateOffset(days=days)
    starts = pd.date_range(start.tz_convert("UTC"), end.tz_convert("UTC"), freq=f"{step_min}min", inclusive="left")
    local = starts.tz_convert(ROME)
    return pd.Series(load(local_hour_of_day(local), day_kinds(local)), index=starts, name="base_load_kw")


def at_local(when: str, measured: pd.Series | None, slot_min: int = 15, latest_kw: float | None = None) -> float:
    """Forecast for the first slot starting at a local wall-clock time, made at that time."""
    now = pd.Timestamp(when, tz=ROME).to_pydatetime()
    starts, ends = slot_grid(now, slot_min / 60, slot_min)
    load = base_load_forecast_kw(
        starts, ends, now=now, location=MILAN, history_kw=measured, latest_kw=latest_kw, prior=PRIOR
    )
    return float(load.iloc[0])


FOUR_WEEKS = history("2025-05-05", 28, office)  # Monday 5 May to Sunday 1 June 2025


def test_each_kind_of_day_gets_its_own_profile() -> None:
    assert at_local("2025-06-03 10:00", FOUR_WEEKS) == pytest.approx(100.0)  # Tuesday
    assert at_local("2025-06-03 07:45", FOUR_WEEKS) == pytest.approx(50.0)
    assert at_local("2025-06-03 18:00", FOUR_WEEKS) == pytest.approx(50.0)
    assert at_local("2025-06-07 10:00", FOUR_WEEKS) == pytest.approx(70.0)  # Saturday
    assert at_local("2025-06-08 10:00", FOUR_WEEKS) == pytest.approx(40.0)  # Sunday


def test_an_italian_holiday_takes_the_sunday_profile() -> None:
    # Monday 2 June 2025 is Republic Day.
    assert at_local("2025-06-02 10:00", FOUR_WEEKS) == pytest.approx(40.0)
    # Thursday 1 May (Labour Day) in the history counts as a Sunday, not as a working day.
    with_labour_day = history("2025-04-28", 28, office)
    assert at_local("2025-05-26 10:00", with_labour_day) == pytest.approx(100.0)
    assert (
        fit_base_load_profile(with_labour_day, now=datetime(2025, 5, 26, tzinfo=UTC), location=MILAN)
        .n_days[DayKind.SUNDAY_OR_HOLIDAY]
        .min()
        == 5
    )


def test_the_median_shrugs_off_an_odd_day() -> None:
    odd = FOUR_WEEKS.copy()
    odd[(odd.index >= "2025-05-13 06:00+00:00") & (odd.index < "2025-05-13 18:00+00:00")] = 300.0

    assert at_local("2025-06-03 10:00", odd) == pytest.approx(100.0)


def test_the_profile_follows_the_wall_clock_across_the_spring_change() -> None:
    # History from Monday 10 March to Sunday 6 April 2025 spans the change of 30 March: the office
    # opens at 08:00 local in winter (07:00 UTC) and in summer (06:00 UTC) alike.
    measured = history("2025-03-10", 28, office)

    assert at_local("2025-04-07 08:00", measured) == pytest.approx(100.0)
    assert at_local("2025-04-07 07:45", measured) == pytest.approx(50.0)
    # The 23-hour Sunday itself is forecast on the Sunday profile at every slot.
    starts, ends = slot_grid(datetime(2025, 3, 29, 23, tzinfo=UTC), 23.0, 60)
    sunday = base_load_forecast_kw(
        starts,
        ends,
        now=starts[0].to_pydatetime(),
        location=MILAN,
        history_kw=history("2025-03-01", 28, office),
        latest_kw=None,
        prior=PRIOR,
    )
    assert len(sunday) == 23
    assert sunday.to_numpy() == pytest.approx([40.0] * 23)


def test_the_long_autumn_sunday_and_the_monday_after() -> None:
    across = history("2025-10-06", 28, office)  # 6 October to 2 November, across 26 October

    assert at_local("2025-11-03 08:00", across) == pytest.approx(100.0)
    assert at_local("2025-11-03 07:45", across) == pytest.approx(50.0)
    # Sunday 26 October has 25 hours; 02:00-03:00 local happens twice and is a Sunday both times.
    starts, ends = slot_grid(datetime(2025, 10, 25, 22, tzinfo=UTC), 25.0, 60)
    before = history("2025-09-22", 33, office)
    sunday = base_load_forecast_kw(
        starts, ends, now=starts[0].to_pydatetime(), location=MILAN, history_kw=before, latest_kw=None, prior=PRIOR
    )
    assert sunday.to_numpy() == pytest.approx([40.0] * 25)


def test_short_history_falls_back_to_the_prior_cell_by_cell() -> None:
    # Two weeks hold ten working days but only two Saturdays and two Sundays: fewer than the three
    # days a cell needs, so weekends stay on the prior.
    two_weeks = history("2025-05-19", 14, office)
    sunday_noon = pd.Timestamp("2025-06-08 12:00", tz=ROME)
    starts, ends = slot_grid(sunday_noon.to_pydatetime(), 0.25, 15)

    assert at_local("2025-06-03 10:00", two_weeks) == pytest.approx(100.0)
    prior_kw = float(base_load_kw(PRIOR, MILAN, starts, ends).iloc[0])
    assert at_local("2025-06-08 12:00", two_weeks) == pytest.approx(prior_kw)
    assert prior_kw == pytest.approx(40.0 + 80.0 * 0.35)


def test_hourly_history_fills_its_quarter_hours() -> None:
    hourly = history("2025-05-05", 28, office, step_min=60)

    assert at_local("2025-06-03 10:30", hourly) == pytest.approx(100.0)
    assert at_local("2025-06-03 07:45", hourly) == pytest.approx(50.0)


def test_minute_history_is_averaged_not_sampled() -> None:
    # Every fifth minute reads 0 and the others 100 kW: 80 kW over each quarter-hour.
    minutes = history("2025-05-05", 28, lambda hour, kind: np.full(hour.shape, 100.0), step_min=1)
    gappy = minutes * np.where(np.arange(len(minutes)) % 5 == 2, 0.0, 1.0)

    assert at_local("2025-06-03 10:00", gappy) == pytest.approx(80.0)


def test_the_latest_deviation_decays_over_a_few_hours() -> None:
    flat = history("2025-05-05", 28, lambda hour, kind: np.full(hour.shape, 50.0))
    now = datetime(2025, 6, 3, 8, tzinfo=UTC)
    starts, ends = slot_grid(now, 3.0, 5)

    load = base_load_forecast_kw(starts, ends, now=now, location=MILAN, history_kw=flat, latest_kw=70.0, prior=PRIOR)

    # 20 kW above the profile now; each 5-minute slot is valued at its middle, 2.5 minutes in, and
    # the deviation shrinks with a time constant of 2 h.
    lead_h = np.array([0.0, 1.0, 2.0]) + 2.5 / 60.0
    for position, lead in zip([0, 12, 24], lead_h, strict=True):
        assert load.iloc[position] == pytest.approx(50.0 + 20.0 * math.exp(-lead / 2.0))


def test_a_fitted_profile_can_be_reused() -> None:
    now = datetime(2025, 6, 3, 8, tzinfo=UTC)
    starts, ends = slot_grid(now, 24.0, 15)
    profile = fit_base_load_profile(FOUR_WEEKS, now=now, location=MILAN)

    reused = base_load_forecast_kw(
        starts, ends, now=now, location=MILAN, history_kw=None, latest_kw=55.0, prior=PRIOR, profile=profile
    )
    fitted = base_load_forecast_kw(
        starts, ends, now=now, location=MILAN, history_kw=FOUR_WEEKS, latest_kw=55.0, prior=PRIOR
    )

    pd.testing.assert_series_equal(reused, fitted)
    assert reused.name == "base_load_kw"
    assert profile.n_days[DayKind.SUNDAY_OR_HOLIDAY].min() == 4  # four Sundays


def test_history_after_now_and_beyond_the_window_is_not_used() -> None:
    now = datetime(2025, 6, 3, 8, tzinfo=UTC)
    later = history("2025-06-03", 7, lambda hour, kind: np.full(hour.shape, 500.0))
    long_ago = history("2025-01-06", 28, lambda hour, kind: np.full(hour.shape, 500.0))

    profile = fit_base_load_profile(pd.concat([long_ago, FOUR_WEEKS, later]), now=now, location=MILAN)

    assert np.nanmax(profile.median_kw) == pytest.approx(100.0)


def test_bad_inputs_are_rejected_with_the_field_named() -> None:
    now = datetime(2025, 6, 3, 8, tzinfo=UTC)
    starts, ends = slot_grid(now, 1.0, 15)

    def call(**changes: object) -> None:
        arguments: dict[str, object] = {
            "now": now,
            "location": MILAN,
            "history_kw": FOUR_WEEKS,
            "latest_kw": None,
            "prior": PRIOR,
        }
        arguments.update(changes)
        base_load_forecast_kw(starts, ends, **arguments)  # type: ignore[arg-type]

    with pytest.raises(ForecastInputError, match="latest_kw: must be >= 0"):
        call(latest_kw=-1.0)
    with pytest.raises(ForecastInputError, match="latest_kw: must be a finite number"):
        call(latest_kw=float("nan"))
    with pytest.raises(ForecastInputError, match="history_kw: values must be >= 0"):
        call(history_kw=FOUR_WEEKS - 200.0)
    with pytest.raises(ForecastInputError, match="now: must be a timezone-aware"):
        call(now=datetime(2025, 6, 3, 8))
    with pytest.raises(ForecastInputError, match="profile: give history_kw or profile"):
        call(profile=fit_base_load_profile(FOUR_WEEKS, now=now, location=MILAN))
    lisbon = SiteLocation(latitude_deg=38.7, longitude_deg=-9.1, altitude_m=50.0, timezone="Europe/Lisbon")
    milan_profile = fit_base_load_profile(FOUR_WEEKS, now=now, location=MILAN)
    with pytest.raises(ForecastInputError, match="profile: learned on the Europe/Rome clock"):
        call(location=lisbon, history_kw=None, profile=milan_profile)
    with pytest.raises(ForecastInputError, match="prior: must be a BaseLoadProfile"):
        call(prior=(40.0, 120.0))
    with pytest.raises(ForecastInputError, match="window_days"):
        fit_base_load_profile(FOUR_WEEKS, now=now, location=MILAN, window_days=0)


@settings(max_examples=25, deadline=None)
@given(
    now=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)),
    level_kw=st.floats(min_value=0.0, max_value=400.0),
    slot_min=st.sampled_from([5, 15, 60]),
)
def test_a_constant_history_forecasts_that_constant(now: datetime, level_kw: float, slot_min: int) -> None:
    # Eight weeks of the same reading teach every cell of every kind of day, holidays included.
    first_day = (pd.Timestamp(now).tz_convert(ROME) - timedelta(days=57)).strftime("%Y-%m-%d")
    measured = history(first_day, 58, lambda hour, kind: np.full(hour.shape, level_kw))
    measured = measured[measured.index < pd.Timestamp(now)]
    starts, ends = slot_grid(now, 30.0, slot_min)

    load = base_load_forecast_kw(
        starts, ends, now=now, location=MILAN, history_kw=measured, latest_kw=None, prior=PRIOR
    )

    assert load.to_numpy() == pytest.approx(np.full(len(starts), level_kw))
