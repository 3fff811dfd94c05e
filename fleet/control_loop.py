"""The control loop: re-plan on triggers and at every slot boundary, never two solves at once.

snapshot (store) -> forecasts + planning -> optimiser (in a worker thread, under a time limit) ->
schedule stored with its reasons -> dispatch. Anything that fails on the way to a schedule falls back
to the solver-free plan, which never exceeds the grid limit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fleet.arrival_forecast import expected_arrivals_by_hour
from fleet.clock import Clock, interval_start
from fleet.dispatch import Dispatcher
from fleet.external_sources import ExternalForecasts, ExternalSources
from fleet.grid_limits import slot_caps_kw
from fleet.observability.metrics import FleetMetrics
from fleet.persistence.records import (
    BookingRecord,
    ExternalLimitRecord,
    GridLimitRecord,
    TransactionRecord,
    VehicleRecord,
)
from fleet.persistence.store import Store
from fleet.planning import (
    CAPACITY_INTERVAL_H,
    ExpectedArrivals,
    ImportSoFar,
    PluggedVehicle,
    build_problem,
    horizon_h,
    import_so_far,
    plugged_vehicles,
)
from fleet.schedule_body import schedule_body
from fleet.site_config import SiteConfig
from fleet.site_forecast import SiteForecast, fallback_forecast, forecast_site
from fleet.site_history import HistoryCache, SiteHistory
from fleet.stopping import being_stopped, stop_if_asked
from fleet.triggers import PlanTriggers
from fleet.yard import WaitingEntry, Yard
from ocpp_server.commands import PowerLimitProfile
from optimizer import ChargingProblem, Replanner, Schedule, fallback_schedule

log = logging.getLogger(__name__)

Solver = Callable[[ChargingProblem, float], Schedule]


class WarmSolver:
    """The optimiser kept warm between plans, returning setpoints chargers can follow.

    Called from one worker thread at a time (the control loop never runs two plans at once).
    """

    def __init__(self) -> None:
        self._replanner = Replanner()

    def __call__(self, problem: ChargingProblem, time_limit_s: float) -> Schedule:
        return self._replanner.solve(problem, time_limit_s=time_limit_s, dispatchable=True)


def summarise(reasons: tuple[str, ...], shown: int = 3) -> str:
    """The first few reasons, and how many more there were."""
    head = ", ".join(reasons[:shown])
    return head if len(reasons) <= shown else f"{head} and {len(reasons) - shown} more"


@dataclass(frozen=True, slots=True)
class PlanResult:
    schedule_id: int
    created_at: datetime
    reasons: tuple[str, ...]
    forecast: SiteForecast
    problem: ChargingProblem
    plugged: tuple[PluggedVehicle, ...]
    schedule: Schedule


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The state a plan is made from, read from the store at one instant."""

    now: datetime
    transactions: tuple[TransactionRecord, ...]
    vehicles: dict[str, VehicleRecord]
    bookings: dict[str, BookingRecord]
    history: SiteHistory | None
    external: ExternalForecasts
    waiting: tuple[WaitingEntry, ...] = ()
    grid_limits: tuple[GridLimitRecord, ...] = ()
    external_limits: tuple[ExternalLimitRecord, ...] = ()
    """Limits set on chargers by someone else (OCPP 2.0.1 NotifyChargingLimit)."""
    import_so_far: ImportSoFar | None = None
    """The site's grid import in the capacity charge's quarter hour now running."""


def plan_problem(
    site: SiteConfig, snapshot: Snapshot, plugged: Sequence[PluggedVehicle], horizon_h_: float
) -> tuple[SiteForecast, ChargingProblem]:
    """The forecast over ``horizon_h_`` [h] and the problem for ``plugged`` on it (CPU-heavy)."""
    now, history = snapshot.now, snapshot.history
    try:
        forecast = forecast_site(site, now, horizon_h_, history, snapshot.external)
    except Exception:
        log.exception("forecast failed; planning with the conservative forecast")
        forecast = fallback_forecast(site, now, horizon_h_)
    expected: list[ExpectedArrivals] = []
    if history is not None:
        try:
            expected = expected_arrivals_by_hour(site, history.sessions, forecast, list(plugged), now)
        except Exception:
            log.exception("arrival forecast failed; planning without expected arrivals")
    peak_kw = history.peak_import_this_month_kw if history is not None else 0.0
    caps_kw = slot_caps_kw(snapshot.grid_limits, forecast.slot_starts, forecast.slot_duration_h)
    problem = build_problem(
        site, forecast, plugged, expected, peak_kw, snapshot.waiting, caps_kw, import_so_far=snapshot.import_so_far
    )
    return forecast, problem


def _plan(
    site: SiteConfig, snapshot: Snapshot, solver: Solver
) -> tuple[list[PluggedVehicle], SiteForecast, ChargingProblem, Schedule]:
    """Needs, forecasts, the problem and its solution: the CPU-heavy part, run in a worker thread."""
    now, history = snapshot.now, snapshot.history
    plugged = plugged_vehicles(
        now, site, snapshot.transactions, snapshot.vehicles, snapshot.bookings, history, snapshot.external_limits
    )
    forecast, problem = plan_problem(site, snapshot, plugged, horizon_h(now, site, plugged))
    try:
        schedule = solver(problem, site.planning.solver_time_limit_s)
    except Exception as exc:
        log.exception("optimiser failed; using the fallback plan")
        schedule = fallback_schedule(problem, reason=f"optimiser error: {type(exc).__name__}: {exc}")
    return plugged, forecast, problem, schedule


class ControlLoop:
    def __init__(
        self,
        site: SiteConfig,
        store: Store,
        dispatcher: Dispatcher,
        clock: Clock,
        triggers: PlanTriggers,
        *,
        yard: Yard | None = None,
        solver: Solver | None = None,
        metrics: FleetMetrics | None = None,
    ) -> None:
        self._site = site
        self._metrics = metrics
        self._store = store
        self._dispatcher = dispatcher
        self._clock = clock
        self._triggers = triggers
        self._solver: Solver = solver or WarmSolver()
        self._history = HistoryCache(site, store, clock)
        self._external = ExternalSources(site)
        self._yard = yard or Yard()
        self._plan_lock = asyncio.Lock()
        self._planned = asyncio.Condition()
        self.latest: PlanResult | None = None
        self.started = False
        """Whether ``run`` has begun (readiness: planning is under way even before the first plan)."""

    def request_replan(self, reason: str) -> None:
        self._triggers.request_replan(reason)

    def installed_profile(self, connector_key: str) -> PowerLimitProfile | None:
        """The TxProfile the charger last accepted for ``connector_key`` ("CP/1"), None if none is."""
        return self._dispatcher.installed(connector_key)

    async def wait_for_plan(self, newer_than: int = 0) -> PlanResult:
        """Wait until a plan with an id above ``newer_than`` exists (used by tests and the API)."""
        async with self._planned:
            await self._planned.wait_for(lambda: self.latest is not None and self.latest.schedule_id > newer_than)
        assert self.latest is not None
        return self.latest

    async def run(self) -> None:
        self.started = True
        self.request_replan("start")
        async with asyncio.TaskGroup() as group:
            group.create_task(self._slot_ticker())
            while True:
                stop_if_asked()
                await self._triggers.wait()
                # Debounce in real time: a burst of plug-ins gives one solve, a lone one waits little.
                planning = self._site.planning
                await self._triggers.settle(
                    min(planning.replan_quiet_s, planning.replan_debounce_s), planning.replan_debounce_s
                )
                batch = self._triggers.take()
                for charge_point_id in batch.reconnected:
                    self._dispatcher.forget(charge_point_id)
                try:
                    await self.replan(batch.reasons)
                except Exception:
                    if being_stopped():
                        raise
                    # The loop must outlive a bad cycle; the chargers keep their last profiles meanwhile.
                    log.exception("re-planning failed (%s)", summarise(batch.reasons))

    async def _slot_ticker(self) -> None:
        slot = timedelta(minutes=self._site.planning.slot_min)
        while True:
            stop_if_asked()
            now = self._clock.now()
            next_boundary = interval_start(now, slot) + slot
            await self._clock.sleep((next_boundary - now).total_seconds())
            self.request_replan("new slot")

    async def snapshot(self) -> Snapshot:
        """The state the next plan would be made from (what-if questions start from it)."""
        return await self._snapshot()

    async def _snapshot(self) -> Snapshot:
        try:
            history: SiteHistory | None = await self._history.get()
        except Exception:
            # Forecasts then run on their priors; the plan must not wait for history to heal.
            log.exception("loading the site history failed")
            history = None
        now = self._clock.now()
        quarter_hour_samples = await self._store.site_samples(now - timedelta(hours=CAPACITY_INTERVAL_H))
        return Snapshot(
            now=now,
            transactions=tuple(await self._store.active_transactions()),
            vehicles={v.id: v for v in await self._store.list_vehicles()},
            bookings=await self._store.current_bookings(),
            history=history,
            external=await self._external.get(now),
            waiting=self._yard.waiting(),
            grid_limits=tuple(await self._store.fleet.grid_limits(now)),
            external_limits=tuple(await self._store.charger_inputs.external_limits()),
            import_so_far=import_so_far(quarter_hour_samples, now),
        )

    async def replan(self, reasons: tuple[str, ...]) -> PlanResult:
        async with self._plan_lock:
            started = time.perf_counter()
            snapshot = await self._snapshot()
            now = snapshot.now
            plugged, forecast, problem, schedule = await asyncio.to_thread(_plan, self._site, snapshot, self._solver)
            # Vehicles still to come are not short yet: report only those plugged in.
            unmet_kwh = sum(p.unmet_energy_kwh for p in schedule.plans if not p.expected)
            body = schedule_body(self._site, forecast, problem, schedule, plugged, reasons)
            schedule_id = await self._store.save_schedule(
                now,
                schedule.status.value,
                schedule.termination,
                schedule.objective_eur,
                schedule.solve_time_s,
                unmet_kwh,
                body,
            )
            if self._metrics is not None:
                self._metrics.plan_made(schedule.status.value, schedule.solve_time_s, now)
            result = PlanResult(schedule_id, now, reasons, forecast, problem, tuple(plugged), schedule)
            async with self._planned:
                self.latest = result
                self._planned.notify_all()
            outcomes = await self._dispatcher.dispatch(schedule, plugged, now)
            failed = [o for o in outcomes if o.result is not None and not o.result.ok]
            log.info(
                "plan %d: %s, %d vehicles, unmet %.1f kWh, %.2f s (%s); %d profiles sent, %d failed",
                schedule_id,
                schedule.status.value,
                len(plugged),
                unmet_kwh,
                time.perf_counter() - started,
                summarise(reasons),
                len(outcomes),
                len(failed),
            )
            return result
