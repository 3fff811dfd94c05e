"""The forecasts of the Milan benchmark's MPC on a metered site: the control loop's, from the plant's past."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import numpy as np
import pytest

from benchmarks.milan.conditions import SiteConditions
from benchmarks.milan.meter import MeteredForecasts
from fleet.site_config import SiteConfig
from fleet.site_forecast import SiteForecast
from tests.benchmarks.milan_day import START_UTC


def _with_actuals(conditions: SiteConditions, *, pv_kw: np.ndarray, base_load_kw: np.ndarray) -> SiteConditions:
    return dataclasses.replace(conditions, pv_kw=pv_kw, base_load_kw=base_load_kw)


def test_before_any_measurement_the_forecast_is_the_priors(site: SiteConfig, conditions: SiteConditions) -> None:
    # The priors are averaged from 5-minute steps, the metered forecast is computed on the slots:
    # where P90 reaches the inverters' rating, clipping each step or the slot differs by a few watts.
    ours = MeteredForecasts(site, conditions).site_forecast(START_UTC, 24.0)
    priors = conditions.site_forecast(START_UTC, 24.0)
    for spec in dataclasses.fields(SiteForecast):
        if spec.name in ("slot_starts", "tariff_band"):
            assert getattr(ours, spec.name) == getattr(priors, spec.name)
        else:
            assert getattr(ours, spec.name) == pytest.approx(getattr(priors, spec.name), rel=1e-4, abs=1e-9), spec.name


def test_a_base_load_above_its_forecast_lifts_the_next_slots_and_fades(
    site: SiteConfig, conditions: SiteConditions
) -> None:
    forecast_kw = conditions.forecast.base_load_kw
    high = _with_actuals(conditions, pv_kw=conditions.pv_kw, base_load_kw=forecast_kw * 1.10)
    now = START_UTC + timedelta(hours=10)

    ours = MeteredForecasts(site, high).site_forecast(now, 24.0)
    priors = conditions.site_forecast(now, 24.0)

    lift_kw = np.asarray(ours.base_load_kw) - np.asarray(priors.base_load_kw)
    assert lift_kw[0] > 0.05 * priors.base_load_kw[0]  # most of the 10 % measured just now
    assert lift_kw[0] <= 0.10 * max(forecast_kw) + 1e-9
    assert lift_kw[-1] == pytest.approx(0.0, abs=0.01)  # a day ahead, the profile again
    assert np.all(np.diff(lift_kw[:8]) <= 1e-9)  # the anomaly fades, it does not grow


def test_clouds_measured_this_morning_lower_the_pv_of_the_next_hours(
    site: SiteConfig, conditions: SiteConditions
) -> None:
    overcast = _with_actuals(
        conditions, pv_kw=conditions.forecast.clear_sky_pv_kw * 0.2, base_load_kw=conditions.base_load_kw
    )
    now = START_UTC + timedelta(hours=10)

    ours = MeteredForecasts(site, overcast).site_forecast(now, 24.0)
    priors = conditions.site_forecast(now, 24.0)

    assert ours.pv_kw[0] < 0.5 * priors.pv_kw[0]
    assert ours.pv_kw[0] == pytest.approx(overcast.pv_kw[conditions.step_of(now)], rel=0.25)


def test_only_the_steps_before_now_are_measured(site: SiteConfig, conditions: SiteConditions) -> None:
    now = START_UTC + timedelta(hours=11, minutes=5)  # mid-slot, as at a plug-in
    step = conditions.step_of(now)
    base_kw = conditions.base_load_kw.copy()
    pv_kw = conditions.pv_kw.copy()
    base_kw[step:] *= 3.0
    pv_kw[step:] = 0.0

    ours = MeteredForecasts(site, _with_actuals(conditions, pv_kw=pv_kw, base_load_kw=base_kw)).site_forecast(now, 24.0)
    unchanged = MeteredForecasts(site, conditions).site_forecast(now, 24.0)

    assert ours == unchanged
