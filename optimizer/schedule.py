"""The optimiser's output: a typed status and one power plan per vehicle."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class SolveStatus(StrEnum):
    """How the schedule was obtained."""

    OPTIMAL = "optimal"
    """The solver proved the plan optimal."""
    FEASIBLE = "feasible"
    """The solver stopped (time limit) with a feasible plan that is not proven optimal."""
    FALLBACK = "fallback"
    """The solver failed; the plan comes from the solver-free fallback."""


class UnmetReason(StrEnum):
    """Why a vehicle leaves without all the energy it wanted."""

    NOT_ENOUGH_TIME = "not_enough_time"
    """Even at its maximum power for its whole stay the need could not be met."""
    VEHICLE_LIMIT = "vehicle_limit"
    """The vehicle held it back: its battery is full, or its taper or maximum power (or the charger's
    minimum power, for dispatchable setpoints) bound it in every slot of its stay."""
    NOT_ENOUGH_GRID = "not_enough_grid"
    """Otherwise: the site's limits, other vehicles' priority, or energy dearer than its penalty."""


@dataclass(frozen=True, slots=True)
class VehiclePlan:
    """Grid-side charging power of one vehicle in every slot [kW]."""

    vehicle_id: str
    connector_key: str
    power_kw: tuple[float, ...]
    planned_energy_kwh: float
    """Battery energy delivered over the horizon by this plan [kWh]."""
    unmet_energy_kwh: float
    """Energy still missing at departure under this plan [kWh]."""
    expected: bool = False
    """The vehicle has not arrived: its plan only keeps capacity, dispatch skips it."""
    unmet_reason: UnmetReason | None = None
    """Why energy is missing; None when nothing is."""
    departure_soc: float | None = None
    """State of charge at the end of the plan [-], when the battery is known."""
    part_slot_h: tuple[float, ...] = ()
    """Per slot, how long from its start [h] the charger holds its minimum power where the plan's
    power is an average below that minimum because the vehicle needs less than a whole slot of it
    (:func:`optimizer.repair.dispatchable`); 0 elsewhere, empty when no slot is such."""


@dataclass(frozen=True, slots=True)
class SolveTimings:
    """Where a solve spent its time [s]."""

    build_s: float = 0.0
    """Validation aside: charge index, coefficients and the Pyomo model (or their warm update)."""
    solve_s: float = 0.0
    """The LP backend: matrix compilation and HiGHS."""
    extract_s: float = 0.0
    """Reading the solution and assembling the schedule (safety pass, costs, reasons)."""
    repair_s: float = 0.0
    """Turning LP powers into dispatchable setpoints, when asked for."""


@dataclass(frozen=True, slots=True)
class CostBreakdown:
    """The terms of a plan's objective [EUR]; ``Schedule.objective_eur`` is their sum."""

    energy_eur: float
    """Energy bill: import minus export revenue."""
    capacity_eur: float = 0.0
    """Capacity charge on the rise of the month's peak import."""
    unmet_penalty_eur: float = 0.0
    """Priority-weighted penalty on unmet energy (with the completion weight)."""
    fairness_eur: float = 0.0
    """Weight times the largest avoidable unmet share, per priority class."""
    power_change_eur: float = 0.0
    """Weight times the power changes between consecutive slots."""

    @property
    def total_eur(self) -> float:
        return self.energy_eur + self.capacity_eur + self.unmet_penalty_eur + self.fairness_eur + self.power_change_eur


@dataclass(frozen=True, slots=True)
class PlugInRecommendation:
    """Plug this waiting vehicle into this free connector; rank 1 first."""

    rank: int
    vehicle_id: str
    vehicle_class: str
    connector_key: str
    deliverable_energy_kwh: float
    """Battery energy the connector could give it before departure, within the plan's spare capacity."""
    avoided_unmet_cost_eur: float
    """What its deliverable energy is worth in the plan's objective, ``unmet_cost_eur_per_kwh x
    deliverable_energy_kwh`` [EUR]: what the ranking sorts by."""


@dataclass(frozen=True, slots=True)
class Schedule:
    status: SolveStatus
    termination: str
    """The solver's own words (e.g. HiGHS model status), or why the fallback was used."""
    objective_eur: float | None
    slot_starts_utc: tuple[datetime, ...]
    slot_duration_h: tuple[float, ...]
    plans: tuple[VehiclePlan, ...]
    """One per vehicle of the problem, in the problem's order."""
    ev_power_kw: tuple[float, ...]
    """Sum of the plans per slot [kW]."""
    grid_import_kw: tuple[float, ...]
    """Expected grid import per slot with expected PV and base load [kW]; negative when exporting."""
    solve_time_s: float
    lp_objective_eur: float | None = None
    """The LP's optimum without its tie-break [EUR]: a lower bound on ``objective_eur`` for any plan
    within the LP's limits (up to the tie-break, at most 1e-6 EUR/kWh per slot, when export pays no
    more than import). None when no LP was solved."""
    dispatchable: bool = False
    """Powers are setpoints chargers can follow (``optimizer.repair.dispatchable``)."""
    cost: CostBreakdown | None = None
    """The terms of ``objective_eur``."""
    recommendations: tuple[PlugInRecommendation, ...] = ()
    """Which waiting vehicle to plug in next, and where."""
    timings: SolveTimings = field(default_factory=SolveTimings)

    def plan_for(self, vehicle_id: str) -> VehiclePlan | None:
        return next((p for p in self.plans if p.vehicle_id == vehicle_id), None)

    @property
    def unmet_energy_kwh(self) -> float:
        return sum(p.unmet_energy_kwh for p in self.plans)

    @property
    def gap_percent(self) -> float | None:
        """How far ``objective_eur`` is above the LP optimum [%]; None without an LP optimum."""
        if self.lp_objective_eur is None or self.objective_eur is None:
            return None
        return 100.0 * (self.objective_eur - self.lp_objective_eur) / max(abs(self.lp_objective_eur), 1e-9)
