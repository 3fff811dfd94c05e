"""Pyomo's newer HiGHS interface (``pyomo.contrib.solver``) on the core LP: from scratch, and kept.

From scratch, the optimiser's rule-based Pyomo model (:func:`optimizer.model.build_model`) goes
through ``pyomo.contrib.solver.solvers.highs.Highs``, which reads every constraint into HiGHS itself
(no LP file, no standard-form compiler) and loads the solution back into the model.

Kept, the same interface is persistent: the model stays in HiGHS, and a re-solve after the needs
moved (a meter value) updates only the energy rows, declared as mutable parameters, and re-runs
HiGHS from its last basis. :class:`PersistentPyomo` is that re-solve; :class:`DirectWarm` is the
same re-solve straight in highspy (the floor's LP kept in HiGHS, the energy rows' bounds changed as
one array), its floor. Both keep the LP's structure, so a need may move but not drop to nothing
(:func:`needs_after_meter_values`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.contrib.solver.common.results import TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

from benchmarks.speed.floor import build_lp
from benchmarks.speed.pyomo_path import PyomoPathResult
from optimizer import ChargingProblem
from optimizer.charge_index import NEGLIGIBLE_NEED_KWH
from optimizer.highs_backend import DEFAULT_OPTIONS, new_highs, pass_lp_arrays
from optimizer.model import build_charge_index, build_model

Needs = Sequence[float] | npt.NDArray[np.float64]
"""One need per vehicle of the problem, in its order [kWh]."""

METER_STEP_KWH = 0.05
"""What one meter value moves each need by, as in the warm re-planner's measurement [kWh]."""

_STRUCTURE_CHECKS = (
    "check_for_new_or_removed_constraints",
    "check_for_new_or_removed_vars",
    "check_for_new_or_removed_params",
    "check_for_new_objective",
    "update_constraints",
    "update_vars",
    "update_named_expressions",
    "update_objective",
)
"""The persistent interface's checks that walk the whole model before each solve; only the
parameters change between these re-solves, so only ``update_parameters`` stays on."""


@dataclass(frozen=True, slots=True)
class Resolve:
    """One warm re-solve."""

    objective_eur: float
    power_kw: npt.NDArray[np.float64]
    """Charging power per vehicle and slot [kW]."""
    time_s: float
    """From the new needs to the plan read back [s]."""


def _solver_options() -> dict[str, bool | int | float | str]:
    # silent, with the optimiser's and the floor's settings: compare interfaces, not options
    return {**DEFAULT_OPTIONS, "output_flag": False}


def _optimal(termination: TerminationCondition, where: str) -> None:
    if termination != TerminationCondition.convergenceCriteriaSatisfied:
        raise RuntimeError(f"{where} did not solve the model: {termination}")


def solve_with_contrib_highs(problem: ChargingProblem, *, time_limit_s: float = 60.0) -> PyomoPathResult:
    """Build the optimiser's model and solve it from scratch through ``pyomo.contrib.solver``'s HiGHS.

    Raises
    ------
    RuntimeError
        If HiGHS does not prove the model optimal.
    """
    started_s = time.perf_counter()
    index = build_charge_index(problem)
    with PauseGC():  # as optimizer.solve builds its Pyomo model
        model = build_model(problem, index)
    built_s = time.perf_counter()
    results = Highs().solve(model, time_limit=time_limit_s, solver_options=_solver_options())
    solved_s = time.perf_counter()
    _optimal(results.termination_condition, "pyomo.contrib.solver's Highs")
    _read_power(model, problem, index.pairs)
    read_s = time.perf_counter()
    return PyomoPathResult(
        objective_eur=float(results.incumbent_objective),
        termination=str(results.termination_condition),
        build_s=built_s - started_s,
        solve_s=solved_s - built_s,
        read_s=read_s - solved_s,
    )


def _read_power(
    model: pyo.ConcreteModel, problem: ChargingProblem, pairs: Sequence[tuple[int, int]]
) -> npt.NDArray[np.float64]:
    power = model.charge_power_kw
    plan = np.zeros((len(problem.vehicles), problem.n_slots))
    for v, t in pairs:
        plan[v, t] = power[v, t].value or 0.0
    return plan


def needs_after_meter_values(problem: ChargingProblem, meter_values: int) -> npt.NDArray[np.float64]:
    """Each need after ``meter_values`` meter values of :data:`METER_STEP_KWH`, kept above the
    negligible need (a need that drops to nothing changes the LP's structure) [kWh]."""
    need_kwh = np.fromiter((v.energy_needed_kwh for v in problem.vehicles), np.float64, len(problem.vehicles))
    metered_kwh = np.maximum(need_kwh - METER_STEP_KWH * meter_values, np.minimum(need_kwh, METER_STEP_KWH))
    return np.where(need_kwh > NEGLIGIBLE_NEED_KWH, metered_kwh, need_kwh)


def with_needs(problem: ChargingProblem, need_kwh: Needs) -> ChargingProblem:
    """The problem with these needs [kWh], everything else as it was."""
    return dataclasses.replace(
        problem,
        vehicles=tuple(
            dataclasses.replace(v, energy_needed_kwh=float(n)) for v, n in zip(problem.vehicles, need_kwh, strict=True)
        ),
    )


class _KeptNeeds:
    """The needs a kept LP was built for; new needs must keep its structure."""

    def __init__(self, problem: ChargingProblem) -> None:
        need_kwh = np.fromiter((v.energy_needed_kwh for v in problem.vehicles), np.float64, len(problem.vehicles))
        self._useful = need_kwh > NEGLIGIBLE_NEED_KWH

    def checked(self, need_kwh: Needs) -> npt.NDArray[np.float64]:
        needs = np.asarray(need_kwh, dtype=np.float64)
        if needs.shape != self._useful.shape:
            raise ValueError(f"need_kwh: {needs.size} needs for {self._useful.size} vehicles")
        if np.any((needs > NEGLIGIBLE_NEED_KWH) != self._useful):
            raise ValueError("need_kwh: a need crosses the negligible need, which changes the LP's structure")
        return needs


class PersistentPyomo:
    """The optimiser's Pyomo model kept in ``pyomo.contrib.solver``'s persistent HiGHS interface.

    The energy rows' right-hand sides are mutable parameters, the only numbers a re-solve changes.
    The first solve (set-up, timed in :attr:`setup_s`) builds the model, hands it to HiGHS and
    solves it.
    """

    def __init__(self, problem: ChargingProblem, *, time_limit_s: float = 60.0) -> None:
        started_s = time.perf_counter()
        self._problem = problem
        self._kept = _KeptNeeds(problem)
        index = build_charge_index(problem)
        self._pairs = index.pairs
        with PauseGC():
            model = build_model(problem, index)
            model.need_kwh = pyo.Param(
                model.vehicles,
                mutable=True,
                initialize={v: vehicle.energy_needed_kwh for v, vehicle in enumerate(problem.vehicles)},
            )
            for v in model.vehicles:
                row = model.vehicle_energy[v]
                row.set_value((model.need_kwh[v], row.body, model.need_kwh[v]))
        self._model = model
        self._solver = Highs()
        for check in _STRUCTURE_CHECKS:
            setattr(self._solver.config.auto_updates, check, False)
        self._time_limit_s = time_limit_s
        results = self._solver.solve(model, time_limit=time_limit_s, solver_options=_solver_options())
        _optimal(results.termination_condition, "the persistent Highs")
        self.setup_s = time.perf_counter() - started_s

    def resolve(self, need_kwh: Needs) -> Resolve:
        """Re-solve with new needs [kWh]: update the parameters, re-run HiGHS, read the plan.

        Raises
        ------
        ValueError
            If a need crosses the negligible need (the LP's structure would change).
        RuntimeError
            If HiGHS does not prove the model optimal.
        """
        started_s = time.perf_counter()
        needs = self._kept.checked(need_kwh)
        for v, need in enumerate(needs.tolist()):
            self._model.need_kwh[v].value = need
        results = self._solver.solve(self._model, time_limit=self._time_limit_s, solver_options=_solver_options())
        _optimal(results.termination_condition, "the persistent Highs")
        power_kw = _read_power(self._model, self._problem, self._pairs)
        return Resolve(float(results.incumbent_objective), power_kw, time.perf_counter() - started_s)


class DirectWarm:
    """The floor's LP kept in highspy: a re-solve changes the energy rows' bounds as one array."""

    def __init__(self, problem: ChargingProblem, *, time_limit_s: float = 60.0) -> None:
        started_s = time.perf_counter()
        self._kept = _KeptNeeds(problem)
        lp, self._pair_vehicle, self._pair_slot = build_lp(problem)
        self._shape = (len(problem.vehicles), problem.n_slots)
        n_rows = lp.row_lower.size
        # the floor's energy rows come last, one per vehicle in the problem's order
        self._energy_rows = np.arange(n_rows - len(problem.vehicles), n_rows, dtype=np.int32)
        self._highs = new_highs(time_limit_s)
        if pass_lp_arrays(self._highs, offset=0.0, **lp._asdict()) == highspy.HighsStatus.kError:
            raise RuntimeError("HiGHS rejected the floor's LP")
        self._run()
        self.setup_s = time.perf_counter() - started_s

    def _run(self) -> None:
        self._highs.run()
        status = self._highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"HiGHS did not solve the floor's LP: {self._highs.modelStatusToString(status)}")

    def resolve(self, need_kwh: Needs) -> Resolve:
        """Re-solve with new needs [kWh]: the rows' bounds, HiGHS from its basis, the plan.

        Raises
        ------
        ValueError
            If a need crosses the negligible need (the LP's structure would change).
        RuntimeError
            If HiGHS does not prove the LP optimal.
        """
        started_s = time.perf_counter()
        needs = self._kept.checked(need_kwh)
        # in highspy, not in its stubs (as in optimizer.lp_layout)
        self._highs.changeRowsBounds(self._energy_rows.size, self._energy_rows, needs, needs)  # type: ignore[attr-defined]
        self._run()
        solution = np.asarray(self._highs.getSolution().col_value, dtype=np.float64)
        power_kw = np.zeros(self._shape)
        power_kw[self._pair_vehicle, self._pair_slot] = solution[: self._pair_vehicle.size]
        objective_eur = float(self._highs.getInfo().objective_function_value)
        return Resolve(objective_eur, power_kw, time.perf_counter() - started_s)
