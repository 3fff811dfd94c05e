"""The optimiser's output: a typed status and one power plan per vehicle."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Schedule:
    status: SolveStatus
    termination: str
    """The solver's own words (e.g. HiGHS model status), or why the fallback was used."""
    objective_eur: float | None
    slot_starts_utc: tuple[datetime, ...]
    slot_duration_h: tuple[float, ...]
    plans: tuple[VehiclePlan, ...]
    ev_power_kw: tuple[float, ...]
    """Sum of the plans per slot [kW]."""
    grid_import_kw: tuple[float, ...]
    """Expected grid import per slot with expected PV and base load [kW]."""
    solve_time_s: float

    def plan_for(self, vehicle_id: str) -> VehiclePlan | None:
        return next((p for p in self.plans if p.vehicle_id == vehicle_id), None)

    @property
    def unmet_energy_kwh(self) -> float:
        return sum(p.unmet_energy_kwh for p in self.plans)
