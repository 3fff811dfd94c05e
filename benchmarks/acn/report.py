"""The benchmark's results: goals, the printed table, the JSON document and the plot."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.acn.offline import OfflineResult
from benchmarks.acn.runner import ALGORITHMS, OURS, RunMetrics

OFFLINE_SHARE_GOAL = 0.995
"""Ours must deliver at least this share of the offline optimum's energy, at every capacity."""

LLF_MARGIN_GOAL_POINTS = 14.0
"""At the smallest capacity, ours must deliver this many percentage points more than LLF."""

LLF_MARGIN_CAPACITY_KW = 10.0


@dataclass(frozen=True, slots=True)
class OfflineBounds:
    """The offline optimum at one capacity: the planning model, and the outer-polygon upper bound."""

    transformer_cap_kw: float
    planning_model: OfflineResult
    upper_bound: OfflineResult


@dataclass(frozen=True, slots=True)
class GoalCheck:
    name: str
    transformer_cap_kw: float
    value: float
    target: float
    met: bool


def check_goals(runs: Sequence[RunMetrics], offline: Sequence[OfflineBounds]) -> tuple[GoalCheck, ...]:
    """Evaluate the benchmark's goals.

    Parameters
    ----------
    runs
        Every simulation run.
    offline
        The offline optimum per capacity.

    Returns
    -------
    tuple of GoalCheck
        Per capacity, ours' delivered energy over the offline optimum's (planning model: the goal;
        upper bound: reported alongside, target the same); at 10 kW, ours minus LLF in points.
    """
    ours = {run.transformer_cap_kw: run for run in runs if run.algorithm == OURS}
    checks = []
    for bounds in sorted(offline, key=lambda b: b.transformer_cap_kw):
        run = ours.get(bounds.transformer_cap_kw)
        if run is None:
            continue
        for name, result in (
            ("share of offline optimum", bounds.planning_model),
            ("share of upper bound", bounds.upper_bound),
        ):
            share = run.delivered_kwh / result.delivered_kwh if result.delivered_kwh > 0 else 1.0
            checks.append(
                GoalCheck(name, bounds.transformer_cap_kw, share, OFFLINE_SHARE_GOAL, share >= OFFLINE_SHARE_GOAL)
            )
    llf = {run.transformer_cap_kw: run for run in runs if run.algorithm == "LLF"}
    if LLF_MARGIN_CAPACITY_KW in ours and LLF_MARGIN_CAPACITY_KW in llf:
        margin = ours[LLF_MARGIN_CAPACITY_KW].energy_delivered_pct - llf[LLF_MARGIN_CAPACITY_KW].energy_delivered_pct
        checks.append(
            GoalCheck(
                "points above LLF",
                LLF_MARGIN_CAPACITY_KW,
                margin,
                LLF_MARGIN_GOAL_POINTS,
                margin >= LLF_MARGIN_GOAL_POINTS,
            )
        )
    return tuple(checks)


def table(runs: Sequence[RunMetrics], offline: Sequence[OfflineBounds]) -> str:
    """The results as a Markdown table, by capacity, then algorithm, then the two offline rows."""
    header = (
        "| Transformer [kW] | Algorithm | Energy delivered [%] | Demands met [%] | Peak [kW] | TOU cost [USD]"
        " | Violations [periods] | Call time median / p95 [ms] |"
    )
    lines = [header, "|" + "---|" * 8]
    order = {name: i for i, name in enumerate(ALGORITHMS)}
    bounds_by_cap = {b.transformer_cap_kw: b for b in offline}
    for cap in sorted({run.transformer_cap_kw for run in runs} | set(bounds_by_cap)):
        for run in sorted((r for r in runs if r.transformer_cap_kw == cap), key=lambda r: order.get(r.algorithm, 99)):
            violations = (
                f"{run.violation_periods} (worst +{run.worst_overload_pct:.0f} %)" if run.violation_periods else "0"
            )
            lines.append(
                f"| {cap:g} | {run.algorithm} | {run.energy_delivered_pct:.1f} | {run.demands_met_pct:.1f}"
                f" | {run.peak_kw:.1f} | {run.energy_cost_usd:.2f} | {violations}"
                f" | {run.call_time_median_ms:.1f} / {run.call_time_p95_ms:.1f} |"
            )
        bounds = bounds_by_cap.get(cap)
        if bounds is not None:
            for label, result in (
                (f"Offline optimum ({bounds.planning_model.facets}-gon)", bounds.planning_model),
                (f"Upper bound (outer {bounds.upper_bound.facets}-gon)", bounds.upper_bound),
            ):
                # only its energy bounds the others: which sessions an optimal plan fills is arbitrary
                energy_pct = 100.0 * result.delivered_kwh / result.requested_kwh
                lines.append(f"| {cap:g} | {label} | {energy_pct:.1f} | | | | | |")
    return "\n".join(lines)


def goals_text(checks: Sequence[GoalCheck]) -> str:
    """One line per goal check."""
    lines = []
    for check in checks:
        verdict = "met" if check.met else "NOT met"
        if check.name == "points above LLF":
            lines.append(
                f"{check.transformer_cap_kw:g} kW: {check.value:+.1f} points above LLF"
                f" (goal >= {check.target:g}): {verdict}"
            )
        else:
            reference = check.name.removeprefix("share of ")
            lines.append(
                f"{check.transformer_cap_kw:g} kW: {100 * check.value:.2f} % of the {reference}"
                f" (goal >= {100 * check.target:g} %): {verdict}"
            )
    return "\n".join(lines)


def document(
    *,
    metadata: Mapping[str, Any],
    runs: Sequence[RunMetrics],
    offline: Sequence[OfflineBounds],
    checks: Sequence[GoalCheck],
) -> dict[str, Any]:
    """The JSON document: metadata as given, then every run, offline result and goal check."""
    return {
        **metadata,
        "runs": [dataclasses.asdict(run) for run in runs],
        "offline": [dataclasses.asdict(bounds) for bounds in offline],
        "goals": [dataclasses.asdict(check) for check in checks],
    }


def write_json(path: Path, doc: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def plot(path: Path, runs: Sequence[RunMetrics], offline: Sequence[OfflineBounds], *, title: str) -> None:
    """Against transformer capacity [kW], one line per algorithm: energy delivered [% of requested]
    (with the offline optimum and the upper bound) on the left, demands met [% of sessions] on the
    right (an offline optimum meets an arbitrary set of sessions, so it has no line there)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (energy_axes, met_axes) = plt.subplots(1, 2, figsize=(12, 5), dpi=120)
    for name in ALGORITHMS:
        style = {"linewidth": 2.5, "color": "black"} if name == OURS else {"linewidth": 1.2}
        for axes, metric in ((energy_axes, "energy_delivered_pct"), (met_axes, "demands_met_pct")):
            points = sorted((r.transformer_cap_kw, getattr(r, metric)) for r in runs if r.algorithm == name)
            if points:
                axes.plot(*zip(*points, strict=True), marker="o", label=name, **style)
    for label, attribute, line in (("Offline optimum", "planning_model", "--"), ("Upper bound", "upper_bound", ":")):
        points = sorted(
            (b.transformer_cap_kw, 100.0 * getattr(b, attribute).delivered_kwh / getattr(b, attribute).requested_kwh)
            for b in offline
        )
        if points:
            energy_axes.plot(*zip(*points, strict=True), linestyle=line, color="grey", label=label)
    energy_axes.set_ylabel("Energy delivered [% of requested]")
    met_axes.set_ylabel("Demands met [% of sessions, within 0.1 kWh]")
    for axes in (energy_axes, met_axes):
        axes.set_xlabel("Transformer capacity [kW]")
        axes.grid(True, alpha=0.3)
        axes.legend(loc="lower right", fontsize=8)
    figure.suptitle(title)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
