"""The speed figure: which results it shows, and that it is written from results files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.speed.plot import case_points, main


def _case(name: str, vehicles: int, slots: int, replan_s: float, **ratios: float) -> dict[str, Any]:
    return {
        "name": name,
        "lp_vehicles": vehicles,
        "slots": slots,
        "total": {"median_s": replan_s, "min_s": replan_s, "p90_s": replan_s, "repeats": 1},
        "status": "optimal" if replan_s < 100 else "fallback",
        "goal_s": 2.5,
        **ratios,
    }


def test_a_later_file_replaces_a_case_of_the_same_name() -> None:
    first = {"cases": [_case("milan", 60, 96, 0.12, solve_over_floor=1.7), _case("x10", 720, 96, 2.0)]}
    second = {"cases": [_case("x10", 720, 96, 1.8, pyomo_over_floor=6.6), _case("x100", 7200, 96, 128.6)]}

    points = case_points([first, second])

    assert [(p.name, p.replan_s, p.status) for p in points] == [
        ("milan", 0.12, "optimal"),
        ("x10", 1.8, "optimal"),
        ("x100", 128.6, "fallback"),
    ]
    assert points[0].ratios == {
        "solve_over_floor": 1.7,
        "lean_pyomo_over_floor": None,
        "pyomo_over_floor": None,
        "contrib_highs_over_floor": None,
        "persistent_over_direct": None,
    }
    assert points[1].ratios["pyomo_over_floor"] == 6.6


def test_a_file_without_cases_is_refused() -> None:
    with pytest.raises(ValueError, match="without cases"):
        case_points([{"cases": []}])


def test_the_figure_is_written_from_results_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    quarter_hours = tmp_path / "speed.json"
    quarter_hours.write_text(
        json.dumps({"cases": [_case("milan", 60, 96, 0.12, solve_over_floor=1.7), _case("x100", 7200, 96, 128.6)]})
    )
    hours = tmp_path / "speed_hours.json"
    hours.write_text(json.dumps({"cases": [_case("milan-hours", 60, 30, 0.07, lean_pyomo_over_floor=6.5)]}))
    output = tmp_path / "figures" / "speed.png"

    main([str(quarter_hours), str(hours), "--output", str(output)])

    assert output.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert capsys.readouterr().out == f"wrote {output}: 3 cases\n"


def test_a_file_of_other_horizons_alone_is_drawn(tmp_path: Path) -> None:
    results = tmp_path / "speed.json"
    results.write_text(json.dumps({"cases": [_case("milan-288", 60, 288, 0.38, pyomo_over_floor=13.0)]}))
    output = tmp_path / "speed.png"

    main([str(results), "--output", str(output)])

    assert output.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
