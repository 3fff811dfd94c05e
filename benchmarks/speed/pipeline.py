"""One full re-plan, as the control loop runs it, timed stage by stage.

planning: records -> :func:`fleet.planning.plugged_vehicles` -> :func:`fleet.site_forecast.forecast_site`
-> :func:`fleet.planning.build_problem`; solve: :func:`optimizer.solve` from scratch, repaired into
setpoints as the control loop asks (``dispatchable=True``); dispatch: a fresh
:class:`fleet.dispatch.Dispatcher` turns every plan into a TxProfile and the sender converts each to
its OCPP 1.6 payload with :func:`ocpp_server.profiles.to_ocpp16_charging_profile`, which is all the
central system does before the payload goes on the wire.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from benchmarks.speed.snapshot import Snapshot
from fleet.dispatch import Dispatcher
from fleet.planning import build_problem, horizon_h, plugged_vehicles
from fleet.site_config import SiteConfig
from fleet.site_forecast import forecast_site
from ocpp_server.commands import CommandResult, CommandStatus, ConnectorElectrical, PowerLimitProfile
from ocpp_server.profiles import to_ocpp16_charging_profile
from optimizer import ChargingProblem, Schedule, solve


class PayloadSender:
    """A ProfileSender that stops where the network starts: it keeps the OCPP payloads it built."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []

    async def set_charging_profile(
        self,
        charge_point_id: str,
        profile: PowerLimitProfile,
        electrical: ConnectorElectrical,
        *,
        max_periods: int | None = None,
    ) -> CommandResult:
        self.payloads.append(to_ocpp16_charging_profile(profile, electrical, max_periods=max_periods))
        return CommandResult(CommandStatus.ACCEPTED)

    async def clear_charging_profile(self, charge_point_id: str, *, profile_id: int | None = None) -> CommandResult:
        return CommandResult(CommandStatus.ACCEPTED)


@dataclass(frozen=True, slots=True)
class ReplanTiming:
    """Wall time of each stage of one re-plan [s]."""

    planning_s: float
    solve_s: float
    dispatch_s: float
    cpu_s: float
    """CPU time of the whole re-plan, this process's threads included [s]: on a machine shared with
    other work, what the re-plan itself costs, whatever the wall clock says."""

    @property
    def total_s(self) -> float:
        return self.planning_s + self.solve_s + self.dispatch_s


@dataclass(frozen=True, slots=True)
class ReplanOutcome:
    timing: ReplanTiming
    problem: ChargingProblem
    schedule: Schedule
    payload_count: int


def problem_of(site: SiteConfig, snapshot: Snapshot) -> ChargingProblem:
    """The planning stage alone: the ChargingProblem the control loop would build from ``snapshot``."""
    plugged = plugged_vehicles(snapshot.now, site, snapshot.transactions, snapshot.vehicles, snapshot.bookings)
    forecast = forecast_site(site, snapshot.now, horizon_h(snapshot.now, site, plugged))
    return build_problem(site, forecast, plugged)


def replan_once(site: SiteConfig, snapshot: Snapshot, runner: asyncio.Runner, *, time_limit_s: float) -> ReplanOutcome:
    """Run and time one re-plan from ``snapshot``.

    Parameters
    ----------
    site
        The site the snapshot belongs to.
    snapshot
        The store's content at the re-plan.
    runner
        An open event loop for the (asynchronous) dispatcher; creating it is not part of the time.
    time_limit_s
        The solver's time limit [s].
    """
    started_s = time.perf_counter()
    cpu_started_s = time.process_time()
    plugged = plugged_vehicles(snapshot.now, site, snapshot.transactions, snapshot.vehicles, snapshot.bookings)
    forecast = forecast_site(site, snapshot.now, horizon_h(snapshot.now, site, plugged))
    problem = build_problem(site, forecast, plugged)
    planned_s = time.perf_counter()
    schedule = solve(problem, time_limit_s=time_limit_s, dispatchable=True)
    solved_s = time.perf_counter()
    sender = PayloadSender()
    runner.run(Dispatcher(site, sender).dispatch(schedule, plugged, snapshot.now))
    dispatched_s = time.perf_counter()
    return ReplanOutcome(
        timing=ReplanTiming(
            planned_s - started_s,
            solved_s - planned_s,
            dispatched_s - solved_s,
            time.process_time() - cpu_started_s,
        ),
        problem=problem,
        schedule=schedule,
        payload_count=len(sender.payloads),
    )
