"""Bad problems are refused with the offending field named, by the solver and the fallback alike."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from optimizer import (
    ChargingProblem,
    FreeConnector,
    PhasorLimit,
    ProblemError,
    Schedule,
    WaitingVehicle,
    fallback_schedule,
    solve,
)
from tests.optimizer.factories import HORIZON_START_UTC, problem, vehicle

DEPARTURE_UTC = HORIZON_START_UTC + timedelta(hours=2)


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
    "negative minimum power": (with_vehicle(min_power_kw=-1.0), "vehicles[car-7]"),
    "NaN power step": (with_vehicle(power_step_kw=math.nan), "vehicles[car-7].power_step_kw"),
    "zero battery": (with_vehicle(battery_kwh=0.0), "vehicles[car-7].battery_kwh"),
    "SoC above 1": (with_vehicle(battery_kwh=50.0, initial_soc=1.2), "vehicles[car-7].initial_soc"),
    "taper without battery": (with_vehicle(taper=((0.0, 11.0), (1.0, 2.0))), "vehicles[car-7].taper"),
    "one-point taper": (
        with_vehicle(battery_kwh=50.0, initial_soc=0.5, taper=((0.0, 11.0),)),
        "vehicles[car-7].taper",
    ),
    "convex taper": (
        with_vehicle(battery_kwh=50.0, initial_soc=0.5, taper=((0.0, 11.0), (0.5, 3.0), (1.0, 2.0))),
        "vehicles[car-7].taper",
    ),
    "taper soc going back": (
        with_vehicle(battery_kwh=50.0, initial_soc=0.5, taper=((0.5, 11.0), (0.2, 3.0))),
        "vehicles[car-7].taper",
    ),
    "taper below 0 kW before full": (
        with_vehicle(battery_kwh=50.0, initial_soc=0.5, taper=((0.0, 11.0), (0.8, 11.0), (0.9, 0.0))),
        "vehicles[car-7].taper",
    ),
    "export limit too short": (dataclasses.replace(valid(), export_limit_kw=(1.0,)), "export_limit_kw"),
    "negative export limit": (dataclasses.replace(valid(), export_limit_kw=(1.0, -1.0)), "export_limit_kw"),
    "negative capacity charge": (
        dataclasses.replace(valid(), capacity_charge_eur_per_kw=-0.1),
        "capacity_charge_eur_per_kw",
    ),
    "NaN fairness weight": (dataclasses.replace(valid(), fairness_weight_eur=math.nan), "fairness_weight_eur"),
    "negative power change weight": (
        dataclasses.replace(valid(), power_change_weight_eur_per_kw=-1.0),
        "power_change_weight_eur_per_kw",
    ),
    "negative completion weight": (
        dataclasses.replace(valid(), completion_weight_kwh=-0.01),
        "completion_weight_kwh",
    ),
    "infinite completion weight": (
        dataclasses.replace(valid(), completion_weight_kwh=math.inf),
        "completion_weight_kwh",
    ),
    "phasor limit with 3 facets": (
        dataclasses.replace(valid(), phasor_limits=(PhasorLimit("line", (("CP-car-7/1", 1j),), 10.0, facets=3),)),
        "phasor_limits[line].facets",
    ),
    "negative phasor limit": (
        dataclasses.replace(valid(), phasor_limits=(PhasorLimit("cabinet", (("CP-car-7/1", 1.0),), -1.0),)),
        "phasor_limits[cabinet].limit",
    ),
    "NaN phasor coefficient": (
        dataclasses.replace(
            valid(), phasor_limits=(PhasorLimit("cabinet", (("CP-car-7/1", complex(math.nan, 0)),), 10.0),)
        ),
        "phasor_limits[cabinet].coefficients[CP-car-7/1]",
    ),
    "waiting vehicle already plugged in": (
        dataclasses.replace(valid(), waiting_vehicles=(WaitingVehicle("car-7", "car", 10.0, DEPARTURE_UTC),)),
        "waiting_vehicles[car-7]",
    ),
    "naive departure": (
        dataclasses.replace(
            valid(), waiting_vehicles=(WaitingVehicle("van-1", "van", 10.0, DEPARTURE_UTC.replace(tzinfo=None)),)
        ),
        "waiting_vehicles[van-1].departure_utc",
    ),
    "free connector in use": (
        dataclasses.replace(valid(), free_connectors=(FreeConnector("CP-car-7/1", 22.0),)),
        "free_connectors[CP-car-7/1]",
    ),
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
