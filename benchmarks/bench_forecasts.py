"""Evaluate the forecasts on held-out data and print one table.

Run ``python -m benchmarks.bench_forecasts`` (add ``--quick`` for a shorter run). Scores the PV and
base-load forecasters (:mod:`benchmarks.forecast_eval.pv_load`) and the vehicle forecasters
(:mod:`benchmarks.forecast_eval.vehicles`: real Caltech ACN sessions and generated Milan history)
against persistence and climatology, prints the table, and writes
``benchmarks/results/forecasts.json``. The Caltech data are read from ``../shared/data/acn/`` next to
the repository, or from the file named by ``$VETTABBIA_ACN_DATA``; without them those rows are
skipped with a message.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import math
import platform
import sys
import time
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path

from benchmarks.forecast_eval.rows import EvalRow

RESULTS_PATH = Path(__file__).parent / "results" / "forecasts.json"
PV_LOAD_MODULE = "benchmarks.forecast_eval.pv_load"
VEHICLES_MODULE = "benchmarks.forecast_eval.vehicles"
_COLUMNS = (
    ("forecaster", 27),
    ("target", 52),
    ("horizon", 36),
    ("n", 5),
    ("mae", 8),
    ("rmse", 8),
    ("skill_pers", 10),
    ("skill_clim", 10),
    ("pinball", 8),
    ("cover", 6),
)


def _number(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"


def format_table(rows: Sequence[EvalRow]) -> str:
    """The rows as a fixed-width text table; baselines are marked with ``*``."""
    header = " ".join(name.ljust(width) for name, width in _COLUMNS)
    lines = [header, "-" * len(header)]
    for row in rows:
        cells = (
            ("*" if row.baseline else "") + row.forecaster,
            row.target,
            row.horizon,
            str(row.n),
            _number(row.mae),
            _number(row.rmse),
            _number(row.skill_vs_persistence),
            _number(row.skill_vs_climatology),
            _number(row.pinball),
            _number(row.coverage_p10_p90, 2),
        )
        lines.append(" ".join(cell.ljust(width) for cell, (_, width) in zip(cells, _COLUMNS, strict=True)))
    return "\n".join(lines)


def markdown_table(rows: Sequence[EvalRow]) -> str:
    """The rows as a Markdown table for docs/benchmarks/forecasts.md; baselines in italics."""
    names = [name for name, _ in _COLUMNS]
    lines = ["| " + " | ".join(names) + " |", "|" + "|".join("---" for _ in names) + "|"]
    for row in rows:
        forecaster = f"*{row.forecaster}*" if row.baseline else row.forecaster
        cells = (
            forecaster,
            row.target,
            row.horizon,
            str(row.n),
            _number(row.mae),
            _number(row.rmse),
            _number(row.skill_vs_persistence),
            _number(row.skill_vs_climatology),
            _number(row.pinball),
            _number(row.coverage_p10_p90, 2),
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _evaluation(module_name: str, log: Callable[[str], None]) -> Callable[..., list[EvalRow]] | None:
    """The module's ``evaluate``, or None (said on the log) when the module is not there."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        log(f"MISSING: {module_name} is not installed in this tree; its rows are not in the table")
        return None
    evaluate: Callable[..., list[EvalRow]] = module.evaluate
    return evaluate


def _json_row(row: EvalRow) -> dict[str, object]:
    # NaN (a skill against a perfect reference) is not valid JSON.
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in dataclasses.asdict(row).items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="shorter generated history and test windows")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    parser.add_argument("--markdown", action="store_true", help="print the table in Markdown")
    args = parser.parse_args(argv)

    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    rows: list[EvalRow] = []
    missing: list[str] = []
    pv_load = _evaluation(PV_LOAD_MODULE, log)
    if pv_load is None:
        missing.append(PV_LOAD_MODULE)
    else:
        log("PV and base load ...")
        rows += pv_load(quick=args.quick)
    vehicles = importlib.import_module(VEHICLES_MODULE)
    log(f"vehicles (Milan history seed {vehicles.MILAN_SEED}) ...")
    rows += vehicles.evaluate(quick=args.quick, progress=log)

    print(markdown_table(rows) if args.markdown else format_table(rows))
    if missing:
        print(f"\nnot evaluated (module missing): {', '.join(missing)}")
    report = {
        "benchmark": "forecasts",
        "quick": args.quick,
        "milan_seed": vehicles.MILAN_SEED,
        "python": platform.python_version(),
        "pandas": version("pandas"),
        "pvlib": version("pvlib"),
        "machine": platform.machine(),
        "missing": missing,
        "rows": [_json_row(row) for row in rows],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    log(f"wrote {args.output}")


if __name__ == "__main__":
    main()
