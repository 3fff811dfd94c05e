"""The forecast a control loop gets on a site with PV and building meters, from the plant's actuals.

The control loop samples its site meter every minute (:class:`fleet.site_monitor.SiteMonitor`),
keeps 15-minute means in the store and hands the latest ones to the forecasters
(:class:`fleet.site_history.SiteHistory`): PV is anchored on the clear-sky index measured over the
last hour, base load on the latest measured quarter hour, each anomaly fading with its forecaster's
time constant. Here the measurements are the plant's actual PV and base load of the steps before
``now`` (never the step that starts at ``now``), and the forecast is :func:`fleet.site_forecast.forecast_site`
itself. The learned models stay the forecasters' priors, as the benchmark's site has no past.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import numpy.typing as npt
import pandas as pd

from benchmarks.milan.conditions import STEP_MIN, SiteConditions
from fleet.forecast_inputs import forecast_inputs
from fleet.site_config import SiteConfig
from fleet.site_forecast import SiteForecast, forecast_site
from fleet.site_history import MEASUREMENT_STEP, RECENT_WINDOW, SiteHistory
from forecasts import SESSION_COLUMNS, fit_base_load_profile, fit_pv_forecast_model

RECENT_STEPS = int(RECENT_WINDOW.total_seconds() // (STEP_MIN * 60))
"""The measurements the forecasters look back on: the control loop's recent window, in plant steps."""


class MeteredForecasts:
    """``site_forecast(now, horizon_h)`` as the control loop computes it with the site's meters read."""

    def __init__(self, site: SiteConfig, conditions: SiteConditions) -> None:
        self._site = site
        self._conditions = conditions
        inputs = forecast_inputs(site)
        start = conditions.forecast.start_utc
        self._pv_model = fit_pv_forecast_model(inputs.pv_arrays, inputs.location, None, now=start)
        self._load_profile = fit_base_load_profile(None, now=start, location=inputs.location)
        self._step_starts = pd.date_range(start, periods=conditions.n_steps, freq=f"{STEP_MIN}min")
        self._sessions = pd.DataFrame(columns=list(SESSION_COLUMNS))

    def site_forecast(self, now: datetime, horizon_h: float) -> SiteForecast:
        step = self._conditions.step_of(now)
        first = max(0, step - RECENT_STEPS)
        history = SiteHistory(
            loaded_at=now,
            sessions=self._sessions,
            pv_kw=self._measured(self._conditions.pv_kw, first, step),
            base_load_kw=self._measured(self._conditions.base_load_kw, first, step),
            pv_model=self._pv_model,
            load_profile=self._load_profile,
        )
        return forecast_site(self._site, now, horizon_h, history=history)

    def _measured(self, actual_kw: npt.NDArray[np.float64], first: int, step: int) -> pd.Series | None:
        """15-minute means of the steps ``[first, step)``, as the store keeps them (the last may be partial)."""
        if step <= first:
            return None
        series = pd.Series(actual_kw[first:step], index=self._step_starts[first:step], dtype=np.float64)
        return series.resample(MEASUREMENT_STEP).mean().dropna()
