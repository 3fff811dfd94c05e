"""Faults of the scale-out deployment under load: a gateway killed, the controller killed, everything
restarted, measured from the chargers' side and checked against the database.

Run ``python -m benchmarks.bench_faults`` (400 chargers; ``--quick`` for 100, ``--chargers N``,
``--scenarios gateway,controller,restart``, ``--database-url postgresql://postgres@127.0.0.1:5432``).
A controller, two gateways and HAProxy run as processes of their own on loopback, on the NATS server
at 127.0.0.1:4222; load processes bring up library-made chargers through HAProxy, each in a
transaction sending MeterValues, then the scenarios run in order on the same deployment. Prints
progress and a table, writes ``benchmarks/results/faults.json`` (the run under its key, other runs
kept) and ``docs/benchmarks/faults.md`` from it.
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

from benchmarks.scale_out.faults import SCENARIOS, FaultPlan, FaultResult, Spread, run_faults
from benchmarks.scale_out.ledger import LedgerCheck

RESULTS_PATH = Path(__file__).parent / "results" / "faults.json"
DOC_PATH = Path(__file__).parent.parent / "docs" / "benchmarks" / "faults.md"
DEFAULT_CHARGERS = 400
"""At 1,000 chargers on this 2-core machine the controller, planning for every vehicle at once (10 s
per plan at 500 vehicles), answers connects and starts past the gateway's 10 s limit during the
bring-up, and a run does not fit in 10 minutes; ``--chargers 1000`` still runs it."""
QUICK_CHARGERS = 100
NOTES_MARKER = "<!-- notes: kept when the page is written again -->"


def plan_from(args: argparse.Namespace) -> FaultPlan:
    return FaultPlan(
        chargers=args.chargers or (QUICK_CHARGERS if args.quick else DEFAULT_CHARGERS),
        scenarios=tuple(args.scenarios.split(",")),
        meter_interval_s=args.meter_interval_s or (5.0 if args.quick else 10.0),
        outage_s=args.outage_s or (15.0 if args.quick else 30.0),
        load_processes=args.load_processes,
        postgres_url=args.database_url,
    )


def _s(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.2f}"


def _spread(spread: Spread) -> str:
    return f"p50 {_s(spread.p50_s)} s, p95 {_s(spread.p95_s)} s, max {_s(spread.max_s)} s ({spread.count})"


def _ledger(check: LedgerCheck) -> str:
    return (
        f"readings {check.readings_stored}/{check.readings_acknowledged} stored, lost {check.readings_lost}, "
        f"duplicated {check.readings_duplicated}; transactions {check.transactions_stored}/"
        f"{check.transactions_acknowledged}, stops {check.stops_stored}/{check.stops_acknowledged}"
    )


def rows(result: FaultResult) -> list[tuple[str, str, str]]:
    """(scenario, figure, value) for the table."""
    out: list[tuple[str, str, str]] = []
    if (g := result.gateway) is not None:
        name = "gateway SIGKILL"
        out += [
            (name, "chargers on the killed gateway / moved", f"{g.held_before[0]} / {g.moved}"),
            (name, "kill -> reconnected", _spread(g.reconnect)),
            (name, "kill -> fail-safe again", _spread(g.failsafe)),
            (name, "kill -> TxProfile again", _spread(g.tx_profile)),
            (name, "readings acknowledged meanwhile", str(g.readings_during)),
            (name, "on the other gateway / connected per controller", f"{g.held_after} / {g.connected_after_sweep}"),
            (name, "acknowledged vs stored", _ledger(g.ledger)),
        ]
    if (c := result.controller) is not None:
        name = "controller SIGKILL"
        out += [
            (name, "outage", f"{c.outage_s:.1f} s"),
            (name, "readings acknowledged in the outage", str(c.readings_during)),
            (name, "JetStream backlog at its peak", f"{c.backlog_peak} events"),
            (name, "profiles received in the outage", str(c.profiles_during)),
            (
                name,
                "max sum of limits held / grid headroom",
                f"{c.max_limit_sum_kw:.1f} / {c.headroom_kw:.1f} kW (grid {c.grid_limit_kw:.1f} kW), "
                f"{c.chargers_without_limit} without a limit",
            ),
            (name, "restart -> ready", f"{c.ready_s:.2f} s"),
            (name, "restart -> backlog drained", f"{_s(c.drained_s)} s"),
            (name, "restart -> TxProfile again", _spread(c.tx_profile)),
            (name, "acknowledged vs stored", _ledger(c.ledger)),
        ]
    if (r := result.restart) is not None:
        name = "restart all (SIGTERM)"
        codes = ", ".join(f"{k} {v}" for k, v in r.exit_codes.items())
        out += [
            (name, "exit codes; stop, start", f"{codes}; {r.stop_s:.1f} s, {r.start_s:.1f} s"),
            (name, "start -> reconnected", _spread(r.reconnect)),
            (name, "start -> TxProfile again (open ones)", _spread(r.tx_profile)),
            (
                name,
                "open transactions before / after",
                f"{r.open_before} / {r.open_after}, {'same ids' if r.open_match else 'NOT the same'}",
            ),
            (name, "acknowledged vs stored", _ledger(r.ledger)),
        ]
    if result.final is not None:
        out.append(("end (all stopped)", "acknowledged vs stored", _ledger(result.final)))
    return out


def table(result: FaultResult) -> str:
    plan = result.plan
    loads = result.load_average_1min
    lines = [
        f"{plan.chargers} chargers through HAProxy to 2 gateways, 1 controller, {result.database}; "
        f"MeterValues every {plan.meter_interval_s:g} s ({plan.chargers / plan.meter_interval_s:.0f}/s), "
        f"{plan.load_processes} load processes",
        f"brought up (connect, boot, start transaction, first reading) {result.streaming}/{plan.chargers} in "
        f"{result.bring_up_s:.0f} s; every charger held its fail-safe and a TxProfile {result.planned_s:.0f} s later",
        "",
    ]
    found = rows(result)
    width_scenario = max((len(s) for s, _, _ in found), default=8)
    width_figure = max((len(f) for _, f, _ in found), default=6)
    previous = ""
    for scenario, figure, value in found:
        shown = scenario if scenario != previous else ""
        previous = scenario
        lines.append(f"{shown:<{width_scenario}}  {figure:<{width_figure}}  {value}")
    lines += [
        "",
        f"machine load average (1 min): median {statistics.median(loads) if loads else math.nan:.2f}, "
        f"{min(loads, default=math.nan):.2f}-{max(loads, default=math.nan):.2f}, on {os.cpu_count()} CPUs; "
        f"elapsed {result.elapsed_s:.0f} s",
    ]
    return "\n".join(lines)


def verdict(result: FaultResult) -> dict[str, Any]:
    """What must hold whatever the timings: nothing lost, nothing twice, limits under the grid."""
    checks = [result.final] + [s.ledger for s in (result.gateway, result.controller, result.restart) if s]
    lost = sum(c.readings_lost + c.transactions_missing for c in checks if c is not None)
    duplicated = sum(c.readings_duplicated for c in checks if c is not None)
    under = result.controller is None or (
        result.controller.max_limit_sum_kw <= result.controller.headroom_kw
        and result.controller.chargers_without_limit == 0
    )
    moved = result.gateway is None or (
        result.gateway.moved >= result.gateway.held_before[0]
        and result.gateway.tx_profile.count == result.gateway.moved
    )
    resumed = result.restart is None or (
        result.restart.open_match and result.restart.reconnect.count == result.plan.chargers
    )
    clean = all(c is not None and c.clean for c in checks)
    return {
        "lost": lost,
        "duplicated": duplicated,
        "limits_under_grid": under,
        "all_moved_and_planned": moved,
        "restart_recovered": resumed,
        "ok": bool(clean and lost == 0 and duplicated == 0 and under and moved and resumed),
    }


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def as_json(result: FaultResult, command: str, started: datetime) -> dict[str, Any]:
    return {
        "date": started.isoformat(timespec="seconds"),
        "command": command,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
        },
        "versions": {name: version(name) for name in ("nats-py", "websockets", "ocpp")},
        "result": _rounded(dataclasses.asdict(result)),
        "verdict": verdict(result),
        "table": table(result).splitlines(),
    }


def run_key(args: argparse.Namespace, plan: FaultPlan) -> str:
    key = "quick" if args.quick else "default"
    if args.chargers:
        key = f"{plan.chargers}-chargers"
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
    report = {"benchmark": "bench_faults", "runs": runs}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    return report


INTRODUCTION = """# Faults of the scale-out deployment under load

Written by `python -m benchmarks.bench_faults` from `benchmarks/results/faults.json`; the notes at the
end are kept when it is written again. The same three faults run at four chargers, with assertions,
in `tests/e2e/test_scale_out_faults.py`; this is them at a larger scale, measured.

What runs, all on loopback: a controller (`vettabbia controller`) on a generated site listing every
charger (22 kW AC, one connector) and one vehicle per charger, two gateways (`vettabbia gateway`),
Debian's HAProxy in front of them (`balance leastconn`, health checks on `/health/ready` every
0.5 s, `on-marked-down shutdown-sessions`; `benchmarks/scale_out/deployment.py`), and the NATS server
on 127.0.0.1:4222 with JetStream. Load processes run the chargers
(`benchmarks/scale_out/streaming_charger.py`, written on the `ocpp` library): each connects to
HAProxy, boots, starts a transaction with its vehicle's tag and sends a MeterValues (energy register)
every interval; when its socket drops it connects again after 1 s, to whichever gateway HAProxy
picks, and sends again what was not acknowledged. It keeps what the central system acknowledged
with a CALLRESULT, when each connection opened, and every profile it received. After each scenario
everything acknowledged is compared with the controller's database (`benchmarks/scale_out/ledger.py`).

- **gateway SIGKILL**: `kill -9` of the gateway holding about half the chargers. Times are from the
  kill to each moved charger's new connection (its admission by the controller included), to its
  first TxDefaultProfile (the fail-safe the controller sends to every connecting charger) and its
  first TxProfile (its plan) on the new connection. The run then waits until the controller has given
  the silent gateway up (15 s) and counts the chargers it shows connected; the killed gateway is
  started again, empty.
- **controller SIGKILL**: `kill -9` of the controller, started again after the outage. During the
  outage the gateways keep answering meter values (stored in JetStream); the backlog is the events
  stored and not yet handled by the controller (its durable consumer's pending and unacknowledged
  messages), sampled each second. Each load process samples, twice a second, the sum of the limits
  its chargers hold in force (TxProfile of the running transaction, else the fail-safe); the figure
  is the sum of those maxima, an upper bound of the site's largest sum, against the grid limit less
  the site's largest base load. Times are from the restart command.
- **restart all**: every tenth transaction is stopped, then SIGTERM to the gateways and the
  controller (NATS and HAProxy stay), and all started again. Times are from the start command (the
  controller first, then the gateways). Open transactions must still be open in the database under
  the ids the chargers hold.
- **acknowledged vs stored**: each acknowledged reading must be stored with its value, once
  (duplicates: an instant stored twice for one transaction); each acknowledged start and stop too.
- The machine has 2 cores shared with other work, and every process of the deployment and the load
  runs on them: figures are percentiles of one run, with the load average beside them.
"""


def render_doc(report: dict[str, Any], notes: str) -> str:
    lines = [INTRODUCTION]
    for key, run in report.get("runs", {}).items():
        result = run["result"]
        outcome = run["verdict"]
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
            f"Lost {outcome['lost']}, duplicated {outcome['duplicated']}; limits under the grid: "
            f"{'yes' if outcome['limits_under_grid'] else 'NO'}; every moved charger planned again: "
            f"{'yes' if outcome['all_moved_and_planned'] else 'NO'}; restart recovered: "
            f"{'yes' if outcome['restart_recovered'] else 'NO'}.",
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_CHARGERS} chargers, 15 s controller outage")
    parser.add_argument("--chargers", type=int, default=None, help=f"chargers (default {DEFAULT_CHARGERS})")
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated, run in this order (default all: {SCENARIOS})",
    )
    parser.add_argument("--meter-interval-s", type=float, default=None, help="MeterValues interval (10 s; quick 5 s)")
    parser.add_argument("--outage-s", type=float, default=None, help="controller outage (30 s; quick 15 s)")
    parser.add_argument("--load-processes", type=int, default=2)
    parser.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL server, e.g. postgresql://postgres@127.0.0.1:5432: a database is made for the run "
        "and dropped after (default: a SQLite file)",
    )
    parser.add_argument("--keep-logs", action="store_true", help="keep the nodes' logs (a failed run keeps them)")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    parser.add_argument("--doc", type=Path, default=DOC_PATH)
    args = parser.parse_args(argv)
    if args.database_url and not args.database_url.startswith("postgresql://"):
        parser.error("--database-url: a postgresql:// server URL (SQLite is the default)")
    if set(args.scenarios.split(",")) - set(SCENARIOS):
        parser.error(f"--scenarios: among {', '.join(SCENARIOS)}")
    plan = plan_from(args)
    started = datetime.now(UTC)
    result = asyncio.run(run_faults(plan, keep_logs=args.keep_logs))
    print(table(result))
    outcome = verdict(result)
    print(f"verdict: {'ok' if outcome['ok'] else 'NOT ok'} {outcome}")
    command = (
        "python -m benchmarks.bench_faults" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    )
    report = write_results(args.output, run_key(args, plan), as_json(result, command, started))
    print(f"wrote {args.output}")
    write_doc(args.doc, report)
    print(f"wrote {args.doc}")
    return 0 if outcome["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
