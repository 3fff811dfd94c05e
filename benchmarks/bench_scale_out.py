"""Scale-out under load: chargers on two gateway processes, one controller planning, over NATS.

Run ``python -m benchmarks.bench_scale_out`` (``--stress`` for a 10 s interval, ``--quick`` for a short
run with 200 chargers). A controller (``vettabbia controller``) and two gateways (``vettabbia
gateway``) run as processes of their own on loopback; load processes open the chargers on the
gateways, boot them, then send heartbeats and meter values at the interval, spread evenly, while a
sample of chargers plug in and are timed to their TxProfile. Prints a table, writes
``benchmarks/results/scale_out.json`` (``scale_out_quick.json`` for ``--quick``) and, for full runs,
``docs/benchmarks/scale_out.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import math
import os
import platform
import statistics
import sys
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from benchmarks.scale_out.run import MESSAGE_ACTIONS, PlugStats, ScaleOutPlan, ScaleOutResult, run_scale_out

RESULTS_DIR = Path(__file__).parent / "results"
DOC_PATH = Path(__file__).parent.parent / "docs" / "benchmarks" / "scale_out.md"
GOAL_CHARGERS = 10_000
GOAL_PLUG_P95_S = 2.0
NOTES_MARKER = "<!-- notes: kept when the page is written again -->"


def plan_from(args: argparse.Namespace) -> ScaleOutPlan:
    interval_s = args.interval_s or (10.0 if args.stress or args.quick else 60.0)
    if args.quick:
        return ScaleOutPlan(
            chargers=args.chargers or 200,
            interval_s=interval_s,
            run_s=args.run_s or 30.0,
            plug_ins=args.plug_ins if args.plug_ins is not None else 10,
            warm_plug_ins=args.warm_plug_ins if args.warm_plug_ins is not None else 10,
            postgres_url=args.database_url,
            bus_url=args.bus_url,
            connect_timeout_s=120.0,
        )
    return ScaleOutPlan(
        chargers=args.chargers or GOAL_CHARGERS,
        interval_s=interval_s,
        run_s=args.run_s or 180.0,
        plug_ins=args.plug_ins if args.plug_ins is not None else 100,
        warm_plug_ins=args.warm_plug_ins if args.warm_plug_ins is not None else 50,
        postgres_url=args.database_url,
        bus_url=args.bus_url,
        connect_timeout_s=args.connect_timeout_s,
    )


def _fmt(value: float | None, spec: str) -> str:
    width = int(spec.split(".")[0])
    return f"{'-':>{width}}" if value is None or math.isnan(value) else format(value, spec)


def _mib(value: float) -> float:
    return value / 2**20


def _plug_line(label: str, stats: PlugStats | None) -> str:
    if stats is None or stats.count == 0:
        return f"{label}: none"
    return (
        f"{label}: {stats.with_profile}/{stats.count} got a TxProfile, p50 {_fmt(stats.p50_s, '4.2f')} s, "
        f"p95 {_fmt(stats.p95_s, '4.2f')} s, max {_fmt(stats.max_s, '4.2f')} s"
        + (f", {stats.failed} failed" if stats.failed else "")
    )


def plan_seconds(result: ScaleOutResult) -> list[float]:
    return [p.seconds for p in result.plans_in_run]


def table(result: ScaleOutResult) -> str:
    plan = result.plan
    lines = [
        f"{plan.chargers} chargers on {plan.gateways} gateways, heartbeat and meter values every "
        f"{plan.interval_s:g} s, {plan.run_s:g} s run, {result.database}",
        f"booted {result.chargers_connected} in {result.connect_s:.0f} s ({result.connect_retries} retries); "
        f"held at the end: {result.held_by_load} (chargers), {result.held_by_gateways} (gateways)",
        f"heartbeats + meter values: offered {result.offered_per_s:.0f}/s, answered {result.answered_per_s:.0f}/s; "
        f"unanswered {result.unanswered}, unexpected {result.unexpected}, queued behind another call {result.queued}",
        "",
        f"{'message':<19} {'sent':>7} {'answered':>8} {'errors':>6} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}",
    ]
    for m in result.messages:
        lines.append(
            f"{m.action:<19} {m.sent:>7} {m.answered:>8} {m.call_errors:>6} {_fmt(m.p50_ms, '7.1f')} "
            f"{_fmt(m.p99_ms, '7.1f')} {_fmt(m.max_ms, '7.0f')}"
        )
    lines += [
        "",
        _plug_line(f"plug-in to TxProfile ({plan.plug_ins} over the run)", result.plug_ins),
        _plug_line(f"warm-up burst ({plan.warm_plug_ins} within 5 s)", result.warm_plug_ins),
    ]
    seconds = plan_seconds(result)
    if seconds:
        lines.append(
            f"plans during the run: {len(seconds)}, median {statistics.median(seconds):.2f} s, "
            f"max {max(seconds):.2f} s, "
            f"up to {max(p.vehicles for p in result.plans_in_run)} vehicles, "
            f"{sum(p.profiles_sent for p in result.plans_in_run)} profiles sent, "
            f"{sum(p.profiles_failed for p in result.plans_in_run)} failed"
        )
    lines += [
        "",
        f"{'node':<10} {'CPU s':>6} {'CPU':>5} {'RSS idle':>8} {'conn.':>6} {'end':>6} {'peak':>6} "
        f"{'sockets':>7} {'KiB/conn':>8} {'CPU ms/conn/min':>15}",
    ]
    for n in result.nodes:
        lines.append(
            f"{n.name:<10} {n.cpu_s:>6.1f} {n.cpu_share:>5.0%} {_mib(n.rss_idle_bytes):>8.0f} "
            f"{_mib(n.rss_connected_bytes):>6.0f} {_mib(n.rss_end_bytes):>6.0f} {_mib(n.peak_rss_bytes):>6.0f} "
            f"{n.connections if n.connections is not None else '-':>7} {_fmt(n.bytes_per_connection / 1024, '8.1f')} "
            f"{_fmt(n.cpu_ms_per_connection_minute, '15.2f')}"
        )
    loads = result.load_average_1min
    lines += [
        "RSS in MiB: idle = before any charger, conn. = all booted, end = after the run; CPU = share of one core",
        f"load processes: {result.load_cpu_share:.0%} of a core; controller event backlog: max "
        f"{result.backlog_max}, at the end {result.backlog_end}",
        f"machine load average (1 min) during the run: median {statistics.median(loads) if loads else math.nan:.2f}, "
        f"{min(loads, default=math.nan):.2f}-{max(loads, default=math.nan):.2f}, on {os.cpu_count()} CPUs",
    ]
    return "\n".join(lines)


def goal(result: ScaleOutResult) -> dict[str, Any]:
    stats = result.plug_ins
    p95_s = None if stats is None or math.isnan(stats.p95_s) else round(stats.p95_s, 3)
    return {
        "goal": f"plug-in to TxProfile p95 < {GOAL_PLUG_P95_S:g} s at {GOAL_CHARGERS} chargers",
        "chargers_in_this_run": result.plan.chargers,
        "plug_in_p95_s": p95_s,
        "p95_met": p95_s is not None and p95_s < GOAL_PLUG_P95_S,
        "met": bool(
            p95_s is not None
            and p95_s < GOAL_PLUG_P95_S
            and result.plan.chargers >= GOAL_CHARGERS
            and result.held_by_gateways >= GOAL_CHARGERS
        ),
    }


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def as_json(result: ScaleOutResult, command: str, started: datetime) -> dict[str, Any]:
    body = _rounded(dataclasses.asdict(result))
    body["nodes"] = [
        {
            **_rounded(dataclasses.asdict(n)),
            "kib_per_connection": _rounded(n.bytes_per_connection / 1024),
            "cpu_ms_per_connection_minute": _rounded(n.cpu_ms_per_connection_minute),
        }
        for n in result.nodes
    ]
    seconds = plan_seconds(result)
    body["plan_seconds_median"] = round(statistics.median(seconds), 3) if seconds else None
    body["plan_seconds_max"] = max(seconds) if seconds else None
    body["messages_per_s"] = round(result.answered_per_s, 1)
    body["message_actions"] = list(MESSAGE_ACTIONS)
    return {
        "date": started.isoformat(timespec="seconds"),
        "command": command,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
        },
        "versions": {name: version(name) for name in ("nats-py", "websockets", "uvloop", "highspy")},
        "result": body,
        "goal": goal(result),
        "table": table(result).splitlines(),
    }


def run_key(args: argparse.Namespace, plan: ScaleOutPlan) -> str:
    key = "stress" if plan.interval_s <= 10.0 else "default"
    return f"{key}-postgresql" if plan.postgres_url else key


def write_results(path: Path, key: str, run: dict[str, Any]) -> dict[str, Any]:
    """Add (or replace) one run in the results file, keeping the others."""
    existing: dict[str, Any] = {}
    if path.exists():
        try:
            existing = json.loads(path.read_text())
        except json.JSONDecodeError:
            existing = {}
    runs = existing.get("runs", {}) if isinstance(existing.get("runs"), dict) else {}
    runs[key] = run
    report = {"benchmark": "bench_scale_out", "runs": runs}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    return report


def render_doc(report: dict[str, Any], notes: str) -> str:
    lines = [
        "# Scale-out under load: two gateways, one controller, NATS",
        "",
        "Written by `python -m benchmarks.bench_scale_out` from `benchmarks/results/scale_out.json`; the notes",
        "at the end are kept when it is written again.",
        "",
        "What runs, all on loopback: a controller (`vettabbia controller`, not the demo) on a generated site",
        "listing every charger (22 kW AC, one connector) and the benchmark's vehicles, two gateways",
        "(`vettabbia gateway`, each its own process and port), the NATS server on 127.0.0.1:4222 with",
        "JetStream, and one load process per gateway (`benchmarks/scale_out/load.py`: raw websockets,",
        "as in `benchmarks/ocpp_load/`). Each charger boots (BootNotification, StatusNotification), answers",
        "the edge's GetConfiguration and fail-safe profile, then sends a Heartbeat and a MeterValues every",
        "interval, spread evenly over it. A warm-up burst of plug-ins gives the optimiser vehicles to share",
        "the grid among (the grid limit leaves room for only part of what they could draw); during the",
        "run a sample of chargers plug in (StatusNotification Preparing, StartTransaction with a vehicle's",
        "tag, Charging), spread in time, each timed from its Preparing to the first SetChargingProfile",
        "with purpose TxProfile for its connector: the event over the bus, the controller's re-plan",
        "trigger, its debounce (0.2 s of quiet, `replan_quiet_s`, at most `replan_debounce_s`), the plan,",
        "dispatch, the command over the bus, the gateway and the websocket.",
        "",
        "- round trips are per message, from when it was due at the charger to its CALLRESULT;",
        "- CPU is the process's user + system time over the run (100 % = one core); RSS from",
        "  `/proc/PID/statm`, peak from `VmHWM`; KiB/conn = gateway RSS growth from no charger to all",
        "  booted, per connection; CPU ms/conn/min = gateway CPU per connection per minute of the run;",
        "- plans: the controller's own log line per plan (snapshot, forecasts, optimiser, storing, dispatch);",
        "- event backlog: events stored in JetStream that the controller has not acknowledged yet;",
        "- the machine has 2 cores shared with other work: figures are medians and percentiles of one run,",
        "  with the load average beside them.",
        "",
    ]
    for key, run in report.get("runs", {}).items():
        result = run["result"]
        verdict = run["goal"]
        lines += [
            f"## {key}",
            "",
            f"`{run['command']}`, {run['date']}, {run['machine']['cpus']} CPUs ({run['machine']['platform']}), "
            f"Python {run['machine']['python']}, {result['database']}, elapsed {result['elapsed_s']:.0f} s.",
            "",
            "```text",
            *run["table"],
            "```",
            "",
            f"Goal ({verdict['goal']}): plug-in p95 {verdict['plug_in_p95_s']} s at {verdict['chargers_in_this_run']}"
            f" chargers: {'met' if verdict['met'] else 'not met'}"
            + (
                "."
                if verdict["met"] or verdict["chargers_in_this_run"] >= GOAL_CHARGERS
                else f" (the p95 is {'under' if verdict['p95_met'] else 'over'} 2 s at this size)."
            ),
            "",
        ]
    lines += [NOTES_MARKER, notes.strip("\n"), ""]
    return "\n".join(lines)


def write_doc(path: Path, report: dict[str, Any]) -> None:
    notes = ""
    if path.exists():
        text = path.read_text()
        if NOTES_MARKER in text:
            notes = text.split(NOTES_MARKER, 1)[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_doc(report, notes))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="200 chargers, 10 s interval, 30 s: proves the harness")
    parser.add_argument("--stress", action="store_true", help="heartbeat and meter values every 10 s")
    parser.add_argument("--chargers", type=int, default=None, help=f"simulated chargers (default {GOAL_CHARGERS})")
    parser.add_argument("--interval-s", type=float, default=None, help="message interval (default 60, --stress 10)")
    parser.add_argument("--run-s", type=float, default=None, help="steady run (default 180 s, --quick 30 s)")
    parser.add_argument("--plug-ins", type=int, default=None, help="timed plug-ins over the run (default 100)")
    parser.add_argument("--warm-plug-ins", type=int, default=None, help="vehicles plugged in before (default 50)")
    parser.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL server, e.g. postgresql://postgres@127.0.0.1:5432: a database is made for the run "
        "and dropped after (default: a SQLite file)",
    )
    parser.add_argument("--bus-url", default="nats://127.0.0.1:4222")
    parser.add_argument("--connect-timeout-s", type=float, default=600.0, help="longest wait for every boot")
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--doc", type=Path, default=None, help=f"page to write (default {DOC_PATH}; not for --quick)")
    args = parser.parse_args(argv)
    if args.database_url and not args.database_url.startswith("postgresql://"):
        parser.error("--database-url: a postgresql:// server URL (SQLite is the default)")
    plan = plan_from(args)
    started = datetime.now(UTC)
    result = asyncio.run(run_scale_out(plan))
    text = table(result)
    print(text)
    verdict = goal(result)
    print(f"goal: {verdict['goal']}: {'met' if verdict['met'] else 'not met'} (this run: {plan.chargers} chargers)")
    command = (
        "python -m benchmarks.bench_scale_out" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    )
    output = args.output or RESULTS_DIR / ("scale_out_quick.json" if args.quick else "scale_out.json")
    report = write_results(output, run_key(args, plan), as_json(result, command, started))
    print(f"wrote {output}")
    if not args.quick or args.doc is not None:
        doc = args.doc or DOC_PATH
        write_doc(doc, report)
        print(f"wrote {doc}")


if __name__ == "__main__":
    main()
