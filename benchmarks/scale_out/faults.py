"""The fault benchmark's run: a deployment under load, then a gateway, the controller and everything
killed or restarted, each measured from the chargers' side and checked against the database.

1. A site file for N chargers, a fresh database (SQLite file or a PostgreSQL database made for the
   run), the deployment of ``deployment.py`` (controller, two gateways, HAProxy) on its own bus
   namespace; load processes (``fault_load.py``) bring the chargers up through the balancer, each
   with a transaction streaming meter values, until every charger holds its fail-safe and a
   TxProfile of a plan.
2. The scenarios asked for, in this order, on the same deployment:
   ``gateway`` (SIGKILL one gateway), ``controller`` (SIGKILL the controller for ``outage_s``),
   ``restart`` (SIGTERM the gateways and the controller, start them again; NATS and HAProxy stay).
   After each, what the chargers were acknowledged is compared with the database.
3. Every transaction is stopped and the whole ledger compared once more; everything is stopped and
   removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing
import os
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Final

from benchmarks.scale_out.deployment import BUS_URL, Deployment
from benchmarks.scale_out.fault_load import (
    BroughtUp,
    ChargerLedger,
    ChargerView,
    LimitWatch,
    LoadSettings,
    run_fault_load,
)
from benchmarks.scale_out.ledger import LedgerCheck, check_ledger
from benchmarks.scale_out.nodes import (
    create_postgres_database,
    drop_postgres_database,
    event_backlog,
    remove_tree,
)
from benchmarks.scale_out.site_file import BASE_LOAD_MAX_KW, bench_site
from fleet.bus.controller_events import SWEEP_INTERVAL_S
from fleet.bus.holders import LOST_AFTER_S
from fleet.persistence import Store

SCENARIOS: Final = ("gateway", "controller", "restart")
POLL_S: Final = 0.5
PIPE_TIMEOUT_S: Final = 180.0


@dataclass(frozen=True, slots=True)
class FaultPlan:
    chargers: int
    scenarios: tuple[str, ...] = SCENARIOS
    meter_interval_s: float = 10.0
    """Each charger's pause between two MeterValues [s]."""
    outage_s: float = 30.0
    """How long the controller stays down in the ``controller`` scenario."""
    load_processes: int = 2
    postgres_url: str | None = None
    """A PostgreSQL server (postgresql://user@host:port) to make the run's database on; None: SQLite."""
    reconnect_s: float = 1.0
    """A charger's pause before connecting again."""
    settle_timeout_s: float = 180.0
    """Longest wait for what follows a fault: reconnects, profiles, a drained backlog, stored events."""
    bring_up_timeout_s: float = 600.0
    stop_every: int = 10
    """``restart``: every ``stop_every``-th charger ends its transaction before the restart."""


@dataclass(frozen=True, slots=True)
class Spread:
    """Delays after a fault, one per charger that had one [s]."""

    count: int
    p50_s: float
    p95_s: float
    max_s: float

    @classmethod
    def of(cls, delays_s: Sequence[float]) -> Spread:
        ordered = sorted(delays_s)

        def rank(share: float) -> float:
            if not ordered:
                return math.nan
            return round(ordered[max(0, math.ceil(share * len(ordered)) - 1)], 3)

        return cls(len(ordered), rank(0.50), rank(0.95), round(ordered[-1], 3) if ordered else math.nan)


@dataclass(frozen=True, slots=True)
class GatewayKill:
    held_before: tuple[int, ...]
    """Websockets each gateway served before the kill (the first is killed)."""
    moved: int
    """Chargers that reconnected after the kill."""
    reconnect: Spread
    failsafe: Spread
    """From the kill to the first TxDefaultProfile on the new connection."""
    tx_profile: Spread
    """From the kill to the first TxProfile on the new connection."""
    held_after: int
    """Websockets the surviving gateway serves once they moved."""
    connected_after_sweep: int
    """Chargers the controller shows connected once it gave the silent gateway up."""
    readings_during: int
    """Readings acknowledged from the kill until every moved charger held its TxProfile again."""
    ledger: LedgerCheck


@dataclass(frozen=True, slots=True)
class ControllerKill:
    outage_s: float
    readings_during: int
    """Readings acknowledged while the controller was down."""
    backlog_peak: int
    """Events stored in JetStream and not yet handled, at most, over the outage and the catch-up."""
    profiles_during: int
    """SetChargingProfile calls the chargers received while the controller was down."""
    max_limit_sum_kw: float
    """The largest sum of the limits in force on the chargers over the outage (an upper bound: the
    largest per load process, added)."""
    chargers_without_limit: int
    grid_limit_kw: float
    headroom_kw: float
    """The grid limit less the site's largest base load: what the chargers may draw together."""
    ready_s: float
    """From the restart to the controller's /health/ready."""
    drained_s: float | None
    """From the restart until the backlog is empty; None if it did not empty in time."""
    tx_profile: Spread
    """From the restart to each charger's first TxProfile of the restarted controller."""
    ledger: LedgerCheck


@dataclass(frozen=True, slots=True)
class RestartAll:
    exit_codes: dict[str, int | None]
    stop_s: float
    """SIGTERM to the last node stopped."""
    start_s: float
    """Start of the controller to the last gateway ready."""
    reconnect: Spread
    """From the start of the nodes to each charger's first connection again."""
    tx_profile: Spread
    """From the start of the nodes to each open transaction's first TxProfile again."""
    open_before: int
    open_after: int
    """Transactions the database shows active after the restart."""
    open_match: bool
    """The active transactions are exactly those open before, under the same ids."""
    ledger: LedgerCheck


@dataclass
class FaultResult:
    plan: FaultPlan
    database: str = "sqlite"
    grid_limit_kw: float = 0.0
    streaming: int = 0
    bring_up_s: float = 0.0
    planned_s: float = 0.0
    """From the last charger streaming until every one held a TxProfile."""
    gateway: GatewayKill | None = None
    controller: ControllerKill | None = None
    restart: RestartAll | None = None
    final: LedgerCheck | None = None
    """After every transaction was stopped."""
    load_average_1min: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0
    log_dir: str | None = None


def _progress(message: str) -> None:
    print(f"  .. {message}", flush=True)


class _Loads:
    """The load processes and their pipes."""

    def __init__(self) -> None:
        self._processes: list[tuple[BaseProcess, Connection]] = []

    def start(self, settings: Sequence[LoadSettings]) -> None:
        context = multiprocessing.get_context("spawn")
        for k, one in enumerate(settings):
            pipe, end = context.Pipe()
            process = context.Process(target=run_fault_load, args=(one, end), name=f"fault-load-{k + 1}")
            process.start()
            self._processes.append((process, pipe))

    async def _receive(self, pipe: Connection, timeout_s: float) -> Any:
        # Short polls: an interrupted run is not held up by a thread waiting for minutes.
        deadline_s = time.monotonic() + timeout_s
        while not await asyncio.to_thread(pipe.poll, 1.0):
            if time.monotonic() > deadline_s:
                raise TimeoutError(f"no answer from a load process within {timeout_s:.0f} s")
        return pipe.recv()

    async def ask(self, command: tuple[Any, ...], timeout_s: float = PIPE_TIMEOUT_S) -> list[Any]:
        for _, pipe in self._processes:
            pipe.send(command)
        return [await self._receive(pipe, timeout_s) for _, pipe in self._processes]

    async def brought_up(self, timeout_s: float) -> list[BroughtUp]:
        return [await self._receive(pipe, timeout_s) for _, pipe in self._processes]

    async def views(self, since_s: float) -> list[ChargerView]:
        return [view for views in await self.ask(("views", since_s)) for view in views]

    async def ledgers(self) -> list[ChargerLedger]:
        return [ledger for ledgers in await self.ask(("ledger",)) for ledger in ledgers]

    def stop(self) -> None:
        for process, pipe in self._processes:
            if process.is_alive():
                with contextlib.suppress(OSError):
                    pipe.send(("quit",))
        for process, _ in self._processes:
            process.join(timeout=20)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)


async def _until(
    check: Callable[[], Awaitable[list[ChargerView]]],
    done: Callable[[list[ChargerView]], bool],
    timeout_s: float,
    what: str,
) -> tuple[list[ChargerView], bool]:
    """Poll ``check`` until ``done`` holds of its answer; the last answer and whether it held."""
    deadline_s = time.monotonic() + timeout_s
    while True:
        answer = await check()
        if done(answer):
            return answer, True
        if time.monotonic() > deadline_s:
            _progress(f"gave up after {timeout_s:.0f} s waiting for {what}")
            return answer, False
        await asyncio.sleep(POLL_S)


def _readings(views: Sequence[ChargerView]) -> int:
    return sum(v.readings_acknowledged for v in views)


class _Run:
    def __init__(self, plan: FaultPlan, deployment: Deployment, loads: _Loads, result: FaultResult) -> None:
        self.plan = plan
        self.deployment = deployment
        self.loads = loads
        self.result = result

    async def ledger(self) -> LedgerCheck:
        check = await check_ledger(self.deployment.database_url, await self.loads.ledgers(), self.plan.settle_timeout_s)
        _progress(
            f"ledger: {check.readings_stored}/{check.readings_acknowledged} readings stored, "
            f"{check.readings_lost} lost, {check.readings_duplicated} duplicated, "
            f"{check.transactions_stored}/{check.transactions_acknowledged} transactions, "
            f"{check.stops_stored}/{check.stops_acknowledged} stops"
        )
        return check

    async def backlog(self) -> int | None:
        return await event_backlog(BUS_URL, self.deployment.namespace)

    async def gateway(self) -> GatewayKill:
        deployment = self.deployment
        held = tuple([await deployment.gateway_connections(k) for k in range(len(deployment.gateways))])
        _progress(f"gateway: the gateways hold {held}; SIGKILL gateway-0")
        killed_at = time.monotonic()
        readings_before = _readings(await self.loads.views(killed_at))
        deployment.gateways[0].kill()

        def moved(views: list[ChargerView]) -> list[ChargerView]:
            return [v for v in views if v.connected_at]

        views, _ = await _until(
            lambda: self.loads.views(killed_at),
            lambda vs: len(moved(vs)) >= held[0],
            self.plan.settle_timeout_s,
            "the killed gateway's chargers to reconnect",
        )
        views, _ = await _until(
            lambda: self.loads.views(killed_at),
            lambda vs: all(v.first_failsafe_at and v.first_tx_profile_at for v in moved(vs)),
            self.plan.settle_timeout_s,
            "the moved chargers' fail-safe and TxProfile",
        )
        gone = moved(views)
        readings_during = _readings(views) - readings_before
        reconnect = Spread.of([v.connected_at[0] - killed_at for v in gone])
        failsafe = Spread.of([v.first_failsafe_at - killed_at for v in gone if v.first_failsafe_at])
        tx_profile = Spread.of([v.first_tx_profile_at - killed_at for v in gone if v.first_tx_profile_at])
        held_after = await deployment.gateway_connections(1)
        _progress(
            f"gateway: {len(gone)} moved; reconnect p95 {reconnect.p95_s} s, fail-safe p95 {failsafe.p95_s} s, "
            f"TxProfile p95 {tx_profile.p95_s} s"
        )
        # The controller gives the silent gateway up after LOST_AFTER_S: the chargers that moved on
        # meanwhile must stay connected.
        await asyncio.sleep(max(0.0, killed_at + LOST_AFTER_S + 2 * SWEEP_INTERVAL_S - time.monotonic()))
        connected = len(await deployment.connected_chargers())
        await deployment.gateways[0].start()
        return GatewayKill(
            held,
            len(gone),
            reconnect,
            failsafe,
            tx_profile,
            held_after,
            connected,
            readings_during,
            await self.ledger(),
        )

    async def controller(self) -> ControllerKill:
        deployment = self.deployment
        plan = self.plan
        _progress(f"controller: SIGKILL, down for {plan.outage_s:.0f} s")
        killed_at = time.monotonic()
        readings_before = _readings(await self.loads.views(killed_at))
        await self.loads.ask(("watch", True))
        deployment.controller.kill()
        peak = 0
        while time.monotonic() < killed_at + plan.outage_s:
            peak = max(peak, await self.backlog() or 0)
            await asyncio.sleep(1.0)
        watches: list[LimitWatch] = await self.loads.ask(("watch", False))
        readings_during = _readings(await self.loads.views(killed_at)) - readings_before
        outage_s = time.monotonic() - killed_at
        _progress(f"controller: {readings_during} readings acknowledged in the outage, backlog {peak}; restarting")

        restarted_at = time.monotonic()
        await deployment.controller.start()
        ready_s = time.monotonic() - restarted_at
        drained_s: float | None = None
        deadline_s = restarted_at + plan.settle_timeout_s
        views: list[ChargerView] = []
        while time.monotonic() < deadline_s:
            backlog = await self.backlog()
            peak = max(peak, backlog or 0)
            if drained_s is None and backlog == 0:
                drained_s = time.monotonic() - restarted_at
            views = await self.loads.views(restarted_at)
            streaming = [v for v in views if not v.stopped]
            if drained_s is not None and all(v.first_tx_profile_at for v in streaming):
                break
            await asyncio.sleep(POLL_S)
        tx_profile = Spread.of([v.first_tx_profile_at - restarted_at for v in views if v.first_tx_profile_at])
        site = bench_site(plan.chargers, plan.chargers)
        result = ControllerKill(
            outage_s=round(outage_s, 1),
            readings_during=readings_during,
            backlog_peak=peak,
            profiles_during=sum(w.profiles_received for w in watches),
            max_limit_sum_kw=round(sum(w.max_sum_kw for w in watches), 1),
            chargers_without_limit=sum(w.max_without_limit for w in watches),
            grid_limit_kw=site.grid_import_limit_kw,
            headroom_kw=round(site.grid_import_limit_kw - BASE_LOAD_MAX_KW, 1),
            ready_s=round(ready_s, 2),
            drained_s=None if drained_s is None else round(drained_s, 2),
            tx_profile=tx_profile,
            ledger=await self.ledger(),
        )
        _progress(
            f"controller: ready {result.ready_s} s after restart, backlog drained at {result.drained_s} s, "
            f"TxProfile p95 {tx_profile.p95_s} s; limits held {result.max_limit_sum_kw} kW of {result.headroom_kw}"
        )
        return result

    async def restart(self) -> RestartAll:
        deployment = self.deployment
        views = await self.loads.views(0.0)
        ending = [v.charge_point_id for k, v in enumerate(views) if k % self.plan.stop_every == 0 and not v.stopped]
        await self.loads.ask(("stop", ending))
        views = await self.loads.views(0.0)
        open_ids = {v.charge_point_id: v.transaction_id for v in views if not v.stopped}
        _progress(f"restart: {len(ending)} transactions stopped, {len(open_ids)} open; SIGTERM gateways, controller")
        stopped_at = time.monotonic()
        exits = {node.name: await node.stop() for node in [*deployment.gateways, deployment.controller]}
        stop_s = time.monotonic() - stopped_at
        started_at = time.monotonic()
        await deployment.controller.start()
        await asyncio.gather(*(gateway.start() for gateway in deployment.gateways))
        start_s = time.monotonic() - started_at

        # Since the start: a profile may come between the SIGTERM and the controller's end (the stopped
        # transactions make it plan again), and no charger can connect before the gateways start.
        views, _ = await _until(
            lambda: self.loads.views(started_at),
            lambda vs: (
                all(v.connected_at for v in vs)
                and all(v.first_tx_profile_at for v in vs if v.charge_point_id in open_ids)
            ),
            self.plan.settle_timeout_s,
            "every charger back and every open transaction's TxProfile",
        )
        reconnect = Spread.of([v.connected_at[0] - started_at for v in views if v.connected_at])
        tx_profile = Spread.of(
            [
                v.first_tx_profile_at - started_at
                for v in views
                if v.first_tx_profile_at and v.charge_point_id in open_ids
            ]
        )
        ledger = await self.ledger()
        active = await _active_transactions(deployment.database_url)
        now_ids = {v.charge_point_id: v.transaction_id for v in views if not v.stopped}
        _progress(
            f"restart: reconnect p95 {reconnect.p95_s} s, TxProfile p95 {tx_profile.p95_s} s after the start, "
            f"{len(active)} transactions active"
        )
        return RestartAll(
            exit_codes=exits,
            stop_s=round(stop_s, 2),
            start_s=round(start_s, 2),
            reconnect=reconnect,
            tx_profile=tx_profile,
            open_before=len(open_ids),
            open_after=len(active),
            open_match=active == open_ids == now_ids,
            ledger=ledger,
        )


async def _active_transactions(database_url: str) -> dict[str, int | None]:
    store = Store.from_url(database_url)
    try:
        return {tx.charge_point_id: tx.id for tx in await store.active_transactions()}
    finally:
        await store.close()


async def _watch_load(samples: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        samples.append(round(os.getloadavg()[0], 2))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 5.0)


def _shares(items: Sequence[tuple[str, str]], parts: int) -> list[tuple[tuple[str, str], ...]]:
    bounds = [len(items) * k // parts for k in range(parts + 1)]
    return [tuple(items[bounds[k] : bounds[k + 1]]) for k in range(parts) if bounds[k + 1] > bounds[k]]


async def _database(plan: FaultPlan, folder: Path, name: str) -> str:
    if plan.postgres_url:
        return await create_postgres_database(plan.postgres_url, name)
    return f"sqlite:///{folder / 'faults.db'}"


async def run_faults(plan: FaultPlan, *, keep_logs: bool = False) -> FaultResult:
    """Run ``plan`` on a fresh deployment; everything is stopped and removed after."""
    unknown = set(plan.scenarios) - set(SCENARIOS)
    if unknown:
        raise ValueError(f"unknown scenarios {sorted(unknown)}: choose among {SCENARIOS}")
    started_s = time.monotonic()
    result = FaultResult(plan, database="postgresql" if plan.postgres_url else "sqlite")
    folder = Path(tempfile.mkdtemp(prefix="faults-"))
    database = f"vettabbia_faults_{os.getpid()}_{time.time_ns() % 10**9:x}"
    site = bench_site(plan.chargers, plan.chargers)
    result.grid_limit_kw = site.grid_import_limit_kw
    site_path = folder / "site.yaml"
    site.write(site_path)
    loads = _Loads()
    load_stop = asyncio.Event()
    load_watch = asyncio.create_task(_watch_load(result.load_average_1min, load_stop))
    deployment: Deployment | None = None
    failed = True
    try:
        database_url = await _database(plan, folder, database)
        deployment = Deployment(folder, database_url, site=site_path, start_timeout_s=plan.bring_up_timeout_s)
        await deployment.start()
        _progress(f"controller, 2 gateways and HAProxy ready; bringing up {plan.chargers} chargers")
        session_start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
        pairs = list(zip(site.charge_point_ids, site.id_tags, strict=True))
        loads.start(
            [
                LoadSettings(
                    deployment.charger_url,
                    share,
                    session_start,
                    plan.meter_interval_s,
                    plan.reconnect_s,
                    plan.bring_up_timeout_s,
                )
                for share in _shares(pairs, plan.load_processes)
            ]
        )
        brought = await loads.brought_up(plan.bring_up_timeout_s + 60.0)
        result.streaming = sum(b.streaming for b in brought)
        result.bring_up_s = round(max(b.seconds for b in brought), 1)
        _progress(f"{result.streaming}/{plan.chargers} chargers streaming after {result.bring_up_s} s")
        planned_from = time.monotonic()
        await _until(
            lambda: loads.views(0.0),
            lambda vs: all(v.first_failsafe_at and v.first_tx_profile_at for v in vs),
            plan.settle_timeout_s,
            "every charger's fail-safe and TxProfile",
        )
        result.planned_s = round(time.monotonic() - planned_from, 1)
        _progress(f"every charger holds its fail-safe and a TxProfile, {result.planned_s} s later")
        run = _Run(plan, deployment, loads, result)
        for scenario in plan.scenarios:
            if scenario == "gateway":
                result.gateway = await run.gateway()
            elif scenario == "controller":
                result.controller = await run.controller()
            else:
                result.restart = await run.restart()
        views = await loads.views(0.0)
        await loads.ask(("stop", [v.charge_point_id for v in views]), plan.settle_timeout_s + 60.0)
        _progress("every transaction stopped; final ledger")
        result.final = await run.ledger()
        failed = False
    finally:
        loads.stop()
        load_stop.set()
        await load_watch
        if deployment is not None:
            await deployment.stop()
            await deployment.delete_bus_state()
        if plan.postgres_url:
            await drop_postgres_database(plan.postgres_url, database)
        if failed or keep_logs:
            result.log_dir = str(folder)
            _progress(f"logs kept in {folder}")
        else:
            remove_tree(folder)
    result.elapsed_s = round(time.monotonic() - started_s, 1)
    return result
