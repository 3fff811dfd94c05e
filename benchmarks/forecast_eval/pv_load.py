"""Back-tests of the PV and site base-load forecasts on held-out data.

``evaluate(quick=...)`` returns the rows of both; run ``python -m benchmarks.forecast_eval.pv_load
[--quick]`` to print them. PV is scored on the PVGIS typical year for 45.0 N 8.0 E (real irradiance,
skipped with a note when the file is absent, see :mod:`benchmarks.forecast_eval.pv_backtest`); base
load on a seeded synthetic year (see :mod:`benchmarks.forecast_eval.load_backtest`).
"""

from __future__ import annotations

import argparse
import sys

from benchmarks.forecast_eval.load_backtest import evaluate_base_load
from benchmarks.forecast_eval.pv_backtest import evaluate_pv, pvgis_tmy_path
from benchmarks.forecast_eval.rows import EvalRow


def evaluate(*, quick: bool) -> list[EvalRow]:
    """Rows for PV (when the PVGIS file is present) and base load.

    Parameters
    ----------
    quick
        Score one day in seven instead of every day (about a minute instead of several).
    """
    return [*evaluate_pv(quick=quick), *evaluate_base_load(quick=quick)]


def format_table(rows: list[EvalRow]) -> str:
    """The rows as a fixed-width text table, by target, horizon and forecaster."""
    header = (
        f"{'target':<13} {'horizon':<13} {'forecaster':<44} {'MAE':>7} {'RMSE':>7} "
        f"{'SS pers':>7} {'SS clim':>7} {'pinball':>7} {'P10-90':>6} {'n':>6}"
    )
    lines = [header, "-" * len(header)]
    for row in sorted(rows, key=lambda r: (r.target, _horizon_order(r.horizon), r.baseline, r.forecaster)):
        lines.append(
            f"{row.target:<13} {row.horizon:<13} {row.forecaster:<44} {row.mae:7.2f} {row.rmse:7.2f} "
            f"{_number(row.skill_vs_persistence, 7, 3)} {_number(row.skill_vs_climatology, 7, 3)} "
            f"{_number(row.pinball, 7, 2)} {_number(row.coverage_p10_p90, 6, 2)} {row.n:6d}"
        )
    return "\n".join(lines)


def _horizon_order(horizon: str) -> tuple[int, str]:
    return (0 if horizon == "day-ahead" else 1, horizon)


def _number(value: float | None, width: int, decimals: int) -> str:
    return f"{value:{width}.{decimals}f}" if value is not None else " " * (width - 1) + "-"


def main(argv: list[str] | None = None) -> int:
    """Print the evaluation table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="score one day in seven")
    arguments = parser.parse_args(argv)
    if not pvgis_tmy_path().is_file():
        print(f"PV skipped: no PVGIS typical year at {pvgis_tmy_path()}", file=sys.stderr)
    print(format_table(evaluate(quick=arguments.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
