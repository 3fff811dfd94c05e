"""One mode's run: a server process, load processes, the connection phase, then a ladder of rates.

Each rung sends MeterValues at one offered rate for a fixed time; it is sustained when the answers
came back at (nearly) the offered rate, none was a CALLERROR, and the p99 round trip stayed under
the bound. The ladder stops at the first rung that is not sustained, so a mode's time is bounded by
its rungs. Server CPU and resident memory come from the server process itself, before any charger
connects, once all are connected, and around each rung.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from benchmarks.ocpp_load.server import ServerMode, ServerStats, run_server
from benchmarks.ocpp_load.worker import Connected, StepLoad, run_worker

HOST = "127.0.0.1"
"""Loopback only."""
SUSTAINED_SHARE = 0.97
"""A rung is sustained when at least this share of the offered messages were answered."""
START_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class LoadPlan:
    chargers: int
    load_processes: int
    rates_per_s: tuple[float, ...]
    rung_s: float
    p99_bound_ms: float
    connect_timeout_s: float
    idle_s: float
    """How long the server's CPU is watched with every charger connected and none sending."""


@dataclass(frozen=True, slots=True)
class Rung:
    offered_per_s: float
    answered_per_s: float
    sent: int
    answered: int
    passed_over_busy: int
    call_errors: int
    unexpected: int
    unanswered: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    server_cpu_share: float
    """Server CPU time over wall time, from the rung's start to its last answer (1.0 = one core)."""
    server_cpu_us_per_message: float
    """Server CPU time [µs] per MeterValues that reached the application."""
    server_system_cpu_share: float
    """The part of the server's CPU time spent in the kernel (sockets), 0-1."""
    server_meter_values: int
    """MeterValues that reached the application during the rung: every answered one should."""
    server_rss_bytes: int
    gc_full_collections: int
    gc_longest_pause_ms: float
    """The longest full garbage collection during the rung: the event loop stands still meanwhile."""
    load_cpu_share: float
    """CPU time of all load processes over the same wall time (1.0 = one core)."""
    machine_load_1min: float
    """The machine's one-minute load average at the rung's end: other work shares the cores."""
    sustained: bool


@dataclass
class ModeResult:
    mode: ServerMode
    chargers_asked: int
    chargers_connected: int = 0
    connect_s: float = 0.0
    connect_failures: tuple[str, ...] = ()
    rss_idle_bytes: int = 0
    rss_connected_bytes: int = 0
    held_at_end: int = 0
    idle_cpu_share: float = 0.0
    """Server CPU over wall time with every charger connected and silent (keepalive only)."""
    settling_collection_ms: float = 0.0
    """The first full garbage collection over the connected chargers' objects, run before the
    ladder [ms]: a pause a server takes once after a burst of connections, not per message."""
    rungs: list[Rung] = field(default_factory=list)

    @property
    def bytes_per_connection(self) -> float:
        if self.chargers_connected == 0:
            return math.nan
        return (self.rss_connected_bytes - self.rss_idle_bytes) / self.chargers_connected

    @property
    def best(self) -> Rung | None:
        """The highest sustained rung."""
        sustained = [r for r in self.rungs if r.sustained]
        return max(sustained, key=lambda r: r.offered_per_s) if sustained else None


def percentile_ms(values_s: Sequence[float], share: float) -> float:
    """The ``share`` quantile (nearest rank) of ``values_s`` [s], in [ms]; NaN when empty."""
    if not values_s:
        return math.nan
    ordered = sorted(values_s)
    rank = min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))
    return ordered[rank] * 1000.0


def _progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


def _ask_stats(pipe: Connection) -> ServerStats:
    pipe.send(("stats",))
    stats: ServerStats = pipe.recv()
    return stats


def _receive(pipe: Connection, timeout_s: float, what: str) -> object:
    if not pipe.poll(timeout_s):
        raise TimeoutError(f"no {what} within {timeout_s} s")
    return pipe.recv()


def _shares(total: int, parts: int) -> list[range]:
    bounds = [total * k // parts for k in range(parts + 1)]
    return [range(bounds[k], bounds[k + 1]) for k in range(parts)]


def run_mode(mode: ServerMode, plan: LoadPlan) -> ModeResult:
    """Run ``plan`` against a fresh server process in ``mode``."""
    context = multiprocessing.get_context("spawn")
    result = ModeResult(mode, plan.chargers)
    server_pipe, server_end = context.Pipe()
    server = context.Process(target=run_server, args=(mode, HOST, server_end), name=f"ocpp-server-{mode.name}")
    server.start()
    workers: list[tuple[BaseProcess, Connection]] = []
    try:
        port = _receive(server_pipe, START_TIMEOUT_S, "server port")
        assert isinstance(port, int)
        result.rss_idle_bytes = _ask_stats(server_pipe).rss_bytes
        _progress(f"{mode.name}: server on port {port}; connecting {plan.chargers} chargers")
        for index, share in enumerate(_shares(plan.chargers, plan.load_processes)):
            ids = [f"BENCH-{n:05d}" for n in share]
            pipe, end = context.Pipe()
            worker = context.Process(
                target=run_worker, args=(HOST, port, ids, 1 + share.start, end), name=f"ocpp-load-{index}"
            )
            worker.start()
            workers.append((worker, pipe))
        _connect(result, workers, plan)
        time.sleep(0.5)  # let the last handshakes' garbage settle before reading memory
        idle_from = _ask_stats(server_pipe)
        result.rss_connected_bytes = idle_from.rss_bytes
        time.sleep(plan.idle_s)
        idle_to = _ask_stats(server_pipe)
        result.idle_cpu_share = (idle_to.cpu_s - idle_from.cpu_s) / (idle_to.at_s - idle_from.at_s)
        server_pipe.send(("collect",))
        settled: ServerStats = server_pipe.recv()
        result.settling_collection_ms = 1000 * max(settled.gc_pauses_s, default=0.0)
        _progress(
            f"{mode.name}: {result.chargers_connected} connected in {result.connect_s:.1f} s, "
            f"{result.bytes_per_connection / 1024:.1f} KiB each, idle CPU {result.idle_cpu_share:.0%}, "
            f"first full collection {result.settling_collection_ms:.0f} ms"
        )
        if result.chargers_connected == 0:
            raise RuntimeError(f"{mode.name}: no charger could connect: {'; '.join(result.connect_failures)}")
        for rate_per_s in plan.rates_per_s:
            rung = _rung(server_pipe, workers, rate_per_s, plan)
            result.rungs.append(rung)
            _progress(
                f"{mode.name}: offered {rate_per_s:.0f}/s -> answered {rung.answered_per_s:.0f}/s, "
                f"p50 {rung.p50_ms:.1f} ms, p99 {rung.p99_ms:.1f} ms, server CPU {rung.server_cpu_share:.0%}"
                f"{'' if rung.sustained else ' (not sustained)'}"
            )
            if not rung.sustained:
                break
        result.held_at_end = _ask_stats(server_pipe).connected
    finally:
        _stop_all(workers)
        if server.is_alive():
            server_pipe.send(("stop",))
        server.join(timeout=30)
        if server.is_alive():
            server.terminate()
    return result


def _stop_all(workers: list[tuple[BaseProcess, Connection]]) -> None:
    for process, pipe in workers:
        if process.is_alive():
            pipe.send(("stop",))
    for process, _ in workers:
        process.join(timeout=20)
        if process.is_alive():
            process.terminate()


def _connect(result: ModeResult, workers: list[tuple[BaseProcess, Connection]], plan: LoadPlan) -> None:
    failures: list[str] = []
    slowest_s = 0.0
    for _, pipe in workers:
        connected = _receive(pipe, plan.connect_timeout_s, "connection report")
        assert isinstance(connected, Connected)
        result.chargers_connected += connected.chargers
        failures.extend(connected.failures)
        slowest_s = max(slowest_s, connected.seconds)
    result.connect_s = slowest_s
    result.connect_failures = tuple(failures[:10])


def _rung(
    server_pipe: Connection, workers: list[tuple[BaseProcess, Connection]], rate_per_s: float, plan: LoadPlan
) -> Rung:
    before = _ask_stats(server_pipe)
    for _, pipe in workers:
        pipe.send(("step", rate_per_s / len(workers), plan.rung_s))
    loads: list[StepLoad] = []
    for _, pipe in workers:
        load = _receive(pipe, plan.rung_s + 30.0, "step report")
        assert isinstance(load, StepLoad)
        loads.append(load)
    after = _ask_stats(server_pipe)
    round_trips_s = [t for load in loads for t in load.round_trips_s]
    window_s = max(load.send_window_s for load in loads)
    answered = len(round_trips_s)
    answered_per_s = answered / window_s
    wall_s = after.at_s - before.at_s
    p99_ms = percentile_ms(round_trips_s, 0.99)
    call_errors = sum(load.call_errors for load in loads)
    return Rung(
        offered_per_s=rate_per_s,
        answered_per_s=answered_per_s,
        sent=sum(load.sent for load in loads),
        answered=answered,
        passed_over_busy=sum(load.passed_over_busy for load in loads),
        call_errors=call_errors,
        unexpected=sum(load.unexpected for load in loads),
        unanswered=sum(load.unanswered for load in loads),
        p50_ms=percentile_ms(round_trips_s, 0.50),
        p99_ms=p99_ms,
        max_ms=max(round_trips_s, default=math.nan) * 1000.0,
        server_cpu_share=(after.cpu_s - before.cpu_s) / wall_s,
        server_cpu_us_per_message=(after.cpu_s - before.cpu_s) / max(1, after.meter_values - before.meter_values) * 1e6,
        server_meter_values=after.meter_values - before.meter_values,
        server_system_cpu_share=(after.system_cpu_s - before.system_cpu_s) / max(1e-9, after.cpu_s - before.cpu_s),
        server_rss_bytes=after.rss_bytes,
        gc_full_collections=len(after.gc_pauses_s),
        gc_longest_pause_ms=max(after.gc_pauses_s, default=0.0) * 1000.0,
        load_cpu_share=sum(load.cpu_s for load in loads) / wall_s,
        machine_load_1min=os.getloadavg()[0],
        sustained=(
            answered >= SUSTAINED_SHARE * rate_per_s * plan.rung_s and call_errors == 0 and p99_ms < plan.p99_bound_ms
        ),
    )
