"""Invariants on random problems: both planners stay safe, and the solver is never costlier."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer import ChargingProblem, SolveStatus, VehicleRequest, fallback_schedule, solve
from optimizer.model import TIE_BREAK_EUR_PER_KWH_PER_SLOT
from tests.optimizer.factories import problem
from tests.optimizer.invariants import assert_safe

SLOT_LENGTHS_H = (0.25, 0.5, 1.0)


@st.composite
def vehicles_on(draw: st.DrawFn, slot_duration_h: tuple[float, ...], vehicle_id: str) -> VehicleRequest:
    """A vehicle plugged in over one stretch of slots, possibly for part of the first and last."""
    n = len(slot_duration_h)
    first = draw(st.integers(0, n - 1))
    last = draw(st.integers(first, n - 1))
    available_h = [0.0] * n
    for t in range(first, last + 1):
        available_h[t] = slot_duration_h[t]
    available_h[first] *= draw(st.sampled_from((1.0, 0.5, 0.1)))
    available_h[last] *= draw(st.sampled_from((1.0, 0.4)))
    return VehicleRequest(
        vehicle_id=vehicle_id,
        connector_key=f"CP{vehicle_id}/1",
        max_power_kw=draw(st.sampled_from((0.0, 3.7, 11.0, 22.0, 50.0))),
        energy_needed_kwh=draw(st.floats(0.0, 60.0)),
        available_h=tuple(available_h),
        priority=draw(st.sampled_from((0.5, 1.0, 3.0))),
        efficiency=draw(st.floats(0.8, 1.0)),
    )


@st.composite
def problems(draw: st.DrawFn) -> ChargingProblem:
    n = draw(st.integers(1, 8))
    slot_duration_h = [draw(st.sampled_from(SLOT_LENGTHS_H)) for _ in range(n)]
    slot_duration_h[0] *= draw(st.sampled_from((1.0, 0.6, 0.05)))
    durations = tuple(slot_duration_h)
    pv_kw = [draw(st.floats(0.0, 40.0)) for _ in range(n)]
    import_price = [draw(st.floats(-0.05, 0.5)) for _ in range(n)]
    n_vehicles = draw(st.integers(0, 5))
    return problem(
        slot_duration_h=durations,
        vehicles=[draw(vehicles_on(durations, f"v{i}")) for i in range(n_vehicles)],
        grid_import_limit_kw=[draw(st.floats(0.0, 80.0)) for _ in range(n)],
        base_load_kw=[draw(st.floats(0.0, 50.0)) for _ in range(n)],
        pv_kw=pv_kw,
        pv_firm_kw=[pv * draw(st.floats(0.0, 1.0)) for pv in pv_kw],
        import_price_eur_per_kwh=import_price,
        # export never pays more than import: the cost is then convex and the LP exact
        export_price_eur_per_kwh=[price * draw(st.floats(0.0, 1.0)) for price in import_price],
        unmet_energy_penalty_eur_per_kwh=draw(st.floats(0.6, 5.0)),
    )


@settings(max_examples=80, deadline=None)
@given(problems())
def test_solver_and_fallback_are_safe_and_solver_is_cheaper(p: ChargingProblem) -> None:
    optimal = solve(p)
    fallback = fallback_schedule(p, reason="comparison")
    assert optimal.status is SolveStatus.OPTIMAL
    assert_safe(p, optimal)
    assert_safe(p, fallback)
    assert optimal.objective_eur is not None
    assert fallback.objective_eur is not None
    # the solver minimises cost plus a tie-break of at most 1e-6 EUR/kWh per slot of delay
    total_need_kwh = sum(v.energy_needed_kwh for v in p.vehicles)
    tolerance_eur = TIE_BREAK_EUR_PER_KWH_PER_SLOT * p.n_slots * total_need_kwh + 1e-5
    assert optimal.objective_eur <= fallback.objective_eur + tolerance_eur
