"""PV from an irradiance series (a weather forecast or measurements) through the same chain as clear sky."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from forecasts import (
    ForecastInputError,
    IrradianceSeries,
    PvArray,
    SiteLocation,
    ac_rating_kw,
    clear_sky_pv_kw,
    irradiance_pv_kw,
    slot_grid,
)
from forecasts.irradiance import clear_sky_irradiance
from forecasts.slots import slot_average, sub_slot_samples

MILAN = SiteLocation(latitude_deg=45.445, longitude_deg=9.205, altitude_m=120.0, timezone="Europe/Rome")
ROOFS = PvArray(name="roofs", peak_power_kwp=250.0, tilt_deg=15.0, azimuth_deg=180.0)
DAY = datetime(2025, 6, 21, tzinfo=UTC)


def hourly_clear_sky_means(start: datetime, hours: int, scale: float = 1.0) -> IrradianceSeries:
    """Hourly means of the clear-sky components, as a weather service reporting clear sky would."""
    starts, ends = slot_grid(start, float(hours), 60)
    pieces = sub_slot_samples(starts, ends)
    sky = clear_sky_irradiance(MILAN, pieces.times_utc)
    means = {column: scale * slot_average(sky[column].to_numpy(), pieces) for column in ("ghi", "dni", "dhi")}
    return IrradianceSeries(
        ghi_w_m2=pd.Series(means["ghi"], index=starts),
        dni_w_m2=pd.Series(means["dni"], index=starts),
        dhi_w_m2=pd.Series(means["dhi"], index=starts),
    )


def test_clear_sky_means_give_back_the_clear_sky_output() -> None:
    # Each hour is spread over its 5-minute samples in the shape of clear sky, keeping the hour's
    # mean: an hour of clear-sky means therefore gives back the clear-sky samples exactly.
    starts, ends = slot_grid(DAY, 24.0, 15)

    from_series = irradiance_pv_kw([ROOFS], MILAN, hourly_clear_sky_means(DAY, 24), starts, ends)
    clear = clear_sky_pv_kw([ROOFS], MILAN, starts, ends)

    assert from_series.name == "pv_kw"
    assert from_series.to_numpy() == pytest.approx(clear.to_numpy(), abs=1e-6)


def test_half_the_irradiance_gives_about_half_the_energy() -> None:
    starts, ends = slot_grid(DAY, 24.0, 60)

    full_kwh = irradiance_pv_kw([ROOFS], MILAN, hourly_clear_sky_means(DAY, 24), starts, ends).sum()
    half_kwh = irradiance_pv_kw([ROOFS], MILAN, hourly_clear_sky_means(DAY, 24, 0.5), starts, ends).sum()

    # Cooler cells and the inverter's part-load curve move the ratio a little off one half.
    assert 0.45 * full_kwh <= half_kwh <= 0.55 * full_kwh


def test_global_irradiance_alone_is_split_into_direct_and_diffuse() -> None:
    starts, ends = slot_grid(DAY, 24.0, 60)
    complete = hourly_clear_sky_means(DAY, 24)
    global_only = IrradianceSeries(ghi_w_m2=complete.ghi_w_m2)

    with_components = irradiance_pv_kw([ROOFS], MILAN, complete, starts, ends)
    from_global = irradiance_pv_kw([ROOFS], MILAN, global_only, starts, ends)

    # Erbs splits a clear June sky a little differently from Ineichen; on a 15 deg south roof the
    # transposition barely cares.
    assert from_global.sum() == pytest.approx(with_components.sum(), rel=0.05)
    assert (from_global[with_components == 0.0] == 0.0).all()


def test_night_is_zero_and_output_stays_under_the_rating() -> None:
    starts, ends = slot_grid(DAY, 24.0, 15)

    pv = irradiance_pv_kw([ROOFS], MILAN, hourly_clear_sky_means(DAY, 24, 1.3), starts, ends)

    assert (pv[pv.index < "2025-06-21 03:30+00:00"] == 0.0).all()
    assert (pv <= ac_rating_kw([ROOFS])).all()


def test_air_temperature_from_the_series_changes_the_cell_temperature() -> None:
    starts, ends = slot_grid(DAY.replace(hour=10), 2.0, 60)
    series = hourly_clear_sky_means(DAY, 24)

    def with_air_at(temperature_c: float) -> float:
        warm = IrradianceSeries(
            ghi_w_m2=series.ghi_w_m2,
            dni_w_m2=series.dni_w_m2,
            dhi_w_m2=series.dhi_w_m2,
            air_temperature_c=pd.Series(temperature_c, index=series.index),
        )
        return float(irradiance_pv_kw([ROOFS], MILAN, warm, starts, ends).sum())

    assert with_air_at(0.0) > with_air_at(35.0)


def test_slots_the_series_does_not_cover_are_nan() -> None:
    starts, ends = slot_grid(DAY.replace(hour=9), 4.0, 60)

    pv = irradiance_pv_kw([ROOFS], MILAN, hourly_clear_sky_means(DAY.replace(hour=9), 2), starts, ends)

    assert pv.iloc[:2].notna().all()
    assert pv.iloc[2:].isna().all()


def test_bad_series_are_rejected_with_the_field_named() -> None:
    index = pd.date_range("2025-06-21 10:00", periods=3, freq="h", tz="UTC")
    ghi = pd.Series([100.0, 200.0, 300.0], index=index)

    with pytest.raises(ForecastInputError, match="ghi_w_m2: values must be >= 0"):
        IrradianceSeries(ghi_w_m2=pd.Series([100.0, -1.0, 0.0], index=index))
    with pytest.raises(ForecastInputError, match="ghi_w_m2: timestamps must be timezone-aware"):
        IrradianceSeries(ghi_w_m2=pd.Series([1.0, 2.0, 3.0], index=index.tz_localize(None)))
    with pytest.raises(ForecastInputError, match="ghi_w_m2: timestamps must be strictly increasing"):
        IrradianceSeries(ghi_w_m2=pd.Series([1.0, 2.0, 3.0], index=index[::-1]))
    with pytest.raises(ForecastInputError, match="dni_w_m2: give both"):
        IrradianceSeries(ghi_w_m2=ghi, dni_w_m2=ghi)
    with pytest.raises(ForecastInputError, match="dhi_w_m2: must have the same timestamps"):
        IrradianceSeries(ghi_w_m2=ghi, dni_w_m2=ghi, dhi_w_m2=ghi.iloc[:2])
    with pytest.raises(ForecastInputError, match="air_temperature_c: missing or non-finite"):
        IrradianceSeries(ghi_w_m2=ghi, air_temperature_c=pd.Series([1.0, np.nan, 3.0], index=index))
    with pytest.raises(ForecastInputError, match="irradiance: must be an IrradianceSeries"):
        irradiance_pv_kw([ROOFS], MILAN, ghi, index, index + pd.Timedelta(hours=1))  # type: ignore[arg-type]
