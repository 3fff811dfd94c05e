"""The offline optimum: one LP over the whole week, knowing every stay, need, cloud and kW of base load.

It takes the stays of a plant run (who is on which charger when, and the energy each booking asked
for) and hands them to :func:`optimizer.solve` as one problem on the plant's 5-minute steps: each
stay is a vehicle available from plug-in to departure, the grid limit is the physical one with the
actual base load, and the actual PV is firm. The capacity charge is priced on the peak of the LP's
5-minute slots, a little stricter than the quarter hour it is billed on. Stays still running at the
end of the week keep their booked departure, so the LP may use the days after the week for them as
the MPC's horizon does; only the week is accounted. The plan is executed as planned: no taper, no
minimum current. That makes it a bound for the MPC facing the same stays, not a controller that
could run on site.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from benchmarks.milan.conditions import STEP_H
from benchmarks.milan.scenario import Scenario
from benchmarks.milan.stays import Stay
from ocpp_server.simulator.battery import CHARGING_EFFICIENCY
from optimizer import ChargingProblem, VehicleRequest, solve


@dataclass(frozen=True, slots=True)
class OfflineResult:
    ev_power_kw: npt.NDArray[np.float64]
    """EV power of each step of the week [kW]."""
    import_kw: npt.NDArray[np.float64]
    """Net grid import of each step of the week [kW]."""
    unmet_by_transaction: dict[int, float]
    """Per stay: booked energy the plan does not deliver [kWh]."""
    open_stay_energy_kwh: float
    """Energy of the week that the plan gives stays still open at its end [kWh]."""
    status: str
    slots: int
    stays: int
    solve_s: float


def _end_step(scenario: Scenario, stay: Stay) -> int:
    if stay.departed:
        return stay.unplugged_step
    departure_step = (stay.booking.departure_utc - scenario.start_utc) // (scenario.time_of(1) - scenario.start_utc)
    return min(int(departure_step), scenario.conditions.n_steps)


def offline_problem(scenario: Scenario, stays: tuple[Stay, ...]) -> tuple[ChargingProblem, list[Stay]]:
    """The week's LP for ``stays``, and the stays in the order of its vehicles.

    Raises
    ------
    ValueError
        If there is no stay to plan.
    """
    planned = [s for s in stays if s.booking.need_kwh > 0 and _end_step(scenario, s) > s.plugged_step]
    if not planned:
        raise ValueError("stays: none wants energy")
    n_slots = max(scenario.n_steps, *(_end_step(scenario, s) for s in planned))
    conditions = scenario.conditions
    vehicles = []
    for stay in planned:
        available_h = [0.0] * n_slots
        for step in range(stay.plugged_step, _end_step(scenario, stay)):
            available_h[step] = STEP_H
        vehicles.append(
            VehicleRequest(
                vehicle_id=f"{stay.vehicle_id}#{stay.transaction_id}",
                connector_key=f"{stay.charge_point_id}/1",
                max_power_kw=stay.max_power_kw,
                energy_needed_kwh=stay.booking.need_kwh,
                available_h=tuple(available_h),
                priority=stay.booking.priority,
                efficiency=CHARGING_EFFICIENCY,
            )
        )
    pv_kw = tuple(float(v) for v in conditions.pv_kw[:n_slots])
    problem = ChargingProblem(
        slot_starts_utc=tuple(scenario.time_of(k) for k in range(n_slots)),
        slot_duration_h=(STEP_H,) * n_slots,
        grid_import_limit_kw=(scenario.site.site.grid.import_limit_kw,) * n_slots,
        base_load_kw=tuple(float(v) for v in conditions.base_load_kw[:n_slots]),
        pv_kw=pv_kw,
        pv_firm_kw=pv_kw,
        import_price_eur_per_kwh=tuple(float(v) for v in conditions.forecast.import_price_eur_per_kwh[:n_slots]),
        export_price_eur_per_kwh=tuple(float(v) for v in conditions.forecast.export_price_eur_per_kwh[:n_slots]),
        vehicles=tuple(vehicles),
        unmet_energy_penalty_eur_per_kwh=scenario.site.planning.unmet_energy_penalty_eur_per_kwh,
        capacity_charge_eur_per_kw=scenario.site.site.tariff.capacity_charge_eur_per_kw_month,
    )
    return problem, planned


def offline_optimum(scenario: Scenario, stays: tuple[Stay, ...], *, time_limit_s: float = 600.0) -> OfflineResult:
    """Solve the week's LP for ``stays`` and account its week like a plant run."""
    problem, planned = offline_problem(scenario, stays)
    schedule = solve(problem, time_limit_s=time_limit_s)
    n = scenario.n_steps
    ev_kw = np.asarray(schedule.ev_power_kw[:n], dtype=np.float64)
    conditions = scenario.conditions
    unmet: dict[int, float] = {}
    open_kwh = 0.0
    for stay, plan in zip(planned, schedule.plans, strict=True):
        unmet[stay.transaction_id] = plan.unmet_energy_kwh
        if not stay.departed:
            open_kwh += sum(plan.power_kw[:n]) * STEP_H
    for stay in stays:
        unmet.setdefault(stay.transaction_id, 0.0)
    return OfflineResult(
        ev_power_kw=ev_kw,
        import_kw=ev_kw + conditions.base_load_kw[:n] - conditions.pv_kw[:n],
        unmet_by_transaction=unmet,
        open_stay_energy_kwh=open_kwh,
        status=schedule.status.value,
        slots=problem.n_slots,
        stays=len(planned),
        solve_s=schedule.solve_time_s,
    )
