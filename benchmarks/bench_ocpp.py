"""OCPP 1.6J central system under load: the ``ocpp`` library's validation path and ours, side by side.

Run ``python -m benchmarks.bench_ocpp`` (``--quick`` for a short run with a few chargers). For each
mode the same ``CentralSystem`` runs in a process of its own on loopback; load processes open the
chargers as raw websocket clients sending pre-serialised MeterValues frames, then offer a ladder of
rates until one is not sustained (answered at the offered rate, no CALLERROR, p99 round trip under
the bound). Prints a table and writes ``benchmarks/results/ocpp.json``: chargers held, MeterValues/s
sustained, p50/p99 round trips, server CPU, and resident memory per connection.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import platform
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from benchmarks.ocpp_load.edge_cost import EdgeCost, measure_edge_cost
from benchmarks.ocpp_load.run import LoadPlan, ModeResult, run_mode
from benchmarks.ocpp_load.server import MODES

RESULTS_PATH = Path(__file__).parent / "results" / "ocpp.json"
GOAL_CHARGERS = 5000
GOAL_RATE_PER_S = 4000.0
GOAL_P99_MS = 100.0
FULL_RATES_PER_S = (500.0, 1000.0, 1500.0, 2000.0, 2500.0, 3000.0, 3500.0, 4000.0, 4500.0, 5000.0, 6000.0)
QUICK_RATES_PER_S = (20.0, 50.0)


def _plan(args: argparse.Namespace) -> LoadPlan:
    rates = tuple(float(r) for r in args.rates.split(",")) if args.rates else None
    if args.quick:
        return LoadPlan(
            chargers=args.chargers or 20,
            load_processes=args.load_processes or 1,
            rates_per_s=rates or QUICK_RATES_PER_S,
            rung_s=args.rung_s or 2.0,
            p99_bound_ms=GOAL_P99_MS,
            connect_timeout_s=60.0,
            idle_s=1.0,
        )
    return LoadPlan(
        chargers=args.chargers or GOAL_CHARGERS,
        load_processes=args.load_processes or 2,
        rates_per_s=rates or FULL_RATES_PER_S,
        rung_s=args.rung_s or 5.0,
        p99_bound_ms=GOAL_P99_MS,
        connect_timeout_s=180.0,
        idle_s=3.0,
    )


def _fmt(value: float, spec: str) -> str:
    width = int(spec.split(".")[0])
    return f"{'-':>{width}}" if math.isnan(value) else format(value, spec)


def _table(results: list[ModeResult]) -> str:
    header = (
        f"{'mode':<6} {'held':>5} {'KiB/conn':>8} {'idle':>5} | {'offered/s':>9} {'answered/s':>10} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'max ms':>7} {'CPU':>5} {'sys':>4} {'µs/msg':>6} {'RSS MiB':>7} {'load':>5} "
        f"{'errors':>6} {'ok':>4}"
    )
    lines = [header, "-" * len(header)]
    for result in results:
        lead = (
            f"{result.mode.name:<6} {result.held_at_end:>5} {result.bytes_per_connection / 1024:>8.1f} "
            f"{result.idle_cpu_share:>5.1%}"
        )
        for rung in result.rungs:
            lines.append(
                f"{lead} | {rung.offered_per_s:>9.0f} {rung.answered_per_s:>10.0f} {_fmt(rung.p50_ms, '7.1f')} "
                f"{_fmt(rung.p99_ms, '7.1f')} {_fmt(rung.max_ms, '7.0f')} {rung.server_cpu_share:>5.0%} "
                f"{rung.server_system_cpu_share:>4.0%} "
                f"{rung.server_cpu_us_per_message:>6.0f} {rung.server_rss_bytes / 2**20:>7.0f} "
                f"{rung.load_cpu_share:>5.0%} "
                f"{rung.call_errors:>6} {('yes' if rung.sustained else 'NO'):>4}"
            )
            lead = " " * len(lead)
    lines.append("held = chargers connected at the end; KiB/conn = server RSS growth from 0 to all connected, per")
    lines.append("connection; idle = server CPU with all connected and silent; CPU = server process CPU over the")
    lines.append("rung (100% = one core); sys = its share in the kernel; µs/msg = server CPU per MeterValues;")
    lines.append("load = CPU of the load processes; ok = answered >= 97% of offered, no CALLERROR, p99 under")
    lines.append("the bound")
    return "\n".join(lines)


def _edge_table(costs: list[EdgeCost]) -> str:
    lines = [f"{'mode':<9} {'edge µs/msg':>11} {'of it, schema checks':>20}"]
    lines += [f"{c.mode:<9} {c.edge_us_per_message:>11.1f} {c.validation_us_per_message:>20.1f}" for c in costs]
    lines.append("CPU per MeterValues in the OCPP edge alone (frame in, checks, application, answer out; no")
    lines.append("sockets), and of it the schema checks of the CALL and its CALLRESULT")
    return "\n".join(lines)


def _summary(results: list[ModeResult], costs: list[EdgeCost]) -> dict[str, Any]:
    best = {r.mode.name: r.best for r in results}
    summary: dict[str, Any] = {
        name: None if rung is None else {"sustained_per_s": rung.offered_per_s, "p99_ms": round(rung.p99_ms, 2)}
        for name, rung in best.items()
    }
    stock, ours = best.get("stock"), best.get("ours")
    if stock is not None and ours is not None:
        summary["ours_over_stock_sustained"] = round(ours.offered_per_s / stock.offered_per_s, 2)
    stock_result = next((r for r in results if r.mode.name == "stock"), None)
    ours_result = next((r for r in results if r.mode.name == "ours"), None)
    if stock_result and ours_result and stock_result.rungs and ours_result.rungs:
        cost = {r.offered_per_s: r.server_cpu_us_per_message for r in stock_result.rungs if r.sustained}
        shared = [r for r in ours_result.rungs if r.sustained and r.offered_per_s in cost]
        if shared:
            rung = max(shared, key=lambda r: r.offered_per_s)
            summary["stock_over_ours_cpu_per_message"] = round(
                cost[rung.offered_per_s] / rung.server_cpu_us_per_message, 2
            )
    return summary


def _goal(results: list[ModeResult], plan: LoadPlan) -> dict[str, Any]:
    ours = next((r for r in results if r.mode.name == "ours"), None)
    best = None if ours is None else ours.best
    return {
        "goal": f"{GOAL_CHARGERS} chargers held, >= {GOAL_RATE_PER_S:.0f} MeterValues/s, p99 < {GOAL_P99_MS:.0f} ms",
        "chargers_in_this_run": plan.chargers,
        "measured_per_s": None if best is None else best.offered_per_s,
        "met": bool(
            ours is not None
            and best is not None
            and ours.held_at_end >= GOAL_CHARGERS
            and best.offered_per_s >= GOAL_RATE_PER_S
        ),
    }


def _rounded(record: dict[str, Any]) -> dict[str, Any]:
    return {key: round(value, 3) if isinstance(value, float) else value for key, value in record.items()}


def _as_json(result: ModeResult) -> dict[str, Any]:
    return {
        "mode": result.mode.name,
        "server": result.mode.describe(),
        "chargers_asked": result.chargers_asked,
        "chargers_connected": result.chargers_connected,
        "held_at_end": result.held_at_end,
        "connect_s": round(result.connect_s, 2),
        "connect_failures": list(result.connect_failures),
        "rss_idle_mib": round(result.rss_idle_bytes / 2**20, 1),
        "rss_connected_mib": round(result.rss_connected_bytes / 2**20, 1),
        "kib_per_connection": round(result.bytes_per_connection / 1024, 2),
        "idle_cpu_share": round(result.idle_cpu_share, 4),
        "settling_full_collection_ms": round(result.settling_collection_ms, 1),
        "rungs": [
            {
                key: (round(value, 3) if isinstance(value, float) else value)
                for key, value in dataclasses.asdict(rung).items()
            }
            for rung in result.rungs
        ],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="20 chargers, two short rungs: proves the harness")
    parser.add_argument("--modes", default="stock,ours", help=f"comma-separated, of {', '.join(MODES)}")
    parser.add_argument("--chargers", type=int, default=None, help=f"simulated chargers (default {GOAL_CHARGERS})")
    parser.add_argument("--load-processes", type=int, default=None, help="load generator processes (default 2)")
    parser.add_argument("--rates", default=None, help="comma-separated offered MeterValues/s, the ladder")
    parser.add_argument("--rung-s", type=float, default=None, help="seconds per rate (default 5)")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    args = parser.parse_args(argv)

    names = [n.strip() for n in args.modes.split(",") if n.strip()]
    unknown = [n for n in names if n not in MODES]
    if unknown:
        parser.error(f"--modes: unknown {', '.join(unknown)}; known: {', '.join(MODES)}")
    plan = _plan(args)

    started = datetime.now(UTC)
    started_s = time.perf_counter()
    costs = [measure_edge_cost(MODES[name], 500 if args.quick else 5000) for name in names]
    results = [run_mode(MODES[name], plan) for name in names]
    table = _table(results)
    edge_table = _edge_table(costs)
    print(table)
    print()
    print(edge_table)
    summary = _summary(results, costs)
    goal = _goal(results, plan)
    print(f"summary: {json.dumps(summary)}")
    print(f"goal: {goal['goal']}: {'met' if goal['met'] else 'not met'} (this run: {plan.chargers} chargers)")

    report = {
        "benchmark": "bench_ocpp",
        "date": started.isoformat(timespec="seconds"),
        "command": "python -m benchmarks.bench_ocpp"
        + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip(),
        "quick": args.quick,
        "elapsed_s": round(time.perf_counter() - started_s, 1),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "versions": {name: version(name) for name in ("ocpp", "websockets", "fastjsonschema", "orjson", "uvloop")},
        "plan": dataclasses.asdict(plan),
        "modes": [_as_json(r) for r in results],
        "edge_cost": [_rounded(dataclasses.asdict(c)) for c in costs],
        "summary": summary,
        "goal": goal,
        "table": table.splitlines(),
        "edge_table": edge_table.splitlines(),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
