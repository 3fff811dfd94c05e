"""When a plugged-in vehicle without a booking will leave, and how much energy it will take.

Method
------
The estimate comes from past sessions that resemble this one: an arrival within ``window_h`` of
the same local time of day (on a circular clock), and still plugged in after as long as this one
has been (a session that has lasted 3 h is not one of the 1-hour ones). They are grouped in levels,
from the most general to the most specific:

0. the class defaults of :mod:`forecasts.vehicle_defaults`,
1. the class's sessions on any day, 2. the class's sessions on the same kind of day,
3. the vehicle's sessions on any day, 4. the vehicle's sessions on the same kind of day.

Each level's statistics are P10 / P50 / P90 of the stay [h] (added to the arrival time) and of the
session energy [kWh], and the mean energy. Going down the list, a level with ``n >= 2`` sessions
replaces the estimate so far by ``w * its statistics + (1 - w) * estimate`` with
``w = n / (n + PRIOR_SESSIONS)``, quantile by quantile: a vehicle with a long record is forecast from
it, one with three sessions mostly from its class, a new class from the defaults. ``confidence`` is
the weight left to history, ``1 - prod(1 - w)`` (0 for the defaults alone), and ``source`` names the
most specific level with at least ``min_sessions`` sessions.

With ``n`` sessions the empirical spread understates the spread of the next session, so each
level's P10 and P90 offsets from its median are widened by ``t(n - 1) / z * sqrt(1 + 1 / n)``, the
ratio of a normal prediction interval from ``n`` samples to the population interval (``t`` by the
Cornish-Fisher expansion): more history, a narrower spread. The point estimate of the energy is the
mean, so that the needs of many vehicles add up to the expected total; that of the departure is the
median, which multi-day stays do not drag.

The energy is what the session still has to deliver: the history quantiles minus
``delivered_kwh``, capped by the room left in the battery when the state of charge is known.
Departures are never before ``now``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasts.day_calendar import check_holiday_country, day_kinds_in, local_hours_of_day
from forecasts.errors import ForecastInputError
from forecasts.sessions import check_now, check_sessions
from forecasts.site import SiteLocation
from forecasts.vehicle_defaults import ClassDefaults, class_defaults

PRIOR_SESSIONS = 10.0
_Z90 = 1.2815515655446004
_QUANTILES = (0.1, 0.5, 0.9)

Source = Literal["vehicle", "class", "default"]


@dataclass(frozen=True, slots=True)
class DepartureEstimate:
    """Departure time and energy need of a plugged-in vehicle, with their spread.

    Attributes
    ----------
    departure_utc
        Median (P50) departure (UTC), never before the ``now`` of the estimate.
    departure_p10_utc, departure_p90_utc
        10 % of such vehicles leave before ``departure_p10_utc``, 90 % before ``departure_p90_utc``.
    energy_needed_kwh
        Expected (mean) energy still to deliver before the departure [kWh].
    energy_p10_kwh, energy_p50_kwh, energy_p90_kwh
        P10, P50 and P90 of that energy [kWh].
    confidence
        Weight the P50 deserves, in [0, 1]: 0 for defaults, towards 1 with many similar sessions.
    source
        ``"vehicle"``, ``"class"`` or ``"default"``: whose history the estimate comes from.
    n_sessions
        Number of past sessions behind it (0 for defaults).
    """

    departure_utc: datetime
    departure_p10_utc: datetime
    departure_p90_utc: datetime
    energy_needed_kwh: float
    energy_p10_kwh: float
    energy_p50_kwh: float
    energy_p90_kwh: float
    confidence: float
    source: Source
    n_sessions: int


def estimate_departure_and_need(
    history_sessions: pd.DataFrame | PastSessions,
    *,
    vehicle_id: str,
    vehicle_class: str,
    arrived_at: datetime,
    now: datetime,
    location: SiteLocation,
    soc_percent: float | None = None,
    battery_kwh: float | None = None,
    delivered_kwh: float = 0.0,
    holiday_country: str = "IT",
    window_h: float = 1.0,
    min_sessions: int = 5,
    lookback_days: int = 56,
) -> DepartureEstimate:
    """Estimate when a plugged-in vehicle leaves and how much energy it still needs.

    Parameters
    ----------
    history_sessions
        Past sessions (columns in :mod:`forecasts.sessions`); only those finished by ``now`` are used.
        Or the same read once by ``past_sessions`` for this ``now``, place, calendar and lookback
        (for many vehicles at once: the result is the same).
    vehicle_id, vehicle_class
        The vehicle and its class (``"car"``, ``"van"``, ...).
    arrived_at
        When it plugged in (timezone-aware), not after ``now``.
    now
        Time of the estimate (timezone-aware).
    location
        The site; its time zone gives the local clock.
    soc_percent
        Current state of charge [%], in [0, 100], if the vehicle reports it.
    battery_kwh
        Usable battery capacity [kWh], > 0; with ``soc_percent`` it caps the energy.
    delivered_kwh
        Energy already delivered in this session [kWh], >= 0.
    holiday_country
        Calendar of public holidays (ISO 3166 code).
    window_h
        Half-width of the arrival time-of-day window of similar sessions [h], in (0, 12].
    min_sessions
        Fewest similar sessions a level needs to be used, >= 2.
    lookback_days
        Days of history to use [d], >= 1.

    Returns
    -------
    DepartureEstimate
        P10 <= P50 <= P90 for both the departure and the energy.
    """
    now_utc = check_now(now)
    arrival = check_now(arrived_at, "arrived_at")
    if arrival > now_utc:
        raise ForecastInputError(f"arrived_at: {arrival} is after now {now_utc}")
    room_kwh = _room_kwh(soc_percent, battery_kwh)
    if not math.isfinite(delivered_kwh) or delivered_kwh < 0:
        raise ForecastInputError(f"delivered_kwh: must be finite and >= 0, got {delivered_kwh!r}")
    if not math.isfinite(window_h) or not 0 < window_h <= 12:
        raise ForecastInputError(f"window_h: must be in (0, 12], got {window_h!r}")
    if isinstance(min_sessions, bool) or not isinstance(min_sessions, int) or min_sessions < 2:
        raise ForecastInputError(f"min_sessions: must be an int >= 2, got {min_sessions!r}")
    if isinstance(lookback_days, bool) or not isinstance(lookback_days, int) or lookback_days < 1:
        raise ForecastInputError(f"lookback_days: must be an int >= 1, got {lookback_days!r}")
    for field_name, text in (("vehicle_id", vehicle_id), ("vehicle_class", vehicle_class)):
        if not isinstance(text, str) or not text:
            raise ForecastInputError(f"{field_name}: must be a non-empty string, got {text!r}")
    check_holiday_country(holiday_country)

    if isinstance(history_sessions, PastSessions):
        past = history_sessions
        if (past.now, past.timezone, past.holiday_country, past.lookback_days) != (
            now_utc,
            location.timezone,
            holiday_country,
            lookback_days,
        ):
            raise ForecastInputError("history_sessions: prepared for another time, place, calendar or lookback")
    else:
        past = past_sessions(history_sessions, now_utc, location, holiday_country, lookback_days)
    elapsed_h = (now_utc - arrival).total_seconds() / 3600.0
    similar = _similar_sessions(past, arrival, window_h)
    similar = similar.loc[similar["stay_h"] > elapsed_h]
    same_kind = similar["same_kind"]
    levels: tuple[tuple[Source, pd.Series], ...] = (
        ("vehicle", (similar["vehicle_id"] == vehicle_id) & same_kind),
        ("vehicle", similar["vehicle_id"] == vehicle_id),
        ("class", (similar["vehicle_class"] == vehicle_class) & same_kind),
        ("class", similar["vehicle_class"] == vehicle_class),
    )
    # From the broadest level to the most specific, each level's statistics are blended with those
    # of the levels above it, weighted by its number of sessions against PRIOR_SESSIONS.
    stats = _default_stats(class_defaults(vehicle_class), arrival, now_utc, location.timezone)
    default_weight = 1.0
    source: Source = "default"
    n_sessions = 0
    for level_source, chosen in reversed(levels):
        picked = similar.loc[chosen]
        n = len(picked)
        if n < 2:
            continue
        weight = n / (n + PRIOR_SESSIONS)
        stats = _blend(_history_stats(picked), stats, weight)
        default_weight *= 1.0 - weight
        if n >= min_sessions:
            source, n_sessions = level_source, n
    return _estimate(stats, arrival, now_utc, delivered_kwh, room_kwh, 1.0 - default_weight, source, n_sessions)


def _room_kwh(soc_percent: float | None, battery_kwh: float | None) -> float | None:
    if soc_percent is None and battery_kwh is None:
        return None
    if battery_kwh is not None and (not math.isfinite(battery_kwh) or battery_kwh <= 0):
        raise ForecastInputError(f"battery_kwh: must be finite and > 0, got {battery_kwh!r}")
    if soc_percent is not None and (not math.isfinite(soc_percent) or not 0 <= soc_percent <= 100):
        raise ForecastInputError(f"soc_percent: must be in [0, 100], got {soc_percent!r}")
    if soc_percent is None or battery_kwh is None:
        return None
    return (1.0 - soc_percent / 100.0) * battery_kwh


@dataclass(frozen=True)
class PastSessions:
    """The finished sessions of the lookback window, read once for every vehicle of one plan.

    Validating the history and placing each session on the local clock and calendar costs the same
    for every vehicle: ``estimate_departure_and_need`` given one of these skips that work, which at
    hundreds of plugged vehicles is most of a plan's time.
    """

    now: pd.Timestamp
    timezone: str
    holiday_country: str
    lookback_days: int
    vehicle_id: np.ndarray
    vehicle_class: np.ndarray
    local_hour: np.ndarray
    day_kind: np.ndarray
    stay_h: np.ndarray
    energy_kwh: np.ndarray


def past_sessions(
    history_sessions: pd.DataFrame,
    now: datetime,
    location: SiteLocation,
    holiday_country: str = "IT",
    lookback_days: int = 56,
) -> PastSessions:
    """The sessions finished by ``now`` that arrived within ``lookback_days`` [d] of it, on the
    site's local clock and calendar, for ``estimate_departure_and_need``."""
    now_utc = check_now(now)
    check_holiday_country(holiday_country)
    if isinstance(lookback_days, bool) or not isinstance(lookback_days, int) or lookback_days < 1:
        raise ForecastInputError(f"lookback_days: must be an int >= 1, got {lookback_days!r}")
    sessions = check_sessions(history_sessions)
    done = sessions.loc[
        sessions["departed_at"].notna()
        & (sessions["departed_at"] <= now_utc)
        & (sessions["arrived_at"] >= now_utc - pd.Timedelta(days=lookback_days))
    ]
    local = pd.DatetimeIndex(done["arrived_at"]).tz_convert(location.timezone)
    return PastSessions(
        now=now_utc,
        timezone=location.timezone,
        holiday_country=holiday_country,
        lookback_days=lookback_days,
        vehicle_id=done["vehicle_id"].to_numpy(),
        vehicle_class=done["vehicle_class"].to_numpy(),
        local_hour=np.asarray(local_hours_of_day(local)),
        day_kind=np.asarray(day_kinds_in(local, holiday_country)),
        stay_h=(done["departed_at"] - done["arrived_at"]).dt.total_seconds().to_numpy() / 3600.0,
        energy_kwh=done["energy_kwh"].to_numpy(),
    )


def _similar_sessions(past: PastSessions, arrival: pd.Timestamp, window_h: float) -> pd.DataFrame:
    """Finished sessions of the lookback window arriving near the same local time of day."""
    here = pd.DatetimeIndex([arrival]).tz_convert(past.timezone)
    gap_h = np.abs(past.local_hour - local_hours_of_day(here)[0])
    near = np.minimum(gap_h, 24.0 - gap_h) <= window_h
    same_kind = past.day_kind == day_kinds_in(here, past.holiday_country)[0]
    frame = pd.DataFrame(
        {
            "vehicle_id": past.vehicle_id,
            "vehicle_class": past.vehicle_class,
            "same_kind": same_kind,
            "stay_h": past.stay_h,
            "energy_kwh": past.energy_kwh,
        }
    )
    similar: pd.DataFrame = frame.loc[near]
    return similar


def small_sample_widening(n: int) -> float:
    """Factor widening empirical P10/P90 offsets from ``n`` samples to a prediction interval [-]."""
    if n < 2:
        raise ForecastInputError(f"n: need at least 2 samples, got {n}")
    dof = n - 1
    z = _Z90
    # Cornish-Fisher expansion of the Student-t quantile; within 1 % of the exact value from dof 3.
    t = z + (z**3 + z) / (4 * dof) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * dof**2)
    return t / z * math.sqrt(1.0 + 1.0 / n)


def _widened_quantiles(values: npt.NDArray[np.float64]) -> tuple[float, float, float]:
    p10, p50, p90 = (float(q) for q in np.quantile(values, _QUANTILES))
    factor = small_sample_widening(len(values))
    return p50 - (p50 - p10) * factor, p50, p50 + (p90 - p50) * factor


def _energy_left(energies: tuple[float, ...], delivered_kwh: float, room_kwh: float | None) -> list[float]:
    left = [max(0.0, q - delivered_kwh) for q in energies]
    return left if room_kwh is None else [min(q, room_kwh) for q in left]


@dataclass(frozen=True, slots=True)
class _Stats:
    """P10 / P50 / P90 of the stay [h after arrival] and of the energy [kWh], and the mean energy."""

    stay_h: tuple[float, float, float]
    energy_kwh: tuple[float, float, float]
    mean_energy_kwh: float


def _history_stats(picked: pd.DataFrame) -> _Stats:
    energies = picked["energy_kwh"].to_numpy(dtype=np.float64)
    return _Stats(
        stay_h=_widened_quantiles(picked["stay_h"].to_numpy(dtype=np.float64)),
        energy_kwh=_widened_quantiles(energies),
        mean_energy_kwh=float(energies.mean()),
    )


def _blend(specific: _Stats, general: _Stats, weight: float) -> _Stats:
    """Quantile by quantile, ``weight`` of ``specific`` and the rest of ``general``."""

    def mix(a: tuple[float, float, float], b: tuple[float, float, float]) -> tuple[float, float, float]:
        return (
            weight * a[0] + (1 - weight) * b[0],
            weight * a[1] + (1 - weight) * b[1],
            weight * a[2] + (1 - weight) * b[2],
        )

    return _Stats(
        stay_h=mix(specific.stay_h, general.stay_h),
        energy_kwh=mix(specific.energy_kwh, general.energy_kwh),
        mean_energy_kwh=weight * specific.mean_energy_kwh + (1 - weight) * general.mean_energy_kwh,
    )


def _estimate(
    stats: _Stats,
    arrival: pd.Timestamp,
    now: pd.Timestamp,
    delivered_kwh: float,
    room_kwh: float | None,
    confidence: float,
    source: Source,
    n_sessions: int,
) -> DepartureEstimate:
    departures = [max(now, arrival + pd.Timedelta(hours=h)).round("us").to_pydatetime() for h in stats.stay_h]
    energy = _energy_left((*stats.energy_kwh, stats.mean_energy_kwh), delivered_kwh, room_kwh)
    return DepartureEstimate(
        departure_utc=departures[1],
        departure_p10_utc=departures[0],
        departure_p90_utc=departures[2],
        energy_needed_kwh=energy[3],
        energy_p10_kwh=energy[0],
        energy_p50_kwh=energy[1],
        energy_p90_kwh=energy[2],
        confidence=confidence,
        source=source,
        n_sessions=n_sessions,
    )


def _next_local(after: pd.Timestamp, hour: float, timezone: str) -> pd.Timestamp:
    """First local wall-clock time ``hour`` strictly after ``after`` (UTC)."""
    local = after.tz_convert(timezone)
    day = pd.Timestamp(local.date())
    for offset in (0, 1, 2):
        naive = day + pd.Timedelta(days=offset) + pd.Timedelta(hours=hour)
        candidate = naive.tz_localize(timezone, nonexistent="shift_forward", ambiguous=True).tz_convert("UTC")
        if candidate > after:
            return candidate
    raise AssertionError("a wall-clock time recurs within two days")


def _default_stats(defaults: ClassDefaults, arrival: pd.Timestamp, now: pd.Timestamp, timezone: str) -> _Stats:
    if defaults.departure_window_local is None:
        stay_h = defaults.stay_h
    else:
        earliest, latest = (t.hour + t.minute / 60.0 for t in defaults.departure_window_local)
        # The round this vehicle will go on is the first one whose window has not closed yet.
        close = _next_local(now, latest, timezone)
        window = [max(now, close - timedelta(hours=latest - h)) for h in (earliest, (earliest + latest) / 2, latest)]
        after_h = [(d - arrival).total_seconds() / 3600.0 for d in window]
        stay_h = (after_h[0], after_h[1], after_h[2])
    return _Stats(stay_h=stay_h, energy_kwh=defaults.energy_kwh, mean_energy_kwh=defaults.energy_kwh[1])
