"""The promises every schedule keeps, checked the same way for the solver and the fallback."""

from __future__ import annotations

import pytest

from optimizer import ChargingProblem, Schedule
from optimizer.evaluation import ev_headroom_kw

TOLERANCE_KW = 1e-6
TOLERANCE_KWH = 1e-6


def assert_safe(problem: ChargingProblem, schedule: Schedule) -> None:
    """Grid limit, maximum power, presence and need are never exceeded; the totals add up."""
    assert [plan.vehicle_id for plan in schedule.plans] == [v.vehicle_id for v in problem.vehicles]
    assert schedule.slot_starts_utc == problem.slot_starts_utc
    for vehicle, plan in zip(problem.vehicles, schedule.plans, strict=True):
        assert len(plan.power_kw) == problem.n_slots
        for p_kw, hours in zip(plan.power_kw, vehicle.available_h, strict=True):
            assert 0.0 <= p_kw <= vehicle.max_power_kw + TOLERANCE_KW
            if hours == 0:
                assert p_kw == 0.0
        delivered_kwh = sum(
            p_kw * hours * vehicle.efficiency for p_kw, hours in zip(plan.power_kw, vehicle.available_h, strict=True)
        )
        assert plan.planned_energy_kwh == pytest.approx(delivered_kwh, abs=TOLERANCE_KWH)
        assert plan.planned_energy_kwh <= vehicle.energy_needed_kwh + TOLERANCE_KWH
        assert plan.unmet_energy_kwh >= 0.0
        assert plan.planned_energy_kwh + plan.unmet_energy_kwh == pytest.approx(
            vehicle.energy_needed_kwh, abs=2 * TOLERANCE_KWH
        )
    for t, headroom_kw in enumerate(ev_headroom_kw(problem)):
        slot_total_kw = sum(plan.power_kw[t] for plan in schedule.plans)
        assert schedule.ev_power_kw[t] == pytest.approx(slot_total_kw, abs=TOLERANCE_KW)
        assert slot_total_kw <= headroom_kw + TOLERANCE_KW
