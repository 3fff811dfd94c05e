"""The clear-sky index of measured PV: latest value, climatology and blend."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from forecasts import PvArray, SiteLocation, clear_sky_pv_kw, slot_grid
from forecasts.errors import ForecastInputError
from forecasts.pv_correction import (
    DEFAULT_CLEAR_SKY_INDEX,
    MIN_CELL_SAMPLES,
    ClearSkyIndexAnchor,
    blend,
    blended_clear_sky_index,
    default_climatology,
    fit_climatology,
    hourly_clear_sky_index,
    latest_clear_sky_index,
    lead_time_h,
)

MILAN = SiteLocation(latitude_deg=45.445, longitude_deg=9.205, altitude_m=120.0, timezone="Europe/Rome")
ROOFS = PvArray(name="roofs", peak_power_kwp=250.0, tilt_deg=15.0, azimuth_deg=180.0)


def measured(start: datetime, hours: float, index: float, slot_min: int = 5) -> pd.Series:
    """Measured PV that is ``index`` times clear sky, every ``slot_min`` minutes."""
    starts, ends = slot_grid(start, hours, slot_min)
    return clear_sky_pv_kw([ROOFS], MILAN, starts, ends) * index


def test_latest_index_is_the_ratio_over_the_last_valid_hour() -> None:
    now = pd.Timestamp("2025-06-21 12:00+00:00")
    history = measured(datetime(2025, 6, 21, 6, tzinfo=UTC), 6.0, 0.6)

    anchor = latest_clear_sky_index([ROOFS], MILAN, history, now=now)

    assert anchor is not None
    assert anchor.clear_sky_index == pytest.approx(0.6)
    assert anchor.window_end_utc == now
    assert anchor.window_start_utc == now - pd.Timedelta(hours=1)


def test_the_index_weighs_each_mark_by_its_sun() -> None:
    # 11:00-11:30 at index 0.2 then 11:30-12:00 at 1.0: both halves have about the same clear sky at
    # midday in June, so the energy ratio is close to the plain mean 0.6.
    now = pd.Timestamp("2025-06-21 12:00+00:00")
    cloudy = measured(datetime(2025, 6, 21, 11, tzinfo=UTC), 0.5, 0.2)
    clear = measured(datetime(2025, 6, 21, 11, 30, tzinfo=UTC), 0.5, 1.0)

    anchor = latest_clear_sky_index([ROOFS], MILAN, pd.concat([cloudy, clear]), now=now)

    assert anchor is not None
    assert anchor.clear_sky_index == pytest.approx(0.6, abs=0.01)


def test_low_sun_readings_are_ignored() -> None:
    # A reading of 5 kW at 03:45 UTC, just after sunrise, against well under 1 kW of clear sky
    # would be an index above 5; it must not count. The last valid hour is then the evening before.
    now = pd.Timestamp("2025-06-21 04:00+00:00")
    evening = measured(datetime(2025, 6, 20, 15, tzinfo=UTC), 2.0, 0.5)
    dawn = pd.Series([5.0], index=pd.DatetimeIndex([pd.Timestamp("2025-06-21 03:45+00:00")]))

    anchor = latest_clear_sky_index([ROOFS], MILAN, pd.concat([evening, dawn]), now=now)

    assert anchor is not None
    assert anchor.clear_sky_index == pytest.approx(0.5)
    assert anchor.window_end_utc <= pd.Timestamp("2025-06-20 17:00+00:00")


def test_no_valid_reading_in_the_lookback_gives_no_anchor() -> None:
    night = pd.Series(0.0, index=pd.date_range("2025-06-21 00:00", periods=24, freq="5min", tz="UTC"))

    assert latest_clear_sky_index([ROOFS], MILAN, night, now=pd.Timestamp("2025-06-21 02:00+00:00")) is None
    assert latest_clear_sky_index([ROOFS], MILAN, night.iloc[:0], now=pd.Timestamp("2025-06-21 12:00+00:00")) is None


def test_blend_goes_from_the_latest_index_to_the_climatology() -> None:
    # k_clim 0.8, latest 0.4, tau 2 h: after 2 h the gap of 0.4 has shrunk by 1/e.
    assert blend([0.8], [0.4], [0.0], 2.0).tolist() == pytest.approx([0.4])
    assert blend([0.8], [0.4], [2.0], 2.0).tolist() == pytest.approx([0.8 - 0.4 * math.exp(-1.0)])
    assert blend([0.8], [0.4], [np.inf], 2.0).tolist() == pytest.approx([0.8])
    assert blend([0.8], [3.5], [0.0], 2.0).tolist() == pytest.approx([2.0])  # clipped to the maximum


def test_blended_index_uses_the_lead_from_the_end_of_the_window() -> None:
    anchor = ClearSkyIndexAnchor(
        clear_sky_index=0.4,
        window_start_utc=pd.Timestamp("2025-06-21 09:00+00:00"),
        window_end_utc=pd.Timestamp("2025-06-21 10:00+00:00"),
    )
    times = pd.DatetimeIndex(["2025-06-21 09:30+00:00", "2025-06-21 13:00+00:00"])

    index = blended_clear_sky_index(default_climatology(), anchor, times, time_constant_h=3.0)

    assert lead_time_h(anchor, times).tolist() == [0.0, 3.0]
    assert index.tolist() == pytest.approx([0.4, 0.8 - 0.4 * math.exp(-1.0)])
    no_anchor = blended_clear_sky_index(default_climatology(), None, times, time_constant_h=3.0)
    assert no_anchor.tolist() == pytest.approx([DEFAULT_CLEAR_SKY_INDEX] * 2)
    with pytest.raises(ForecastInputError, match="time_constant_h"):
        blended_clear_sky_index(default_climatology(), anchor, times, time_constant_h=0.0)


def test_hourly_index_of_a_measured_day() -> None:
    history = measured(datetime(2025, 6, 21, tzinfo=UTC), 24.0, 0.7, slot_min=15)

    hourly = hourly_clear_sky_index([ROOFS], MILAN, history)

    noon = pd.Timestamp("2025-06-21 11:00+00:00")
    assert hourly["clear_sky_index"][noon] == pytest.approx(0.7)
    assert bool(hourly["high_sun"][noon])
    assert bool(hourly["clear_sky_index"].isna()[pd.Timestamp("2025-06-21 01:00+00:00")])
    # Every hour of the span is present, valid or not, so that positions are hours.
    assert (np.diff(pd.DatetimeIndex(hourly.index).asi8) == 3_600_000_000_000).all()


def hourly_values(months_and_values: dict[int, float]) -> pd.Series:
    """One value at 11:00 UTC every day of the given months of 2025."""
    parts = []
    for month, value in months_and_values.items():
        days = pd.date_range(f"2025-{month:02d}-01 11:00", periods=28, freq="D", tz="UTC")
        parts.append(pd.Series(value, index=days))
    return pd.concat(parts)


def test_climatology_is_the_median_by_month_and_hour() -> None:
    climatology = fit_climatology(hourly_values({3: 0.5, 4: 0.9}))

    assert climatology.median_by_month_hour[2, 11] == pytest.approx(0.5)
    assert climatology.median_by_month_hour[3, 11] == pytest.approx(0.9)
    assert climatology.n_samples == 56


def test_a_thin_cell_pools_the_months_either_side_then_the_year() -> None:
    values = hourly_values({3: 0.5, 4: 0.9})
    thin_may = pd.Series(0.1, index=pd.date_range("2025-05-01 11:00", periods=MIN_CELL_SAMPLES - 1, freq="D", tz="UTC"))

    climatology = fit_climatology(pd.concat([values, thin_may]))

    # May at 11:00 has 19 values: April and June join it, giving 28 x 0.9 and 19 x 0.1 -> median 0.9.
    assert climatology.median_by_month_hour[4, 11] == pytest.approx(0.9)
    # October has nothing near it: the whole year at 11:00 (28 x 0.5, 28 x 0.9, 19 x 0.1) -> 0.5.
    assert climatology.median_by_month_hour[9, 11] == pytest.approx(0.5)
    # An hour never measured takes the median of every value.
    assert climatology.median_by_month_hour[9, 3] == pytest.approx(0.5)


def test_a_month_can_be_left_out() -> None:
    climatology = fit_climatology(hourly_values({3: 0.5, 4: 0.9, 5: 0.7}), exclude_month=4)

    # April left out: its cell pools March and May, 28 x 0.5 and 28 x 0.7 -> 0.6.
    assert climatology.median_by_month_hour[3, 11] == pytest.approx(0.6)
    assert fit_climatology(hourly_values({4: 0.9}), exclude_month=4).n_samples == 0


def test_a_one_minute_meter_is_averaged_not_sampled() -> None:
    # Every fifth minute reads 0, the others clear sky: 0.8 of clear sky over each 5 minutes. Reading
    # only the minute in the middle of each 5 would see nothing at all.
    now = pd.Timestamp("2025-06-21 12:00+00:00")
    minutes = measured(datetime(2025, 6, 21, 11, tzinfo=UTC), 1.0, 1.0, slot_min=1)
    gappy = minutes * np.where(np.arange(len(minutes)) % 5 == 2, 0.0, 1.0)

    anchor = latest_clear_sky_index([ROOFS], MILAN, gappy, now=now)

    assert anchor is not None
    assert anchor.clear_sky_index == pytest.approx(0.8, abs=0.01)
