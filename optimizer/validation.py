"""Checks every planner runs before trusting a ChargingProblem.

``ChargingProblem.validate`` checks shapes and signs; a NaN or an infinity passes those comparisons
silently and would reach the solver, so numbers are checked for finiteness here as well.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from optimizer.problem import ChargingProblem, ProblemError


def check_problem(problem: ChargingProblem) -> None:
    """Raise ProblemError naming the first field that makes the problem unusable.

    Parameters
    ----------
    problem
        The problem to check: ``problem.validate()``, then every number finite and the unmet-energy
        penalty not negative.

    Raises
    ------
    ProblemError
        The message starts with the field, e.g. ``"pv_kw: not a finite number (nan)"``.
    """
    problem.validate()
    per_slot: dict[str, Iterable[float]] = {
        "slot_duration_h": problem.slot_duration_h,
        "grid_import_limit_kw": problem.grid_import_limit_kw,
        "base_load_kw": problem.base_load_kw,
        "pv_kw": problem.pv_kw,
        "pv_firm_kw": problem.pv_firm_kw,
        "import_price_eur_per_kwh": problem.import_price_eur_per_kwh,
        "export_price_eur_per_kwh": problem.export_price_eur_per_kwh,
    }
    for name, values in per_slot.items():
        _check_finite(name, values)
    _check_finite("unmet_energy_penalty_eur_per_kwh", (problem.unmet_energy_penalty_eur_per_kwh,))
    if problem.unmet_energy_penalty_eur_per_kwh < 0:
        raise ProblemError("unmet_energy_penalty_eur_per_kwh: must not be negative")
    for vehicle in problem.vehicles:
        where = f"vehicles[{vehicle.vehicle_id}]"
        _check_finite(f"{where}.available_h", vehicle.available_h)
        _check_finite(f"{where}.max_power_kw", (vehicle.max_power_kw,))
        _check_finite(f"{where}.energy_needed_kwh", (vehicle.energy_needed_kwh,))
        _check_finite(f"{where}.priority", (vehicle.priority,))


def _check_finite(name: str, values: Iterable[float]) -> None:
    for value in values:
        if not math.isfinite(value):
            raise ProblemError(f"{name}: not a finite number ({value})")
