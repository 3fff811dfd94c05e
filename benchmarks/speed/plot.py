"""The recorded speed results as one figure: re-plan time against site size, and each path against the floor.

``python -m benchmarks.speed.plot`` reads the results files that ``benchmarks.bench_speed`` wrote
(by default the three recorded in ``benchmarks/results``) and writes ``docs/benchmarks/speed.png``:

* left, the median full re-plan [s] against the vehicles in the LP, log-log, one line per grid
  (quarter hours all the way, or hours after the next two) and number of slots, each case's goal
  in its line's colour, and the status of a re-plan that ended without the optimum;
* right, each way of solving the core LP over the floor (the same LP as matrices straight into
  HiGHS), per case, against the 1.5x goal; and the re-solve of a model kept in Pyomo's persistent
  HiGHS interface over the same re-solve of the LP kept in highspy (absent from results files
  written before it was measured).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

RESULTS_DIR = Path(__file__).resolve().parents[1] / "results"
DEFAULT_RESULTS = tuple(RESULTS_DIR / name for name in ("speed.json", "speed_quick.json", "speed_hours.json"))
PLOT_PATH = Path(__file__).resolve().parents[2] / "docs" / "benchmarks" / "speed.png"
RATIO_GOAL = 1.5
"""Each path on the core LP within this factor of the floor."""
HOURS_SUFFIX = "-hours"
"""Cases planning in hours after the next two (``planning.fine_horizon_h``)."""

RATIOS = (
    ("solve_over_floor", "optimizer.solve (matrices)"),
    ("lean_pyomo_over_floor", "leanest Pyomo model"),
    ("pyomo_over_floor", "Pyomo model (optimizer.model)"),
    ("contrib_highs_over_floor", "Pyomo model, pyomo.contrib.solver Highs"),
    ("persistent_over_direct", "kept in contrib Highs, re-solve / kept highspy LP's"),
)


@dataclass(frozen=True, slots=True)
class CasePoint:
    """What the figure shows of one case."""

    name: str
    lp_vehicles: int
    slots: int
    replan_s: float
    status: str
    """The re-plan's schedule status (``optimal``, or ``fallback`` when HiGHS ran out of time)."""
    goal_s: float
    ratios: dict[str, float | None]
    """Each of :data:`RATIOS`' keys: that path's time over the floor's, None where not measured."""


def case_points(documents: Sequence[dict[str, Any]]) -> list[CasePoint]:
    """Every case of the results documents, a later document's case replacing an earlier one's of the same name.

    Raises
    ------
    ValueError
        If a document holds no cases.
    """
    points: dict[str, CasePoint] = {}
    for document in documents:
        cases = document.get("cases")
        if not cases:
            raise ValueError("results: a document without cases")
        for case in cases:
            points[case["name"]] = CasePoint(
                name=case["name"],
                lp_vehicles=int(case["lp_vehicles"]),
                slots=int(case["slots"]),
                replan_s=float(case["total"]["median_s"]),
                status=str(case["status"]),
                goal_s=float(case["goal_s"]),
                ratios={key: case.get(key) for key, _ in RATIOS},
            )
    return list(points.values())


def plot_speed(path: Path, points: Sequence[CasePoint], *, title: str) -> None:
    """Write the figure (module docstring) to ``path``, creating its folder."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 5), dpi=120)
    groups = sorted({(p.name.endswith(HOURS_SUFFIX), p.slots) for p in points})
    for hours, slots in groups:
        series = sorted(
            (p for p in points if (p.name.endswith(HOURS_SUFFIX), p.slots) == (hours, slots)),
            key=lambda p: p.lp_vehicles,
        )
        label = "hours after the next 2 h" if hours else "quarter hours all the way"
        vehicles = [p.lp_vehicles for p in series]
        (line,) = left.plot(
            vehicles, [p.replan_s for p in series], marker="s" if hours else "o", label=f"{label} ({slots} slots)"
        )
        left.scatter(vehicles, [p.goal_s for p in series], marker="_", s=400, color=line.get_color(), zorder=3)
        for p in series:
            if p.status != "optimal":
                left.annotate(
                    p.status,
                    (p.lp_vehicles, p.replan_s),
                    textcoords="offset points",
                    xytext=(-8, -2),
                    ha="right",
                    va="top",
                    fontsize=8,
                )
    left.scatter([], [], marker="_", s=400, color="black", label="goal (same colour)")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("Vehicles in the LP")
    left.set_ylabel("Full re-plan, median [s]")
    left.set_title("Snapshot to OCPP payloads")
    left.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=8)

    names = [p.name for p in points]
    width = 0.8 / len(RATIOS)
    for i, (key, label) in enumerate(RATIOS):
        values = [np.nan if (ratio := p.ratios[key]) is None else ratio for p in points]
        right.bar(np.arange(len(points)) + (i - (len(RATIOS) - 1) / 2) * width, values, width, label=label)
    right.axhline(RATIO_GOAL, color="black", linestyle="--", linewidth=1, label=f"goal: {RATIO_GOAL:g}x")
    right.set_xticks(np.arange(len(points)), names, rotation=30, ha="right", fontsize=8)
    right.set_ylabel("Time on the core LP / the floor's")
    right.set_title("Each path against the floor")
    right.grid(True, axis="y", alpha=0.3)
    right.legend(fontsize=8)

    figure.suptitle(title)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("results", type=Path, nargs="*", default=list(DEFAULT_RESULTS), help="results files, in order")
    parser.add_argument("--output", type=Path, default=PLOT_PATH, help="PNG path")
    args = parser.parse_args(argv)
    documents = [json.loads(path.read_text(encoding="utf-8")) for path in args.results]
    points = case_points(documents)
    plot_speed(args.output, points, title="Re-plan speed (" + ", ".join(path.name for path in args.results) + ")")
    print(f"wrote {args.output}: {len(points)} cases")


if __name__ == "__main__":
    main()
