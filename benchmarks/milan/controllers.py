"""Controllers of the plant: nothing at all, and the site controller's MPC.

The MPC re-plans as the control loop does (at every slot boundary and whenever a vehicle plugs in)
with the real code: store records to :func:`fleet.planning.plugged_vehicles`,
:func:`fleet.planning.build_problem`, :func:`optimizer.solve`, then :func:`fleet.dispatch.tx_profile`
and :func:`ocpp_server.profiles.to_ocpp16_charging_profile` for each vehicle. Each charger then
applies the OCPP payload it would have received, converted back to kW as the simulated charger does
(:func:`ocpp_server.simulator.profiles.limit_to_kw`: an AC limit below 6 A stops charging). Between
plans a charger whose transaction has no profile gets the site's fail-safe limit.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from benchmarks.milan.conditions import SiteConditions
from benchmarks.milan.plant import Plant, Session
from benchmarks.milan.records import active_transaction, booking, vehicle_records
from fleet.dispatch import electrical_of, tx_profile
from fleet.persistence.records import BookingRecord
from fleet.planning import build_problem, horizon_h, plugged_vehicles
from fleet.simulation import simulated_chargers
from fleet.site_config import SiteConfig
from ocpp_server.profiles import to_ocpp16_charging_profile
from ocpp_server.simulator.battery import TAPER_END_FRACTION, TAPER_START_SOC
from ocpp_server.simulator.profiles import limit_to_kw
from optimizer import ChargingProblem, solve

OCPP_LIMIT_STEP = 0.1
"""Limits reach a charger rounded down to 0.1 A (see :mod:`ocpp_server.profiles`)."""


def taper_breakpoints(max_power_kw: float, rated_kw: float) -> tuple[tuple[float, float], ...]:
    """The simulated battery's taper as the optimiser takes it: ``(soc, grid-side kW)`` breakpoints.

    The vehicle takes ``rated_kw`` up to ``TAPER_START_SOC``, then linearly less down to
    ``TAPER_END_FRACTION * rated_kw`` when full; the charger caps that at ``max_power_kw``, so the flat
    part ends where the falling line meets the cap.
    """
    if rated_kw <= 0:
        return ()
    end_kw = TAPER_END_FRACTION * rated_kw
    cap_kw = min(max_power_kw, rated_kw)
    if cap_kw <= end_kw:
        return ((0.0, cap_kw), (1.0, cap_kw))
    knee_soc = TAPER_START_SOC + (1.0 - TAPER_START_SOC) * (1.0 - cap_kw / rated_kw) / (1.0 - TAPER_END_FRACTION)
    return ((0.0, cap_kw), (knee_soc, cap_kw), (1.0, end_kw))


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


class MpcController:
    """The site controller's planning, re-run at every slot boundary and plug-in.

    Parameters
    ----------
    site
        The site file as the control loop reads it.
    conditions
        Source of the forecasts the planner gets (identical to :func:`fleet.site_forecast.forecast_site`).
    margin_kw
        Planned against ``import_limit_kw - margin_kw`` [kW]: room for the base load to exceed its
        forecast until the next plan. The planning code has no such setting, and the site file cannot
        lower the limit this far without lowering the fail-safe limit too, so it is applied here.
    time_limit_s
        The solver's time limit [s].
    rebook
        When True, the fleet manager re-enters each plugged-in vehicle's booking before every plan
        with the battery energy still missing (target minus stored, from the state of charge);
        otherwise the booking made at plug-in stands and the planner deducts the metered energy.
    informed
        When True (implies ``rebook``), each vehicle of the problem also gets what the optimiser can
        use but the planning code does not fill in yet: battery size, state of charge, the taper of
        the simulated battery, the charger's minimum current and current step; and the plan is
        repaired into setpoints the chargers can hold (``solve(..., dispatchable=True)``).
    """

    def __init__(
        self,
        site: SiteConfig,
        conditions: SiteConditions,
        *,
        margin_kw: float,
        time_limit_s: float,
        rebook: bool = False,
        informed: bool = False,
    ) -> None:
        if not 0 <= margin_kw < site.site.grid.import_limit_kw:
            raise ValueError(f"margin_kw: must be in [0, import limit), got {margin_kw}")
        grid = site.site.grid.model_copy(update={"import_limit_kw": site.site.grid.import_limit_kw - margin_kw})
        self._site = site
        self._planning_site = site.model_copy(update={"site": site.site.model_copy(update={"grid": grid})})
        self._conditions = conditions
        self._time_limit_s = time_limit_s
        self._vehicles = vehicle_records(site)
        self._chargers = {c.id: c for c in site.charge_points}
        self._specs = {c.charge_point_id: c for c in simulated_chargers(site)}
        self._slot = timedelta(minutes=site.planning.slot_min)
        self._installed: dict[str, _Installed] = {}
        self._rebook = rebook or informed
        self._informed = informed
        self.name = "mpc-informed" if informed else "mpc-rebook" if rebook else "mpc"
        self.calls: list[PlanCall] = []

    def limits_kw(self, plant: Plant, plugged_in: bool) -> dict[str, float]:
        now = plant.now
        sessions = plant.sessions()
        if plugged_in or (now - plant.scenario.start_utc) % self._slot == timedelta(0):
            self._replan(now, sessions)
        return {s.charge_point_id: self._limit_kw(s, now) for s in sessions}

    def _replan(self, now: datetime, sessions: tuple[Session, ...]) -> None:
        started_s = time.perf_counter()
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
        bookings = {s.vehicle_id: self._booking(s, now) for s in sessions}
        plugged = plugged_vehicles(now, self._site, transactions, self._vehicles, bookings)
        forecast = self._conditions.site_forecast(now, horizon_h(now, self._site, plugged))
        problem = build_problem(self._planning_site, forecast, plugged)
        if self._informed:
            problem = self._with_vehicle_physics(problem, sessions)
        planned_s = time.perf_counter()
        schedule = solve(problem, time_limit_s=self._time_limit_s, dispatchable=self._informed)
        solved_s = time.perf_counter()
        by_key = {p.plan_key: p for p in plugged}
        installed: dict[str, _Installed] = {}
        for plan in schedule.plans:
            vehicle = by_key[plan.vehicle_id]
            charger = self._chargers[vehicle.charge_point_id]
            profile = tx_profile(schedule, plan.power_kw, vehicle.connector_id, vehicle.transaction_id)
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
                planning_s=planned_s - started_s,
                solve_s=solved_s - planned_s,
                dispatch_s=time.perf_counter() - solved_s,
            )
        )

    def _with_vehicle_physics(self, problem: ChargingProblem, sessions: tuple[Session, ...]) -> ChargingProblem:
        by_charger = {s.charge_point_id: s for s in sessions}
        vehicles = []
        for request in problem.vehicles:
            charger_id = request.connector_key.split("/", 1)[0]
            session = by_charger[charger_id]
            charger = self._specs[charger_id]
            record = self._vehicles[session.vehicle_id]
            rated_kw = record.max_dc_kw if charger.kind == "DC" else record.max_ac_kw
            kw_per_amp = charger.kw_per_amp()
            ac = charger.kind == "AC"
            vehicles.append(
                dataclasses.replace(
                    request,
                    battery_kwh=record.battery_kwh,
                    initial_soc=session.soc,
                    taper=taper_breakpoints(request.max_power_kw, rated_kw),
                    min_power_kw=charger.min_current_a * kw_per_amp if ac else 0.0,
                    power_step_kw=OCPP_LIMIT_STEP * kw_per_amp if ac else 0.0,
                )
            )
        return dataclasses.replace(problem, vehicles=tuple(vehicles))

    def _booking(self, session: Session, now: datetime) -> BookingRecord:
        entered = session.booking
        if not self._rebook:
            return booking(
                session.transaction_id,
                session.vehicle_id,
                entered.departure_utc,
                entered.need_kwh,
                entered.priority,
                entered.created_at,
            )
        stored_kwh = session.soc * self._vehicles[session.vehicle_id].battery_kwh
        missing_kwh = max(0.0, entered.target_kwh - stored_kwh)
        return booking(
            session.transaction_id, session.vehicle_id, entered.departure_utc, missing_kwh, entered.priority, now
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
