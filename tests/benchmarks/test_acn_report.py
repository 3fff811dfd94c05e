"""Goals, table and plot of the ACN benchmark."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from benchmarks.acn.offline import OfflineResult
from benchmarks.acn.report import OfflineBounds, check_goals, goals_text, plot, table
from benchmarks.acn.runner import OURS, RunMetrics

REQUESTED_KWH = 200.0


def run_metrics(algorithm: str, cap_kw: float, delivered_kwh: float) -> RunMetrics:
    return RunMetrics(
        algorithm=algorithm,
        transformer_cap_kw=cap_kw,
        sessions=20,
        requested_kwh=REQUESTED_KWH,
        delivered_kwh=delivered_kwh,
        energy_delivered_pct=100.0 * delivered_kwh / REQUESTED_KWH,
        demands_met_pct=50.0,
        peak_kw=cap_kw,
        energy_cost_usd=10.0,
        periods=288,
        violation_periods=0,
        worst_overload_pct=0.0,
        calls=200,
        call_time_median_ms=12.0,
        call_time_p95_ms=40.0,
        wall_time_s=30.0,
    )


def offline(delivered_kwh: float, *, outer: bool) -> OfflineResult:
    return OfflineResult(
        outer=outer,
        facets=64 if outer else 16,
        requested_kwh=REQUESTED_KWH,
        delivered_kwh=delivered_kwh,
        sessions=20,
        sessions_met=8,
        groups=1,
        statuses=("optimal",),
        solve_time_s=1.0,
    )


RUNS = (
    run_metrics(OURS, 10.0, 99.0),
    run_metrics("LLF", 10.0, 70.0),
    run_metrics(OURS, 50.0, 200.0),
)
BOUNDS = (
    OfflineBounds(10.0, offline(99.4, outer=False), offline(101.0, outer=True)),
    OfflineBounds(50.0, offline(200.0, outer=False), offline(200.0, outer=True)),
)


def test_goals_compare_ours_with_the_offline_optimum_and_llf() -> None:
    checks = {(c.name, c.transformer_cap_kw): c for c in check_goals(RUNS, BOUNDS)}

    share = checks[("share of offline optimum", 10.0)]
    assert share.value == pytest.approx(99.0 / 99.4)
    assert share.met  # 99.60 % >= 99.5 %
    assert not checks[("share of upper bound", 10.0)].met  # 98.02 %
    assert checks[("share of offline optimum", 50.0)].value == pytest.approx(1.0)
    margin = checks[("points above LLF", 10.0)]
    assert margin.value == pytest.approx(49.5 - 35.0)
    assert margin.met


def test_goals_text_says_what_is_not_met() -> None:
    text = goals_text(check_goals(RUNS, BOUNDS))
    assert "10 kW: 98.02 % of the upper bound (goal >= 99.5 %): NOT met" in text
    assert "10 kW: +14.5 points above LLF (goal >= 14): met" in text


def test_table_has_a_row_per_run_and_per_bound() -> None:
    lines = table(RUNS, BOUNDS).splitlines()
    assert len(lines) == 2 + len(RUNS) + 2 * len(BOUNDS)
    assert lines[2].startswith("| 10 | LLF | 35.0 |")
    assert lines[3].startswith(f"| 10 | {OURS} | 49.5 |")
    assert lines[4].startswith("| 10 | Offline optimum (16-gon) | 49.7 |")


def test_table_reports_violations_with_the_worst_overload() -> None:
    broken = dataclasses.replace(
        run_metrics("Uncontrolled", 10.0, 200.0), violation_periods=7, worst_overload_pct=312.4
    )
    assert "| 7 (worst +312 %) |" in table([broken], [])


def test_plot_writes_a_png(tmp_path: Path) -> None:
    path = tmp_path / "acn.png"
    plot(path, RUNS, BOUNDS, title="test")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
