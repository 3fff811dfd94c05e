"""Planned currents to pilots: allowed values only, within the exact limits, remainder handed out."""

from __future__ import annotations

import numpy as np
import pytest
from acnportal.algorithms import infrastructure_constraints_feasible  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.acn.network import caltech_network, infrastructure_of, network_model
from benchmarks.acn.pilots import ceil_pilot_a, floor_pilot_a, round_to_feasible_pilots
from tests.benchmarks.acn_factories import tiny_network

AV, CC, BASIC = 0, 1, 2
"""Station positions in the tiny network."""


@pytest.mark.parametrize(
    ("station", "rate_a", "pilot_a"),
    [
        (AV, 7.9, 7.0),
        (AV, 5.9, 0.0),  # below the 6 A minimum
        (AV, 40.0, 32.0),
        (AV, 31.9999999, 32.0),  # solver noise
        (CC, 15.0, 8.0),
        (CC, 31.0, 24.0),
        (BASIC, 7.3, 7.3),
        (BASIC, -1.0, 0.0),
    ],
)
def test_floor_pilot(station: int, rate_a: float, pilot_a: float) -> None:
    model = network_model(infrastructure_of(tiny_network(line_b_limit_a=20.0)))
    assert floor_pilot_a(model, station, rate_a) == pytest.approx(pilot_a)


@pytest.mark.parametrize(
    ("station", "rate_a", "pilot_a"),
    [(AV, 7.1, 8.0), (AV, 3.0, 6.0), (CC, 9.0, 16.0), (CC, 33.0, 32.0), (BASIC, 7.3, 7.3)],
)
def test_ceil_pilot(station: int, rate_a: float, pilot_a: float) -> None:
    model = network_model(infrastructure_of(tiny_network(line_b_limit_a=20.0)))
    assert ceil_pilot_a(model, station, rate_a) == pytest.approx(pilot_a)


def test_rounding_down_then_the_remainder_goes_to_the_first_station_that_can_take_it() -> None:
    infrastructure = infrastructure_of(tiny_network(line_b_limit_a=20.0))
    model = network_model(infrastructure)
    planned = np.array([10.5, 9.0, 0.0])
    upper = np.array([32.0, 32.0, 0.0])

    pilots = round_to_feasible_pilots(
        model, planned, upper, [CC, AV], lambda rates: bool(infrastructure_constraints_feasible(rates, infrastructure))
    )

    # floors 10 + 8 = 18 A on phase pair AB, limit 20 A: the ClipperCreek cannot step to 16 A,
    # the AeroVironment takes the 2 A left
    assert pilots.pilots_a.tolist() == [12.0, 8.0, 0.0]
    assert pilots.raised == 1
    assert pilots.repairs == 0


@pytest.mark.parametrize(("round_up_first", "expected_a"), [(False, [20.0, 0.0, 0.0]), (True, [12.0, 8.0, 0.0])])
def test_rounding_up_first_keeps_the_planned_sessions_charging(round_up_first: bool, expected_a: list[float]) -> None:
    infrastructure = infrastructure_of(tiny_network(line_b_limit_a=40.0, ab_pod_limit_a=20.0))
    model = network_model(infrastructure)

    pilots = round_to_feasible_pilots(
        model,
        np.array([3.0, 5.0, 0.0]),
        np.array([32.0, 32.0, 0.0]),
        [AV, CC],
        lambda rates: bool(infrastructure_constraints_feasible(rates, infrastructure)),
        round_up_first=round_up_first,
    )

    # both plans are below the minimum pilot and floor to 0 A. Without rounding up, the
    # AeroVironment (first in order) takes the whole 20 A of the pod. Rounding up, the ClipperCreek
    # (5 A short of its plan) gets its 8 A step, the AeroVironment its 6 A minimum, and the 6 A
    # still free on the pod then go to the AeroVironment: 12 + 8 = 20 A.
    assert pilots.pilots_a.tolist() == expected_a


def test_pilots_never_exceed_the_useful_upper_bound() -> None:
    infrastructure = infrastructure_of(tiny_network(line_b_limit_a=100.0, ab_pod_limit_a=100.0))
    model = network_model(infrastructure)

    pilots = round_to_feasible_pilots(
        model,
        np.array([3.0, 3.0, 3.0]),
        np.array([8.0, 16.0, 4.5]),
        [AV, CC, BASIC],
        lambda rates: bool(infrastructure_constraints_feasible(rates, infrastructure)),
    )

    assert pilots.pilots_a.tolist() == [8.0, 16.0, 4.5]


@settings(max_examples=25, deadline=None)
@given(
    planned=st.lists(st.floats(0.0, 40.0), min_size=54, max_size=54),
    upper=st.lists(st.floats(0.0, 32.0), min_size=54, max_size=54),
    transformer_cap_kw=st.sampled_from([10.0, 20.0, 50.0]),
    seed=st.integers(0, 2**16),
    round_up_first=st.booleans(),
)
def test_pilots_are_allowed_feasible_and_bounded(
    planned: list[float], upper: list[float], transformer_cap_kw: float, seed: int, round_up_first: bool
) -> None:
    network = caltech_network(transformer_cap_kw)
    infrastructure = infrastructure_of(network)
    model = network_model(infrastructure)
    order = list(np.random.default_rng(seed).permutation(54))

    pilots = round_to_feasible_pilots(
        model,
        np.array(planned),
        np.array(upper),
        order,
        lambda rates: bool(infrastructure_constraints_feasible(rates, infrastructure)),
        round_up_first=round_up_first,
    )

    assert network.is_feasible(pilots.pilots_a[:, None])
    for j, pilot_a in enumerate(pilots.pilots_a):
        allowed = model.allowed_pilots_a[j]
        assert allowed is not None
        assert pilot_a in allowed
        assert pilot_a <= upper[j] + 1e-6
