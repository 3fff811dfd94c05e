"""Controllers of the plant: nothing at all, and the site controller's MPC.

The MPC re-plans as the control loop does (at every slot boundary and whenever a vehicle plugs in)
with the real code: store records to :func:`fleet.planning.plugged_vehicles`,
:func:`fleet.planning.build_problem`, :meth:`optimizer.Replanner.solve`, then :func:`fleet.dispatch.tx_profile`
and :func:`ocpp_server.profiles.to_ocpp16_charging_profile` for each vehicle. Each charger then
applies the OCPP payload it would have received, converted back to kW as the simulated charger does
(:func:`ocpp_server.simulator.profiles.limit_to_kw`: an AC limit below 6 A stops charging). Between
plans a charger whose transaction has no profile gets the site's fail-safe limit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from benchmarks.milan.conditions import STEP_H
from benchmarks.milan.history import sessions_frame
from benchmarks.milan.plant import Plant, Session
from benchmarks.milan.records import active_transaction, booking, vehicle_records
from fleet.arrival_forecast import expected_arrivals_by_hour
from fleet.dispatch import electrical_of, tx_profile
from fleet.persistence.records import SiteSampleRecord
from fleet.planning import ExpectedArrivals, ImportSoFar, build_problem, horizon_h, import_so_far, plugged_vehicles
from fleet.simulation import simulated_chargers
from fleet.site_config import SiteConfig
from fleet.site_forecast import SiteForecast
from ocpp_server.profiles import to_ocpp16_charging_profile
from ocpp_server.simulator.profiles import limit_to_kw
from optimizer import Replanner

STEPS_PER_QUARTER_HOUR = 3


def quarter_hour_peak_kw(import_kw: npt.NDArray[np.float64]) -> float:
    """Highest import averaged over a completed quarter hour [kW]: what a capacity charge is billed on.

    ``import_kw`` holds the 5-minute steps from a quarter-hour boundary; 0 before the first quarter
    hour is complete.
    """
    complete = len(import_kw) // STEPS_PER_QUARTER_HOUR * STEPS_PER_QUARTER_HOUR
    if complete == 0:
        return 0.0
    return max(0.0, float(import_kw[:complete].reshape(-1, STEPS_PER_QUARTER_HOUR).mean(axis=1).max()))


def quarter_hour_so_far(import_kw: npt.NDArray[np.float64], start_utc: datetime) -> ImportSoFar | None:
    """The quarter hour now running, from the 5-minute steps run since ``start_utc`` (a quarter-hour
    boundary): the product's :func:`fleet.planning.import_so_far` on the latest steps given as the
    site's samples at their start times; None at a boundary."""
    now = start_utc + timedelta(hours=STEP_H * len(import_kw))
    latest = range(max(0, len(import_kw) - STEPS_PER_QUARTER_HOUR), len(import_kw))
    samples = [
        SiteSampleRecord(start_utc + timedelta(hours=STEP_H * k), 0.0, float(import_kw[k]), None, None) for k in latest
    ]
    return import_so_far(samples, now)


def finished_sessions(plant: Plant) -> pd.DataFrame:
    """The run's stays that have ended, as the store's finished sessions (``forecasts.SESSION_COLUMNS``)."""
    scenario = plant.scenario
    rows = [
        (
            stay.vehicle_id,
            stay.vehicle_class,
            scenario.time_of(stay.plugged_step),
            scenario.time_of(stay.unplugged_step),
            stay.metered_kwh,
        )
        for stay in plant.stays
        if stay.departed
    ]
    return sessions_frame(rows)


class Controller(Protocol):
    name: str

    def limits_kw(self, plant: Plant, plugged_in: bool) -> dict[str, float]:
        """Charger limits [kW] for the plant's current step; ``plugged_in`` when a vehicle just plugged in."""
        ...


class Uncontrolled:
    """No limits: every vehicle charges as fast as it and its charger allow, until full."""

    name = "uncontrolled"

    def limits_kw(self, plant: Plant, plugged_in: bool) -> dict[str, float]:
        return {}


@dataclass(frozen=True, slots=True)
class PlanCall:
    """One re-plan of the MPC and the time of its stages [s]."""

    at: datetime
    vehicles: int
    slots: int
    status: str
    warm: str
    """How the re-planner started: ``warm``, ``cold`` or ``fallback``."""
    planning_s: float
    solve_s: float
    dispatch_s: float


@dataclass(frozen=True, slots=True)
class _Installed:
    """A TxProfile as its charger holds it: the OCPP payload's periods."""

    transaction_id: int
    start_utc: datetime
    duration_s: int
    rate_unit: str
    periods: tuple[tuple[int, float, int | None], ...]
    """(start_period [s], limit [A or W], number_phases)."""


def _installed(payload: dict[str, Any], start_utc: datetime) -> _Installed:
    schedule = payload["charging_schedule"]
    return _Installed(
        transaction_id=int(payload["transaction_id"]),
        start_utc=start_utc,
        duration_s=int(schedule["duration"]),
        rate_unit=str(schedule["charging_rate_unit"]),
        periods=tuple(
            (int(p["start_period"]), float(p["limit"]), p.get("number_phases"))
            for p in schedule["charging_schedule_period"]
        ),
    )


class ForecastSource(Protocol):
    def site_forecast(self, now: datetime, horizon_h: float) -> SiteForecast: ...


class MpcController:
    """The site controller's planning, re-run at every slot boundary and plug-in, as the control loop runs it.

    Like :mod:`fleet.control_loop` it plans with :func:`fleet.planning.build_problem` (the site file's
    grid margin, the generic taper, the chargers' minimum currents, the capacity charge against the
    month's peak so far) and solves with one :class:`optimizer.Replanner` kept between plans, repairing
    the plan into setpoints the chargers can hold. Forecasts of PV and base load are the forecasters'
    priors; the month's peak is the plant's measured quarter-hour import since the start of the run.
    With ``history`` the planner expects arrivals as the control loop does
    (:func:`fleet.arrival_forecast.expected_arrivals_by_hour`), learnt from those sessions and the
    run's own finished stays; without it, none.

    Parameters
    ----------
    site
        The site file as the control loop reads it.
    conditions
        Source of the forecasts the planner gets: :class:`~benchmarks.milan.conditions.SiteConditions`
        (identical to :func:`fleet.site_forecast.forecast_site` without history) or
        :class:`~benchmarks.milan.meter.MeteredForecasts` (with the site's meters read).
    time_limit_s
        The solver's time limit [s].
    name
        How the controller is reported.
    history
        Finished sessions before the run (columns ``forecasts.SESSION_COLUMNS``).
    """

    def __init__(
        self,
        site: SiteConfig,
        conditions: ForecastSource,
        *,
        time_limit_s: float,
        name: str = "mpc",
        history: pd.DataFrame | None = None,
    ) -> None:
        self.name = name
        self._history = history
        self._site = site
        self._conditions = conditions
        self._time_limit_s = time_limit_s
        self._vehicles = vehicle_records(site)
        self._chargers = {c.id: c for c in site.charge_points}
        self._specs = {c.charge_point_id: c for c in simulated_chargers(site)}
        self._slot = timedelta(minutes=site.planning.slot_min)
        self._replanner = Replanner(time_limit_s=time_limit_s)
        self._installed: dict[str, _Installed] = {}
        self.calls: list[PlanCall] = []

    def limits_kw(self, plant: Plant, plugged_in: bool) -> dict[str, float]:
        now = plant.now
        sessions = plant.sessions()
        if plugged_in or (now - plant.scenario.start_utc) % self._slot == timedelta(0):
            self._replan(now, sessions, plant)
        return {s.charge_point_id: self._limit_kw(s, now) for s in sessions}

    def _replan(self, now: datetime, sessions: tuple[Session, ...], plant: Plant) -> None:
        started_s = time.perf_counter()
        before_now = plant.import_kw[: plant.step]
        transactions = [
            active_transaction(
                s.transaction_id,
                s.charge_point_id,
                self._vehicles[s.vehicle_id],
                s.plugged_at,
                s.meter_start_kwh,
                s.register_kwh,
                s.last_power_kw,
                s.soc * 100.0,
                now,
            )
            for s in sessions
        ]
        bookings = {
            s.vehicle_id: booking(
                s.transaction_id,
                s.vehicle_id,
                s.booking.departure_utc,
                s.booking.need_kwh,
                s.booking.priority,
                s.booking.created_at,
            )
            for s in sessions
        }
        plugged = plugged_vehicles(now, self._site, transactions, self._vehicles, bookings)
        forecast = self._conditions.site_forecast(now, horizon_h(now, self._site, plugged))
        expected: list[ExpectedArrivals] = []
        if self._history is not None:
            finished = pd.concat([self._history, finished_sessions(plant)], ignore_index=True)
            expected = expected_arrivals_by_hour(self._site, finished, forecast, plugged, now)
        problem = build_problem(
            self._site,
            forecast,
            plugged,
            expected,
            peak_import_so_far_kw=quarter_hour_peak_kw(before_now),
            import_so_far=quarter_hour_so_far(before_now, plant.scenario.start_utc),
        )
        planned_s = time.perf_counter()
        schedule = self._replanner.solve(problem, time_limit_s=self._time_limit_s, dispatchable=True)
        solved_s = time.perf_counter()
        by_key = {p.plan_key: p for p in plugged}
        installed: dict[str, _Installed] = {}
        for plan in schedule.plans:
            vehicle = by_key.get(plan.vehicle_id)
            if vehicle is None:  # an expected arrival: nothing to dispatch
                continue
            charger = self._chargers[vehicle.charge_point_id]
            profile = tx_profile(
                schedule,
                plan.power_kw,
                vehicle.connector_id,
                vehicle.transaction_id,
                min_power_kw=vehicle.min_power_kw,
                part_slot_h=plan.part_slot_h,
            )
            payload = to_ocpp16_charging_profile(
                profile, electrical_of(charger), max_periods=charger.max_schedule_periods
            )
            assert profile.start_utc is not None
            installed[vehicle.charge_point_id] = _installed(payload, profile.start_utc)
        self._installed = installed
        self.calls.append(
            PlanCall(
                at=now,
                vehicles=len(problem.vehicles),
                slots=problem.n_slots,
                status=schedule.status.value,
                warm=str(self._replanner.last_start),
                planning_s=planned_s - started_s,
                solve_s=solved_s - planned_s,
                dispatch_s=time.perf_counter() - solved_s,
            )
        )

    def _limit_kw(self, session: Session, now: datetime) -> float:
        profile = self._installed.get(session.charge_point_id)
        failsafe_kw = self._site.planning.failsafe_limit_kw
        if profile is None or profile.transaction_id != session.transaction_id:
            return failsafe_kw
        offset_s = (now - profile.start_utc).total_seconds()
        if not 0 <= offset_s < profile.duration_s:
            return failsafe_kw
        current = profile.periods[0]
        for period in profile.periods:
            if period[0] <= offset_s:
                current = period
        spec = self._specs[session.charge_point_id]
        return limit_to_kw(spec, current[1], "A" if profile.rate_unit == "A" else "W", current[2])
