"""The Caltech ACN's constraints as phasor limits: the same currents ACN-Sim computes."""

from __future__ import annotations

import cmath
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.acn.network import (
    NetworkModel,
    caltech_network,
    circumscribed,
    infrastructure_of,
    limits_that_can_bind,
    network_model,
    phasor_limits,
)
from optimizer import PhasorLimit
from tests.benchmarks.acn_factories import tiny_network

A_PER_KW_208V = 1000.0 / 208.0
N_CALTECH_STATIONS = 54


def caltech_model(transformer_cap_kw: float) -> NetworkModel:
    return network_model(infrastructure_of(caltech_network(transformer_cap_kw)))


def coefficient(limit: PhasorLimit, key: str) -> complex:
    return dict(limit.coefficients)[key]


def test_coefficients_are_amperes_per_kw_turned_by_the_evse_phase() -> None:
    limits = {limit.name: limit for limit in phasor_limits(caltech_model(150.0), facets=16)}
    secondary_a = limits["Secondary A"]  # I3a = I_AB - I_CA
    assert coefficient(secondary_a, "CA-308") == pytest.approx(A_PER_KW_208V * cmath.exp(1j * math.radians(30)))
    assert coefficient(secondary_a, "CA-307") == pytest.approx(-A_PER_KW_208V * cmath.exp(1j * math.radians(150)))
    assert "CA-304" not in dict(secondary_a.coefficients)  # a BC station
    assert secondary_a.limit == pytest.approx(150_000 / 3 / 120)
    assert limits["Primary A"].limit == pytest.approx(150_000 / 3 / 277)
    assert all(limit.facets == 16 for limit in limits.values())


def test_a_pod_on_one_phase_pair_becomes_an_exact_real_limit() -> None:
    limits = {limit.name: limit for limit in phasor_limits(caltech_model(150.0), facets=16)}
    pod = limits["CC Pod"]
    assert len(pod.coefficients) == 8
    assert all(c == pytest.approx(complex(A_PER_KW_208V, 0.0)) for _, c in pod.coefficients)
    assert pod.limit == 80.0


def test_connector_keys_repeat_a_station_coefficient_for_each_session_on_it() -> None:
    limits = phasor_limits(caltech_model(150.0), facets=8, connector_keys={"CA-308": ["CA-308#1", "CA-308#2"]})
    secondary_a = next(limit for limit in limits if limit.name == "Secondary A")
    assert [key for key, _ in secondary_a.coefficients] == ["CA-308#1", "CA-308#2"]


@settings(max_examples=60, deadline=None)
@given(
    rates_a=st.lists(st.floats(0.0, 32.0), min_size=N_CALTECH_STATIONS, max_size=N_CALTECH_STATIONS),
    transformer_cap_kw=st.sampled_from([10.0, 30.0, 70.0]),
)
def test_phasor_limits_give_acnportal_currents_and_feasibility(rates_a: list[float], transformer_cap_kw: float) -> None:
    network = caltech_network(transformer_cap_kw)
    model = network_model(infrastructure_of(network))
    rates = np.array(rates_a)
    power_kw = {
        station: rate * model.kw_per_a(j)
        for j, (station, rate) in enumerate(zip(model.station_ids, rates_a, strict=True))
    }

    magnitudes = np.array(
        [abs(sum(c * power_kw[key] for key, c in limit.coefficients)) for limit in phasor_limits(model, facets=16)]
    )

    acn_currents = np.abs(network.constraint_current(rates[:, None]))[:, 0]
    np.testing.assert_allclose(magnitudes, acn_currents, rtol=1e-9, atol=1e-9)
    within = bool(np.all(magnitudes <= np.array(model.limits_a) + 1e-5))
    assert within == bool(network.is_feasible(rates[:, None]))


def test_a_limit_no_session_can_reach_is_left_out() -> None:
    limits = phasor_limits(caltech_model(150.0), facets=16)
    one_car = {"CA-308": 32 * 0.208}

    kept = limits_that_can_bind(limits, one_car)

    assert kept == ()  # 32 A against limits of 80 A and more


def test_a_limit_a_session_can_reach_keeps_only_the_connectors_in_use() -> None:
    limits = phasor_limits(network_model(infrastructure_of(tiny_network(line_b_limit_a=20.0))), facets=16)
    one_car = {"AB-AV": 32 * 0.208}

    kept = limits_that_can_bind(limits, one_car)

    assert [limit.name for limit in kept] == ["Line B"]  # 32 A > 20 A; the 64 A pod cannot be reached
    assert [key for key, _ in kept[0].coefficients] == ["AB-AV"]


def test_circumscribed_loosens_complex_limits_only() -> None:
    complex_limit = PhasorLimit("line", (("a", 1 + 0j), ("b", 1j)), limit=10.0, facets=4)
    real_limit = PhasorLimit("pod", (("a", 2 + 0j), ("b", 3 + 0j)), limit=10.0, facets=4)
    opposite = PhasorLimit("pair", (("a", 1 + 1j), ("b", -2 - 2j)), limit=10.0, facets=4)

    assert circumscribed(complex_limit).limit == pytest.approx(10.0 / math.cos(math.pi / 4))
    assert circumscribed(real_limit) == real_limit
    assert circumscribed(opposite) == opposite  # collinear: modelled exactly
