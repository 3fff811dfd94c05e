"""Bad problems are refused with the offending field named, by the solver and the fallback alike."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from typing import Any

import pytest

from optimizer import ChargingProblem, ProblemError, Schedule, fallback_schedule, solve
from tests.optimizer.factories import problem, vehicle


def valid() -> ChargingProblem:
    return problem(
        slot_duration_h=(0.5, 1.0),
        vehicles=[vehicle("car-7", available_h=(0.5, 1.0))],
    )


def with_vehicle(**changes: Any) -> ChargingProblem:
    p = valid()
    return dataclasses.replace(p, vehicles=(dataclasses.replace(p.vehicles[0], **changes),))


INVALID = {
    "no slots": (problem(slot_duration_h=()), "slot_duration_h"),
    "pv too short": (dataclasses.replace(valid(), pv_kw=(0.0,)), "pv_kw"),
    "negative base load": (dataclasses.replace(valid(), base_load_kw=(-1.0, 0.0)), "base_load_kw"),
    "zero-length slot": (dataclasses.replace(valid(), slot_duration_h=(0.0, 1.0)), "slot_duration_h"),
    "NaN price": (
        dataclasses.replace(valid(), import_price_eur_per_kwh=(0.2, math.nan)),
        "import_price_eur_per_kwh",
    ),
    "infinite limit": (dataclasses.replace(valid(), grid_import_limit_kw=(math.inf, 1.0)), "grid_import_limit_kw"),
    "negative penalty": (
        dataclasses.replace(valid(), unmet_energy_penalty_eur_per_kwh=-1.0),
        "unmet_energy_penalty_eur_per_kwh",
    ),
    "duplicate vehicle": (dataclasses.replace(valid(), vehicles=valid().vehicles * 2), "duplicate vehicle_id"),
    "availability too short": (with_vehicle(available_h=(0.5,)), "vehicles[car-7].available_h"),
    "present longer than the slot": (with_vehicle(available_h=(0.75, 1.0)), "vehicles[car-7].available_h"),
    "NaN availability": (with_vehicle(available_h=(math.nan, 1.0)), "vehicles[car-7].available_h"),
    "negative need": (with_vehicle(energy_needed_kwh=-5.0), "energy_needed_kwh"),
    "infinite power": (with_vehicle(max_power_kw=math.inf), "vehicles[car-7].max_power_kw"),
    "zero efficiency": (with_vehicle(efficiency=0.0), "vehicles[car-7].efficiency"),
    "zero priority": (with_vehicle(priority=0.0), "vehicles[car-7].priority"),
    "NaN priority": (with_vehicle(priority=math.nan), "vehicles[car-7].priority"),
}


def _solve(p: ChargingProblem) -> Schedule:
    return solve(p)


def _fallback(p: ChargingProblem) -> Schedule:
    return fallback_schedule(p, reason="test")


@pytest.mark.parametrize("planner", [_solve, _fallback], ids=["solve", "fallback"])
@pytest.mark.parametrize(("bad", "field"), INVALID.values(), ids=INVALID.keys())
def test_invalid_problem_raises_naming_the_field(
    planner: Callable[[ChargingProblem], Schedule], bad: ChargingProblem, field: str
) -> None:
    with pytest.raises(ProblemError, match=re.escape(field)):
        planner(bad)


def test_the_valid_baseline_is_accepted() -> None:
    assert solve(valid()).plans[0].vehicle_id == "car-7"


@pytest.mark.parametrize("time_limit_s", [-1.0, math.nan])
def test_bad_time_limit_is_refused(time_limit_s: float) -> None:
    with pytest.raises(ValueError, match="time_limit_s"):
        solve(valid(), time_limit_s=time_limit_s)
