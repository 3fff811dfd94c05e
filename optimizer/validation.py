"""Checks every planner runs before trusting a ChargingProblem.

``ChargingProblem.validate`` checks shapes and signs; a NaN or an infinity passes those comparisons
silently and would reach the solver, so numbers are checked for finiteness here as well.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from optimizer.problem import ChargingProblem, ProblemError, VehicleRequest
from optimizer.taper import check_taper


def check_problem(problem: ChargingProblem) -> None:
    """Raise ProblemError naming the first field that makes the problem unusable.

    Parameters
    ----------
    problem
        The problem to check: ``problem.validate()``, then every number finite, penalties, weights
        and charges not negative, battery and taper fields consistent
        (:func:`~optimizer.taper.check_taper`), phasor limits usable, waiting vehicles and free
        connectors unique.

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
    _check_finite("export_limit_kw", problem.export_limit_kw)
    _check_finite("peak_margin_kw", problem.peak_margin_kw)
    for name in (
        "unmet_energy_penalty_eur_per_kwh",
        "capacity_charge_eur_per_kw",
        "peak_import_so_far_kw",
        "fairness_weight_eur",
        "power_change_weight_eur_per_kw",
        "completion_weight_kwh",
    ):
        value = getattr(problem, name)
        _check_finite(name, (value,))
        if value < 0:
            raise ProblemError(f"{name}: must not be negative")
    if problem.vehicles:
        finite = np.isfinite(problem.available_h_matrix()).all(axis=1)
        if not finite.all():
            first = problem.vehicles[int(np.argmin(finite))]
            bad = next(h for h in first.available_h if not math.isfinite(h))
            raise ProblemError(f"vehicles[{first.vehicle_id}].available_h: not a finite number ({bad})")
    for vehicle in problem.vehicles:
        _check_vehicle(vehicle)
    _check_phasor_limits(problem)
    _check_waiting(problem)


_VEHICLE_NUMBERS = ("max_power_kw", "energy_needed_kwh", "priority", "efficiency", "min_power_kw", "power_step_kw")


def _check_vehicle(vehicle: VehicleRequest) -> None:
    where = f"vehicles[{vehicle.vehicle_id}]"
    numbers = [getattr(vehicle, name) for name in _VEHICLE_NUMBERS]
    if not all(map(math.isfinite, numbers)):  # a site checks thousands: the names only on failure
        for name, value in zip(_VEHICLE_NUMBERS, numbers, strict=True):
            _check_finite(f"{where}.{name}", (value,))
    if vehicle.min_power_kw < 0 or vehicle.power_step_kw < 0:
        raise ProblemError(f"{where}: negative min_power_kw or power_step_kw")
    check_taper(vehicle, where)


def _check_phasor_limits(problem: ChargingProblem) -> None:
    for limit in problem.phasor_limits:
        where = f"phasor_limits[{limit.name}]"
        if not (math.isfinite(limit.limit) and limit.limit >= 0):
            raise ProblemError(f"{where}.limit: must be a finite number >= 0, got {limit.limit}")
        if isinstance(limit.facets, bool) or not isinstance(limit.facets, int) or limit.facets < 4:
            raise ProblemError(f"{where}.facets: must be an integer >= 4, got {limit.facets!r}")
        for key, coefficient in limit.coefficients:
            c = complex(coefficient)
            if not (math.isfinite(c.real) and math.isfinite(c.imag)):
                raise ProblemError(f"{where}.coefficients[{key}]: not a finite number ({coefficient})")


def _check_waiting(problem: ChargingProblem) -> None:
    seen = {v.vehicle_id for v in problem.vehicles}
    for waiting in problem.waiting_vehicles:
        where = f"waiting_vehicles[{waiting.vehicle_id}]"
        if waiting.vehicle_id in seen:
            raise ProblemError(f"{where}: vehicle_id already used")
        seen.add(waiting.vehicle_id)
        numbers = [waiting.energy_needed_kwh, waiting.priority, waiting.efficiency]
        numbers += [kw for kw in (waiting.max_ac_power_kw, waiting.max_dc_power_kw) if kw is not None]
        _check_finite(where, numbers)
        if waiting.energy_needed_kwh < 0 or any(kw < 0 for kw in numbers[3:]):
            raise ProblemError(f"{where}: negative energy_needed_kwh or maximum power")
        if waiting.priority <= 0 or not 0 < waiting.efficiency <= 1:
            raise ProblemError(f"{where}: priority must be positive and efficiency in (0, 1]")
        if waiting.departure_utc.tzinfo is None:
            raise ProblemError(f"{where}.departure_utc: must be timezone-aware")
    occupied = {v.connector_key for v in problem.vehicles if not v.expected}
    keys: set[str] = set()
    for connector in problem.free_connectors:
        where = f"free_connectors[{connector.connector_key}]"
        if connector.connector_key in keys or connector.connector_key in occupied:
            raise ProblemError(f"{where}: listed twice or has a plugged-in vehicle")
        keys.add(connector.connector_key)
        _check_finite(f"{where}.max_power_kw", (connector.max_power_kw,))
        if connector.max_power_kw < 0 or connector.kind not in ("AC", "DC"):
            raise ProblemError(f"{where}: max_power_kw must be >= 0 and kind AC or DC")


def _check_finite(name: str, values: Iterable[float]) -> None:
    values = tuple(values)
    if all(map(math.isfinite, values)):
        return
    bad = next(value for value in values if not math.isfinite(value))
    raise ProblemError(f"{name}: not a finite number ({bad})")
