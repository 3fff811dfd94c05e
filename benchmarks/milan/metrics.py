"""What a controller achieved over the week: the bill, the grid, the PV and the fleet's readiness."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from benchmarks.milan.conditions import STEP_H
from benchmarks.milan.controllers import PlanCall, quarter_hour_peak_kw
from benchmarks.milan.scenario import Scenario
from benchmarks.milan.stays import READY_TOLERANCE_KWH, Departure

OVER_LIMIT_SLACK_KW = 1e-6
"""Import above the limit by less than this [kW] is rounding, not a violation."""


@dataclass(frozen=True, slots=True)
class ControllerMetrics:
    controller: str
    seed: int
    energy_cost_eur: float
    """The site's energy bill over the week: import at the band price, export at the export price [EUR]."""
    capacity_charge_eur: float
    """The capacity charge on the week's highest quarter-hour import, as if it were the month's [EUR]."""
    ev_cost_eur: float
    """The energy bill minus what the site would pay without any charging [EUR]."""
    ev_energy_kwh: float
    """Energy through the chargers [kWh]."""
    open_stay_energy_kwh: float
    """Of ``ev_energy_kwh``, what went to stays still plugged in when the week ended [kWh]: energy
    for departures after the week, which a plan may take before or after its end."""
    peak_import_kw: float
    pv_self_consumption_pct: float
    """Share of the PV energy used on site rather than exported [%]."""
    grid_violations: int
    """Steps whose average import is above the grid limit."""
    grid_violations_by_day: tuple[int, ...]
    peak_import_by_day_kw: tuple[float, ...]
    max_over_limit_kw: float
    van_departures: int
    vans_ready: int
    vans_possible: int
    """Van departures that charging at full power from plug-in would have made ready."""
    vans_ready_when_possible: int
    van_shortfall_max_kwh: float
    """Largest gap between a van's target and its battery at departure [kWh]."""
    car_departures: int
    cars_ready: int
    car_shortfall_mean_kwh: float
    """Mean gap between a car's target and its battery at departure, 0 for cars that made it [kWh]."""
    departure_shortfall_kwh: float
    """Sum over the week's departures of the gap between target and battery [kWh, battery side]."""
    trips_short: int
    """Trips on which a battery ran empty."""
    plan_calls: int
    solve_median_s: float | None
    solve_p90_s: float | None
    solve_max_s: float | None
    replan_median_s: float | None
    """Records to OCPP payloads, solve included [s]."""

    @property
    def total_cost_eur(self) -> float:
        """Energy bill plus capacity charge [EUR]."""
        return self.energy_cost_eur + self.capacity_charge_eur

    @property
    def vans_ready_pct(self) -> float:
        return _pct(self.vans_ready, self.van_departures)

    @property
    def vans_ready_when_possible_pct(self) -> float:
        return _pct(self.vans_ready_when_possible, self.vans_possible)

    @property
    def cars_ready_pct(self) -> float:
        return _pct(self.cars_ready, self.car_departures)

    @property
    def ev_eur_per_kwh(self) -> float:
        return self.ev_cost_eur / self.ev_energy_kwh if self.ev_energy_kwh > 0 else 0.0


def _pct(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 100.0


def bill_eur(scenario: Scenario, import_kw: npt.NDArray[np.float64]) -> float:
    """Energy bill of a net import series over the week's steps [EUR]."""
    forecast = scenario.conditions.forecast
    n = len(import_kw)
    bought = np.maximum(import_kw, 0.0) * forecast.import_price_eur_per_kwh[:n]
    sold = np.maximum(-import_kw, 0.0) * forecast.export_price_eur_per_kwh[:n]
    return float((bought - sold).sum() * STEP_H)


def controller_metrics(
    controller: str,
    scenario: Scenario,
    ev_power_kw: npt.NDArray[np.float64],
    import_kw: npt.NDArray[np.float64],
    departures: Sequence[Departure],
    shortfalls_kwh: Sequence[float],
    trips_short: int,
    calls: Sequence[PlanCall],
    *,
    open_stay_energy_kwh: float,
) -> ControllerMetrics:
    """Measure one controller's week.

    Parameters
    ----------
    controller
        Its name.
    scenario
        The week it ran.
    ev_power_kw, import_kw
        EV power and net import of every step of the week [kW].
    departures
        The week's departures; ``shortfalls_kwh`` says for each how far below its target it left
        [kWh] (0 when it made it), and a departure within ``READY_TOLERANCE_KWH`` counts as ready.
    trips_short
        Trips on which a battery ran empty.
    calls
        The controller's re-plans, if it plans.
    open_stay_energy_kwh
        EV energy of the week that went to stays still open at its end [kWh].
    """
    if len(shortfalls_kwh) != len(departures):
        raise ValueError(f"shortfalls_kwh: {len(shortfalls_kwh)} values for {len(departures)} departures")
    ready = [shortfall <= READY_TOLERANCE_KWH for shortfall in shortfalls_kwh]
    conditions = scenario.conditions
    n = scenario.n_steps
    baseline_kw = conditions.base_load_kw[:n] - conditions.pv_kw[:n]
    cost_eur = bill_eur(scenario, import_kw)
    pv_kwh = float(conditions.pv_kw[:n].sum() * STEP_H)
    export_kwh = float(np.maximum(-import_kw, 0.0).sum() * STEP_H)
    limit_kw = scenario.site.site.grid.import_limit_kw
    over = import_kw > limit_kw + OVER_LIMIT_SLACK_KW
    vans = [(d, r) for d, r in zip(departures, ready, strict=True) if d.vehicle_class == "van"]
    cars = [(d, r) for d, r in zip(departures, ready, strict=True) if d.vehicle_class != "van"]
    van_short = [s for d, s in zip(departures, shortfalls_kwh, strict=True) if d.vehicle_class == "van"]
    car_short = [s for d, s in zip(departures, shortfalls_kwh, strict=True) if d.vehicle_class != "van"]
    solve_s = np.asarray([c.solve_s for c in calls])
    replan_s = np.asarray([c.planning_s + c.solve_s + c.dispatch_s for c in calls])
    return ControllerMetrics(
        controller=controller,
        seed=scenario.seed,
        energy_cost_eur=cost_eur,
        capacity_charge_eur=scenario.site.site.tariff.capacity_charge_eur_per_kw_month
        * quarter_hour_peak_kw(import_kw),
        ev_cost_eur=cost_eur - bill_eur(scenario, baseline_kw),
        ev_energy_kwh=float(ev_power_kw.sum() * STEP_H),
        open_stay_energy_kwh=open_stay_energy_kwh,
        peak_import_kw=float(import_kw.max()),
        pv_self_consumption_pct=100.0 * (1.0 - export_kwh / pv_kwh) if pv_kwh > 0 else 100.0,
        grid_violations=int(over.sum()),
        grid_violations_by_day=tuple(int(v) for v in over.reshape(scenario.days, -1).sum(axis=1)),
        peak_import_by_day_kw=tuple(float(v) for v in import_kw.reshape(scenario.days, -1).max(axis=1)),
        max_over_limit_kw=max(0.0, float(import_kw.max()) - limit_kw),
        van_departures=len(vans),
        vans_ready=sum(r for _, r in vans),
        vans_possible=sum(d.possible for d, _ in vans),
        vans_ready_when_possible=sum(r for d, r in vans if d.possible),
        van_shortfall_max_kwh=max(van_short, default=0.0),
        car_departures=len(cars),
        cars_ready=sum(r for _, r in cars),
        car_shortfall_mean_kwh=float(np.mean(car_short)) if car_short else 0.0,
        departure_shortfall_kwh=float(sum(shortfalls_kwh)),
        trips_short=trips_short,
        plan_calls=len(calls),
        solve_median_s=float(np.median(solve_s)) if len(calls) else None,
        solve_p90_s=float(np.percentile(solve_s, 90)) if len(calls) else None,
        solve_max_s=float(solve_s.max()) if len(calls) else None,
        replan_median_s=float(np.median(replan_s)) if len(calls) else None,
    )
