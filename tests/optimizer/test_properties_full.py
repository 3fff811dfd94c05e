"""Invariants on random problems with every feature on: taper, battery, phasor limits, export limit,
capacity charge, fairness, power changes, expected vehicles, minimum powers and steps."""

from __future__ import annotations

import cmath

from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer import ChargingProblem, PhasorLimit, SolveStatus, VehicleRequest, fallback_schedule, solve
from optimizer.coefficients import TIE_BREAK_EUR_PER_KWH_PER_SLOT
from tests.optimizer.factories import problem, vehicle
from tests.optimizer.invariants import assert_dispatchable, assert_safe

TAPERS = (
    (),
    ((0.0, 22.0), (0.8, 22.0), (1.0, 3.0)),
    # rising at low SoC, then falling: concave all the same
    ((0.0, 7.0), (0.2, 11.0), (0.9, 11.0), (1.0, 1.0)),
)
SETPOINTS = ((0.0, 0.0), (4.14, 0.69), (1.38, 0.0), (0.0, 0.5), (4.14, 0.069))


@st.composite
def vehicles_on(draw: st.DrawFn, slot_duration_h: tuple[float, ...], i: int) -> VehicleRequest:
    n = len(slot_duration_h)
    first = draw(st.integers(0, n - 1))
    last = draw(st.integers(first, n - 1))
    available_h = [slot_duration_h[t] if first <= t <= last else 0.0 for t in range(n)]
    available_h[first] *= draw(st.sampled_from((1.0, 0.5, 0.1)))
    available_h[last] *= draw(st.sampled_from((1.0, 0.4)))
    taper = draw(st.sampled_from(TAPERS))
    battery = bool(taper) or draw(st.booleans())
    min_power_kw, step_kw = draw(st.sampled_from(SETPOINTS))
    return vehicle(
        f"v{i}",
        available_h=available_h,
        max_power_kw=draw(st.sampled_from((0.0, 3.7, 11.04, 22.08, 50.0))),
        energy_needed_kwh=draw(st.floats(0.0, 60.0)),
        priority=draw(st.sampled_from((0.5, 1.0, 3.0))),
        efficiency=draw(st.floats(0.8, 1.0)),
        min_power_kw=min_power_kw,
        power_step_kw=step_kw,
        battery_kwh=draw(st.floats(20.0, 80.0)) if battery else None,
        initial_soc=draw(st.floats(0.0, 1.0)) if battery else None,
        taper=taper,
        expected=draw(st.booleans()) and first > 0,
    )


@st.composite
def phasor_limits(draw: st.DrawFn, keys: list[str]) -> list[PhasorLimit]:
    limits = []
    for j in range(draw(st.integers(0, 2)) if keys else 0):
        members = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=len(keys), unique=True))
        if draw(st.booleans()):
            coefficients = [(key, complex(draw(st.sampled_from((1.0, 0.5, -1.0))))) for key in members]
        else:
            coefficients = [
                (key, draw(st.floats(0.5, 3.0)) * cmath.exp(1j * draw(st.floats(-3.2, 3.2)))) for key in members
            ]
        limits.append(
            PhasorLimit(
                name=f"limit {j}",
                coefficients=tuple(coefficients),
                limit=draw(st.floats(0.0, 60.0)),
                facets=draw(st.sampled_from((4, 6, 16))),
            )
        )
    return limits


@st.composite
def problems(draw: st.DrawFn) -> ChargingProblem:
    n = draw(st.integers(1, 6))
    slot_duration_h = [draw(st.sampled_from((0.25, 0.5, 1.0))) for _ in range(n)]
    slot_duration_h[0] *= draw(st.sampled_from((1.0, 0.6, 0.05)))
    durations = tuple(slot_duration_h)
    vehicles = [draw(vehicles_on(durations, i)) for i in range(draw(st.integers(0, 5)))]
    pv_kw = [draw(st.floats(0.0, 40.0)) for _ in range(n)]
    import_price = [draw(st.floats(0.0, 0.5)) for _ in range(n)]
    return problem(
        slot_duration_h=durations,
        vehicles=vehicles,
        grid_import_limit_kw=[draw(st.floats(0.0, 80.0)) for _ in range(n)],
        base_load_kw=[draw(st.floats(0.0, 50.0)) for _ in range(n)],
        pv_kw=pv_kw,
        pv_firm_kw=[pv * draw(st.floats(0.0, 1.0)) for pv in pv_kw],
        import_price_eur_per_kwh=import_price,
        # export never pays more than import: the cost is then convex and the LP exact
        export_price_eur_per_kwh=[price * draw(st.floats(-0.5, 1.0)) for price in import_price],
        export_limit_kw=draw(st.one_of(st.none(), st.lists(st.floats(0.0, 30.0), min_size=n, max_size=n))),
        unmet_energy_penalty_eur_per_kwh=draw(st.floats(0.6, 5.0)),
        phasor_limits=draw(phasor_limits([v.connector_key for v in vehicles])),
        capacity_charge_eur_per_kw=draw(st.sampled_from((0.0, 0.5, 3.0))),
        peak_import_so_far_kw=draw(st.floats(0.0, 60.0)),
        peak_margin_kw=draw(st.one_of(st.none(), st.lists(st.floats(0.0, 20.0), min_size=n, max_size=n))),
        fairness_weight_eur=draw(st.sampled_from((0.0, 0.1, 1.0))),
        power_change_weight_eur_per_kw=draw(st.sampled_from((0.0, 0.001, 0.05))),
        completion_weight_kwh=draw(st.sampled_from((0.0, 0.01, 0.5))),
    )


def tie_break_bound_eur(p: ChargingProblem) -> float:
    """The most the LP's tie-break can shift its optimum from the plain cost, plus rounding."""
    return TIE_BREAK_EUR_PER_KWH_PER_SLOT * p.n_slots * sum(v.energy_needed_kwh for v in p.vehicles) + 1e-5


@settings(max_examples=60, deadline=None)
@given(problems())
def test_solver_and_fallback_keep_every_limit_and_the_solver_is_cheaper(p: ChargingProblem) -> None:
    optimal = solve(p)
    fallback = fallback_schedule(p, reason="comparison")
    assert optimal.status is SolveStatus.OPTIMAL
    assert_safe(p, optimal)
    assert_safe(p, fallback)
    assert optimal.objective_eur is not None
    assert fallback.objective_eur is not None
    assert optimal.lp_objective_eur is not None
    assert optimal.objective_eur <= fallback.objective_eur + tie_break_bound_eur(p)
    assert optimal.objective_eur >= optimal.lp_objective_eur - tie_break_bound_eur(p)


@settings(max_examples=60, deadline=None)
@given(problems())
def test_dispatchable_setpoints_keep_every_limit_and_the_lp_bounds_them(p: ChargingProblem) -> None:
    repaired = solve(p, dispatchable=True)
    assert_safe(p, repaired)
    assert_dispatchable(p, repaired)
    assert repaired.objective_eur is not None
    assert repaired.lp_objective_eur is not None
    assert repaired.objective_eur >= repaired.lp_objective_eur - tie_break_bound_eur(p)
