"""The LP assembled as matrices is the Pyomo model's LP: same optimum, same plan cost, same layout use."""

from __future__ import annotations

import math

import highspy
import numpy as np
from hypothesis import given, settings

from optimizer import ChargingProblem, SolveStatus, solve
from optimizer.charge_index import build_charge_index
from optimizer.coefficients import lp_coefficients
from optimizer.highs_backend import compile_lp, new_highs, run_highs, solve_lp_with_highs
from optimizer.lp_assembly import assemble_lp
from optimizer.model import build_model
from tests.optimizer.factories import problem, vehicle
from tests.optimizer.test_properties_full import problems


def optimum(lp: highspy.HighsLp) -> float:
    highs = new_highs(30.0)
    assert highs.passModel(lp) != highspy.HighsStatus.kError
    outcome, termination = run_highs(highs)
    assert outcome.value == "optimal", termination
    return float(highs.getInfo().objective_function_value)


@settings(max_examples=80, deadline=None)
@given(problems())
def test_assembled_and_pyomo_lps_have_the_same_size_and_optimum(p: ChargingProblem) -> None:
    index = build_charge_index(p)
    c = lp_coefficients(p, index)
    assembled = assemble_lp(index, c)
    compiled = compile_lp(build_model(p, index, c))
    assert assembled.lp.num_col_ == compiled.lp.num_col_
    # Pyomo leaves out rows with no variable (a vehicle that cannot charge and has no unmet bound);
    # the assembly keeps them, trivially satisfied
    assert assembled.lp.num_row_ >= compiled.lp.num_row_
    assert math.isclose(optimum(assembled.lp), optimum(compiled.lp), rel_tol=1e-7, abs_tol=1e-7)


@settings(max_examples=40, deadline=None)
@given(problems())
def test_default_and_pyomo_paths_plan_at_the_same_cost(p: ChargingProblem) -> None:
    direct = solve(p)
    through_pyomo = solve(p, backend=solve_lp_with_highs)
    assert direct.status is through_pyomo.status is SolveStatus.OPTIMAL
    assert direct.lp_objective_eur is not None
    assert through_pyomo.lp_objective_eur is not None
    assert math.isclose(direct.lp_objective_eur, through_pyomo.lp_objective_eur, rel_tol=1e-7, abs_tol=1e-6)


def test_hand_checked_layout_of_one_vehicle_in_two_slots() -> None:
    # one vehicle, two hours, 10 kW max, needs 15 kWh; prices 0.1 then 0.3 EUR/kWh
    p = problem(
        slot_duration_h=(1.0, 1.0),
        vehicles=[vehicle("v", available_h=[1.0, 1.0], max_power_kw=10.0, energy_needed_kwh=15.0)],
        grid_import_limit_kw=[100.0, 100.0],
        base_load_kw=[0.0, 0.0],
        pv_kw=[0.0, 0.0],
        import_price_eur_per_kwh=[0.1, 0.3],
    )
    index = build_charge_index(p)
    assembled = assemble_lp(index, lp_coefficients(p, index))
    layout = assembled.layout
    # columns: power (2 pairs), import (2), export (2), unmet (1)
    assert assembled.lp.num_col_ == 7
    assert layout.power_columns.tolist() == [0, 1]
    assert layout.import_columns.tolist() == [2, 3]
    assert layout.unmet_columns.tolist() == [6]
    # rows: balance (2), grid (2), energy (1)
    assert assembled.lp.num_row_ == 5
    assert np.asarray(assembled.lp.row_lower_)[layout.energy_rows].tolist() == [15.0]
    # 10 kWh at 0.1 and 5 kWh at 0.3, plus the tie-break on the second slot's 5 kWh
    assert math.isclose(optimum(assembled.lp), 1.0 + 1.5 + 1e-6 * 5.0, rel_tol=1e-9)
