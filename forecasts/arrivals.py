"""Expected arrivals per slot and vehicle class, learned from the history of charging sessions.

Method
------
Everything is read on the site's local wall clock, per kind of day ``k`` (working day, Saturday,
Sunday or public holiday on the ``holiday_country`` calendar) and time-of-day bin ``b`` of
``bin_min`` minutes. The training data are the complete local days in the ``lookback_days`` before
the day of ``now`` (today's partial day is left out, so a forecast never sees its own target).
Hours are counted in 5-minute steps of real time, which keeps daylight-saving days right: the
23-hour day adds nothing to its skipped bins and the 25-hour day counts its repeated hour twice.

For each class and each ``(k, b)`` the history gives the arrivals ``A`` and departures ``D`` counted
and the hours observed ``H``. Each kind of day's sums get ``prior_days`` pseudo-days of the average
day of all kinds added, so a kind seen on few days (holidays, the first weeks of data) leans on the
pooled profile instead of on a handful of days.

* **Open population** (no fleet size for the class: a public or workplace site): arrivals form a
  Poisson process of rate ``lambda[k, b] = A / H`` [1/h], and a slot's expectation is its integral
  over the part of the slot after ``now``.
* **Finite fleet** (``fleet_sizes`` gives the class's ``N`` vehicles): only vehicles that are not
  plugged in can arrive. With departures counted the same way (``delta[k, b] = D / H``), the
  cumulative expected arrivals and departures from ``now`` are stepped forward in 5-minute steps
  and each is capped by what the other allows::

      A(t + dt) = min(A(t) + lambda dt, (N - plugged_now) + D(t))
      D(t + dt) = min(D(t) + delta dt, plugged_now + A(t + dt))

  where ``plugged_now`` counts the class's ``present_vehicles``. When the fleet is in its usual
  state the caps do not bind and the forecast is the open-population one; a van that is still
  plugged in at 10:00 cannot come back in the afternoon (10 vans, 2 at the hub: at most 8 return
  before the next morning's departures), and once the vans that were out are back no more are
  expected.

Each slot also gets the mean energy per session and the median stay of the class's past sessions
that arrived in the slot midpoint's ``(k, b)``; with fewer than ``MIN_GROUP_SESSIONS`` of them the
same bin on any kind of day, then the whole class, then the class defaults
(:mod:`forecasts.vehicle_defaults`) are used.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasts.day_calendar import check_bin_min, check_holiday_country, day_kinds_in, time_of_day_bins
from forecasts.errors import ForecastInputError
from forecasts.sessions import check_now, check_sessions, known_at
from forecasts.site import SiteLocation
from forecasts.slots import check_slot_grid
from forecasts.vehicle_defaults import class_defaults

STEP_NS = 5 * 60 * 1_000_000_000
STEP_H = 5 / 60
N_DAY_KINDS = 3
MIN_GROUP_SESSIONS = 5
_NS_PER_H = 3600 * 1_000_000_000

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class _Clock:
    """How instants map to the (kind of day, time-of-day bin) cells the rates are learned on."""

    timezone: str
    holiday_country: str
    bin_min: int

    @property
    def bins_per_day(self) -> int:
        return 24 * 60 // self.bin_min

    @property
    def n_cells(self) -> int:
        return N_DAY_KINDS * self.bins_per_day

    def cells(self, times_utc: pd.DatetimeIndex) -> IntArray:
        """Flat cell of each instant: ``kind * bins_per_day + bin``."""
        local = times_utc.tz_convert(self.timezone)
        kinds = day_kinds_in(local, self.holiday_country).astype(np.int64)
        return kinds * self.bins_per_day + time_of_day_bins(local, self.bin_min)


@dataclass(frozen=True, slots=True)
class _Window:
    """The training days in 5-minute steps: each step's cell, and the number of days of each kind."""

    start: pd.Timestamp
    end: pd.Timestamp
    step_cell: IntArray
    n_days_by_kind: FloatArray


@dataclass(frozen=True, slots=True)
class _ClassRates:
    """Arrivals and departures of one class per cell [1/h]."""

    arrivals_per_h: FloatArray
    departures_per_h: FloatArray


def expected_arrivals(
    history_sessions: pd.DataFrame,
    slot_starts: pd.DatetimeIndex,
    slot_ends: pd.DatetimeIndex,
    *,
    now: datetime,
    location: SiteLocation,
    classes: Sequence[str],
    fleet_sizes: Mapping[str, int] | None = None,
    present_vehicles: Mapping[str, str] | None = None,
    holiday_country: str = "IT",
    bin_min: int = 60,
    lookback_days: int = 56,
    prior_days: float = 1.0,
) -> pd.DataFrame:
    """Expected number of vehicle arrivals in each slot, per class, with energy and stay per arrival.

    Parameters
    ----------
    history_sessions
        Past sessions (columns in :mod:`forecasts.sessions`); only what was known at ``now`` is used.
    slot_starts, slot_ends
        The slot grid (timezone-aware, equal length).
    now
        Forecast time (timezone-aware); only the part of a slot after it can see arrivals.
    location
        The site; its time zone gives the local clock.
    classes
        Vehicle classes to forecast, e.g. ``("car", "van")``; other classes in the history are ignored.
    fleet_sizes
        Number of vehicles of each class for a closed fleet [-]; a class without an entry is an
        open population (anyone may arrive).
    present_vehicles
        Vehicle id -> class of the vehicles plugged in at ``now``; they count only for classes with
        a fleet size.
    holiday_country
        Calendar of public holidays (ISO 3166 code, e.g. ``"IT"``, ``"US"``).
    bin_min
        Width of the time-of-day bins [min], a multiple of 5 dividing 1440.
    lookback_days
        Days of history to learn from [d], >= 1.
    prior_days
        Weight of the all-days profile in each kind of day's rates [d], >= 0.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(slot_start_utc, vehicle_class)`` in slot order then ``classes`` order, with
        ``expected_arrivals`` [-], ``energy_per_arrival_kwh`` [kWh] and ``typical_stay_h`` [h].
    """
    check_slot_grid(slot_starts, slot_ends)
    now_utc = check_now(now)
    wanted = _check_classes(classes)
    sizes = _check_fleet_sizes(fleet_sizes, wanted)
    plugged_now = _plugged_counts(present_vehicles, sizes)
    check_holiday_country(holiday_country)
    check_bin_min(bin_min)
    if isinstance(lookback_days, bool) or not isinstance(lookback_days, int) or lookback_days < 1:
        raise ForecastInputError(f"lookback_days: must be an int >= 1, got {lookback_days!r}")
    if isinstance(prior_days, bool) or not isinstance(prior_days, int | float) or not math.isfinite(prior_days):
        raise ForecastInputError(f"prior_days: must be a finite number, got {prior_days!r}")
    if prior_days < 0:
        raise ForecastInputError(f"prior_days: must be >= 0, got {prior_days!r}")

    clock = _Clock(location.timezone, holiday_country, bin_min)
    sessions = known_at(check_sessions(history_sessions), now_utc)
    window = _training_window(sessions, now_utc, clock, lookback_days)
    bounds_ns, step_cells = _forecast_steps(now_utc, slot_ends, clock)
    step_h = np.diff(bounds_ns) / _NS_PER_H
    bound_offsets = (bounds_ns - bounds_ns[0]).astype(np.float64)
    start_offsets = (slot_starts.as_unit("ns").asi8 - bounds_ns[0]).astype(np.float64)
    end_offsets = (slot_ends.as_unit("ns").asi8 - bounds_ns[0]).astype(np.float64)
    mid_cells = clock.cells(pd.DatetimeIndex(slot_starts + (slot_ends - slot_starts) / 2))

    arrivals, energy, stay = [], [], []
    for vehicle_class in wanted:
        of_class = sessions.loc[sessions["vehicle_class"] == vehicle_class]
        size = sizes.get(vehicle_class)
        rates = _class_rates(of_class, window, clock, prior_days)
        per_step = _arrivals_per_step(rates, step_cells, step_h, size, plugged_now.get(vehicle_class, 0))
        cumulative = np.concatenate(([0.0], np.cumsum(per_step)))
        in_slot = np.interp(end_offsets, bound_offsets, cumulative) - np.interp(
            start_offsets, bound_offsets, cumulative
        )
        class_energy, class_stay = _per_arrival(of_class, window, clock, vehicle_class)
        arrivals.append(np.clip(in_slot, 0.0, None))
        energy.append(class_energy[mid_cells])
        stay.append(class_stay[mid_cells])

    index = pd.MultiIndex.from_product([slot_starts.rename("slot_start_utc"), pd.Index(wanted, name="vehicle_class")])
    return pd.DataFrame(
        {
            "expected_arrivals": np.column_stack(arrivals).ravel(),
            "energy_per_arrival_kwh": np.column_stack(energy).ravel(),
            "typical_stay_h": np.column_stack(stay).ravel(),
        },
        index=index,
    )


def _check_classes(classes: Sequence[str]) -> list[str]:
    if isinstance(classes, str) or not isinstance(classes, Sequence) or not classes:
        raise ForecastInputError(f"classes: must be a non-empty sequence of class names, got {classes!r}")
    wanted = list(classes)
    if any(not isinstance(c, str) or not c for c in wanted) or len(set(wanted)) != len(wanted):
        raise ForecastInputError(f"classes: must be distinct non-empty strings, got {wanted!r}")
    return wanted


def _check_fleet_sizes(fleet_sizes: Mapping[str, int] | None, wanted: Sequence[str]) -> dict[str, int]:
    sizes = dict(fleet_sizes or {})
    for vehicle_class, size in sizes.items():
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ForecastInputError(f"fleet_sizes: {vehicle_class!r} must have an int >= 1 vehicles, got {size!r}")
    return {c: sizes[c] for c in wanted if c in sizes}


def _plugged_counts(present: Mapping[str, str] | None, sizes: Mapping[str, int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for vehicle_id, vehicle_class in (present or {}).items():
        if not isinstance(vehicle_class, str):
            raise ForecastInputError(f"present_vehicles: class of {vehicle_id!r} must be a str, got {vehicle_class!r}")
        counts[vehicle_class] = counts.get(vehicle_class, 0) + 1
    for vehicle_class, size in sizes.items():
        if counts.get(vehicle_class, 0) > size:
            raise ForecastInputError(
                f"present_vehicles: {counts[vehicle_class]} vehicles of class {vehicle_class!r} plugged in, "
                f"more than its fleet size {size}"
            )
    return counts


def local_midnight_utc(instant: pd.Timestamp, timezone: str) -> pd.Timestamp:
    """Start of the local calendar day of ``instant`` (UTC), for zones where midnight may not exist too."""
    naive = pd.Timestamp(instant.tz_convert(timezone).date())
    return naive.tz_localize(timezone, nonexistent="shift_forward", ambiguous=True).tz_convert("UTC")


def _training_window(sessions: pd.DataFrame, now: pd.Timestamp, clock: _Clock, lookback_days: int) -> _Window:
    end = local_midnight_utc(now, clock.timezone)
    start = local_midnight_utc(now - pd.Timedelta(days=lookback_days), clock.timezone)
    if len(sessions):
        start = max(start, local_midnight_utc(sessions["arrived_at"].iloc[0], clock.timezone))
    start = min(start, end)
    n_steps = (end.value - start.value) // STEP_NS
    step_mid_ns = start.value + STEP_NS * np.arange(n_steps, dtype=np.int64) + STEP_NS // 2
    local = pd.DatetimeIndex(pd.to_datetime(step_mid_ns, unit="ns", utc=True)).tz_convert(clock.timezone)
    kinds = day_kinds_in(local, clock.holiday_country).astype(np.int64)
    n_days_by_kind = np.zeros(N_DAY_KINDS, dtype=np.float64)
    if n_steps:
        dates = np.asarray(local.tz_localize(None).values).astype("datetime64[D]").astype(np.int64)
        day_and_kind = np.unique(np.stack([dates, kinds]), axis=1)
        n_days_by_kind = np.bincount(day_and_kind[1], minlength=N_DAY_KINDS).astype(np.float64)
    step_cell = kinds * clock.bins_per_day + time_of_day_bins(local, clock.bin_min)
    return _Window(start, end, step_cell, n_days_by_kind)


def _forecast_steps(now: pd.Timestamp, slot_ends: pd.DatetimeIndex, clock: _Clock) -> tuple[IntArray, IntArray]:
    """Step boundaries from ``now`` over clock-aligned 5-minute marks to the last slot end, and step cells."""
    start_ns = int(now.value)
    last_end_ns = int(slot_ends.as_unit("ns").asi8.max())
    marks = np.arange((start_ns // STEP_NS + 1) * STEP_NS, last_end_ns + STEP_NS, STEP_NS, dtype=np.int64)
    bounds = np.concatenate(([start_ns], marks)).astype(np.int64)
    mids = bounds[:-1] + (bounds[1:] - bounds[:-1]) // 2
    return bounds, clock.cells(pd.DatetimeIndex(pd.to_datetime(mids, unit="ns", utc=True)))


def _count_in_window(times: pd.Series, window: _Window, clock: _Clock) -> FloatArray:
    inside = times.dropna()
    inside = inside.loc[(inside >= window.start) & (inside < window.end)]
    cells = clock.cells(pd.DatetimeIndex(inside))
    return np.bincount(cells, minlength=clock.n_cells).astype(np.float64)


def _shrunk(per_cell: FloatArray, n_days_by_kind: FloatArray, prior_days: float) -> FloatArray:
    """Add ``prior_days`` average days (all kinds pooled) to every kind of day's sums."""
    by_kind = per_cell.reshape(N_DAY_KINDS, -1)
    total_days = float(n_days_by_kind.sum())
    if total_days == 0:
        return per_cell
    mean_day = by_kind.sum(axis=0) / total_days
    shrunk: FloatArray = (by_kind + prior_days * mean_day[None, :]).ravel()
    return shrunk


def _ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    # A cell nobody could arrive (or leave) in has no rate, not an undefined one.
    observed = denominator > 1e-9
    ratio: FloatArray = np.where(observed, numerator / np.where(observed, denominator, 1.0), 0.0)
    return ratio


def _class_rates(sessions: pd.DataFrame, window: _Window, clock: _Clock, prior_days: float) -> _ClassRates:
    hours = _shrunk(
        np.bincount(window.step_cell, minlength=clock.n_cells).astype(np.float64) * STEP_H,
        window.n_days_by_kind,
        prior_days,
    )
    arrivals = _shrunk(_count_in_window(sessions["arrived_at"], window, clock), window.n_days_by_kind, prior_days)
    departures = _shrunk(_count_in_window(sessions["departed_at"], window, clock), window.n_days_by_kind, prior_days)
    return _ClassRates(_ratio(arrivals, hours), _ratio(departures, hours))


def _arrivals_per_step(
    rates: _ClassRates, cells: IntArray, step_h: FloatArray, fleet_size: int | None, plugged_now: int
) -> FloatArray:
    open_arrivals: FloatArray = rates.arrivals_per_h[cells] * step_h
    if fleet_size is None:
        return open_arrivals
    open_departures = rates.departures_per_h[cells] * step_h
    away_now = float(fleet_size - plugged_now)
    arrived = departed = 0.0
    per_step = np.empty(len(cells), dtype=np.float64)
    for i in range(len(cells)):
        now_arrived = min(arrived + float(open_arrivals[i]), away_now + departed)
        departed = min(departed + float(open_departures[i]), plugged_now + now_arrived)
        per_step[i] = now_arrived - arrived
        arrived = now_arrived
    return per_step


def _per_arrival(
    sessions: pd.DataFrame, window: _Window, clock: _Clock, vehicle_class: str
) -> tuple[FloatArray, FloatArray]:
    """Mean energy [kWh] and median stay [h] per cell, with the fallbacks of the module docstring."""
    defaults = class_defaults(vehicle_class)
    done = sessions.loc[
        sessions["departed_at"].notna()
        & (sessions["arrived_at"] >= window.start)
        & (sessions["arrived_at"] < window.end)
    ]
    energy = np.full(clock.n_cells, defaults.energy_kwh[1], dtype=np.float64)
    stay = np.full(clock.n_cells, defaults.stay_h[1], dtype=np.float64)
    if len(done) < MIN_GROUP_SESSIONS:
        return energy, stay
    cells = clock.cells(pd.DatetimeIndex(done["arrived_at"]))
    frame = pd.DataFrame(
        {
            "cell": cells,
            "bin": cells % clock.bins_per_day,
            "energy": done["energy_kwh"].to_numpy(),
            "stay": (done["departed_at"] - done["arrived_at"]).dt.total_seconds().to_numpy() / 3600.0,
        }
    )
    energy[:] = frame["energy"].mean()
    stay[:] = frame["stay"].median()
    kind_offsets = np.arange(N_DAY_KINDS) * clock.bins_per_day
    by_bin = frame.groupby("bin").agg(n=("energy", "size"), energy=("energy", "mean"), stay=("stay", "median"))
    bins_with_enough = by_bin.loc[by_bin["n"] >= MIN_GROUP_SESSIONS]
    for b, bin_energy, bin_stay in zip(
        bins_with_enough.index.to_numpy(dtype=np.int64),
        bins_with_enough["energy"].to_numpy(dtype=np.float64),
        bins_with_enough["stay"].to_numpy(dtype=np.float64),
        strict=True,
    ):
        energy[kind_offsets + b] = bin_energy
        stay[kind_offsets + b] = bin_stay
    by_cell = frame.groupby("cell").agg(n=("energy", "size"), energy=("energy", "mean"), stay=("stay", "median"))
    enough = by_cell.loc[by_cell["n"] >= MIN_GROUP_SESSIONS]
    energy[enough.index.to_numpy(dtype=np.int64)] = enough["energy"].to_numpy()
    stay[enough.index.to_numpy(dtype=np.int64)] = enough["stay"].to_numpy()
    return energy, stay
