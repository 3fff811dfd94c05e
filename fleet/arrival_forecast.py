"""Expected arrivals over the horizon, per vehicle class and hour, from the site's past sessions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

import pandas as pd

from fleet.forecast_inputs import forecast_inputs
from fleet.planning import ExpectedArrivals, PluggedVehicle
from fleet.site_config import SiteConfig
from fleet.site_forecast import SiteForecast
from forecasts import expected_arrivals


def expected_arrivals_by_hour(
    site: SiteConfig,
    sessions: pd.DataFrame,
    forecast: SiteForecast,
    plugged: Sequence[PluggedVehicle],
    now: datetime,
) -> list[ExpectedArrivals]:
    """Arrivals expected in each hour of the horizon, for each class, less the vehicles already here,
    learnt from the site's finished ``sessions`` (columns ``forecasts.SESSION_COLUMNS``)."""
    starts = pd.DatetimeIndex(forecast.slot_starts)
    ends = starts + pd.to_timedelta(forecast.slot_duration_h, unit="h")
    classes = {v.id: v.vehicle_class for v in site.vehicles}
    frame = expected_arrivals(
        sessions,
        starts,
        ends,
        now=now,
        location=forecast_inputs(site).location,
        classes=sorted(set(classes.values())),
        fleet_sizes=dict(Counter(classes.values())),
        present_vehicles={p.vehicle_id: classes[p.vehicle_id] for p in plugged if p.vehicle_id in classes},
    )
    if frame.empty:
        return []
    frame = frame.reset_index()
    frame["hour"] = pd.DatetimeIndex(frame["slot_start_utc"]).floor("h")
    frame["energy_kwh"] = frame["expected_arrivals"] * frame["energy_per_arrival_kwh"]
    frame["stay_weighted_h"] = frame["expected_arrivals"] * frame["typical_stay_h"]
    hourly = (
        frame.groupby(["hour", "vehicle_class"])[["expected_arrivals", "energy_kwh", "stay_weighted_h"]]
        .sum()
        .reset_index()
    )
    hourly = hourly[hourly["expected_arrivals"] > 0]
    return [
        ExpectedArrivals(
            vehicle_class=str(vehicle_class),
            # Within the hour, arrivals are spread: plan them from its middle, but not before now.
            arrive_utc=max(hour.to_pydatetime() + timedelta(minutes=30), now),
            vehicles=float(count),
            energy_per_vehicle_kwh=float(energy_kwh) / float(count),
            stay_h=float(stay_h) / float(count),
        )
        for hour, vehicle_class, count, energy_kwh, stay_h in zip(
            pd.DatetimeIndex(hourly["hour"]),
            hourly["vehicle_class"],
            hourly["expected_arrivals"],
            hourly["energy_kwh"],
            hourly["stay_weighted_h"],
            strict=True,
        )
    ]
