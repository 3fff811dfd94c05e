"""Baseline runs and offline optima from an earlier results file, when they answer the same question.

ACN-Sim's baselines and the offline optima do not depend on the MPC's code or settings (the offline
optima only on the polygon's facets), and all of them are deterministic: a new MPC run can be set
next to them without simulating them again, as long as the earlier file used the same sessions,
capacities, period, tariff, facets and acnportal version. The document written afterwards says
which numbers were taken from where.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.acn.offline import OfflineResult
from benchmarks.acn.runner import BASELINES, RunMetrics


class ReuseError(ValueError):
    """The earlier results file does not answer the same question as the run being made."""


@dataclass(frozen=True, slots=True)
class ReusedResults:
    """What an earlier results file contributes to a new run."""

    runs: tuple[RunMetrics, ...]
    """Every baseline at every capacity asked for."""
    offline: Mapping[tuple[float, bool], OfflineResult]
    """The offline optimum (``False``) and upper bound (``True``) per capacity."""
    wall_time_s: float
    """The earlier run's wall time [s]."""


def reusable_results(
    doc: Mapping[str, Any],
    *,
    data: Mapping[str, Any],
    capacities_kw: Sequence[float],
    period_min: int,
    tariff: str,
    facets: int,
    upper_bound_facets: int,
    acnportal_version: str,
) -> ReusedResults:
    """The baselines and offline optima of an earlier results document.

    Parameters
    ----------
    doc
        The earlier document (as written by :func:`benchmarks.acn.report.document`).
    data
        The new run's ``data`` section: data file, days and sessions; must equal the earlier one.
    capacities_kw
        Capacities of the new run; the earlier document must hold all of them.
    period_min, tariff, facets, upper_bound_facets, acnportal_version
        What else the baselines and offline optima depend on; must equal the earlier settings.

    Returns
    -------
    ReusedResults
        The baseline runs at the capacities asked for, and their offline optima.

    Raises
    ------
    ReuseError
        When any of the above differs, or a baseline or offline result is missing.
    """
    settings = doc.get("settings", {})
    earlier = {
        "data": doc.get("data"),
        "period_min": settings.get("period_min"),
        "tariff": settings.get("tariff"),
        "facets": settings.get("mpc", {}).get("facets"),
        "upper_bound_facets": settings.get("upper_bound_facets"),
        "acnportal": doc.get("environment", {}).get("acnportal"),
    }
    now = {
        "data": dict(data),
        "period_min": period_min,
        "tariff": tariff,
        "facets": facets,
        "upper_bound_facets": upper_bound_facets,
        "acnportal": acnportal_version,
    }
    for key, value in now.items():
        if earlier[key] != value:
            raise ReuseError(f"{key}: the earlier results have {earlier[key]!r}, this run {value!r}")

    runs = {(r["algorithm"], float(r["transformer_cap_kw"])): r for r in doc.get("runs", [])}
    offline_rows = {float(o["transformer_cap_kw"]): o for o in doc.get("offline", [])}
    reused_runs = []
    offline: dict[tuple[float, bool], OfflineResult] = {}
    for cap_kw in capacities_kw:
        for algorithm in BASELINES:
            row = runs.get((algorithm, float(cap_kw)))
            if row is None:
                raise ReuseError(f"{algorithm} at {cap_kw:g} kW: not in the earlier results")
            reused_runs.append(_run_metrics(row))
        bounds = offline_rows.get(float(cap_kw))
        if bounds is None:
            raise ReuseError(f"offline optimum at {cap_kw:g} kW: not in the earlier results")
        offline[(float(cap_kw), False)] = _offline_result(bounds["planning_model"])
        offline[(float(cap_kw), True)] = _offline_result(bounds["upper_bound"])
    return ReusedResults(runs=tuple(reused_runs), offline=offline, wall_time_s=float(doc.get("wall_time_s", 0.0)))


def _run_metrics(row: Mapping[str, Any]) -> RunMetrics:
    fields = dict(row)
    fields["solver_statuses"] = tuple((str(status), int(count)) for status, count in row.get("solver_statuses", ()))
    return RunMetrics(**fields)


def _offline_result(row: Mapping[str, Any]) -> OfflineResult:
    fields = dict(row)
    fields["statuses"] = tuple(row["statuses"])
    return OfflineResult(**fields)
