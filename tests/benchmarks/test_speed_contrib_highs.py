"""Pyomo's newer HiGHS interface on the core LP: from scratch it reaches the floor's optimum; kept, each
re-solve after meter values reaches the optimum of the changed problem, as the kept highspy LP does."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from benchmarks.speed.contrib_highs import (
    METER_STEP_KWH,
    DirectWarm,
    PersistentPyomo,
    needs_after_meter_values,
    solve_with_contrib_highs,
    with_needs,
)
from benchmarks.speed.floor import solve_floor
from optimizer import ChargingProblem, VehicleRequest
from optimizer.charge_index import NEGLIGIBLE_NEED_KWH
from tests.benchmarks.speed_factories import core_lp_problem, problems


def _two_cars() -> ChargingProblem:
    # 30 kW for two cars wanting 40 and 20 kWh in two hours: the cheap hour first
    cars = [
        VehicleRequest("a", "CP1/1", 22.0, 40.0, (1.0, 1.0), efficiency=1.0),
        VehicleRequest("b", "CP2/1", 22.0, 20.0, (1.0, 1.0), efficiency=1.0),
    ]
    return core_lp_problem([1.0, 1.0], cars, limit_kw=[30.0, 30.0], price=[0.10, 0.30])


@settings(max_examples=30, deadline=None)
@given(problems())
def test_contrib_highs_from_scratch_reaches_the_floors_optimum(problem: ChargingProblem) -> None:
    result = solve_with_contrib_highs(problem)

    assert result.objective_eur == pytest.approx(solve_floor(problem).objective_eur, rel=1e-7, abs=1e-7)
    assert result.total_s == pytest.approx(result.build_s + result.solve_s + result.read_s)


@settings(max_examples=25, deadline=None)
@given(problems())
def test_kept_re_solves_reach_the_optimum_of_the_problem_after_meter_values(problem: ChargingProblem) -> None:
    kept_pyomo, kept_highs = PersistentPyomo(problem), DirectWarm(problem)

    for meter_values in (1, 2, 5):
        needs = needs_after_meter_values(problem, meter_values)
        fresh = solve_floor(with_needs(problem, needs)).objective_eur

        assert kept_pyomo.resolve(needs).objective_eur == pytest.approx(fresh, rel=1e-7, abs=1e-7)
        assert kept_highs.resolve(needs).objective_eur == pytest.approx(fresh, rel=1e-7, abs=1e-7)


def test_a_kept_re_solve_charges_what_the_new_needs_ask_for() -> None:
    problem = _two_cars()
    kept_pyomo, kept_highs = PersistentPyomo(problem), DirectWarm(problem)
    # after the meter values: 30 and 10 kWh; 30 kW in the cheap hour, the other 10 kWh in the dear one
    needs = np.array([30.0, 10.0])

    for kept in (kept_pyomo, kept_highs):
        plan = kept.resolve(needs).power_kw

        assert plan.sum(axis=1) == pytest.approx([30.0, 10.0], abs=1e-6)
        assert plan.sum(axis=0) == pytest.approx([30.0, 10.0], abs=1e-6)


def test_meter_values_move_each_need_but_never_to_nothing() -> None:
    cars = [
        VehicleRequest("big", "CP1/1", 11.0, 10.0, (1.0,)),
        VehicleRequest("small", "CP2/1", 11.0, 0.12, (1.0,)),
        VehicleRequest("tiny", "CP3/1", 11.0, 0.01, (1.0,)),
        VehicleRequest("done", "CP4/1", 11.0, 0.0, (1.0,)),
    ]
    problem = core_lp_problem([1.0], cars)

    assert needs_after_meter_values(problem, 1).tolist() == pytest.approx([10.0 - METER_STEP_KWH, 0.07, 0.01, 0.0])
    # the small need stops at one meter step, the tiny one where it was: neither drops to nothing
    assert needs_after_meter_values(problem, 3).tolist() == pytest.approx([9.85, METER_STEP_KWH, 0.01, 0.0])


@pytest.mark.parametrize("kept_class", [PersistentPyomo, DirectWarm])
def test_a_need_that_would_change_the_lps_structure_is_refused(kept_class: type[PersistentPyomo | DirectWarm]) -> None:
    kept = kept_class(_two_cars())

    with pytest.raises(ValueError, match="structure"):
        kept.resolve([40.0, NEGLIGIBLE_NEED_KWH / 2])
    with pytest.raises(ValueError, match="3 needs for 2 vehicles"):
        kept.resolve([40.0, 20.0, 1.0])
