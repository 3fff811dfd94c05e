"""The offline optimum: independent groups of sessions, each one LP with perfect knowledge."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from acnportal import acnsim  # type: ignore[import-untyped]

from benchmarks.acn.mpc import MpcSettings, OptimiserMPC
from benchmarks.acn.network import infrastructure_of, network_model
from benchmarks.acn.offline import independent_groups, offline_optimum, offline_problem
from benchmarks.acn.sessions import event_queue
from tests.benchmarks.acn_factories import session, tiny_network

PERIOD_H = 5 / 60
START = datetime(2019, 3, 5, 8, tzinfo=UTC)


def test_sessions_that_never_share_a_period_fall_into_separate_groups() -> None:
    first = session("1", "AB-AV", arrival=0, departure=10, energy_kwh=1.0)
    overlapping = session("2", "AB-CC", arrival=5, departure=20, energy_kwh=1.0)
    after = session("3", "AB-AV", arrival=20, departure=30, energy_kwh=1.0)  # arrives as "2" leaves
    later = session("4", "AB-AV", arrival=31, departure=40, energy_kwh=1.0)

    groups = independent_groups([later, after, overlapping, first])

    assert [[s.session_id for s in group] for group in groups] == [["1", "2"], ["3"], ["4"]]


def test_offline_problem_gives_each_session_its_own_connector_and_the_lower_power_limit() -> None:
    model = network_model(infrastructure_of(tiny_network(line_b_limit_a=20.0)))
    group = (
        session("1", "AB-AV", arrival=4, departure=6, energy_kwh=1.0, max_kw=3.3),
        session("2", "AB-AV", arrival=6, departure=8, energy_kwh=1.0),
    )

    problem = offline_problem(group, model, facets=16, outer=False, start_utc=START, period_h=PERIOD_H)

    assert problem.n_slots == 4
    assert [v.connector_key for v in problem.vehicles] == ["AB-AV#1", "AB-AV#2"]
    assert [v.max_power_kw for v in problem.vehicles] == pytest.approx([3.3, 6.6])  # battery below 32 A x 208 V
    assert problem.vehicles[0].available_h == pytest.approx((PERIOD_H, PERIOD_H, 0.0, 0.0))
    line_b = next(limit for limit in problem.phasor_limits if limit.name == "Line B")
    assert [key for key, _ in line_b.coefficients] == ["AB-AV#1", "AB-AV#2"]


def test_offline_optimum_of_one_session_behind_a_limit_is_the_limit_times_the_stay() -> None:
    model = network_model(infrastructure_of(tiny_network(line_b_limit_a=20.0)))
    one = [session("1", "AB-AV", arrival=0, departure=12, energy_kwh=10.0)]

    inner = offline_optimum(one, model, facets=16, outer=False, period_h=PERIOD_H)
    outer = offline_optimum(one, model, facets=16, outer=True, period_h=PERIOD_H)

    # 20 A x 208 V = 4.16 kW for 1 h; one connector on the limit is modelled exactly, so both agree
    assert inner.delivered_kwh == pytest.approx(4.16)
    assert outer.delivered_kwh == pytest.approx(4.16)
    assert inner.sessions_met == 0
    assert inner.groups == 1
    assert inner.statuses == ("optimal",)


def test_the_upper_bound_is_above_the_planning_model_and_the_mpc() -> None:
    network = tiny_network(line_b_limit_a=25.0)
    model = network_model(infrastructure_of(network))
    sessions = (
        session("a", "AB-AV", arrival=0, departure=24, energy_kwh=8.0),
        session("b", "BC-BASIC", arrival=2, departure=20, energy_kwh=8.0),
        session("c", "AB-CC", arrival=6, departure=14, energy_kwh=3.0),
    )
    simulator = acnsim.Simulator(
        network, OptimiserMPC(MpcSettings(facets=8)), event_queue(sessions), START, period=5, verbose=False
    )
    simulator.run()

    inner = offline_optimum(sessions, model, facets=8, outer=False, period_h=PERIOD_H)
    outer = offline_optimum(sessions, model, facets=8, outer=True, period_h=PERIOD_H)

    assert outer.delivered_kwh >= inner.delivered_kwh
    assert outer.delivered_kwh >= acnsim.total_energy_delivered(simulator) - 1e-6
    assert inner.delivered_kwh < inner.requested_kwh  # the limit binds
