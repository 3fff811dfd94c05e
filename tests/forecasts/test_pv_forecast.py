"""The PV forecast: clear sky corrected by measured PV, with P10 / P50 / P90 and the expected output."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasts import (
    PV_FORECAST_COLUMNS,
    ForecastInputError,
    IrradianceSeries,
    PvArray,
    PvForecastModel,
    SiteLocation,
    ac_rating_kw,
    clear_sky_pv_kw,
    default_pv_forecast_model,
    fit_pv_forecast_model,
    irradiance_pv_kw,
    pv_forecast_kw,
    slot_grid,
)
from forecasts.pv_model import DEFAULT_TIME_CONSTANT_H, MIN_HISTORY_HOURS

MILAN = SiteLocation(latitude_deg=45.445, longitude_deg=9.205, altitude_m=120.0, timezone="Europe/Rome")
ROOFS = PvArray(name="roofs", peak_power_kwp=250.0, tilt_deg=15.0, azimuth_deg=180.0)
TAU_H = DEFAULT_TIME_CONSTANT_H


def measured(start: datetime, hours: float, index: float, slot_min: int = 5) -> pd.Series:
    """Measured PV that is ``index`` times clear sky."""
    starts, ends = slot_grid(start, hours, slot_min)
    return clear_sky_pv_kw([ROOFS], MILAN, starts, ends) * index


def forecast(
    now: datetime, measured_pv_kw: pd.Series | None = None, model: PvForecastModel | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """Three hourly slots from ``now``, and their clear-sky output."""
    starts, ends = slot_grid(now, 3.0, 60)
    result = pv_forecast_kw(
        [ROOFS], MILAN, starts, ends, now=now, measured_pv_kw=measured_pv_kw, history_pv_kw=None, model=model
    )
    return result, clear_sky_pv_kw([ROOFS], MILAN, starts, ends).to_numpy()


def test_without_measurements_the_default_index_and_spread_apply() -> None:
    result, clear_kw = forecast(datetime(2025, 6, 21, 10, tzinfo=UTC))

    # No measurement: index 0.8 with the climatological 10-90 % half-range of 0.45; P90 stops at
    # the AC rating, 250 kWp x (1 - 0.14) = 215 kW.
    assert list(result.columns) == list(PV_FORECAST_COLUMNS)
    assert result["p50_kw"].to_numpy() == pytest.approx(0.8 * clear_kw)
    assert result["mean_kw"].to_numpy() == pytest.approx(0.8 * clear_kw)
    assert result["p10_kw"].to_numpy() == pytest.approx(0.35 * clear_kw)
    assert result["p90_kw"].to_numpy() == pytest.approx(np.minimum(1.25 * clear_kw, 215.0))
    assert result["p90_kw"].max() == pytest.approx(215.0)


def test_the_latest_measured_index_decays_towards_the_climatology() -> None:
    now = datetime(2025, 6, 21, 10, tzinfo=UTC)
    result, clear_kw = forecast(now, measured_pv_kw=measured(datetime(2025, 6, 21, 6, tzinfo=UTC), 4.0, 0.5))

    # The slot 12:00-13:00 is 2.5 h after the window's end at 10:00: index 0.8 - 0.3 exp(-2.5 / 6);
    # its bucket (2-3 h) takes the parametric half-range at 2.5 h, 0.45 - 0.35 exp(-2.5 / 6).
    decay = math.exp(-2.5 / TAU_H)
    index = 0.8 - 0.3 * decay
    half_range = 0.45 - 0.35 * decay
    assert result["p50_kw"].iloc[2] == pytest.approx(index * clear_kw[2])
    assert result["p10_kw"].iloc[2] == pytest.approx((index - half_range) * clear_kw[2])
    assert result["p90_kw"].iloc[2] == pytest.approx((index + half_range) * clear_kw[2])


def test_measurements_from_now_on_are_ignored() -> None:
    now = datetime(2025, 6, 21, 10, tzinfo=UTC)
    past = measured(datetime(2025, 6, 21, 6, tzinfo=UTC), 4.0, 0.5)
    future = measured(now, 2.0, 0.1)

    with_future, _ = forecast(now, measured_pv_kw=pd.concat([past, future]))
    without, _ = forecast(now, measured_pv_kw=past)

    pd.testing.assert_frame_equal(with_future, without)


def test_a_month_of_steady_index_is_learned() -> None:
    now = datetime(2025, 6, 21, tzinfo=UTC)
    history = measured(now - timedelta(days=30), 30 * 24.0, 0.6, slot_min=15)

    model = fit_pv_forecast_model([ROOFS], MILAN, history, now=now)
    result, clear_kw = forecast(now.replace(hour=10), model=model)

    # The index never varies: the climatology is 0.6 and every error is 0.
    assert model.climatology.median_by_month_hour[5, 11] == pytest.approx(0.6)
    for column in PV_FORECAST_COLUMNS:
        assert result[column].to_numpy() == pytest.approx(0.6 * clear_kw)


def test_history_too_short_falls_back_to_the_defaults() -> None:
    now = datetime(2025, 6, 21, tzinfo=UTC)
    # MIN_HISTORY_HOURS / 12 days of about 12 high-sun hours each is not quite enough.
    days = MIN_HISTORY_HOURS // 14
    history = measured(now - timedelta(days=days), days * 24.0, 0.6, slot_min=15)

    model = fit_pv_forecast_model([ROOFS], MILAN, history, now=now)

    assert model.climatology.n_samples == 0
    assert model.time_constant_h == default_pv_forecast_model().time_constant_h


def test_an_irradiance_forecast_sets_the_p50_of_the_slots_it_covers() -> None:
    now = datetime(2025, 6, 21, 10, tzinfo=UTC)
    starts, ends = slot_grid(now, 4.0, 60)
    hours = pd.date_range("2025-06-21 10:00", periods=2, freq="h", tz="UTC")
    weather = IrradianceSeries(ghi_w_m2=pd.Series([400.0, 300.0], index=hours))

    result = pv_forecast_kw(
        [ROOFS], MILAN, starts, ends, now=now, measured_pv_kw=None, history_pv_kw=None, irradiance=weather
    )
    from_weather = irradiance_pv_kw([ROOFS], MILAN, weather, starts, ends).to_numpy()
    clear_kw = clear_sky_pv_kw([ROOFS], MILAN, starts, ends).to_numpy()

    assert result["p50_kw"].iloc[:2].to_numpy() == pytest.approx(from_weather[:2])
    assert result["mean_kw"].iloc[:2].to_numpy() == pytest.approx(from_weather[:2])
    # P10 / P90 are the climatological spread around the weather's index, P10 stopping at 0.
    expected_p10 = np.maximum(from_weather[:2] - 0.45 * clear_kw[:2], 0.0)
    assert result["p10_kw"].iloc[:2].to_numpy() == pytest.approx(expected_p10)
    assert result["p90_kw"].iloc[:2].to_numpy() == pytest.approx(from_weather[:2] + 0.45 * clear_kw[:2])
    # Slots past the forecast's end fall back to the corrected clear sky.
    assert result["p50_kw"].iloc[2:].to_numpy() == pytest.approx(0.8 * clear_kw[2:])


def test_night_and_a_site_without_arrays_give_zero() -> None:
    night = datetime(2025, 12, 21, 20, tzinfo=UTC)
    starts, ends = slot_grid(night, 6.0, 15)

    dark = pv_forecast_kw([ROOFS], MILAN, starts, ends, now=night, measured_pv_kw=None, history_pv_kw=None)
    empty = pv_forecast_kw([], MILAN, starts, ends, now=night, measured_pv_kw=None, history_pv_kw=None)

    assert (dark.to_numpy() == 0.0).all()
    assert (empty.to_numpy() == 0.0).all()


def test_bad_inputs_are_rejected_with_the_field_named() -> None:
    now = datetime(2025, 6, 21, 10, tzinfo=UTC)
    starts, ends = slot_grid(now, 2.0, 60)
    history = measured(datetime(2025, 6, 21, 6, tzinfo=UTC), 4.0, 0.5)

    with pytest.raises(ForecastInputError, match="model: give history_pv_kw or model"):
        pv_forecast_kw(
            [ROOFS],
            MILAN,
            starts,
            ends,
            now=now,
            measured_pv_kw=None,
            history_pv_kw=history,
            model=default_pv_forecast_model(),
        )
    with pytest.raises(ForecastInputError, match="now: must be a timezone-aware"):
        pv_forecast_kw(
            [ROOFS], MILAN, starts, ends, now=datetime(2025, 6, 21, 10), measured_pv_kw=None, history_pv_kw=None
        )
    with pytest.raises(ForecastInputError, match="measured_pv_kw: timestamps must be timezone-aware"):
        pv_forecast_kw(
            [ROOFS],
            MILAN,
            starts,
            ends,
            now=now,
            measured_pv_kw=history.tz_localize(None),
            history_pv_kw=None,
        )
    with pytest.raises(ForecastInputError, match="history_pv_kw: must be a pandas Series"):
        pv_forecast_kw([ROOFS], MILAN, starts, ends, now=now, measured_pv_kw=None, history_pv_kw=[1.0])  # type: ignore[arg-type]


@settings(max_examples=30, deadline=None)
@given(
    now=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)),
    index=st.floats(min_value=0.0, max_value=1.6),
    slot_min=st.sampled_from([5, 15, 60]),
)
def test_quantiles_are_ordered_and_bounded(now: datetime, index: float, slot_min: int) -> None:
    recent = measured(now - timedelta(hours=6), 6.0, index, slot_min=15)
    starts, ends = slot_grid(now, 30.0, slot_min)

    result = pv_forecast_kw([ROOFS], MILAN, starts, ends, now=now, measured_pv_kw=recent, history_pv_kw=None)

    values = result.to_numpy()
    assert np.isfinite(values).all()
    assert (result["p10_kw"] >= 0.0).all()
    assert (result["p10_kw"] <= result["p50_kw"]).all()
    assert (result["p50_kw"] <= result["p90_kw"]).all()
    assert (result["p90_kw"] <= ac_rating_kw([ROOFS]) + 1e-9).all()
    assert ((result["mean_kw"] >= result["p10_kw"]) & (result["mean_kw"] <= result["p90_kw"])).all()
