"""What planning the far hours in longer slots costs (``planning.fine_horizon_h``).

The plan made on the multi-resolution grid is held on the site's own grid (each long slot's power
in each of its parts), made safe there, and priced on that grid's problem; so is the plan made on
that grid itself. Both are the dispatchable plans the control loop would send. The difference is
what the coarser far hours cost in the plan's own terms: energy, capacity charge, unmet energy.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.speed.pipeline import problem_of
from benchmarks.speed.snapshot import Snapshot
from fleet.site_config import SiteConfig
from optimizer import ChargingProblem, Schedule, solve
from optimizer.evaluation import make_safe, plan_cost_eur


@dataclass(frozen=True, slots=True)
class GridQuality:
    fine_slots: int
    coarse_slots: int
    fine_status: str
    fine_cost_eur: float
    """The plan made on the site's own grid, priced there [EUR]."""
    coarse_cost_eur: float
    """The plan made on the multi-resolution grid, held on the site's own grid and priced there [EUR]."""

    @property
    def cost_rise_pct(self) -> float:
        return (self.coarse_cost_eur / self.fine_cost_eur - 1.0) * 100.0


def held_on(fine: ChargingProblem, coarse: Schedule) -> list[list[float]]:
    """Each vehicle's power in every slot of ``fine``: that of the ``coarse`` slot holding the slot's
    start, 0 where the vehicle is away or has no plan."""
    ends = [
        start.timestamp() + h * 3600.0 for start, h in zip(coarse.slot_starts_utc, coarse.slot_duration_h, strict=True)
    ]
    slot_of = [next(t for t, end in enumerate(ends) if start.timestamp() < end) for start in fine.slot_starts_utc]
    plans = {p.vehicle_id: p.power_kw for p in coarse.plans}
    held: list[list[float]] = []
    for vehicle in fine.vehicles:
        plan = plans.get(vehicle.vehicle_id)
        held.append(
            [plan[slot_of[k]] if plan is not None and vehicle.available_h[k] > 0 else 0.0 for k in range(fine.n_slots)]
        )
    return held


def grid_quality(site: SiteConfig, snapshot: Snapshot, *, time_limit_s: float) -> GridQuality:
    """Plan ``snapshot`` on ``site``'s multi-resolution grid and on its own grid; price both on the latter.

    Raises
    ------
    ValueError
        If ``site`` plans on one grid only (``planning.fine_horizon_h`` is not set).
    """
    if site.planning.fine_horizon_h is None:
        raise ValueError("site: planning.fine_horizon_h must be set to compare two grids")
    fine_site = site.with_planning(fine_horizon_h=None)
    fine = problem_of(fine_site, snapshot)
    coarse = problem_of(site, snapshot)
    fine_schedule = solve(fine, time_limit_s=time_limit_s, dispatchable=True)
    coarse_schedule = solve(coarse, time_limit_s=time_limit_s, dispatchable=True)
    fine_plan = [list(plan.power_kw) for plan in fine_schedule.plans]
    return GridQuality(
        fine_slots=fine.n_slots,
        coarse_slots=coarse.n_slots,
        fine_status=fine_schedule.status.value,
        fine_cost_eur=plan_cost_eur(fine, make_safe(fine, fine_plan)),
        coarse_cost_eur=plan_cost_eur(fine, make_safe(fine, held_on(fine, coarse_schedule))),
    )
