"""The speed floor: the charging LP of :mod:`optimizer.model` built as sparse matrices and solved by highspy.

No modelling layer: the problem's tuples become numpy arrays, the sparse constraint matrix is
assembled with vectorised index arithmetic (coordinates, then compressed by column) and handed to
HiGHS in one call. It solves the same
LP as :func:`optimizer.solve` (same variables, rows, bounds and objective, tie-break included), so
its time is what any planner on this formulation and this solver cannot beat by much, and its
objective must equal the optimiser's.

Columns, in order: ``charge_power_kw`` for every (vehicle, slot) pair where charging is possible and
useful (vehicle-major, as :func:`optimizer.model.build_charge_index`), then ``grid_import_kw[t]``,
``grid_export_kw[t]`` and ``unmet_energy_kwh[v]``. Rows: the site power balance per slot, the grid
limit per slot with any charging variable, the energy balance per vehicle.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from typing import NamedTuple

import highspy
import numpy as np
import numpy.typing as npt

from optimizer import ChargingProblem
from optimizer.charge_index import NEGLIGIBLE_NEED_KWH
from optimizer.highs_backend import DEFAULT_OPTIONS, pass_lp_arrays
from optimizer.model import TIE_BREAK_EUR_PER_KWH_PER_SLOT

try:
    # The core class does not print the HiGHS banner on construction (see optimizer.highs_backend).
    from highspy._core import _Highs as _HighsSolver
except ImportError:  # pragma: no cover - depends on the installed highspy
    from highspy import Highs as _HighsSolver

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class FloorResult:
    """What the floor found, and where its time went."""

    power_kw: FloatArray
    """Charging power per vehicle and slot, shape ``(vehicles, slots)`` [kW]; zero where no variable."""
    objective_eur: float
    """HiGHS's optimal objective: energy bill, unmet-energy penalty and tie-break [EUR]."""
    model_status: str
    """HiGHS's own words, e.g. ``"Optimal"``."""
    build_s: float
    """Problem to HiGHS's arrays [s]."""
    run_s: float
    """``Highs.passModel`` and ``Highs.run`` [s]: the solver alone."""
    extract_s: float
    """Solution vector to the power matrix [s]."""

    @property
    def total_s(self) -> float:
        return self.build_s + self.run_s + self.extract_s


MODELLED_PROBLEM_FIELDS = frozenset(
    {
        "slot_starts_utc",
        "slot_duration_h",
        "grid_import_limit_kw",
        "base_load_kw",
        "pv_kw",
        "pv_firm_kw",
        "import_price_eur_per_kwh",
        "export_price_eur_per_kwh",
        "vehicles",
        "unmet_energy_penalty_eur_per_kwh",
        # outside the LP: recommendations of which waiting vehicle to plug in where
        "waiting_vehicles",
        "free_connectors",
    }
)
MODELLED_VEHICLE_FIELDS = frozenset(
    {
        "vehicle_id",
        "connector_key",
        "max_power_kw",
        "energy_needed_kwh",
        "available_h",
        "priority",
        "efficiency",
        # used after the LP only (setpoint repair, dispatch)
        "min_power_kw",
        "power_step_kw",
        "expected",
    }
)


def _non_default_fields(value: object, modelled: frozenset[str]) -> list[str]:
    """Names of the dataclass fields of ``value`` outside ``modelled`` that differ from their defaults."""
    changed = []
    for spec in dataclasses.fields(value):  # type: ignore[arg-type]
        if spec.name in modelled or not spec.init:  # not init: caches, not data
            continue
        if spec.default is not dataclasses.MISSING:
            default: object = spec.default
        elif spec.default_factory is not dataclasses.MISSING:
            default = spec.default_factory()
        else:
            changed.append(spec.name)
            continue
        if getattr(value, spec.name) != default:
            changed.append(spec.name)
    return changed


def check_floor_fields(problem: ChargingProblem) -> None:
    """Raise ValueError naming the first field the floor does not model, if the problem uses one.

    The floor is the core LP: site balance, grid limit, energy targets. Optional terms (phasor and
    export limits, taper, battery bounds, peak charge, fairness, power changes) must be at their
    defaults, which add nothing to the optimiser's model either.
    """
    unmodelled = _non_default_fields(problem, MODELLED_PROBLEM_FIELDS)
    if unmodelled:
        raise ValueError(f"{unmodelled[0]}: the floor models the core LP only; leave it at its default")
    for vehicle in problem.vehicles:
        unmodelled = _non_default_fields(vehicle, MODELLED_VEHICLE_FIELDS)
        if unmodelled:
            raise ValueError(
                f"vehicles[{vehicle.vehicle_id}].{unmodelled[0]}: the floor models the core LP only; "
                "leave it at its default"
            )


def _defaults_outside(value: object, modelled: frozenset[str]) -> dict[str, object]:
    """The dataclass fields of ``value`` outside ``modelled``, at their defaults."""
    defaults: dict[str, object] = {}
    for spec in dataclasses.fields(value):  # type: ignore[arg-type]
        if spec.name in modelled or not spec.init:  # not init: caches, not data
            continue
        if spec.default is not dataclasses.MISSING:
            defaults[spec.name] = spec.default
        elif spec.default_factory is not dataclasses.MISSING:
            defaults[spec.name] = spec.default_factory()
    return defaults


def core_problem(problem: ChargingProblem) -> ChargingProblem:
    """The same problem with every optional term at its default: the core LP the floor models.

    Parameters
    ----------
    problem
        Any charging problem (taper, battery bounds, capacity charge, fairness... are dropped).

    Returns
    -------
    ChargingProblem
        Same slots, site, prices, vehicles, needs and availability; nothing else.
    """
    vehicles = tuple(
        dataclasses.replace(v, **_defaults_outside(v, MODELLED_VEHICLE_FIELDS))  # type: ignore[arg-type]
        for v in problem.vehicles
    )
    return dataclasses.replace(
        problem,
        vehicles=vehicles,
        **_defaults_outside(problem, MODELLED_PROBLEM_FIELDS),  # type: ignore[arg-type]
    )


class FloorLp(NamedTuple):
    """The floor's LP as HiGHS's column-wise arrays (minimised, no offset)."""

    col_cost: npt.NDArray[np.float64]
    col_lower: npt.NDArray[np.float64]
    col_upper: npt.NDArray[np.float64]
    row_lower: npt.NDArray[np.float64]
    row_upper: npt.NDArray[np.float64]
    a_start: npt.NDArray[np.int32]
    a_index: npt.NDArray[np.int32]
    a_value: npt.NDArray[np.float64]


def build_lp(problem: ChargingProblem) -> tuple[FloorLp, npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """The charging LP of ``problem`` as HiGHS's arrays.

    Parameters
    ----------
    problem
        A valid charging problem using only the core LP's fields (``problem.validate()`` is not
        repeated here).

    Returns
    -------
    tuple
        ``(lp, pair_vehicle, pair_slot)``: the LP and, for its first columns, the vehicle and slot of
        each charging variable.

    Raises
    ------
    ValueError
        If the problem uses a field the floor does not model (:func:`check_floor_fields`).
    """
    check_floor_fields(problem)
    n_slots = problem.n_slots
    n_vehicles = len(problem.vehicles)
    duration_h = np.asarray(problem.slot_duration_h, dtype=np.float64)
    base_kw = np.asarray(problem.base_load_kw, dtype=np.float64)
    pv_kw = np.asarray(problem.pv_kw, dtype=np.float64)
    import_price = np.asarray(problem.import_price_eur_per_kwh, dtype=np.float64)
    export_price = np.minimum(np.asarray(problem.export_price_eur_per_kwh, dtype=np.float64), import_price)
    headroom_kw = np.maximum(
        0.0,
        np.asarray(problem.grid_import_limit_kw, dtype=np.float64) - base_kw + np.asarray(problem.pv_firm_kw),
    )
    available_h = np.asarray([v.available_h for v in problem.vehicles], dtype=np.float64).reshape(n_vehicles, n_slots)
    max_power_kw = np.fromiter((v.max_power_kw for v in problem.vehicles), np.float64, n_vehicles)
    need_kwh = np.fromiter((v.energy_needed_kwh for v in problem.vehicles), np.float64, n_vehicles)
    efficiency = np.fromiter((v.efficiency for v in problem.vehicles), np.float64, n_vehicles)
    priority = np.fromiter((v.priority for v in problem.vehicles), np.float64, n_vehicles)

    # the optimiser's own rule (optimizer.charge_index.may_charge): a negligible need is left unmet, not charged
    useful = (max_power_kw > 0) & (need_kwh > NEGLIGIBLE_NEED_KWH)
    pair_vehicle, pair_slot = np.nonzero((available_h > 0) & useful[:, None])
    n_pairs = len(pair_vehicle)
    pair_hours = available_h[pair_vehicle, pair_slot]

    import_col = n_pairs
    export_col = n_pairs + n_slots
    unmet_col = n_pairs + 2 * n_slots
    n_cols = unmet_col + n_vehicles

    slots_with_charging = np.unique(pair_slot)
    grid_row_of_slot = np.full(n_slots, -1, dtype=np.intp)
    grid_row_of_slot[slots_with_charging] = n_slots + np.arange(len(slots_with_charging))
    energy_row = n_slots + len(slots_with_charging)

    slot_index = np.arange(n_slots)
    vehicle_index = np.arange(n_vehicles)
    pair_index = np.arange(n_pairs)
    rows = np.concatenate(
        [
            pair_slot,  # balance: - share * power
            slot_index,  # balance: + import
            slot_index,  # balance: - export
            grid_row_of_slot[pair_slot],  # grid limit: + power
            energy_row + pair_vehicle,  # energy: + hours * efficiency * power
            energy_row + vehicle_index,  # energy: + unmet
        ]
    )
    cols = np.concatenate(
        [
            pair_index,
            import_col + slot_index,
            export_col + slot_index,
            pair_index,
            pair_index,
            unmet_col + vehicle_index,
        ]
    )
    battery_kwh_per_kw = pair_hours * efficiency[pair_vehicle]
    values = np.concatenate(
        [
            -pair_hours / duration_h[pair_slot],
            np.ones(n_slots),
            -np.ones(n_slots),
            np.ones(n_pairs),
            battery_kwh_per_kw,
            np.ones(n_vehicles),
        ]
    )
    # Column-wise compressed form by hand: every (row, column) entry above is unique, so sorting by
    # column (then row) and counting entries per column is all it takes.
    order = np.lexsort((rows, cols))
    column_starts = np.concatenate([[0], np.cumsum(np.bincount(cols, minlength=n_cols))])

    cost = np.concatenate(
        [
            TIE_BREAK_EUR_PER_KWH_PER_SLOT * pair_slot * battery_kwh_per_kw,
            duration_h * import_price,
            -duration_h * export_price,
            problem.unmet_energy_penalty_eur_per_kwh * priority,
        ]
    )
    lower = np.zeros(n_cols)
    upper = np.concatenate(
        [max_power_kw[pair_vehicle], np.full(n_slots, math.inf), pv_kw, np.full(n_vehicles, math.inf)]
    )
    balance_rhs = base_kw - pv_kw
    row_lower = np.concatenate([balance_rhs, np.full(len(slots_with_charging), -math.inf), need_kwh])
    row_upper = np.concatenate([balance_rhs, headroom_kw[slots_with_charging], need_kwh])

    lp = FloorLp(
        col_cost=cost,
        col_lower=lower,
        col_upper=upper,
        row_lower=row_lower,
        row_upper=row_upper,
        a_start=column_starts.astype(np.int32),
        a_index=rows[order].astype(np.int32),
        a_value=values[order].astype(np.float64),
    )
    return lp, pair_vehicle, pair_slot


def solve_floor(problem: ChargingProblem, *, time_limit_s: float = 60.0) -> FloorResult:
    """Solve the charging LP with no modelling layer.

    Parameters
    ----------
    problem
        A valid charging problem without phasor limits.
    time_limit_s
        HiGHS's time limit [s].

    Returns
    -------
    FloorResult
        The plan, HiGHS's objective and the time of each step.

    Raises
    ------
    RuntimeError
        If HiGHS does not prove the LP optimal (the LP is always feasible, so this is a solver failure).
    """
    started_s = time.perf_counter()
    lp, pair_vehicle, pair_slot = build_lp(problem)
    built_s = time.perf_counter()
    highs = _HighsSolver()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("time_limit", float(time_limit_s))
    for name, value in DEFAULT_OPTIONS.items():  # the optimiser's settings: compare formulations, not options
        highs.setOptionValue(name, value)
    # the same array hand-over as the optimiser's (optimizer.lp_assembly.AssembledLp.pass_to)
    if pass_lp_arrays(highs, offset=0.0, **lp._asdict()) == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS rejected the floor's LP")
    highs.run()
    status = highs.getModelStatus()
    ran_s = time.perf_counter()
    status_text = highs.modelStatusToString(status)
    if status != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"HiGHS did not solve the floor's LP: {status_text}")
    solution = np.asarray(highs.getSolution().col_value, dtype=np.float64)
    power_kw = np.zeros((len(problem.vehicles), problem.n_slots))
    power_kw[pair_vehicle, pair_slot] = solution[: len(pair_vehicle)]
    objective_eur = float(highs.getInfo().objective_function_value)
    done_s = time.perf_counter()
    return FloorResult(
        power_kw=power_kw,
        objective_eur=objective_eur,
        model_status=status_text,
        build_s=built_s - started_s,
        run_s=ran_s - built_s,
        extract_s=done_s - ran_s,
    )
