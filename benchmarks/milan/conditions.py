"""What the site sees over the simulated week, on the plant's 5-minute steps: forecasts and actuals.

Forecasts come from the project's forecasters (:func:`fleet.site_forecast.forecast_site` on a
5-minute grid): without history, PV is the clear-sky model times the climatological clear-sky index
(mean, P10, P90), base load the configured profile, prices the ARERA bands. The actual PV and base
load come from seeded processes:

* **Cloudiness.** Each local day draws a regime, clear (probability 0.45, mean cloud factor 0.95,
  spread 0.04), broken (0.35, 0.65, 0.20) or overcast (0.20, 0.25, 0.08), a rough spring mix for the
  Po valley. Within the day the factor follows an AR(1) process around the day's mean with a
  5-minute autocorrelation of 0.95 (passing clouds last tens of minutes) and the regime's spread as
  its standard deviation, clipped to [0.02, 1]. Actual PV = clear-sky PV x factor: clear sky is the
  upper bound.
* **Base load.** Actual = forecast x (1 + e), e an AR(1) process with autocorrelation 0.9 per step
  and standard deviation 4 %, clipped to +-10 %: the forecast is right on average, wrong by a few kW
  at any moment, and never by more than a tenth.

The planner sees only the forecasts; :meth:`SiteConditions.forecast` lays them on its slot grid.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd

from fleet.forecast_inputs import forecast_inputs
from fleet.site_config import PlanningConfig, SiteConfig
from fleet.site_forecast import SiteForecast, forecast_site, on_planning_grid
from forecasts import clear_sky_pv_kw, slot_grid

FloatArray = npt.NDArray[np.float64]

STEP_MIN = 5
STEP_H = STEP_MIN / 60
CLOUD_REGIMES = ((0.45, 0.95, 0.04), (0.35, 0.65, 0.20), (0.20, 0.25, 0.08))
"""(probability, mean cloud factor, standard deviation) of clear, broken and overcast days."""
CLOUD_AUTOCORRELATION = 0.95
CLOUD_FACTOR_RANGE = (0.02, 1.0)
BASE_NOISE_AUTOCORRELATION = 0.9
BASE_NOISE_STD = 0.04
BASE_NOISE_BOUND = 0.10


@dataclass(frozen=True, slots=True)
class SiteForecastSeries:
    """The forecasters' output on the 5-minute steps from ``start_utc``; seed-independent.

    ``steps`` is :func:`fleet.site_forecast.forecast_site` run once with 5-minute slots; every field
    of it that holds one number per slot is averaged onto the planner's slots later.
    """

    start_utc: datetime
    steps: SiteForecast
    clear_sky_pv_kw: FloatArray
    """Clear-sky PV of the site's arrays on the same steps [kW]: what the clouds take from."""

    @property
    def n_steps(self) -> int:
        return len(self.steps.slot_starts)

    def series(self, name: str) -> FloatArray:
        """One per-step field of the forecast as an array, e.g. ``"pv_kw"``."""
        return np.asarray(getattr(self.steps, name), dtype=np.float64)

    @property
    def pv_kw(self) -> FloatArray:
        return self.series("pv_kw")

    @property
    def base_load_kw(self) -> FloatArray:
        return self.series("base_load_kw")

    @property
    def import_price_eur_per_kwh(self) -> FloatArray:
        return self.series("import_price_eur_per_kwh")

    @property
    def export_price_eur_per_kwh(self) -> FloatArray:
        return self.series("export_price_eur_per_kwh")


def forecast_series(site: SiteConfig, start_utc: datetime, n_steps: int) -> SiteForecastSeries:
    """Run the site's forecasters once on ``n_steps`` 5-minute steps from ``start_utc`` (on a 5-min mark)."""
    if start_utc.timestamp() % (STEP_MIN * 60):
        raise ValueError(f"start_utc: must be on a {STEP_MIN}-minute mark, got {start_utc.isoformat()}")
    five_minute = site.with_planning(slot_min=STEP_MIN, fine_horizon_h=None)
    forecast = forecast_site(five_minute, start_utc, n_steps * STEP_H)
    per_step = {
        spec.name: getattr(forecast, spec.name)[:n_steps]
        for spec in dataclasses.fields(SiteForecast)
        if isinstance(getattr(forecast, spec.name), tuple)
    }
    starts, ends = slot_grid(start_utc, n_steps * STEP_H, STEP_MIN)
    inputs = forecast_inputs(site)
    clear_kw = clear_sky_pv_kw(inputs.pv_arrays, inputs.location, starts, ends).to_numpy(dtype=np.float64)
    return SiteForecastSeries(start_utc=start_utc, steps=SiteForecast(**per_step), clear_sky_pv_kw=clear_kw[:n_steps])


def _ar1(rng: np.random.Generator, n: int, rho: float, std: float) -> FloatArray:
    """An AR(1) series with autocorrelation ``rho`` and stationary standard deviation ``std``."""
    innovations = rng.normal(0.0, std * np.sqrt(1.0 - rho**2), n)
    series = np.empty(n)
    state = rng.normal(0.0, std)
    for i in range(n):
        state = rho * state + innovations[i]
        series[i] = state
    return series


def cloud_factor(rng: np.random.Generator, start_utc: datetime, n_steps: int, timezone: str) -> FloatArray:
    """Share of clear-sky PV that reaches the panels at each step [-] (see the module docstring)."""
    local_days = (
        pd.DatetimeIndex([start_utc + timedelta(minutes=STEP_MIN * i) for i in range(n_steps)])
        .tz_convert(ZoneInfo(timezone))
        .normalize()
    )
    _, day_of_step = np.unique(local_days.asi8, return_inverse=True)
    probabilities = [p for p, _, _ in CLOUD_REGIMES]
    regimes = rng.choice(len(CLOUD_REGIMES), size=int(day_of_step.max()) + 1, p=probabilities)
    mean = np.array([CLOUD_REGIMES[r][1] for r in regimes])[day_of_step]
    std = np.array([CLOUD_REGIMES[r][2] for r in regimes])[day_of_step]
    wiggle = _ar1(rng, n_steps, CLOUD_AUTOCORRELATION, 1.0) * std
    factor: FloatArray = np.clip(mean + wiggle, *CLOUD_FACTOR_RANGE)
    return factor


def base_load_noise(rng: np.random.Generator, n_steps: int) -> FloatArray:
    """Relative error of the base-load forecast at each step [-], within +-``BASE_NOISE_BOUND``."""
    noise: FloatArray = np.clip(
        _ar1(rng, n_steps, BASE_NOISE_AUTOCORRELATION, BASE_NOISE_STD), -BASE_NOISE_BOUND, BASE_NOISE_BOUND
    )
    return noise


@dataclass(frozen=True, slots=True)
class SiteConditions:
    """Forecasts and actuals of one seeded week (and of the days after it, for the planning horizon)."""

    forecast: SiteForecastSeries
    pv_kw: FloatArray
    """Actual PV output per step [kW]."""
    base_load_kw: FloatArray
    """Actual base load per step [kW]."""
    planning: PlanningConfig
    """The site's planning settings: its slots, and longer ones beyond ``fine_horizon_h``."""

    @property
    def n_steps(self) -> int:
        return self.forecast.n_steps

    def step_of(self, at: datetime) -> int:
        """Index of the step starting at ``at`` (on a 5-minute mark)."""
        offset_s = (at - self.forecast.start_utc).total_seconds()
        step, rest = divmod(offset_s, STEP_MIN * 60)
        if rest or not 0 <= step < self.n_steps:
            raise ValueError(f"at: {at.isoformat()} is not a step start within the conditions")
        return int(step)

    def site_forecast(self, now: datetime, horizon_h: float) -> SiteForecast:
        """The forecast the planner gets at ``now``: what :func:`forecast_site` returns, from the series.

        Slots of the planning grid that start on 5-minute marks are unions of whole steps, and each
        forecaster averages its 5-minute pieces, so a slot's value is the mean of its steps' values;
        labels (the tariff band) are the first step's.
        """
        starts, ends = slot_grid(now, horizon_h, self.planning.slot_min)
        origin_ns = pd.Timestamp(self.forecast.start_utc).value
        step_ns = STEP_MIN * 60 * 1_000_000_000
        first = (starts.as_unit("ns").asi8 - origin_ns) // step_ns
        last = (ends.as_unit("ns").asi8 - origin_ns) // step_ns
        if first[0] < 0 or last[-1] > self.n_steps:
            raise ValueError(f"now, horizon_h: {now.isoformat()} + {horizon_h} h runs past the conditions")
        counts = (last - first).astype(np.float64)
        fields: dict[str, object] = {
            "slot_starts": tuple(ts.to_pydatetime() for ts in starts),
            "slot_duration_h": tuple(float(d) for d in ((ends - starts).total_seconds() / 3600.0)),
        }
        for spec in dataclasses.fields(SiteForecast):
            if spec.name in fields:
                continue
            values = getattr(self.forecast.steps, spec.name)
            if values and isinstance(values[0], str):
                fields[spec.name] = tuple(values[i] for i in first)
            else:
                cumulative = np.concatenate([[0.0], np.cumsum(np.asarray(values, dtype=np.float64))])
                fields[spec.name] = tuple(float(v) for v in (cumulative[last] - cumulative[first]) / counts)
        return on_planning_grid(SiteForecast(**fields), self.planning, now)  # type: ignore[arg-type]

    def with_perfect_forecasts(self) -> SiteConditions:
        """The same week with forecasts that are the actuals: PV (mean, P10 and P90) and base load.

        A yardstick: a controller planning on these knows every cloud and every kW of load, so
        what it still misses against the offline optimum is the future it cannot see (arrivals,
        the next days' needs) and its own rules."""
        pv = tuple(float(x) for x in self.pv_kw)
        steps = dataclasses.replace(
            self.forecast.steps,
            pv_kw=pv,
            pv_p10_kw=pv,
            pv_p90_kw=pv,
            base_load_kw=tuple(float(x) for x in self.base_load_kw),
        )
        return dataclasses.replace(self, forecast=dataclasses.replace(self.forecast, steps=steps))


def site_conditions(site: SiteConfig, forecast: SiteForecastSeries, seed: int) -> SiteConditions:
    """Seeded actual PV and base load around ``forecast`` (see the module docstring)."""
    rng = np.random.default_rng(seed)
    clouds = cloud_factor(rng, forecast.start_utc, forecast.n_steps, site.site.location.timezone)
    noise = base_load_noise(rng, forecast.n_steps)
    return SiteConditions(
        forecast=forecast,
        # the forecast's PV already carries the climatological clouds: the seeded ones act on clear sky
        pv_kw=forecast.clear_sky_pv_kw * clouds,
        base_load_kw=forecast.base_load_kw * (1.0 + noise),
        planning=site.planning,
    )
