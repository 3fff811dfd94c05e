"""Import prices from a price series (e.g. hourly), with band prices where the series stops."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from forecasts import (
    ForecastInputError,
    PriceSeries,
    SiteLocation,
    TariffBands,
    capacity_charge_eur_per_kw_month,
    import_price_eur_per_kwh,
    slot_grid,
)

MILAN = SiteLocation(latitude_deg=45.445, longitude_deg=9.205, altitude_m=120.0, timezone="Europe/Rome")
TARIFF = TariffBands(
    f1_eur_per_kwh=0.30,
    f2_eur_per_kwh=0.25,
    f3_eur_per_kwh=0.20,
    export_eur_per_kwh=0.05,
    capacity_charge_eur_per_kw_month=4.5,
)
# Monday 10 March 2025, 09:00-12:00 UTC (10:00-13:00 local, band F1).
HOURLY = PriceSeries(
    pd.Series([0.10, 0.16, 0.13], index=pd.date_range("2025-03-10 09:00", periods=3, freq="h", tz="UTC"))
)


def test_a_slot_inside_an_hour_pays_that_hour() -> None:
    starts, ends = slot_grid(datetime(2025, 3, 10, 9, 0, tzinfo=UTC), 3.0, 15)

    prices = import_price_eur_per_kwh(HOURLY, MILAN, starts, ends)

    assert prices.name == "import_price_eur_per_kwh"
    assert prices.index.equals(starts)
    assert prices.tolist() == pytest.approx([0.10] * 4 + [0.16] * 4 + [0.13] * 4)


def test_a_slot_straddling_an_hour_pays_the_time_weighted_mix() -> None:
    # 09:40-10:10 UTC: 20 minutes at 0.10 and 10 at 0.16 -> (20 x 0.10 + 10 x 0.16) / 30 = 0.12.
    starts = pd.DatetimeIndex([datetime(2025, 3, 10, 9, 40, tzinfo=UTC)])
    ends = pd.DatetimeIndex([datetime(2025, 3, 10, 10, 10, tzinfo=UTC)])

    assert import_price_eur_per_kwh(HOURLY, MILAN, starts, ends).tolist() == pytest.approx([0.12])


def test_past_the_series_the_fallback_bands_apply() -> None:
    # 11:00-13:00 UTC: the last hour of the series, then an hour of F1 from the bands.
    starts, ends = slot_grid(datetime(2025, 3, 10, 11, 0, tzinfo=UTC), 2.0, 60)

    prices = import_price_eur_per_kwh(HOURLY, MILAN, starts, ends, fallback=TARIFF)

    assert prices.tolist() == pytest.approx([0.13, 0.30])


def test_a_gap_without_fallback_is_an_error_naming_the_time() -> None:
    starts, ends = slot_grid(datetime(2025, 3, 10, 11, 0, tzinfo=UTC), 2.0, 60)

    with pytest.raises(
        ForecastInputError, match=r"tariff: the price series has no price in the slot starting at 2025-03-10 12:00:00"
    ):
        import_price_eur_per_kwh(HOURLY, MILAN, starts, ends)


def test_negative_wholesale_prices_are_kept() -> None:
    negative = PriceSeries(pd.Series([-0.02], index=pd.DatetimeIndex([pd.Timestamp("2025-05-11 11:00+00:00")])))
    starts, ends = slot_grid(datetime(2025, 5, 11, 11, 0, tzinfo=UTC), 1.0, 60)

    assert import_price_eur_per_kwh(negative, MILAN, starts, ends).tolist() == pytest.approx([-0.02])


def test_the_band_tariff_still_works_unchanged() -> None:
    starts, ends = slot_grid(datetime(2025, 3, 10, 9, 0, tzinfo=UTC), 1.0, 60)

    assert import_price_eur_per_kwh(TARIFF, MILAN, starts, ends).tolist() == pytest.approx([0.30])


def test_capacity_charge_is_exposed() -> None:
    assert capacity_charge_eur_per_kw_month(TARIFF) == 4.5
    with pytest.raises(ForecastInputError, match="tariff: must be TariffBands"):
        capacity_charge_eur_per_kw_month(HOURLY)  # type: ignore[arg-type]


def test_bad_price_series_are_rejected_with_the_field_named() -> None:
    index = pd.date_range("2025-03-10 09:00", periods=2, freq="h", tz="UTC")

    with pytest.raises(ForecastInputError, match="import_eur_per_kwh: the price series is empty"):
        PriceSeries(pd.Series([], index=pd.DatetimeIndex([], tz="UTC"), dtype=np.float64))
    with pytest.raises(ForecastInputError, match="import_eur_per_kwh: missing or non-finite value"):
        PriceSeries(pd.Series([0.1, np.nan], index=index))
    with pytest.raises(ForecastInputError, match="import_eur_per_kwh: timestamps must be timezone-aware"):
        PriceSeries(pd.Series([0.1, 0.2], index=index.tz_localize(None)))
    with pytest.raises(ForecastInputError, match="tariff: must be TariffBands or a PriceSeries"):
        import_price_eur_per_kwh({"F1": 0.3}, MILAN, index, index + pd.Timedelta(hours=1))  # type: ignore[arg-type]
