"""What-if: would a vehicle be ready with a candidate booking, and what would the plan cost?

The site's current problem is solved twice on the same forecast: as it stands, and with the
candidate booking in place of the vehicle's own. Nothing is stored and nothing is sent to a charger.
A vehicle that is not plugged in is planned as if it plugged in now into the free connector that
charges it fastest (and leaves the yard's queue if it waits there).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from fleet.control_loop import Snapshot, plan_problem
from fleet.persistence.records import BookingRecord, VehicleRecord
from fleet.planning import (
    PluggedVehicle,
    connector_max_power_kw,
    connector_min_power_kw,
    connector_power_step_kw,
    horizon_h,
    plugged_vehicles,
)
from fleet.site_config import SiteConfig
from fleet.vehicle_needs import booking_energy_kwh
from optimizer import ChargingProblem, Schedule

WhatIfSolver = Callable[[ChargingProblem], Schedule]

READY_TOLERANCE_KWH = 0.05
"""Unmet energy below this is rounding, not a shortfall [kWh]."""


@dataclass(frozen=True, slots=True)
class CandidateBooking:
    departure_utc: datetime
    energy_needed_kwh: float | None
    """Battery energy [kWh]; None when ``target_soc`` is given."""
    target_soc: float | None
    priority: float


@dataclass(frozen=True, slots=True)
class WhatIfOutcome:
    vehicle_id: str
    plugged_in: bool
    """False: planned as if plugged in now into ``connector_key`` (None: no connector is free)."""
    connector_key: str | None
    energy_needed_kwh: float
    """Battery energy [kWh] still needed for the candidate booking."""
    expected_energy_kwh: float
    """Battery energy [kWh] the plan delivers by the departure."""
    unmet_energy_kwh: float
    unmet_reason: str | None
    expected_soc: float | None
    """State of charge (0-1) expected at the departure, when the vehicle's SoC is known."""
    ready: bool
    cost_eur: float | None
    """Energy and capacity cost of the site's plan with the candidate [EUR]."""
    baseline_cost_eur: float | None
    """The same without it [EUR]."""
    solve_status: str

    @property
    def cost_change_eur(self) -> float | None:
        if self.cost_eur is None or self.baseline_cost_eur is None:
            return None
        return self.cost_eur - self.baseline_cost_eur


def what_if(
    site: SiteConfig,
    snapshot: Snapshot,
    vehicle: VehicleRecord,
    candidate: CandidateBooking,
    solve: WhatIfSolver,
) -> WhatIfOutcome:
    """Plan the site with and without ``candidate`` for ``vehicle`` (CPU-heavy: run in a worker thread)."""
    now = snapshot.now
    record = BookingRecord(
        id=0,
        vehicle_id=vehicle.id,
        departure_at=candidate.departure_utc,
        energy_needed_kwh=candidate.energy_needed_kwh,
        priority=candidate.priority,
        created_at=now,
        target_soc=candidate.target_soc,
    )
    vehicles = {**snapshot.vehicles, vehicle.id: vehicle}
    limits = snapshot.external_limits
    baseline = plugged_vehicles(now, site, snapshot.transactions, vehicles, snapshot.bookings, snapshot.history, limits)
    bookings = {**snapshot.bookings, vehicle.id: record}
    with_candidate = plugged_vehicles(now, site, snapshot.transactions, vehicles, bookings, snapshot.history, limits)
    plugged_in = any(p.vehicle_id == vehicle.id for p in with_candidate)
    candidate_snapshot = snapshot
    if not plugged_in:
        arrival = _plugged_now(site, with_candidate, vehicle, record, now)
        if arrival is None:
            return _no_free_connector(vehicle, record)
        with_candidate = [*with_candidate, arrival]
        waiting = tuple(e for e in snapshot.waiting if e.vehicle_id != vehicle.id)
        candidate_snapshot = dataclasses.replace(snapshot, waiting=waiting)
    # One horizon for both, so that both costs cover the same hours.
    horizon = horizon_h(now, site, [*baseline, *with_candidate])
    _, baseline_problem = plan_problem(site, snapshot, baseline, horizon)
    _, candidate_problem = plan_problem(site, candidate_snapshot, with_candidate, horizon)
    baseline_schedule = solve(baseline_problem)
    schedule = solve(candidate_problem)
    mine = next(p for p in with_candidate if p.vehicle_id == vehicle.id)
    plan = schedule.plan_for(mine.plan_key)
    planned_kwh = plan.planned_energy_kwh if plan is not None else 0.0
    unmet_kwh = plan.unmet_energy_kwh if plan is not None else mine.energy_needed_kwh
    return WhatIfOutcome(
        vehicle_id=vehicle.id,
        plugged_in=plugged_in,
        connector_key=mine.connector_key,
        energy_needed_kwh=mine.energy_needed_kwh,
        expected_energy_kwh=planned_kwh,
        unmet_energy_kwh=unmet_kwh,
        unmet_reason=None if plan is None or plan.unmet_reason is None else plan.unmet_reason.value,
        expected_soc=None if plan is None else plan.departure_soc,
        ready=unmet_kwh <= READY_TOLERANCE_KWH,
        cost_eur=_cost_eur(schedule),
        baseline_cost_eur=_cost_eur(baseline_schedule),
        solve_status=schedule.status.value,
    )


def _cost_eur(schedule: Schedule) -> float | None:
    """What the site pays: energy and capacity, without the objective's penalty and comfort terms."""
    if schedule.cost is None:
        return None
    return schedule.cost.energy_eur + schedule.cost.capacity_eur


def _plugged_now(
    site: SiteConfig,
    plugged: Sequence[PluggedVehicle],
    vehicle: VehicleRecord,
    booking: BookingRecord,
    now: datetime,
) -> PluggedVehicle | None:
    """The vehicle on the free connector that charges it fastest, as if it plugged in now."""
    busy = {p.connector_key for p in plugged}
    free = [
        (connector_max_power_kw(charger, vehicle), charger, connector_id)
        for charger in site.charge_points
        for connector_id in range(1, charger.connectors + 1)
        if f"{charger.id}/{connector_id}" not in busy
    ]
    if not free:
        return None
    max_power_kw, charger, connector_id = max(free, key=lambda option: option[0])
    return PluggedVehicle(
        transaction_id=0,
        charge_point_id=charger.id,
        connector_id=connector_id,
        vehicle_id=vehicle.id,
        max_power_kw=max_power_kw,
        departure_utc=booking.departure_at,
        energy_needed_kwh=min(vehicle.battery_kwh, booking_energy_kwh(booking, vehicle, None, 0.0)),
        priority=booking.priority,
        needs_source="what-if",
        min_power_kw=connector_min_power_kw(charger),
        power_step_kw=connector_power_step_kw(charger),
        battery_kwh=vehicle.battery_kwh,
        soc_percent=None,
    )


def _no_free_connector(vehicle: VehicleRecord, booking: BookingRecord) -> WhatIfOutcome:
    need_kwh = min(vehicle.battery_kwh, booking_energy_kwh(booking, vehicle, None, 0.0))
    return WhatIfOutcome(
        vehicle_id=vehicle.id,
        plugged_in=False,
        connector_key=None,
        energy_needed_kwh=need_kwh,
        expected_energy_kwh=0.0,
        unmet_energy_kwh=need_kwh,
        unmet_reason="no free connector",
        expected_soc=None,
        ready=need_kwh <= READY_TOLERANCE_KWH,
        cost_eur=None,
        baseline_cost_eur=None,
        solve_status="not solved",
    )
