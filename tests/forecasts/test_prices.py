"""ARERA time bands and the import and export prices on the slot grid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasts import (
    ForecastInputError,
    SiteLocation,
    TariffBand,
    TariffBands,
    export_price_eur_per_kwh,
    import_price_eur_per_kwh,
    slot_grid,
    tariff_band,
    tariff_bands,
)

ROME = ZoneInfo("Europe/Rome")
MILAN = SiteLocation(latitude_deg=45.445, longitude_deg=9.205, altitude_m=120.0, timezone="Europe/Rome")
TARIFF = TariffBands(
    f1_eur_per_kwh=0.30,
    f2_eur_per_kwh=0.25,
    f3_eur_per_kwh=0.20,
    export_eur_per_kwh=0.05,
    capacity_charge_eur_per_kw_month=10.0,
)
BAND_PRICE = {"F1": 0.30, "F2": 0.25, "F3": 0.20}


def rome(year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=ROME)


@pytest.mark.parametrize(
    ("when", "band"),
    [
        (rome(2025, 3, 10, 10), "F1"),  # Monday morning
        (rome(2025, 3, 10, 7, 30), "F2"),  # Monday before 08:00
        (rome(2025, 3, 10, 6, 59, 59), "F3"),  # Monday night
        (rome(2025, 3, 10, 7), "F2"),
        (rome(2025, 3, 10, 8), "F1"),
        (rome(2025, 3, 10, 18, 59, 59), "F1"),
        (rome(2025, 3, 10, 19), "F2"),
        (rome(2025, 3, 10, 22, 59, 59), "F2"),
        (rome(2025, 3, 10, 23), "F3"),
        (rome(2025, 3, 14, 12), "F1"),  # Friday
        (rome(2025, 3, 15, 10), "F2"),  # Saturday daytime
        (rome(2025, 3, 15, 6, 30), "F3"),  # Saturday early morning
        (rome(2025, 3, 15, 23, 30), "F3"),  # Saturday night
        (rome(2025, 3, 16, 12), "F3"),  # Sunday noon
        (rome(2025, 12, 25, 10), "F3"),  # Christmas, a Thursday
        (rome(2025, 6, 2, 10), "F3"),  # Republic Day, a Monday
        (rome(2025, 4, 21, 10), "F3"),  # Easter Monday
        (rome(2025, 11, 1, 10), "F3"),  # All Saints, a Saturday: the holiday wins over Saturday's F2
    ],
)
def test_band_of_an_italian_wall_clock_time(when: datetime, band: TariffBand) -> None:
    assert tariff_band(when) == band


@pytest.mark.parametrize(
    ("when_utc", "band"),
    [
        # Friday 28 March 2025, winter time (UTC+1): F1 starts at 07:00 UTC.
        (datetime(2025, 3, 28, 6, 30, tzinfo=UTC), "F2"),
        (datetime(2025, 3, 28, 7, 0, tzinfo=UTC), "F1"),
        # Sunday 30 March 2025, the clocks go forward: all day F3.
        (datetime(2025, 3, 30, 1, 30, tzinfo=UTC), "F3"),
        (datetime(2025, 3, 30, 10, 0, tzinfo=UTC), "F3"),
        # Monday 31 March 2025, summer time (UTC+2): F1 starts at 06:00 UTC.
        (datetime(2025, 3, 31, 5, 59, tzinfo=UTC), "F2"),
        (datetime(2025, 3, 31, 6, 0, tzinfo=UTC), "F1"),
        (datetime(2025, 3, 31, 17, 0, tzinfo=UTC), "F2"),
        # Saturday 25 October 2025, still summer time: F3 from 21:00 UTC.
        (datetime(2025, 10, 25, 20, 59, tzinfo=UTC), "F2"),
        (datetime(2025, 10, 25, 21, 0, tzinfo=UTC), "F3"),
        # Sunday 26 October 2025, the clocks go back: 02:30 local happens twice, both F3.
        (datetime(2025, 10, 26, 0, 30, tzinfo=UTC), "F3"),
        (datetime(2025, 10, 26, 1, 30, tzinfo=UTC), "F3"),
        # Monday 27 October 2025, winter time again: F3 from 22:00 UTC.
        (datetime(2025, 10, 27, 21, 30, tzinfo=UTC), "F2"),
        (datetime(2025, 10, 27, 22, 0, tzinfo=UTC), "F3"),
    ],
)
def test_band_follows_daylight_saving_time(when_utc: datetime, band: TariffBand) -> None:
    assert tariff_band(when_utc) == band


def test_naive_timestamp_is_rejected() -> None:
    with pytest.raises(ForecastInputError, match="ts_local: must be timezone-aware"):
        tariff_band(datetime(2025, 3, 10, 10))


def test_slot_inside_one_band_costs_that_band() -> None:
    # Monday 10 March 2025, 10:00-10:15 local = 09:00-09:15 UTC.
    starts, ends = slot_grid(datetime(2025, 3, 10, 9, 0, tzinfo=UTC), horizon_h=0.25, slot_min=15)

    prices = import_price_eur_per_kwh(TARIFF, MILAN, starts, ends)

    assert prices.name == "import_price_eur_per_kwh"
    assert prices.index.equals(starts)
    assert prices.tolist() == pytest.approx([0.30])


def test_slot_straddling_a_band_change_pays_the_time_weighted_mix() -> None:
    # 06:45-07:15 UTC = 07:45-08:15 local: 15 min of F2 then 15 min of F1.
    # 06:57-07:13 UTC: 3 min of F2 then 13 min of F1 -> (3 * 0.25 + 13 * 0.30) / 16 = 0.290625.
    starts = pd.DatetimeIndex([datetime(2025, 3, 10, 6, 45, tzinfo=UTC), datetime(2025, 3, 11, 6, 57, tzinfo=UTC)])
    ends = pd.DatetimeIndex([datetime(2025, 3, 10, 7, 15, tzinfo=UTC), datetime(2025, 3, 11, 7, 13, tzinfo=UTC)])

    prices = import_price_eur_per_kwh(TARIFF, MILAN, starts, ends)

    assert prices.tolist() == pytest.approx([0.275, 0.290625])


def test_short_first_slot_has_the_price_of_its_own_minutes() -> None:
    # now = 07:55 local on a Monday: the first slot (07:55-08:00) is F2, the next (08:00-08:15) F1.
    starts, ends = slot_grid(datetime(2025, 3, 10, 6, 55, tzinfo=UTC), horizon_h=0.25, slot_min=15)

    prices = import_price_eur_per_kwh(TARIFF, MILAN, starts, ends)

    assert prices.tolist() == pytest.approx([0.25, 0.30])


def test_a_working_day_has_11_hours_of_f1_5_of_f2_and_8_of_f3() -> None:
    # Monday 10 March 2025 local = 09 March 23:00 UTC to 10 March 23:00 UTC.
    starts, ends = slot_grid(datetime(2025, 3, 9, 23, 0, tzinfo=UTC), horizon_h=24.0, slot_min=15)

    prices = import_price_eur_per_kwh(TARIFF, MILAN, starts, ends)

    # (11 * 0.30 + 5 * 0.25 + 8 * 0.20) / 24 = 6.15 / 24
    assert prices.mean() == pytest.approx(6.15 / 24)


def test_a_week_of_hourly_prices_adds_up_band_by_band() -> None:
    # Monday 10 to Sunday 16 March 2025 (no holiday, no clock change): F1 55 h, F2 5 x 5 + 16 = 41 h,
    # F3 5 x 8 + 8 + 24 = 72 h.
    starts, ends = slot_grid(datetime(2025, 3, 9, 23, 0, tzinfo=UTC), horizon_h=168.0, slot_min=60)

    prices = import_price_eur_per_kwh(TARIFF, MILAN, starts, ends)

    assert len(prices) == 168
    assert np.isclose(prices, 0.30).sum() == 55
    assert np.isclose(prices, 0.25).sum() == 41
    assert np.isclose(prices, 0.20).sum() == 72


def test_the_day_the_clocks_go_forward_is_23_hours_of_f3() -> None:
    # Sunday 30 March 2025 local runs from 29 March 23:00 UTC to 30 March 22:00 UTC.
    starts, ends = slot_grid(datetime(2025, 3, 29, 23, 0, tzinfo=UTC), horizon_h=23.0, slot_min=15)

    prices = import_price_eur_per_kwh(TARIFF, MILAN, starts, ends)

    assert len(prices) == 92
    assert prices.tolist() == pytest.approx([0.20] * 92)


def test_export_price_is_flat() -> None:
    starts, ends = slot_grid(datetime(2025, 3, 10, 6, 55, tzinfo=UTC), horizon_h=24.0, slot_min=15)

    prices = export_price_eur_per_kwh(TARIFF, MILAN, starts, ends)

    assert prices.name == "export_price_eur_per_kwh"
    assert prices.index.equals(starts)
    assert (prices == 0.05).all()


def test_prices_reject_a_bad_grid() -> None:
    starts, ends = slot_grid(datetime(2025, 3, 10, 9, 0, tzinfo=UTC), horizon_h=1.0, slot_min=15)

    with pytest.raises(ForecastInputError, match="slot_ends: length"):
        import_price_eur_per_kwh(TARIFF, MILAN, starts, ends[1:])
    with pytest.raises(ForecastInputError, match="slot_starts: must be timezone-aware"):
        export_price_eur_per_kwh(TARIFF, MILAN, starts.tz_localize(None), ends)


@settings(max_examples=100, deadline=None)
@given(
    now=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)),
    horizon_h=st.floats(min_value=0.1, max_value=12.0),
    slot_min=st.sampled_from([5, 15, 30, 60]),
    band_prices=st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=3, max_size=3),
)
def test_every_slot_pays_a_band_price_or_a_mix_of_the_two_bands_it_straddles(
    now: datetime, horizon_h: float, slot_min: int, band_prices: list[float]
) -> None:
    tariff = TariffBands(band_prices[0], band_prices[1], band_prices[2], 0.0, 0.0)
    price_of = dict(zip(("F1", "F2", "F3"), band_prices, strict=True))
    starts, ends = slot_grid(now, horizon_h, slot_min)

    prices = import_price_eur_per_kwh(tariff, MILAN, starts, ends)

    assert prices.notna().all()
    # Every band lasts at least an hour, so a slot of at most an hour sees at most one band change.
    for start, end, price in zip(starts, ends, prices, strict=True):
        first = price_of[tariff_band(start.to_pydatetime())]
        last = price_of[tariff_band((end - timedelta(microseconds=1)).to_pydatetime())]
        assert min(first, last) - 1e-12 <= price <= max(first, last) + 1e-12
        if first == last:
            assert price == pytest.approx(first)


def test_bands_of_a_horizon_equal_the_band_of_each_instant() -> None:
    # A week around the October clock change, with All Saints (1 November) in it.
    times = pd.date_range("2026-10-24T00:00Z", "2026-11-02T00:00Z", freq="15min")
    assert tariff_bands(times) == tuple(tariff_band(t.to_pydatetime()) for t in times)
