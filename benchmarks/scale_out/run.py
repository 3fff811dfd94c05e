"""One run: a controller, two gateways, load processes, then connect, warm up, steady load, report.

1. A site file for the chargers and vehicles, a fresh database (SQLite file, or a PostgreSQL database
   made for the run), a namespace of its own on the NATS server.
2. The controller, then the gateways, each a ``vettabbia`` process; load processes open and boot
   their share of the chargers on their gateway, a bounded number at a time.
3. Warm-up: some vehicles plug in at once, so that the optimiser plans for a few hundred of them.
4. Steady load: every charger sends a heartbeat and meter values each interval, spread evenly; a
   sample of chargers plug in, spread over the run, each timed to its TxProfile.
5. CPU and memory of every node from /proc, the controller's plans from its log, the event backlog
   from the broker, then everything is stopped and removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing
import os
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from benchmarks.ocpp_load.run import percentile_ms
from benchmarks.scale_out.load import Booted, LoadReport, PlugIn, PlugOutcome, RunOrder, run_load
from benchmarks.scale_out.nodes import (
    Node,
    PlanLine,
    ProcessSample,
    create_postgres_database,
    drop_postgres_database,
    event_backlog,
    plan_lines,
    remove_bus_state,
    remove_tree,
    start_controller,
    start_gateway,
    wait_ready,
)
from benchmarks.scale_out.ports import HOST
from benchmarks.scale_out.site_file import bench_site

MESSAGE_ACTIONS = ("Heartbeat", "MeterValues")
START_TIMEOUT_S = 120.0
SETTLE_TIMEOUT_S = 120.0
SAMPLE_INTERVAL_S = 3.0
WARM_SPREAD_S = 5.0
"""The warm-up's plug-ins come within this many seconds: a burst, as at a shift change."""


@dataclass(frozen=True, slots=True)
class ScaleOutPlan:
    chargers: int
    interval_s: float
    """Each charger's heartbeat and meter-value interval [s]."""
    run_s: float
    plug_ins: int
    """Timed plug-ins, spread over the run."""
    warm_plug_ins: int
    """Vehicles plugged in before the run, so that every plan has them to share the grid among."""
    gateways: int = 2
    load_processes_per_gateway: int = 1
    postgres_url: str | None = None
    """A PostgreSQL server (postgresql://user@host:port) to make the run's database on; None: SQLite."""
    bus_url: str = "nats://127.0.0.1:4222"
    connect_timeout_s: float = 600.0
    drain_s: float = 30.0
    seed: int = 1


@dataclass(frozen=True, slots=True)
class NodeUsage:
    name: str
    cpu_s: float
    """CPU time during the steady run [s]."""
    cpu_share: float
    """``cpu_s`` over the run's wall time (1.0 = one core)."""
    rss_idle_bytes: int
    """Before any charger connected."""
    rss_connected_bytes: int
    """Every charger connected and booted, before the warm-up."""
    rss_end_bytes: int
    peak_rss_bytes: int
    connections: int | None
    """Websockets the node itself counts as open at the end (gateways)."""

    @property
    def bytes_per_connection(self) -> float:
        if not self.connections:
            return math.nan
        return (self.rss_connected_bytes - self.rss_idle_bytes) / self.connections

    @property
    def cpu_ms_per_connection_minute(self) -> float:
        if not self.connections:
            return math.nan
        return self.cpu_share * 60_000.0 / self.connections


@dataclass(frozen=True, slots=True)
class MessageStats:
    action: str
    sent: int
    answered: int
    call_errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float


@dataclass(frozen=True, slots=True)
class PlugStats:
    count: int
    with_profile: int
    failed: int
    """Plug-ins that did not go through (charger not connected, StartTransaction refused or unanswered)."""
    errors: tuple[str, ...]
    """The first few of them, with the reason."""
    p50_s: float
    p95_s: float
    max_s: float


@dataclass
class ScaleOutResult:
    plan: ScaleOutPlan
    database: str = "sqlite"
    chargers_connected: int = 0
    connect_s: float = 0.0
    connect_retries: int = 0
    connect_failures: tuple[str, ...] = ()
    settle_s: float = 0.0
    """From the last boot to an empty event backlog: the controller catching up with the boots [s]."""
    held_by_load: int = 0
    held_by_gateways: int = 0
    run_window_s: float = 0.0
    offered_per_s: float = 0.0
    """Heartbeats and meter values per second the load aimed at: 2 x chargers booted / interval."""
    answered_per_s: float = 0.0
    messages: list[MessageStats] = field(default_factory=list)
    unanswered: int = 0
    unexpected: int = 0
    queued: int = 0
    server_calls: dict[str, int] = field(default_factory=dict)
    plug_ins: PlugStats | None = None
    warm_plug_ins: PlugStats | None = None
    nodes: list[NodeUsage] = field(default_factory=list)
    load_cpu_share: float = 0.0
    plans_in_run: list[PlanLine] = field(default_factory=list)
    plans_total: int = 0
    backlog_max: int | None = None
    backlog_end: int | None = None
    load_average_1min: list[float] = field(default_factory=list)
    """The machine's one-minute load average, sampled through the steady run."""
    elapsed_s: float = 0.0
    log_dir: str | None = None
    """Where the nodes' logs were kept (a failed run keeps them)."""


def progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


def plug_stats(outcomes: Sequence[PlugOutcome]) -> PlugStats:
    latencies_s = [o.profile_after_s for o in outcomes if o.profile_after_s is not None]
    errors = tuple(f"{o.charge_point_id}: {o.error}" for o in outcomes if o.error is not None)
    return PlugStats(
        count=len(outcomes),
        with_profile=len(latencies_s),
        failed=len(errors),
        errors=errors[:10],
        p50_s=percentile_ms(latencies_s, 0.50) / 1000.0,
        p95_s=percentile_ms(latencies_s, 0.95) / 1000.0,
        max_s=max(latencies_s, default=math.nan),
    )


def message_stats(reports: Sequence[LoadReport]) -> list[MessageStats]:
    actions = sorted({a for r in reports for a in r.sent}, key=lambda a: (a not in MESSAGE_ACTIONS, a))
    stats = []
    for action in actions:
        round_trips_s = [t for r in reports for t in r.round_trips_s.get(action, ())]
        stats.append(
            MessageStats(
                action=action,
                sent=sum(r.sent.get(action, 0) for r in reports),
                answered=len(round_trips_s),
                call_errors=sum(r.call_errors.get(action, 0) for r in reports),
                p50_ms=percentile_ms(round_trips_s, 0.50),
                p99_ms=percentile_ms(round_trips_s, 0.99),
                max_ms=max(round_trips_s, default=math.nan) * 1000.0,
            )
        )
    return stats


def _shares(items: Sequence[str], parts: int) -> list[list[str]]:
    bounds = [len(items) * k // parts for k in range(parts + 1)]
    return [list(items[bounds[k] : bounds[k + 1]]) for k in range(parts)]


async def _receive(pipe: Connection, timeout_s: float, what: str) -> object:
    if not await asyncio.to_thread(pipe.poll, timeout_s):
        raise TimeoutError(f"no {what} within {timeout_s:.0f} s")
    return pipe.recv()


class _Workers:
    def __init__(self) -> None:
        self.processes: list[tuple[BaseProcess, Connection, frozenset[str]]] = []

    def start(self, port: int, charge_point_ids: list[str], name: str) -> None:
        context = multiprocessing.get_context("spawn")
        pipe, end = context.Pipe()
        process = context.Process(target=run_load, args=(HOST, port, charge_point_ids, end), name=name)
        process.start()
        self.processes.append((process, pipe, frozenset(charge_point_ids)))

    async def booted(self, timeout_s: float) -> list[Booted]:
        reports = []
        for _, pipe, _ in self.processes:
            report = await _receive(pipe, timeout_s, "boot report")
            assert isinstance(report, Booted)
            reports.append(report)
        return reports

    async def run(self, order: RunOrder, timeout_s: float) -> list[LoadReport]:
        for _, pipe, ids in self.processes:
            plug_ins = tuple(p for p in order.plug_ins if p.charge_point_id in ids)
            pipe.send(("run", RunOrder(order.duration_s, order.interval_s, plug_ins, order.drain_s)))
        reports = []
        for _, pipe, _ in self.processes:
            report = await _receive(pipe, timeout_s, "run report")
            assert isinstance(report, LoadReport)
            reports.append(report)
        return reports

    def stop(self) -> None:
        for process, pipe, _ in self.processes:
            if process.is_alive():
                with contextlib.suppress(OSError):
                    pipe.send(("stop",))
        for process, _, _ in self.processes:
            process.join(timeout=20)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)


async def _settle(plan: ScaleOutPlan, namespace: str, timeout_s: float) -> float:
    """Wait until the controller has handled every stored event; the seconds it took."""
    started_s = time.monotonic()
    await asyncio.sleep(1.0)
    while time.monotonic() - started_s < timeout_s:
        if await event_backlog(plan.bus_url, namespace) == 0:
            break
        await asyncio.sleep(1.0)
    return time.monotonic() - started_s


async def _watch(plan: ScaleOutPlan, namespace: str, result: ScaleOutResult, stop: asyncio.Event) -> None:
    while not stop.is_set():
        backlog = await event_backlog(plan.bus_url, namespace)
        if backlog is not None:
            result.backlog_max = max(result.backlog_max or 0, backlog)
        result.load_average_1min.append(round(os.getloadavg()[0], 2))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SAMPLE_INTERVAL_S)


def _choose_plug_ins(
    plan: ScaleOutPlan, charge_point_ids: Sequence[str], id_tags: Sequence[str]
) -> tuple[tuple[PlugIn, ...], tuple[PlugIn, ...]]:
    total = plan.warm_plug_ins + plan.plug_ins
    chosen = random.Random(plan.seed).sample(list(charge_point_ids), min(total, len(charge_point_ids)))
    warm = tuple(
        PlugIn(WARM_SPREAD_S * k / max(1, plan.warm_plug_ins), cp_id, id_tags[k])
        for k, cp_id in enumerate(chosen[: plan.warm_plug_ins])
    )
    spacing_s = plan.run_s / max(1, plan.plug_ins)
    timed = tuple(
        PlugIn((k + 0.5) * spacing_s, cp_id, id_tags[plan.warm_plug_ins + k])
        for k, cp_id in enumerate(chosen[plan.warm_plug_ins :])
    )
    return warm, timed


async def run_scale_out(plan: ScaleOutPlan, *, keep_logs: bool = False) -> ScaleOutResult:
    """Run ``plan`` against a fresh controller and gateways; everything is stopped and removed after."""
    started_s = time.monotonic()
    result = ScaleOutResult(plan, database="postgresql" if plan.postgres_url else "sqlite")
    folder = Path(tempfile.mkdtemp(prefix="scale-out-"))
    namespace = f"scale_{os.getpid()}_{time.time_ns() % 10**9:x}"
    database = f"vettabbia_scale_{os.getpid()}_{time.time_ns() % 10**9:x}"
    site = bench_site(plan.chargers, plan.warm_plug_ins + plan.plug_ins)
    site_path = folder / "site.yaml"
    site.write(site_path)
    nodes: list[Node] = []
    workers = _Workers()
    failed = True
    try:
        if plan.postgres_url:
            database_url = await create_postgres_database(plan.postgres_url, database)
        else:
            database_url = f"sqlite:///{folder / 'scale-out.db'}"
        controller = start_controller(site_path, database_url, plan.bus_url, namespace, folder / "controller.log")
        nodes.append(controller)
        await asyncio.to_thread(wait_ready, [controller], START_TIMEOUT_S)
        gateways = [
            start_gateway(f"gw{k + 1}", plan.bus_url, namespace, folder / f"gw{k + 1}.log")
            for k in range(plan.gateways)
        ]
        nodes += gateways
        await asyncio.to_thread(wait_ready, gateways, START_TIMEOUT_S)
        # A gateway that lost a port to another process was started again on others: read them now.
        ocpp_ports = [gateway.ocpp_port for gateway in gateways]
        idle = {node.name: node.sample() for node in nodes}
        progress(f"controller and {len(gateways)} gateways ready; connecting {plan.chargers} chargers")
        for g, (port, ids) in enumerate(zip(ocpp_ports, _shares(site.charge_point_ids, plan.gateways), strict=True)):
            for k, share in enumerate(_shares(ids, plan.load_processes_per_gateway)):
                workers.start(port, share, f"scale-load-{g + 1}-{k + 1}")
        booted = await workers.booted(plan.connect_timeout_s)
        result.chargers_connected = sum(b.chargers for b in booted)
        result.connect_s = max(b.seconds for b in booted)
        result.connect_retries = sum(b.retries for b in booted)
        result.connect_failures = tuple(f for b in booted for f in b.failures)[:10]
        result.settle_s = await _settle(plan, namespace, SETTLE_TIMEOUT_S)
        progress(
            f"{result.chargers_connected} chargers booted in {result.connect_s:.1f} s "
            f"({result.connect_retries} retries), events handled {result.settle_s:.1f} s later"
        )
        connected = {node.name: node.sample() for node in nodes}
        warm, timed = _choose_plug_ins(plan, site.charge_point_ids, site.id_tags)
        if warm:
            warm_reports = await workers.run(RunOrder(WARM_SPREAD_S, None, warm, 60.0), WARM_SPREAD_S + 60.0 + 60.0)
            result.warm_plug_ins = plug_stats([o for r in warm_reports for o in r.plug_ins])
            await _settle(plan, namespace, SETTLE_TIMEOUT_S)
            progress(
                f"warm-up: {result.warm_plug_ins.with_profile}/{len(warm)} vehicles plugged in got a profile, "
                f"p95 {result.warm_plug_ins.p95_s:.2f} s"
            )
        plans_before = len(plan_lines(controller.log_text()))
        progress(
            f"steady load for {plan.run_s:.0f} s: {2 * plan.chargers / plan.interval_s:.0f} messages/s, "
            f"{plan.plug_ins} plug-ins"
        )
        before = {node.name: node.sample() for node in nodes}
        watching = asyncio.Event()
        watcher = asyncio.create_task(_watch(plan, namespace, result, watching))
        reports = await workers.run(
            RunOrder(plan.run_s, plan.interval_s, timed, plan.drain_s), plan.run_s + plan.drain_s + 120.0
        )
        after = {node.name: node.sample() for node in nodes}
        watching.set()
        await watcher
        result.backlog_end = await event_backlog(plan.bus_url, namespace)
        _summarise(result, reports, before, after)
        for node in nodes:
            connections = node.metric("vettabbia_ocpp_connections_open") if node is not controller else None
            result.nodes.append(
                NodeUsage(
                    name=node.name,
                    cpu_s=after[node.name].cpu_s - before[node.name].cpu_s,
                    cpu_share=(after[node.name].cpu_s - before[node.name].cpu_s)
                    / (after[node.name].at_s - before[node.name].at_s),
                    rss_idle_bytes=idle[node.name].rss_bytes,
                    rss_connected_bytes=connected[node.name].rss_bytes,
                    rss_end_bytes=after[node.name].rss_bytes,
                    peak_rss_bytes=after[node.name].peak_rss_bytes,
                    connections=None if connections is None else int(connections),
                )
            )
        result.held_by_gateways = sum(n.connections or 0 for n in result.nodes)
        plans = plan_lines(controller.log_text())
        result.plans_total = len(plans)
        result.plans_in_run = plans[plans_before:]
        failed = False
    finally:
        workers.stop()
        for node in reversed(nodes):
            node.stop()
        try:
            await remove_bus_state(plan.bus_url, namespace)
        finally:
            if plan.postgres_url:
                await drop_postgres_database(plan.postgres_url, database)
            if failed or keep_logs:
                result.log_dir = str(folder)
                progress(f"logs kept in {folder}")
            else:
                remove_tree(folder)
    result.elapsed_s = time.monotonic() - started_s
    return result


def _summarise(
    result: ScaleOutResult,
    reports: list[LoadReport],
    before: dict[str, ProcessSample],
    after: dict[str, ProcessSample],
) -> None:
    plan = result.plan
    result.run_window_s = max(r.send_window_s for r in reports)
    result.messages = message_stats(reports)
    answered = sum(m.answered for m in result.messages if m.action in MESSAGE_ACTIONS)
    result.answered_per_s = answered / result.run_window_s
    result.offered_per_s = 2 * result.chargers_connected / plan.interval_s
    result.unanswered = sum(r.unanswered for r in reports)
    result.unexpected = sum(r.unexpected for r in reports)
    result.queued = sum(r.queued for r in reports)
    calls: dict[str, int] = {}
    for report in reports:
        for action, count in report.server_calls.items():
            calls[action] = calls.get(action, 0) + count
    result.server_calls = calls
    result.held_by_load = sum(r.held for r in reports)
    result.plug_ins = plug_stats([o for r in reports for o in r.plug_ins])
    wall_s = max(a.at_s - before[name].at_s for name, a in after.items())
    result.load_cpu_share = sum(r.cpu_s for r in reports) / wall_s
