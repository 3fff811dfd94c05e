"""The optimiser as an ACN-Sim scheduling algorithm: model-predictive control over 5-minute periods.

At every period the active sessions, and the arrivals expected later today when asked for
(:mod:`benchmarks.acn.arrivals`), become a ChargingProblem over the time until the last estimated
departure: energy maximisation (flat price, an unmet-energy penalty for every session, raised a
little for the sessions nearest their request when asked for, the optimiser's tie-break towards
earlier charging), the EVSEs' maximum power, and the network's constraints as phasor limits. A plan
that meets every session may be replaced by one at steady rates (:func:`plan_call`). Only the first
slot is applied: its power becomes a pilot, rounded to what the EVSE accepts within the exact
network limits (:mod:`benchmarks.acn.pilots`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import numpy as np
from acnportal.acnsim.interface import InfrastructureInfo, SessionInfo  # type: ignore[import-untyped]
from acnportal.algorithms import BaseAlgorithm, infrastructure_constraints_feasible  # type: ignore[import-untyped]

from benchmarks.acn.arrivals import ArrivalHistory, ExpectedSession, KnownArrivals
from benchmarks.acn.network import NetworkModel, limits_that_can_bind, network_model, phasor_limits
from benchmarks.acn.pilots import ceil_pilot_a, round_to_feasible_pilots
from benchmarks.acn.sessions import AcnSession
from optimizer import ChargingProblem, PhasorLimit, Schedule, SolveStatus, VehicleRequest, solve

FLAT_PRICE_PER_KWH = 0.10
"""Energy price of the planning problem [currency/kWh]: flat, so only the penalty steers the plan."""

UNMET_PENALTY_PER_KWH = 2.0
"""Penalty on energy a session misses [currency/kWh], above the price: every kWh delivered pays."""

ALL_MET_KWH = 0.01
"""A plan missing at most this much energy over all sessions [kWh] meets every session."""

Solver = Callable[[ChargingProblem], Schedule]


@dataclass(frozen=True, slots=True)
class MpcSettings:
    """How the controller plans.

    Parameters
    ----------
    facets
        Sides of the inscribed polygon for each three-phase limit (loss at most ``1 - cos(pi/facets)``).
    time_limit_s
        The LP solver's time limit per call [s].
    fine_periods, coarse_periods
        Slots of one period each for the first ``fine_periods`` periods, then slots of
        ``coarse_periods`` periods to the end of the horizon; ``fine_periods=None`` keeps every slot
        one period long.
    fairness_weight
        The optimiser's ``fairness_weight_eur``: spreads a shortfall over the sessions.
    price_rise_per_kwh_h
        Rise of the planning price per hour from now [currency/kWh per h]: 0 leaves the preference
        for early charging to the optimiser's own tie-break; a positive rise states it explicitly.
    power_change_weight
        When positive, a call whose plan meets every session is planned again with this
        ``power_change_weight_eur_per_kw``, which favours charging each session at a steady rate over
        its stay instead of as early as possible (:func:`plan_call`).
    round_up_first
        Before handing out what rounding left unused in laxity order, raise each EVSE to the allowed
        pilot at or above its plan where the exact limits allow
        (:func:`~benchmarks.acn.pilots.round_to_feasible_pilots`).
    expected_days
        Plan today's arrivals still to come as those of this many past days of the same kind, each
        day's sessions asking for their share of their request (:mod:`benchmarks.acn.arrivals`);
        0 plans the present sessions only.
    expected_weight
        Unmet-energy weight of an expected session, relative to a present one.
    expected_within_h
        How far ahead expected arrivals are planned [h].
    expected_pickup
        When positive, scale the expected sessions' shares by how busy today has been so far
        against the days drawn from, smoothed by this many sessions
        (:meth:`~benchmarks.acn.arrivals.ArrivalHistory.expected`); 0: off.
    completion_weight
        The optimiser's ``completion_weight_kwh``: a session's unmet energy weighs ``1 +
        completion_weight / d`` times its priority, ``d`` its remaining demand in kWh (at least the
        optimiser's ``COMPLETION_FLOOR_KWH``, 0.1 kWh, ACN-Sim's threshold for a met demand), so that
        under a shortfall the plan finishes the sessions nearest their request first and meets more
        of them; 0: every session weighs its priority alone.
    known_arrivals
        Expect today's arrivals as they will happen (:class:`~benchmarks.acn.arrivals.KnownArrivals`)
        instead of forecasting them: a yardstick for the forecast, not a controller anyone could run.
        The controller then needs the sessions (``OptimiserMPC(known_sessions=...)``).
    """

    facets: int = 32
    time_limit_s: float = 10.0
    fine_periods: int | None = None
    coarse_periods: int = 12
    fairness_weight: float = 0.0
    price_rise_per_kwh_h: float = 0.0
    power_change_weight: float = 0.0
    round_up_first: bool = False
    expected_days: int = 0
    expected_weight: float = 0.5
    expected_within_h: float = 12.0
    expected_pickup: float = 0.0
    completion_weight: float = 0.0
    known_arrivals: bool = False

    def __post_init__(self) -> None:
        if self.facets < 4:
            raise ValueError(f"facets: at least 4, got {self.facets}")
        if self.fine_periods is not None and self.fine_periods < 1:
            raise ValueError(f"fine_periods: at least 1 (the applied period), got {self.fine_periods}")
        if self.coarse_periods < 1:
            raise ValueError(f"coarse_periods: at least 1, got {self.coarse_periods}")
        if self.price_rise_per_kwh_h < 0:
            raise ValueError(f"price_rise_per_kwh_h: must not be negative, got {self.price_rise_per_kwh_h}")
        if self.power_change_weight < 0:
            raise ValueError(f"power_change_weight: must not be negative, got {self.power_change_weight}")
        if self.expected_days < 0:
            raise ValueError(f"expected_days: must not be negative, got {self.expected_days}")
        if not 0 < self.expected_weight <= 1:
            raise ValueError(f"expected_weight: in (0, 1], got {self.expected_weight}")
        if self.expected_within_h <= 0:
            raise ValueError(f"expected_within_h: must be positive, got {self.expected_within_h}")
        if self.expected_pickup < 0:
            raise ValueError(f"expected_pickup: must not be negative, got {self.expected_pickup}")
        if self.completion_weight < 0:
            raise ValueError(f"completion_weight: must not be negative, got {self.completion_weight}")


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One call of the controller."""

    sessions: int
    status: str
    """The optimiser's SolveStatus, or ``"idle"`` when no session was active."""
    optimiser_time_s: float
    repairs: int
    raised: int
    feasible: bool
    """The returned pilots passed the network's own feasibility test."""
    expected: int = 0
    """Sessions expected to plug in later that the plan kept room for."""


def slot_grid(horizon_periods: int, settings: MpcSettings) -> tuple[tuple[int, int], ...]:
    """The planning slots as ``(first period from now, periods in the slot)``.

    Parameters
    ----------
    horizon_periods
        Periods from now to the end of the horizon (at least 1).
    settings
        Where single-period slots end and how long the coarse slots are.

    Returns
    -------
    tuple of (int, int)
        Contiguous slots covering ``0 .. horizon_periods - 1``; the first slot is one period.
    """
    if horizon_periods < 1:
        raise ValueError(f"horizon_periods: at least 1, got {horizon_periods}")
    fine = horizon_periods if settings.fine_periods is None else min(settings.fine_periods, horizon_periods)
    slots = [(k, 1) for k in range(fine)]
    for first in range(fine, horizon_periods, settings.coarse_periods):
        slots.append((first, min(settings.coarse_periods, horizon_periods - first)))
    return tuple(slots)


def vehicle_request(
    session: SessionInfo,
    model: NetworkModel,
    slots: Sequence[tuple[int, int]],
    *,
    now: int,
    period_h: float,
) -> VehicleRequest:
    """One active session as a vehicle of the planning problem.

    Parameters
    ----------
    session
        The session as ACN-Sim reports it (remaining demand, estimated departure).
    model
        The network (EVSE maximum pilot and voltage).
    slots
        The slot grid, from :func:`slot_grid`.
    now
        The current period.
    period_h
        Length of a period [h].

    Returns
    -------
    VehicleRequest
        Plugged in from now until the estimated departure (one period at least: a session past its
        estimated departure is still there), at most the EVSE's maximum power, no losses.
    """
    station = model.station_ids.index(session.station_id)
    max_rate_a = float(session.max_rates[0]) if len(session.max_rates) else math.inf
    max_pilot_a = min(model.max_pilot_a[station], max_rate_a)
    remaining = max(session.estimated_departure - now, 1)
    needed_kwh = max(0.0, float(session.remaining_demand))
    return VehicleRequest(
        vehicle_id=str(session.session_id),
        connector_key=str(session.station_id),
        max_power_kw=max_pilot_a * model.kw_per_a(station),
        energy_needed_kwh=needed_kwh,
        available_h=tuple(max(0, min(remaining - first, length)) * period_h for first, length in slots),
        priority=1.0,
        efficiency=1.0,
    )


def expected_request(
    expected: ExpectedSession,
    model: NetworkModel,
    slots: Sequence[tuple[int, int]],
    settings: MpcSettings,
    *,
    now: int,
    period_h: float,
) -> VehicleRequest:
    """An expected session as an expected vehicle: its stay moved to today, its share of its request,
    at ``settings.expected_weight``."""
    station = model.station_ids.index(expected.station_id)
    start = expected.arrival - now
    end = start + expected.stay_periods
    return VehicleRequest(
        vehicle_id=expected.key,
        connector_key=expected.station_id,
        max_power_kw=min(model.max_pilot_a[station], expected.max_rate_a) * model.kw_per_a(station),
        energy_needed_kwh=expected.requested_kwh * expected.share,
        available_h=tuple(max(0, min(end, first + length) - max(start, first)) * period_h for first, length in slots),
        priority=settings.expected_weight,
        efficiency=1.0,
        expected=True,
    )


def planning_problem(
    sessions: Sequence[SessionInfo],
    model: NetworkModel,
    limits: tuple[PhasorLimit, ...],
    settings: MpcSettings,
    *,
    now: int,
    now_utc: datetime,
    period_h: float,
    expected: Sequence[ExpectedSession] = (),
) -> ChargingProblem:
    """The ChargingProblem of one MPC call.

    Parameters
    ----------
    sessions
        Active sessions (at least one).
    model, limits
        The network and its phasor limits.
    settings
        The slot grid's shape; the weight of expected sessions.
    now, now_utc
        The current period and its start.
    period_h
        Length of a period [h].
    expected
        Sessions expected to plug in later (:meth:`benchmarks.acn.arrivals.ArrivalHistory.expected`):
        planned after the present ones as expected vehicles, so that the plan keeps room for them.

    Returns
    -------
    ChargingProblem
        Slots from now to the last estimated departure (of an expected session too, at most a day
        ahead); no base load or PV; a grid limit no plan can reach (the network limits bind
        instead); a flat price, raised from slot to slot by ``settings.price_rise_per_kwh_h`` times
        the hours from now to the slot's start; only the phasor limits the sessions can reach
        (:func:`~benchmarks.acn.network.limits_that_can_bind`).
    """
    if not sessions:
        raise ValueError("sessions: a planning problem needs at least one active session")
    horizon = max(max(s.estimated_departure - now, 1) for s in sessions)
    if expected:
        day_periods = round(24.0 / period_h)
        horizon = max(horizon, min(max(e.arrival + e.stay_periods - now for e in expected), day_periods))
    slots = slot_grid(horizon, settings)
    vehicles = tuple(vehicle_request(s, model, slots, now=now, period_h=period_h) for s in sessions) + tuple(
        expected_request(e, model, slots, settings, now=now, period_h=period_h) for e in expected
    )
    unreachable_kw = sum(v.max_power_kw for v in vehicles) + 1.0
    reach_kw: dict[str, float] = {}
    for vehicle in vehicles:
        reach_kw[vehicle.connector_key] = reach_kw.get(vehicle.connector_key, 0.0) + vehicle.max_power_kw
    in_use = limits_that_can_bind(limits, reach_kw)
    n_slots = len(slots)
    zeros = (0.0,) * n_slots
    return ChargingProblem(
        slot_starts_utc=tuple(now_utc + timedelta(hours=period_h * first) for first, _ in slots),
        slot_duration_h=tuple(length * period_h for _, length in slots),
        grid_import_limit_kw=(unreachable_kw,) * n_slots,
        base_load_kw=zeros,
        pv_kw=zeros,
        pv_firm_kw=zeros,
        import_price_eur_per_kwh=tuple(
            FLAT_PRICE_PER_KWH + settings.price_rise_per_kwh_h * first * period_h for first, _ in slots
        ),
        export_price_eur_per_kwh=zeros,
        vehicles=vehicles,
        unmet_energy_penalty_eur_per_kwh=UNMET_PENALTY_PER_KWH,
        phasor_limits=in_use,
        fairness_weight_eur=settings.fairness_weight,
        completion_weight_kwh=settings.completion_weight,
    )


def plan_call(problem: ChargingProblem, settings: MpcSettings, solver: Solver) -> tuple[Schedule, float]:
    """Plan one call: maximise energy, then, when every session is met, prefer steady rates.

    Parameters
    ----------
    problem
        The call's planning problem (:func:`planning_problem`).
    settings
        ``power_change_weight`` (0: plan once).
    solver
        The planner.

    Returns
    -------
    Schedule, float
        The plan to apply, and the optimiser time of the call [s] (both solves when planned twice).

    Notes
    -----
    A plan that charges every session as early as possible fills some sessions at once and leaves
    others for later; arrivals to come then find fewer sessions left to share the network's phases
    with. Only present sessions count as met or not: expected ones may not come. While every
    present session can be met, the steady plan delivers the same energy and keeps
    demand on more EVSEs. Under a shortfall the first plan is kept: a steady plan then spreads a
    short supply thinly, many planned currents fall below the EVSEs' minimum pilots (6 A, 8 A) and
    round to 0, and on the ACN benchmark at 10 kW that lost energy (docs/benchmarks/acn.md).
    """
    plan = solver(problem)
    time_s = plan.solve_time_s
    present_unmet_kwh = sum(p.unmet_energy_kwh for p in plan.plans if not p.expected)
    if settings.power_change_weight <= 0 or present_unmet_kwh > ALL_MET_KWH:
        return plan, time_s
    steady = solver(replace(problem, power_change_weight_eur_per_kw=settings.power_change_weight))
    time_s += steady.solve_time_s
    if steady.status != SolveStatus.OPTIMAL:
        return plan, time_s
    return steady, time_s


class OptimiserMPC(BaseAlgorithm):  # type: ignore[misc]
    """ACN-Sim algorithm planning with :func:`optimizer.solve` at every period.

    Parameters
    ----------
    settings
        Polygon facets and solver time limit.
    solver
        The planner; :func:`optimizer.solve` with ``settings.time_limit_s`` unless another is given.
    on_new_day
        Called with the day number (from the simulation start) at the first call of each day.
    known_sessions
        Every session of the simulation, for ``settings.known_arrivals``.

    Raises
    ------
    ValueError
        If ``settings.known_arrivals`` is set without ``known_sessions``.
    """

    def __init__(
        self,
        settings: MpcSettings | None = None,
        solver: Solver | None = None,
        on_new_day: Callable[[int], None] | None = None,
        known_sessions: Sequence[AcnSession] = (),
    ) -> None:
        super().__init__()
        self.max_recompute = 1
        self.settings = settings or MpcSettings()
        time_limit_s = self.settings.time_limit_s
        self._solver: Solver = solver or (lambda problem: solve(problem, time_limit_s=time_limit_s))
        self._limits: tuple[NetworkModel, tuple[PhasorLimit, ...]] | None = None
        self.calls: list[CallRecord] = []
        self._on_new_day = on_new_day
        self._day = -1
        self._history: ArrivalHistory | None = None
        if self.settings.known_arrivals and not known_sessions:
            raise ValueError("known_sessions: settings.known_arrivals needs the simulation's sessions")
        self._known_sessions = tuple(known_sessions)
        self._known: KnownArrivals | None = None

    def _network(self, infrastructure: InfrastructureInfo) -> tuple[NetworkModel, tuple[PhasorLimit, ...]]:
        # the network does not change during a simulation: convert it once
        if self._limits is None:
            model = network_model(infrastructure)
            self._limits = (model, phasor_limits(model, facets=self.settings.facets))
        return self._limits

    def _expected(
        self, active_sessions: Sequence[SessionInfo], *, now: int, day: int, weekend: bool
    ) -> tuple[ExpectedSession, ...]:
        """Record the sessions seen now; the arrivals expected later today."""
        within = round(self.settings.expected_within_h * 60 / self.interface.period)
        periods_per_day = round(24 * 60 / self.interface.period)
        if self.settings.known_arrivals:
            if self._known is None:
                self._known = KnownArrivals(self._known_sessions, periods_per_day=periods_per_day)
            return self._known.expected(now, within_periods=within)
        if self.settings.expected_days == 0:
            return ()
        if self._history is None:
            self._history = ArrivalHistory(periods_per_day=periods_per_day)
        self._history.record(active_sessions, day=day, weekend=weekend)
        return self._history.expected(
            now, days=self.settings.expected_days, within_periods=within, pickup_sessions=self.settings.expected_pickup
        )

    def schedule(self, active_sessions: list[SessionInfo]) -> dict[str, list[float]]:
        """Pilots [A] for the current period, one per active session's station."""
        day = int(self.interface.current_time * self.interface.period // (24 * 60))
        if self._on_new_day is not None and day != self._day:
            self._on_new_day(day)
        self._day = day
        if not active_sessions:
            self.calls.append(CallRecord(0, "idle", 0.0, 0, 0, True))
            return {}
        infrastructure = self.interface.infrastructure_info()
        model, limits = self._network(infrastructure)
        now = int(self.interface.current_time)
        period_h = float(self.interface.period) / 60.0
        local_now = self.interface.current_datetime
        now_utc = local_now.astimezone(UTC)
        expected = self._expected(active_sessions, now=now, day=day, weekend=local_now.weekday() >= 5)
        problem = planning_problem(
            active_sessions,
            model,
            limits,
            self.settings,
            now=now,
            now_utc=now_utc,
            period_h=period_h,
            expected=expected,
        )
        plan, optimiser_time_s = plan_call(problem, self.settings, self._solver)

        n = len(model.station_ids)
        planned_a = np.zeros(n)
        upper_a = np.zeros(n)
        laxity_h: dict[int, float] = {}
        for session, vehicle in zip(active_sessions, problem.vehicles[: len(active_sessions)], strict=True):
            station = model.station_ids.index(session.station_id)
            kw_per_a = model.kw_per_a(station)
            vehicle_plan = plan.plan_for(vehicle.vehicle_id)
            planned_a[station] = vehicle_plan.power_kw[0] / kw_per_a if vehicle_plan is not None else 0.0
            finishing_a = vehicle.energy_needed_kwh / period_h / kw_per_a
            upper_a[station] = min(ceil_pilot_a(model, station, finishing_a), vehicle.max_power_kw / kw_per_a)
            full_power_h = vehicle.energy_needed_kwh / vehicle.max_power_kw if vehicle.max_power_kw > 0 else 0.0
            laxity_h[station] = sum(vehicle.available_h) - full_power_h
        order = sorted(laxity_h, key=lambda j: (laxity_h[j], model.station_ids[j]))

        def feasible(rates_a: np.ndarray) -> bool:
            return bool(infrastructure_constraints_feasible(rates_a, infrastructure))

        pilots = round_to_feasible_pilots(
            model, planned_a, upper_a, order, feasible, round_up_first=self.settings.round_up_first
        )
        schedule = {model.station_ids[j]: [float(pilots.pilots_a[j])] for j in sorted(laxity_h)}
        self.calls.append(
            CallRecord(
                sessions=len(active_sessions),
                status=str(plan.status),
                optimiser_time_s=optimiser_time_s,
                repairs=pilots.repairs,
                raised=pilots.raised,
                feasible=bool(self.interface.is_feasible(schedule)),
                expected=len(expected),
            )
        )
        return schedule
