"""The shortcut of ``safe_plan``: a plan that passes every test at once is what the slot-by-slot pass
would have returned, and a plan that breaks a limit still goes through the pass."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer import ChargingProblem, solve
from optimizer.evaluation import (
    SETTLE_TOLERANCE_KW,
    SlotLimits,
    denoised_kw,
    fit_slot_by_slot,
    safe_plan,
    settled_at_once,
)
from optimizer.taper import taper_lines, vehicle_limit_kw, vehicle_limits_kw
from tests.optimizer.factories import problem, vehicle
from tests.optimizer.test_properties_full import TAPERS, problems


def _start(p: ChargingProblem, plan_kw: np.ndarray) -> np.ndarray:
    """The plan ``safe_plan`` starts from: without noise, within each vehicle's power and stay."""
    start = np.clip(denoised_kw(plan_kw), 0.0, np.array([v.max_power_kw for v in p.vehicles])[:, None])
    start[p.available_h_matrix() <= 0] = 0.0
    return start


def _slot_by_slot(p: ChargingProblem, plan_kw: np.ndarray) -> np.ndarray:
    """``safe_plan`` without the shortcut."""
    start = _start(p, plan_kw)
    fit_slot_by_slot(start, SlotLimits.of(p))
    return start


@settings(max_examples=80, deadline=None)
@given(problems(), st.data())
def test_safe_plan_settles_tolerances_at_once_within_every_limit_and_leaves_the_rest_to_the_pass(
    p: ChargingProblem, data: st.DataObject
) -> None:
    if not p.vehicles:
        return
    optimal = np.array([plan.power_kw for plan in solve(p).plans])
    n = optimal.size
    # up by a solver's tolerances where the plan charges; up by 20-50 % in places
    noise = np.array(data.draw(st.lists(st.floats(0.0, 5e-6), min_size=n, max_size=n))).reshape(optimal.shape)
    factors = np.array(data.draw(st.lists(st.sampled_from((1.0, 1.2, 1.5)), min_size=n, max_size=n)))
    for plan_kw in (optimal + noise * (optimal > 0), optimal * factors.reshape(optimal.shape) + 0.5):
        expected = _slot_by_slot(p, plan_kw)
        settled = settled_at_once(_start(p, plan_kw), SlotLimits.of(p))
        if settled is None:
            assert np.array_equal(safe_plan(p, plan_kw.tolist()), expected)
            continue
        assert np.array_equal(safe_plan(p, plan_kw.tolist()), settled)
        # within every limit: the pass finds nothing left to lower
        passed = settled.copy()
        fit_slot_by_slot(passed, SlotLimits.of(p))
        assert np.abs(passed - settled).max() <= 1e-9
        # the pass may hand a scaled slot's few watts to a later one; no more than that apart
        assert np.abs(settled - expected).max() <= 2 * SETTLE_TOLERANCE_KW


def test_tolerances_are_settled_at_once_and_interacting_slots_by_the_pass() -> None:
    p = problem(
        slot_duration_h=(1.0, 1.0),
        grid_import_limit_kw=(10.0, 12.0),
        vehicles=[vehicle("a", available_h=[1.0, 1.0], max_power_kw=30.0, energy_needed_kwh=20.0)],
    )
    limits = SlotLimits.of(p)
    # a solver's tolerances: over the need in the last slot, over a binding grid limit
    settled = settled_at_once(np.array([[10.0, 10.0 + 2e-7]]), limits)
    assert settled is not None
    assert np.allclose(settled, [[10.0, 10.0]], rtol=0, atol=1e-12)
    settled = settled_at_once(np.array([[10.0 + 1e-7, 9.0]]), limits)
    assert settled is not None
    assert np.allclose(settled, [[10.0, 9.0]], rtol=0, atol=1e-12)
    # cut to the need in the second slot, after the first was scaled to the grid limit: the first
    # slot delivering less leaves more room in the second, which only the slot-by-slot pass sees
    plan_kw = np.array([[11.0, 15.0]])
    assert settled_at_once(plan_kw, limits) is None
    assert np.allclose(safe_plan(p, plan_kw.tolist()), [[10.0, 10.0]])


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from([t for t in TAPERS if t]),
    st.floats(20.0, 80.0),
    st.floats(0.0, 1.0),
    st.lists(st.tuples(st.floats(0.0, 80.0), st.sampled_from((0.0, 0.1, 0.25, 1.0))), min_size=1, max_size=8),
)
def test_the_taper_for_many_slots_is_the_taper_of_each(
    taper: tuple[tuple[float, float], ...], battery_kwh: float, soc: float, slots: list[tuple[float, float]]
) -> None:
    v = vehicle("v", available_h=[1.0], max_power_kw=22.0, battery_kwh=battery_kwh, initial_soc=soc, taper=taper)
    lines = taper_lines(taper)
    delivered_kwh = np.array([min(d, battery_kwh * (1 - soc)) for d, _ in slots])
    energy_per_kw = np.array([e for _, e in slots])
    expected = [vehicle_limit_kw(v, lines, d, e) for d, e in zip(delivered_kwh, energy_per_kw, strict=True)]
    assert np.allclose(vehicle_limits_kw(v, lines, delivered_kwh, energy_per_kw), expected, rtol=1e-12, atol=1e-12)
