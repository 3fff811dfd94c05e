"""Which waiting vehicle to plug in next, and where: a fast rule run after the plan, outside the LP.

More vehicles than chargers: the LP plans the plugged-in (and expected) vehicles; what is left of
the grid headroom and of every phasor limit in each slot is what a newly plugged vehicle could use.
The rule is greedy:

1. For every waiting vehicle and free connector, the deliverable energy is what the connector could
   put into the battery from now until the vehicle's departure, slot by slot at
   ``min(connector maximum, vehicle maximum for the connector's kind, spare grid headroom, what
   the phasor rows leave for that connector)``, capped at the vehicle's need.
2. The pair whose deliverable energy would avoid the most unmet-energy cost in the plan's objective,
   ``unmet_cost_eur_per_kwh x deliverable energy`` (the penalty, the vehicle's priority and the
   completion weight over its need), is recommended next (ties: earlier departure, then vehicle id,
   then connector key); its charging (as early as possible) is taken from the spare capacity, both
   leave the lists, and step 1 runs again.
3. It stops when no pair could deliver anything.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta

import numpy as np
import numpy.typing as npt

from optimizer.costs import ENERGY_NOISE_KWH
from optimizer.limits import ev_headroom_kw, row_matrix, site_rows
from optimizer.problem import ChargingProblem, FreeConnector, WaitingVehicle
from optimizer.schedule import PlugInRecommendation

FloatArray = npt.NDArray[np.float64]


def plug_in_recommendations(
    problem: ChargingProblem, power_kw: Sequence[Sequence[float]]
) -> tuple[PlugInRecommendation, ...]:
    """Rank waiting vehicles onto free connectors (module docstring).

    Parameters
    ----------
    problem
        The charging problem, with ``waiting_vehicles`` and ``free_connectors``.
    power_kw
        The schedule's safe plan, one row per vehicle [kW].

    Returns
    -------
    tuple of PlugInRecommendation
        Best first; empty without waiting vehicles or free connectors.
    """
    if not problem.waiting_vehicles or not problem.free_connectors:
        return ()
    plan = np.asarray(power_kw, dtype=np.float64).reshape(len(problem.vehicles), problem.n_slots)
    spare_kw = np.maximum(0.0, np.asarray(ev_headroom_kw(problem)) - plan.sum(axis=0))
    rows = site_rows(problem)
    vehicle_rows = row_matrix(rows, [v.connector_key for v in problem.vehicles])
    connector_rows = row_matrix(rows, [c.connector_key for c in problem.free_connectors])
    row_slack = vehicle_rows.rhs[:, None] - vehicle_rows.coefficients @ plan

    waiting = list(range(len(problem.waiting_vehicles)))
    free = list(range(len(problem.free_connectors)))
    hours = [_plugged_hours(problem, w) for w in problem.waiting_vehicles]
    unmet_cost_eur_per_kwh = [problem.unmet_cost_eur_per_kwh(w) for w in problem.waiting_vehicles]
    recommendations: list[PlugInRecommendation] = []
    while waiting and free:
        caps = {
            c: _connector_cap_kw(problem.free_connectors[c], c, spare_kw, row_slack, connector_rows.coefficients)
            for c in free
        }
        best: tuple[tuple[float, float, str, str], int, int, FloatArray, float] | None = None
        for w in waiting:
            vehicle = problem.waiting_vehicles[w]
            for c in free:
                power = np.minimum(caps[c], _vehicle_max_kw(vehicle, problem.free_connectors[c]))
                energy_kwh = min(vehicle.energy_needed_kwh, float(power @ hours[w]) * vehicle.efficiency)
                rank_key = (
                    -unmet_cost_eur_per_kwh[w] * energy_kwh,
                    (vehicle.departure_utc - problem.slot_starts_utc[0]).total_seconds(),
                    vehicle.vehicle_id,
                    problem.free_connectors[c].connector_key,
                )
                if best is None or rank_key < best[0]:
                    best = (rank_key, w, c, power, energy_kwh)
        assert best is not None
        rank_key, w, c, power, energy_kwh = best
        if energy_kwh <= ENERGY_NOISE_KWH:
            break
        vehicle = problem.waiting_vehicles[w]
        drawn_kw = _earliest_charging_kw(power, hours[w], vehicle.efficiency, vehicle.energy_needed_kwh)
        spare_kw -= drawn_kw
        row_slack -= connector_rows.coefficients[:, [c]] * drawn_kw[None, :]
        recommendations.append(
            PlugInRecommendation(
                rank=len(recommendations) + 1,
                vehicle_id=vehicle.vehicle_id,
                vehicle_class=vehicle.vehicle_class,
                connector_key=problem.free_connectors[c].connector_key,
                deliverable_energy_kwh=energy_kwh,
                avoided_unmet_cost_eur=-rank_key[0],
            )
        )
        waiting.remove(w)
        free.remove(c)
    return tuple(recommendations)


def _plugged_hours(problem: ChargingProblem, vehicle: WaitingVehicle) -> FloatArray:
    """Hours of each slot the vehicle would be plugged in if plugged in now (start of slot 0)."""
    hours = []
    for start, duration_h in zip(problem.slot_starts_utc, problem.slot_duration_h, strict=True):
        left_h = (vehicle.departure_utc - start) / timedelta(hours=1)
        hours.append(min(duration_h, max(0.0, left_h)))
    return np.asarray(hours, dtype=np.float64)


def _vehicle_max_kw(vehicle: WaitingVehicle, connector: FreeConnector) -> float:
    vehicle_kw = vehicle.max_ac_power_kw if connector.kind == "AC" else vehicle.max_dc_power_kw
    return math.inf if vehicle_kw is None else vehicle_kw


def _connector_cap_kw(
    connector: FreeConnector, c: int, spare_kw: FloatArray, row_slack: FloatArray, coefficients: FloatArray
) -> FloatArray:
    """Per slot, what the connector could draw within spare headroom and every phasor row [kW]."""
    cap = np.minimum(connector.max_power_kw, np.maximum(spare_kw, 0.0))
    binding = coefficients[:, c] > 0
    if binding.any():
        row_cap = np.min(np.maximum(row_slack[binding], 0.0) / coefficients[binding, c][:, None], axis=0)
        cap = np.minimum(cap, row_cap)
    return cap


def _earliest_charging_kw(power_kw: FloatArray, hours: FloatArray, efficiency: float, need_kwh: float) -> FloatArray:
    """Charge at ``power_kw`` from the first slot until the need is met [kW per slot]."""
    drawn = np.zeros_like(power_kw)
    left_kwh = need_kwh
    for t, (p_kw, h) in enumerate(zip(power_kw.tolist(), hours.tolist(), strict=True)):
        if left_kwh <= 0 or h <= 0:
            continue
        drawn[t] = min(p_kw, left_kwh / (h * efficiency))
        left_kwh -= drawn[t] * h * efficiency
    return drawn
