"""Back-tests of the vehicle forecasts on a session history, against climatology and persistence.

Two questions, asked on held-out days with a rolling origin (each test day is forecast from what
was known at its start, or at each plug-in, and then becomes history for the next):

* **arrivals per hour**: at local midnight, the expected arrivals of each class in each of the next
  24 one-hour slots (:func:`forecasts.expected_arrivals`). Climatology is the mean count of that
  local hour over the training days (no kind of day); persistence is the count of the same local
  hour on the same weekday a week earlier.
* **energy and departure per session**: at plug-in, the expected energy and the median departure
  (:func:`forecasts.estimate_departure_and_need`). Climatology is the mean energy and mean stay of
  the class's sessions that arrived in the same local hour in the training window (all of them when
  none did); persistence is the energy and stay of the class's last session to finish.

Units: arrivals [-], energy [kWh], departure as hours after the plug-in [h].
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasts import SiteLocation, estimate_departure_and_need, expected_arrivals, slot_grid

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class BacktestSite:
    """Where the sessions were recorded and how much history each forecast may use."""

    location: SiteLocation
    holiday_country: str
    lookback_days: int


@dataclass(frozen=True)
class Backtest:
    """The truth, the forecast and both baselines on the same targets, and the forecast's quantiles.

    Attributes
    ----------
    truth, model, climatology, persistence
        One value per target, in the target's unit.
    quantiles
        P10, P50 and P90 of the forecast, when it has them.
    """

    truth: FloatArray
    model: FloatArray
    climatology: FloatArray
    persistence: FloatArray
    quantiles: tuple[FloatArray, FloatArray, FloatArray] | None


def local_midnight(day: date, timezone: str) -> pd.Timestamp:
    """Start of a local calendar day, in UTC."""
    return pd.Timestamp(day).tz_localize(timezone).tz_convert("UTC")


def _counts(arrivals_ns: npt.NDArray[np.int64], starts: pd.DatetimeIndex, ends: pd.DatetimeIndex) -> FloatArray:
    first = np.searchsorted(arrivals_ns, starts.as_unit("ns").asi8, side="left")
    last = np.searchsorted(arrivals_ns, ends.as_unit("ns").asi8, side="left")
    return (last - first).astype(np.float64)


def backtest_arrivals(
    sessions: pd.DataFrame,
    test_days: Sequence[date],
    site: BacktestSite,
    *,
    classes: Sequence[str],
    fleet_sizes: dict[str, int] | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Backtest]:
    """Hourly arrival counts of each test day, forecast at its local midnight, per class."""
    location, lookback_days = site.location, site.lookback_days
    timezone = location.timezone
    history_start = local_midnight(sessions["arrived_at"].min().tz_convert(timezone).date(), timezone)
    arrivals_ns = {
        c: np.sort(
            sessions.loc[sessions["vehicle_class"] == c, "arrived_at"].dt.as_unit("ns").astype(np.int64).to_numpy()
        )
        for c in classes
    }
    parts: dict[str, dict[str, list[FloatArray]]] = {
        c: {"truth": [], "model": [], "clim": [], "pers": []} for c in classes
    }
    for position, day in enumerate(test_days):
        progress(f"arrivals: day {position + 1}/{len(test_days)} ({day.isoformat()})")
        now = local_midnight(day, timezone)
        starts, ends = slot_grid(now.to_pydatetime(), horizon_h=24.0, slot_min=60)
        present_rows = sessions.loc[
            (sessions["arrived_at"] < now) & ~(sessions["departed_at"] <= now) & sessions["vehicle_class"].isin(classes)
        ]
        forecast = expected_arrivals(
            sessions,
            starts,
            ends,
            now=now.to_pydatetime(),
            location=location,
            classes=classes,
            fleet_sizes=fleet_sizes,
            present_vehicles=dict(zip(present_rows["vehicle_id"], present_rows["vehicle_class"], strict=True)),
            holiday_country=site.holiday_country,
            lookback_days=lookback_days,
        )
        train_start = max(history_start, local_midnight(day - pd.Timedelta(days=lookback_days), timezone))
        n_train_days = round((now - train_start).total_seconds() / 86400.0)
        local_hours = starts.tz_convert(timezone).hour.to_numpy()
        week_before = (starts.tz_convert(timezone) - pd.DateOffset(days=7)).tz_convert("UTC")
        week_before_ends = (ends.tz_convert(timezone) - pd.DateOffset(days=7)).tz_convert("UTC")
        for vehicle_class in classes:
            stamps = arrivals_ns[vehicle_class]
            actual = _counts(stamps, starts, ends)
            train = stamps[(stamps >= train_start.value) & (stamps < now.value)]
            train_hours = pd.DatetimeIndex(pd.to_datetime(train, utc=True)).tz_convert(timezone).hour.to_numpy()
            per_hour = np.bincount(train_hours, minlength=24) / max(n_train_days, 1)
            model = forecast.xs(vehicle_class, level="vehicle_class")["expected_arrivals"].to_numpy()
            parts[vehicle_class]["truth"].append(actual)
            parts[vehicle_class]["model"].append(model)
            parts[vehicle_class]["clim"].append(per_hour[local_hours])
            parts[vehicle_class]["pers"].append(
                _counts(stamps, pd.DatetimeIndex(week_before), pd.DatetimeIndex(week_before_ends))
            )
    return {
        c: Backtest(
            truth=np.concatenate(p["truth"]),
            model=np.concatenate(p["model"]),
            climatology=np.concatenate(p["clim"]),
            persistence=np.concatenate(p["pers"]),
            quantiles=None,
        )
        for c, p in parts.items()
    }


@dataclass(frozen=True)
class SessionBacktest:
    """Per-session back-test of one class: energy [kWh] and departure [h] errors."""

    energy: Backtest
    departure: Backtest


def backtest_sessions(
    sessions: pd.DataFrame,
    test_days: Sequence[date],
    site: BacktestSite,
    *,
    vehicle_class: str,
    progress: Callable[[str], None] = lambda _: None,
) -> SessionBacktest:
    """Energy and departure of every session of the class that arrived on a test day, at plug-in."""
    timezone = site.location.timezone
    ordered = sessions.sort_values("arrived_at").reset_index(drop=True)
    arrived = pd.DatetimeIndex(ordered["arrived_at"])
    arrived_ns = arrived.as_unit("ns").asi8
    energies = ordered["energy_kwh"].to_numpy(dtype=np.float64)
    vehicle_ids = ordered["vehicle_id"].astype(str).to_numpy()
    stay_h = ((ordered["departed_at"] - ordered["arrived_at"]).dt.total_seconds() / 3600.0).to_numpy()
    local_hour = ordered["arrived_at"].dt.tz_convert(timezone).dt.hour.to_numpy()
    of_class = (ordered["vehicle_class"] == vehicle_class).to_numpy()
    first = local_midnight(min(test_days), timezone).value
    last = local_midnight(max(test_days) + pd.Timedelta(days=1), timezone).value
    test_rows = np.flatnonzero(of_class & (arrived_ns >= first) & (arrived_ns < last) & ordered["departed_at"].notna())
    lookback_ns = pd.Timedelta(days=site.lookback_days).value
    departed_ns = ordered["departed_at"].dt.as_unit("ns").astype(np.int64).to_numpy()

    rows: dict[str, list[float]] = {k: [] for k in ("energy", "stay", "e_model", "e_clim", "e_pers")}
    rows.update({k: [] for k in ("d_model", "d_clim", "d_pers", "e10", "e50", "e90", "d10", "d50", "d90")})
    for count, i in enumerate(test_rows):
        if count % 200 == 0:
            progress(f"sessions ({vehicle_class}): {count + 1}/{len(test_rows)}")
        now_ns = int(arrived_ns[i])
        window = slice(int(np.searchsorted(arrived_ns, now_ns - lookback_ns)), int(np.searchsorted(arrived_ns, now_ns)))
        now = arrived[int(i)].to_pydatetime()
        estimate = estimate_departure_and_need(
            ordered.iloc[window],
            vehicle_id=str(vehicle_ids[i]),
            vehicle_class=vehicle_class,
            arrived_at=now,
            now=now,
            location=site.location,
            holiday_country=site.holiday_country,
            lookback_days=site.lookback_days,
        )
        known = np.arange(window.start, window.stop)
        known = known[of_class[known] & (departed_ns[known] <= now_ns)]
        same_hour = known[local_hour[known] == local_hour[i]]
        reference = same_hour if len(same_hour) else known
        latest = known[np.argmax(departed_ns[known])] if len(known) else None
        energy, stay = float(energies[i]), float(stay_h[i])
        to_h = 1.0 / 3600.0
        rows["energy"].append(energy)
        rows["stay"].append(stay)
        rows["e_model"].append(estimate.energy_needed_kwh)
        rows["d_model"].append((estimate.departure_utc - now).total_seconds() * to_h)
        rows["e10"].append(estimate.energy_p10_kwh)
        rows["e50"].append(estimate.energy_p50_kwh)
        rows["e90"].append(estimate.energy_p90_kwh)
        for key, when in (("d10", estimate.departure_p10_utc), ("d50", estimate.departure_utc)):
            rows[key].append((when - now).total_seconds() * to_h)
        rows["d90"].append((estimate.departure_p90_utc - now).total_seconds() * to_h)
        has_reference = len(reference) > 0
        rows["e_clim"].append(float(energies[reference].mean()) if has_reference else np.nan)
        rows["d_clim"].append(float(stay_h[reference].mean()) if has_reference else np.nan)
        rows["e_pers"].append(float(energies[latest]) if latest is not None else np.nan)
        rows["d_pers"].append(float(stay_h[latest]) if latest is not None else np.nan)

    data = {k: np.asarray(v, dtype=np.float64) for k, v in rows.items()}
    # A session with no earlier finished session of its class has no baseline: leave it out of all three.
    scored = ~(np.isnan(data["e_clim"]) | np.isnan(data["e_pers"]))
    d = {k: v[scored] for k, v in data.items()}
    return SessionBacktest(
        energy=Backtest(
            truth=d["energy"],
            model=d["e_model"],
            climatology=d["e_clim"],
            persistence=d["e_pers"],
            quantiles=(d["e10"], d["e50"], d["e90"]),
        ),
        departure=Backtest(
            truth=d["stay"],
            model=d["d_model"],
            climatology=d["d_clim"],
            persistence=d["d_pers"],
            quantiles=(d["d10"], d["d50"], d["d90"]),
        ),
    )
