"""Baselines and offline optima taken from an earlier results document only when it fits the run."""

from __future__ import annotations

import json
from typing import Any

import pytest

from benchmarks.acn.offline import OfflineResult
from benchmarks.acn.report import OfflineBounds, check_goals, document
from benchmarks.acn.reuse import ReuseError, reusable_results
from benchmarks.acn.runner import BASELINES, OURS, RunMetrics

DATA = {"file": "sessions.json.gz", "first_day": 0, "days": 31, "sessions": 954, "requested_kwh": 8900.5}
CAPACITIES_KW = (10.0, 20.0)


def run_metrics(algorithm: str, cap_kw: float) -> RunMetrics:
    return RunMetrics(
        algorithm=algorithm,
        transformer_cap_kw=cap_kw,
        sessions=954,
        requested_kwh=8900.5,
        delivered_kwh=10.0 * cap_kw + len(algorithm),
        energy_delivered_pct=1.0,
        demands_met_pct=50.0,
        peak_kw=cap_kw,
        energy_cost_usd=10.0,
        periods=9000,
        violation_periods=0,
        worst_overload_pct=0.0,
        calls=6000,
        call_time_median_ms=1.5,
        call_time_p95_ms=3.0,
        wall_time_s=30.0,
        solver_statuses=(("optimal", 6000),) if algorithm == OURS else (),
    )


def offline_result(cap_kw: float, *, outer: bool) -> OfflineResult:
    return OfflineResult(
        outer=outer,
        facets=64 if outer else 16,
        requested_kwh=8900.5,
        delivered_kwh=100.0 * cap_kw + outer,
        sessions=954,
        sessions_met=400,
        groups=10,
        statuses=("optimal", "optimal"),
        solve_time_s=40.0,
    )


def earlier_document() -> dict[str, Any]:
    runs = [run_metrics(name, cap) for cap in CAPACITIES_KW for name in (*BASELINES, OURS)]
    bounds = [
        OfflineBounds(cap, offline_result(cap, outer=False), offline_result(cap, outer=True)) for cap in CAPACITIES_KW
    ]
    metadata = {
        "data": DATA,
        "settings": {"period_min": 5, "tariff": "tou", "mpc": {"facets": 16}, "upper_bound_facets": 64},
        "environment": {"acnportal": "0.3.3"},
        "wall_time_s": 3600.0,
    }
    doc = document(metadata=metadata, runs=runs, offline=bounds, checks=check_goals(runs, bounds))
    parsed: dict[str, Any] = json.loads(json.dumps(doc))  # as read back from the file
    return parsed


def reuse(doc: dict[str, Any], **changes: Any) -> Any:
    arguments: dict[str, Any] = {
        "data": DATA,
        "capacities_kw": CAPACITIES_KW,
        "period_min": 5,
        "tariff": "tou",
        "facets": 16,
        "upper_bound_facets": 64,
        "acnportal_version": "0.3.3",
    }
    arguments.update(changes)
    return reusable_results(doc, **arguments)


def test_the_baselines_and_offline_optima_come_back_unchanged_and_the_mpc_is_left_out() -> None:
    reused = reuse(earlier_document(), capacities_kw=(20.0,))

    assert reused.runs == tuple(run_metrics(name, 20.0) for name in BASELINES)
    assert reused.offline == {
        (20.0, False): offline_result(20.0, outer=False),
        (20.0, True): offline_result(20.0, outer=True),
    }
    assert reused.wall_time_s == 3600.0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"data": {**DATA, "days": 1}}, "data"),
        ({"facets": 32}, "facets"),
        ({"upper_bound_facets": 32}, "upper_bound_facets"),
        ({"tariff": "flat"}, "tariff"),
        ({"acnportal_version": "0.3.2"}, "acnportal"),
        ({"capacities_kw": (10.0, 30.0)}, "30 kW"),
    ],
)
def test_a_document_for_another_question_is_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ReuseError, match=message):
        reuse(earlier_document(), **changes)
