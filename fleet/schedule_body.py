"""The stored form of a plan: the schedule, the site series it was made against, and its reasons."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from fleet.planning import PluggedVehicle, idle_connector_reserve_kw
from fleet.site_config import SiteConfig
from fleet.site_forecast import SiteForecast
from optimizer import ChargingProblem, Schedule


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _rounded(values: Sequence[float], digits: int = 3) -> list[float]:
    return [round(v, digits) for v in values]


def schedule_body(
    site: SiteConfig,
    forecast: SiteForecast,
    problem: ChargingProblem,
    schedule: Schedule,
    plugged: Sequence[PluggedVehicle],
    reasons: Sequence[str],
) -> dict[str, Any]:
    by_key = {p.plan_key: p for p in plugged}
    connectors = []
    expected = []
    for plan in schedule.plans:
        vehicle = by_key.get(plan.vehicle_id)
        if vehicle is None:
            # Capacity kept for vehicles expected to arrive: shown, never dispatched.
            expected.append(
                {
                    "id": plan.vehicle_id,
                    "power_kw": _rounded(plan.power_kw),
                    "planned_energy_kwh": round(plan.planned_energy_kwh, 3),
                }
            )
            continue
        connectors.append(
            {
                "connector_key": vehicle.connector_key,
                "charge_point_id": vehicle.charge_point_id,
                "connector_id": vehicle.connector_id,
                "transaction_id": vehicle.transaction_id,
                "vehicle_id": vehicle.vehicle_id,
                "departure_at": iso(vehicle.departure_utc),
                "energy_needed_kwh": round(vehicle.energy_needed_kwh, 3),
                "needs_source": vehicle.needs_source,
                "priority": vehicle.priority,
                "power_kw": _rounded(plan.power_kw),
                "planned_energy_kwh": round(plan.planned_energy_kwh, 3),
                "unmet_energy_kwh": round(plan.unmet_energy_kwh, 3),
                "unmet_reason": plan.unmet_reason.value if plan.unmet_reason else None,
                "departure_soc_percent": None if plan.departure_soc is None else round(100 * plan.departure_soc, 1),
            }
        )
    cost = schedule.cost
    return {
        "reasons": list(reasons),
        "dispatchable": schedule.dispatchable,
        "lp_objective_eur": schedule.lp_objective_eur,
        "gap_percent": schedule.gap_percent,
        "cost": None if cost is None else {k: round(v, 4) for k, v in asdict(cost).items()},
        "timings": {k: round(v, 6) for k, v in asdict(schedule.timings).items()},
        "recommendations": [
            {
                "rank": r.rank,
                "vehicle_id": r.vehicle_id,
                "vehicle_class": r.vehicle_class,
                "connector_key": r.connector_key,
                "deliverable_energy_kwh": round(r.deliverable_energy_kwh, 3),
            }
            for r in schedule.recommendations
        ],
        "idle_connector_reserve_kw": idle_connector_reserve_kw(site, plugged),
        "horizon": {
            "slot_starts": [iso(s) for s in forecast.slot_starts],
            "slot_duration_h": _rounded(forecast.slot_duration_h, 6),
            "grid_import_limit_kw": [site.site.grid.import_limit_kw] * len(forecast.slot_starts),
            "plannable_limit_kw": _rounded(problem.grid_import_limit_kw),
            "pv_kw": _rounded(forecast.pv_kw),
            "pv_firm_kw": _rounded(forecast.pv_firm_kw),
            "base_load_kw": _rounded(forecast.base_load_kw),
            "ev_power_planned_kw": _rounded(schedule.ev_power_kw),
            "grid_import_planned_kw": _rounded(schedule.grid_import_kw),
            "import_price_eur_per_kwh": _rounded(forecast.import_price_eur_per_kwh, 5),
            "tariff_band": list(forecast.tariff_band),
        },
        "connectors": connectors,
        "expected_arrivals": expected,
    }
