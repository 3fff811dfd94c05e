"""Re-planning one site: keep the HiGHS model between solves and update it in place when possible.

Most re-plans change numbers, not structure: a need after a meter value, a departure moved within the
same slot, new prices, a lower grid limit, fresh PV and load forecasts. When the new problem has the
same :func:`~optimizer.coefficients.structure_key` as the last one (same charging variables, same
optional blocks, same phasor rows and taper curves), the re-planner recomputes the LP's numbers,
sends HiGHS only those that changed, and re-solves from the previous basis (warm). Anything else (a
vehicle arriving or leaving, the horizon moving on by a slot) is built from scratch (cold). After
any failure it returns the fallback plan and starts cold next time.

One re-planner holds one solver: use one per site, from one thread at a time.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import highspy
import numpy as np

from optimizer.charge_index import ChargeIndex, build_charge_index
from optimizer.coefficients import LpCoefficients, lp_coefficients, structure_key
from optimizer.evaluation import schedule_from_power
from optimizer.fallback import fallback_schedule
from optimizer.highs_backend import HighsSolver, LpOutcome, new_highs, run_highs
from optimizer.lp_assembly import assemble_lp
from optimizer.lp_layout import LpLayout, LpValues, lp_values, push_changes
from optimizer.problem import ChargingProblem
from optimizer.schedule import Schedule, SolveStatus, SolveTimings
from optimizer.solve import (
    COSTLIER_INCUMBENT,
    STATUS_OF_OUTCOME,
    cheaper_of,
    finish,
    lp_objective_eur,
    power_from_columns,
)
from optimizer.validation import check_problem


class ReplanStart(StrEnum):
    """How the last re-plan started."""

    WARM = "warm"
    """The kept model was updated in place and re-solved from its basis."""
    COLD = "cold"
    """The model was built and solved from scratch."""
    FALLBACK = "fallback"
    """The solver failed; the plan is the fallback's."""


@dataclass(slots=True)
class _LiveLp:
    key: Hashable
    highs: HighsSolver
    layout: LpLayout
    values: LpValues


class Replanner:
    """Solve one site's charging problems one after another, warm where the structure allows.

    Parameters
    ----------
    time_limit_s
        HiGHS's time limit per solve [s].
    options
        Further HiGHS options by name, as for :func:`optimizer.highs_backend.solve_lp_with_highs`.
    """

    def __init__(
        self, *, time_limit_s: float = 10.0, options: Mapping[str, bool | int | float | str] | None = None
    ) -> None:
        if not time_limit_s >= 0:
            raise ValueError(f"time_limit_s: must be a number >= 0, got {time_limit_s}")
        self._time_limit_s = time_limit_s
        self._options = dict(options or {})
        self._live: _LiveLp | None = None
        self.last_start: ReplanStart | None = None
        """How the last call started; None before the first."""
        self.last_changed: int = 0
        """How many numbers the last warm start sent to HiGHS (0 for a cold one)."""

    def reset(self) -> None:
        """Forget the kept model: the next solve is cold."""
        self._live = None

    def solve(
        self, problem: ChargingProblem, *, time_limit_s: float | None = None, dispatchable: bool = False
    ) -> Schedule:
        """Plan charging like :func:`optimizer.solve`, reusing the last model when the structure allows.

        Parameters
        ----------
        problem
            The site and the vehicles; checked first.
        time_limit_s
            HiGHS's time limit for this solve [s]; the re-planner's own when None.
        dispatchable
            Repair the plan into setpoints (:func:`optimizer.repair.dispatchable`).

        Returns
        -------
        Schedule
            As :func:`optimizer.solve` returns; ``last_start`` says whether it was warm or cold.

        Raises
        ------
        ProblemError
            If the problem is inconsistent.
        ValueError
            If ``time_limit_s`` is negative or not a number.
        """
        started_s = time.perf_counter()
        check_problem(problem)
        limit_s = self._time_limit_s if time_limit_s is None else time_limit_s
        if not limit_s >= 0:
            raise ValueError(f"time_limit_s: must be a number >= 0, got {limit_s}")
        timings = SolveTimings()
        try:
            index = build_charge_index(problem)
            coefficients = lp_coefficients(problem, index)
            key = structure_key(problem, index, coefficients)
            live = self._live
            if live is not None and live.key == key:
                values = lp_values(live.layout, coefficients, live.values)
                self.last_changed = push_changes(live.highs, live.layout, live.values, values)
                live.values = values
                self.last_start = ReplanStart.WARM
            else:
                self._live = None
                live = self._cold(problem, index, coefficients, key)
                self.last_changed = 0
                self.last_start = ReplanStart.COLD
            live.highs.setOptionValue("time_limit", float(limit_s))
            built_s = time.perf_counter()
            outcome, termination = run_highs(live.highs)
            solved_s = time.perf_counter()
            timings = SolveTimings(build_s=built_s - started_s, solve_s=solved_s - built_s)
            schedule = self._schedule(problem, index, coefficients, live, outcome, termination)
            self._live = live if outcome is LpOutcome.OPTIMAL else None
            timings = SolveTimings(timings.build_s, timings.solve_s, extract_s=time.perf_counter() - solved_s)
        except Exception as error:  # any solver failure must still leave the site with a safe plan
            self._live = None
            schedule = fallback_schedule(problem, reason=f"solver failed: {type(error).__name__}: {error}")
        if schedule.status is SolveStatus.FALLBACK:
            self.last_start = ReplanStart.FALLBACK
        return finish(schedule, problem, started_s=started_s, timings=timings, dispatchable=dispatchable)

    def _cold(
        self, problem: ChargingProblem, index: ChargeIndex, coefficients: LpCoefficients, key: Hashable
    ) -> _LiveLp:
        assembled = assemble_lp(index, coefficients)
        highs = new_highs(self._time_limit_s, self._options)
        if assembled.pass_to(highs) == highspy.HighsStatus.kError:
            raise RuntimeError("HiGHS rejected the model")
        base = assembled.values()
        return _LiveLp(
            key=key, highs=highs, layout=assembled.layout, values=lp_values(assembled.layout, coefficients, base)
        )

    @staticmethod
    def _schedule(
        problem: ChargingProblem,
        index: ChargeIndex,
        coefficients: LpCoefficients,
        live: _LiveLp,
        outcome: LpOutcome,
        termination: str,
    ) -> Schedule:
        status = STATUS_OF_OUTCOME.get(outcome)
        if status is None:
            return fallback_schedule(problem, reason=f"solver found no solution ({termination})")
        column_values = np.asarray(live.highs.getSolution().col_value, dtype=np.float64)
        power_kw = power_from_columns(problem, index, column_values[live.layout.power_columns])
        objective = float(live.highs.getInfo().objective_function_value)
        schedule = schedule_from_power(
            problem,
            power_kw,
            status=status,
            termination=termination,
            solve_time_s=0.0,
            lp_objective_eur=lp_objective_eur(objective, coefficients, index, power_kw),
        )
        if status is SolveStatus.FEASIBLE:
            schedule = cheaper_of(schedule, fallback_schedule(problem, reason=COSTLIER_INCUMBENT))
        return schedule
