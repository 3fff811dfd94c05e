"""The optimiser as an ACN-Sim algorithm, on a three-EVSE network and a few hand-made sessions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pytest
from acnportal import acnsim  # type: ignore[import-untyped]
from acnportal.acnsim.interface import SessionInfo  # type: ignore[import-untyped]
from acnportal.algorithms import (  # type: ignore[import-untyped]
    BaseAlgorithm,
    SortedSchedulingAlgo,
    UncontrolledCharging,
    first_come_first_served,
)

from benchmarks.acn.arrivals import ArrivalHistory, ExpectedSession
from benchmarks.acn.mpc import MpcSettings, OptimiserMPC, plan_call, planning_problem, slot_grid
from benchmarks.acn.network import NetworkModel, infrastructure_of, network_model, phasor_limits
from benchmarks.acn.sessions import AcnSession, event_queue
from optimizer import ChargingProblem, Schedule, solve
from tests.benchmarks.acn_factories import session, tiny_network

START = datetime(2019, 3, 5, 8, tzinfo=UTC)
PERIOD_H = 5 / 60
AB_LIMIT_A = 20.0
KW_PER_A = 0.208


def simulate(algorithm: BaseAlgorithm, sessions: Sequence[AcnSession], *, line_b_limit_a: float) -> acnsim.Simulator:
    simulator = acnsim.Simulator(
        tiny_network(line_b_limit_a=line_b_limit_a), algorithm, event_queue(sessions), START, period=5, verbose=False
    )
    simulator.run()
    return simulator


def short_stay_behind_long_stay() -> tuple[AcnSession, ...]:
    """A car staying 3 h arrives just before one staying 1 h; each wants 4 kWh; 20 A on AB for both.

    20 A at 208 V is 4.16 kW: the short stay needs the whole hour it is there (4 kWh / 4.16 kW is
    58 min), and the long stay can take its 4 kWh after it, on the ClipperCreek's 16 A step (3.33 kW
    for 72 min of the 2 h left).
    """
    return (
        session("long", "AB-CC", arrival=0, departure=36, energy_kwh=4.0),
        session("short", "AB-AV", arrival=1, departure=13, energy_kwh=4.0),
    )


def test_slot_grid_is_single_periods_then_coarse_blocks() -> None:
    assert slot_grid(6, MpcSettings(fine_periods=2, coarse_periods=3)) == ((0, 1), (1, 1), (2, 3), (5, 1))
    assert slot_grid(3, MpcSettings()) == ((0, 1), (1, 1), (2, 1))
    assert slot_grid(2, MpcSettings(fine_periods=12)) == ((0, 1), (1, 1))


def test_planning_problem_of_one_session() -> None:
    model = network_model(infrastructure_of(tiny_network(line_b_limit_a=AB_LIMIT_A)))
    limits = phasor_limits(model, facets=16)
    info = SessionInfo("AB-AV", "s1", 5.0, 3.0, arrival=2, departure=14, estimated_departure=14, current_time=10)

    problem = planning_problem(
        [info], model, limits, MpcSettings(fine_periods=2, coarse_periods=3), now=10, now_utc=START, period_h=PERIOD_H
    )

    assert problem.slot_duration_h == pytest.approx((PERIOD_H, PERIOD_H, 2 * PERIOD_H))
    (vehicle,) = problem.vehicles
    assert vehicle.energy_needed_kwh == pytest.approx(2.0)
    assert vehicle.max_power_kw == pytest.approx(32 * KW_PER_A)
    assert vehicle.available_h == pytest.approx((PERIOD_H, PERIOD_H, 2 * PERIOD_H))  # 4 periods left
    assert vehicle.efficiency == 1.0
    assert [limit.name for limit in problem.phasor_limits] == ["Line B"]  # the pod cannot bind
    assert problem.import_price_eur_per_kwh == (0.10, 0.10, 0.10)  # flat unless a rise is asked for
    assert problem.power_change_weight_eur_per_kw == 0.0


def test_price_rises_with_the_hours_from_now_to_each_slot() -> None:
    model = network_model(infrastructure_of(tiny_network(line_b_limit_a=AB_LIMIT_A)))
    info = SessionInfo("AB-AV", "s1", 5.0, 3.0, arrival=2, departure=14, estimated_departure=14, current_time=10)
    settings = MpcSettings(fine_periods=2, coarse_periods=3, price_rise_per_kwh_h=0.6)

    problem = planning_problem(
        [info], model, phasor_limits(model, facets=16), settings, now=10, now_utc=START, period_h=PERIOD_H
    )

    # slots start 0, 5 and 10 minutes from now: 0.10 + 0.6 x (0, 1/12, 2/12)
    assert problem.import_price_eur_per_kwh == pytest.approx((0.10, 0.15, 0.20))


class CountingSolver:
    """The real optimiser, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, problem: ChargingProblem) -> Schedule:
        self.calls += 1
        return solve(problem)


@pytest.mark.parametrize(("weight", "solves", "first_slot_kw"), [(0.0, 1, 32 * KW_PER_A), (0.001, 2, 3.0)])
def test_a_session_that_can_be_met_is_planned_again_at_a_steady_rate(
    weight: float, solves: int, first_slot_kw: float
) -> None:
    # 1 kWh in the 4 periods (1/3 h) left: at once at the EVSE's 6.656 kW, or steadily at 3 kW
    model = network_model(infrastructure_of(tiny_network(line_b_limit_a=40.0)))
    info = SessionInfo("AB-AV", "s1", 1.0, 0.0, arrival=10, departure=14, estimated_departure=14, current_time=10)
    settings = MpcSettings(power_change_weight=weight)
    problem = planning_problem(
        [info], model, phasor_limits(model, facets=16), settings, now=10, now_utc=START, period_h=PERIOD_H
    )
    solver = CountingSolver()

    plan, _ = plan_call(problem, settings, solver)

    vehicle_plan = plan.plan_for("s1")
    assert vehicle_plan is not None
    assert solver.calls == solves
    assert vehicle_plan.power_kw[0] == pytest.approx(first_slot_kw, abs=1e-6)
    assert vehicle_plan.planned_energy_kwh == pytest.approx(1.0, abs=1e-6)


def test_a_shortfall_keeps_the_plan_that_charges_early() -> None:
    # 2 kWh in 4 periods needs 6 kW, but the 20 A pod allows 4.16 kW: 1.39 kWh at most
    model = network_model(infrastructure_of(tiny_network(line_b_limit_a=40.0, ab_pod_limit_a=20.0)))
    info = SessionInfo("AB-AV", "s1", 2.0, 0.0, arrival=10, departure=14, estimated_departure=14, current_time=10)
    settings = MpcSettings(power_change_weight=0.001)
    problem = planning_problem(
        [info], model, phasor_limits(model, facets=16), settings, now=10, now_utc=START, period_h=PERIOD_H
    )
    solver = CountingSolver()

    plan, _ = plan_call(problem, settings, solver)

    assert solver.calls == 1
    assert plan.unmet_energy_kwh == pytest.approx(2.0 - 20 * KW_PER_A / 3, abs=1e-6)


def test_completion_weight_raises_the_weight_of_sessions_near_their_request() -> None:
    model = network_model(infrastructure_of(tiny_network(line_b_limit_a=AB_LIMIT_A)))
    sessions = [
        SessionInfo("AB-AV", "near", 5.0, 4.5, arrival=2, departure=14, estimated_departure=14, current_time=10),
        SessionInfo("AB-CC", "far", 5.0, 0.0, arrival=2, departure=14, estimated_departure=14, current_time=10),
        SessionInfo("BC-BASIC", "met", 5.0, 4.95, arrival=2, departure=14, estimated_departure=14, current_time=10),
    ]

    def weights(weight: float) -> list[float]:
        settings = MpcSettings(completion_weight=weight)
        problem = planning_problem(
            sessions, model, phasor_limits(model, facets=16), settings, now=10, now_utc=START, period_h=PERIOD_H
        )
        return [problem.unmet_cost_eur_per_kwh(v) / problem.unmet_energy_penalty_eur_per_kwh for v in problem.vehicles]

    assert weights(0.0) == [1.0, 1.0, 1.0]
    # 1 + 0.01 / remaining kWh: 0.5 and 5 kWh left; 0.05 kWh is below the 0.1 kWh floor
    assert weights(0.01) == pytest.approx([1.02, 1.002, 1.1])


def test_a_shortfall_finishes_the_session_nearest_its_request_with_a_completion_weight() -> None:
    # the 20 A pod gives both EVSEs 4.16 kW together: 1.39 kWh in the 4 periods left, for 0.5 + 3 kWh
    model = network_model(infrastructure_of(tiny_network(line_b_limit_a=40.0, ab_pod_limit_a=20.0)))
    sessions = [
        SessionInfo("AB-AV", "far", 3.0, 0.0, arrival=10, departure=14, estimated_departure=14, current_time=10),
        SessionInfo("AB-CC", "near", 3.0, 2.5, arrival=10, departure=14, estimated_departure=14, current_time=10),
    ]
    settings = MpcSettings(completion_weight=0.01)
    problem = planning_problem(
        sessions, model, phasor_limits(model, facets=16), settings, now=10, now_utc=START, period_h=PERIOD_H
    )

    plan, _ = plan_call(problem, settings, solve)

    near, far = plan.plan_for("near"), plan.plan_for("far")
    assert near is not None
    assert far is not None
    assert near.unmet_energy_kwh == pytest.approx(0.0, abs=1e-6)
    assert near.planned_energy_kwh + far.planned_energy_kwh == pytest.approx(20 * KW_PER_A / 3, abs=1e-6)


def test_settings_reject_values_out_of_range() -> None:
    with pytest.raises(ValueError, match="price_rise_per_kwh_h"):
        MpcSettings(price_rise_per_kwh_h=-0.1)
    with pytest.raises(ValueError, match="power_change_weight"):
        MpcSettings(power_change_weight=-0.1)
    with pytest.raises(ValueError, match="expected_days"):
        MpcSettings(expected_days=-1)
    with pytest.raises(ValueError, match="expected_weight"):
        MpcSettings(expected_weight=0.0)
    with pytest.raises(ValueError, match="expected_within_h"):
        MpcSettings(expected_within_h=0.0)
    with pytest.raises(ValueError, match="expected_pickup"):
        MpcSettings(expected_pickup=-1.0)
    with pytest.raises(ValueError, match="completion_weight"):
        MpcSettings(completion_weight=-0.01)


def test_one_session_alone_charges_at_full_pilot_until_met() -> None:
    mpc = OptimiserMPC(MpcSettings(fine_periods=None))
    simulator = simulate(mpc, [session("s1", "AB-AV", arrival=0, departure=12, energy_kwh=1.0)], line_b_limit_a=40.0)

    # the battery takes 6.6 kW of the 32 A x 208 V: 0.55 kWh in the first period; the 0.45 kWh left
    # need 25.96 A for a period, and the first allowed pilot above that is 26 A
    assert simulator.pilot_signals[0, :2].tolist() == [32.0, 26.0]
    assert not simulator.pilot_signals[0, 2:].any()
    assert acnsim.total_energy_delivered(simulator) == pytest.approx(1.0)


def test_mpc_serves_the_short_stay_first_and_meets_both_within_the_limit() -> None:
    mpc = OptimiserMPC(MpcSettings(fine_periods=None))
    simulator = simulate(mpc, short_stay_behind_long_stay(), line_b_limit_a=AB_LIMIT_A)

    assert acnsim.total_energy_delivered(simulator) == pytest.approx(8.0, abs=1e-3)
    assert acnsim.proportion_of_demands_met(simulator) == 1.0
    assert all(call.feasible for call in mpc.calls)


def test_first_come_first_served_leaves_the_short_stay_empty() -> None:
    # the long stay takes 16 A (the ClipperCreek step below 20 A): 0.2773 kWh per period; the 4 A
    # left are below the AeroVironment's 6 A minimum, so the short stay leaves with nothing. After
    # 14 periods the long stay's last 0.12 kWh would need less than the 8 A step, which FCFS never
    # rounds up to.
    simulator = simulate(
        SortedSchedulingAlgo(first_come_first_served), short_stay_behind_long_stay(), line_b_limit_a=AB_LIMIT_A
    )
    assert acnsim.total_energy_delivered(simulator) == pytest.approx(14 * 16 * KW_PER_A * PERIOD_H)


def test_uncontrolled_meets_both_only_by_breaking_the_limit() -> None:
    network_check = tiny_network(line_b_limit_a=AB_LIMIT_A)
    with pytest.warns(UserWarning, match="Invalid schedule"):
        simulator = simulate(UncontrolledCharging(), short_stay_behind_long_stay(), line_b_limit_a=AB_LIMIT_A)
    pilots = simulator.pilot_signals
    assert acnsim.total_energy_delivered(simulator) == pytest.approx(8.0)
    assert any(not network_check.is_feasible(pilots[:, t : t + 1]) for t in range(pilots.shape[1]))


def test_pilots_are_allowed_and_feasible_in_every_period_with_three_phases_in_play() -> None:
    sessions = (
        session("a", "AB-AV", arrival=0, departure=30, energy_kwh=5.0),
        session("b", "AB-CC", arrival=3, departure=20, energy_kwh=3.0),
        session("c", "BC-BASIC", arrival=2, departure=26, energy_kwh=6.0),
    )
    simulator = simulate(OptimiserMPC(MpcSettings(fine_periods=6, coarse_periods=4)), sessions, line_b_limit_a=30.0)
    network = tiny_network(line_b_limit_a=30.0)
    pilots = simulator.pilot_signals

    assert set(np.unique(pilots[0])) <= {0.0, *range(6, 33)}
    assert set(np.unique(pilots[1])) <= {0.0, 8.0, 16.0, 24.0, 32.0}
    assert pilots[2].min() >= 0.0
    assert pilots[2].max() <= 32.0
    assert all(network.is_feasible(pilots[:, t : t + 1]) for t in range(pilots.shape[1]))


def test_no_active_session_means_no_solve() -> None:
    mpc = OptimiserMPC()
    simulate(mpc, [session("s1", "AB-AV", arrival=3, departure=5, energy_kwh=1.0)], line_b_limit_a=40.0)
    assert mpc.calls[0].status == "idle"
    assert {call.status for call in mpc.calls[3:5]} == {"optimal"}


def problem_at_period_10(
    model: NetworkModel, info: SessionInfo, settings: MpcSettings, expected: ExpectedSession
) -> ChargingProblem:
    """The planning problem at period 10 of one present and one expected session."""
    limits = phasor_limits(model, facets=16)
    return planning_problem(
        [info], model, limits, settings, now=10, now_utc=START, period_h=PERIOD_H, expected=[expected]
    )


def _present_and_later() -> tuple[NetworkModel, SessionInfo, ExpectedSession]:
    """A session with 3 of its 5 kWh delivered at period 10, and one expected from period 13 to 19 on
    another EVSE, drawn from one of two days (half of its 2 kWh), its car limited to 16 A."""
    model = network_model(infrastructure_of(tiny_network(line_b_limit_a=AB_LIMIT_A)))
    info = SessionInfo("AB-AV", "s1", 5.0, 3.0, arrival=2, departure=14, estimated_departure=14, current_time=10)
    later = ExpectedSession(
        key="expected-0-x",
        station_id="BC-BASIC",
        arrival=13,
        stay_periods=6,
        requested_kwh=2.0,
        max_rate_a=16.0,
        share=0.5,
    )
    return model, info, later


def test_expected_sessions_are_planned_after_the_present_ones() -> None:
    model, info, later = _present_and_later()
    settings = MpcSettings(fine_periods=2, coarse_periods=3, expected_weight=0.4)

    problem = problem_at_period_10(model, info, settings, later)

    # the horizon reaches the expected departure (period 19): slots of 1, 1, 3 and 3 periods and 1
    assert problem.slot_duration_h == pytest.approx((PERIOD_H, PERIOD_H, 3 * PERIOD_H, 3 * PERIOD_H, PERIOD_H))
    present, expected = problem.vehicles
    assert not present.expected
    assert present.available_h == pytest.approx((PERIOD_H, PERIOD_H, 2 * PERIOD_H, 0.0, 0.0))
    assert expected.expected
    assert expected.vehicle_id == "expected-0-x"
    assert expected.priority == pytest.approx(0.4)
    assert expected.max_power_kw == pytest.approx(16 * KW_PER_A)  # the car's limit below the EVSE's 32 A
    assert expected.energy_needed_kwh == pytest.approx(1.0)  # drawn from one of two days: half its 2 kWh
    # here from period 13 to 19: slot 2 holds periods 12-14, slot 3 periods 15-17, slot 4 period 18
    assert expected.available_h == pytest.approx((0.0, 0.0, 2 * PERIOD_H, 3 * PERIOD_H, PERIOD_H))


def test_the_completion_weight_applies_to_expected_sessions_on_their_own_weight() -> None:
    model, info, later = _present_and_later()
    settings = MpcSettings(expected_weight=0.4, completion_weight=0.01)

    problem = problem_at_period_10(model, info, settings, later)

    present, expected = (problem.unmet_cost_eur_per_kwh(v) for v in problem.vehicles)
    penalty = problem.unmet_energy_penalty_eur_per_kwh
    # 2 kWh left for the present session; the expected one asks for half its 2 kWh, at weight 0.4
    assert present == pytest.approx(penalty * (1 + 0.01 / 2.0))
    assert expected == pytest.approx(penalty * 0.4 * (1 + 0.01 / 1.0))


def test_an_expected_session_short_of_energy_does_not_stop_the_steady_plan() -> None:
    model = network_model(infrastructure_of(tiny_network(line_b_limit_a=40.0)))
    info = SessionInfo("AB-AV", "s1", 1.0, 0.0, arrival=10, departure=14, estimated_departure=14, current_time=10)
    # 50 kWh in 3 periods cannot be met, but it may not come
    greedy = ExpectedSession(
        key="expected-0-y",
        station_id="BC-BASIC",
        arrival=11,
        stay_periods=3,
        requested_kwh=50.0,
        max_rate_a=32.0,
        share=1.0,
    )
    settings = MpcSettings(power_change_weight=0.001)
    problem = problem_at_period_10(model, info, settings, greedy)
    solver = CountingSolver()

    plan, _ = plan_call(problem, settings, solver)

    assert solver.calls == 2
    assert plan.unmet_energy_kwh > 40.0


@pytest.mark.parametrize(("expected_days", "first_hour_kwh"), [(0, 2.75), (1, 5.5 - (32 * KW_PER_A - 5.5))])
def test_a_stay_makes_room_for_an_arrival_seen_on_the_day_before(expected_days: int, first_hour_kwh: float) -> None:
    # 08:00 a car staying 2 h plugs in on the ClipperCreek wanting 5.5 kWh; the day before, at 09:00,
    # a car staying 1 h and wanting as much plugged in on the AeroVironment. The two share the AB
    # pod's 32 A (6.656 kW). Alone, the steady plan charges 2.75 kW for 2 h; expecting the second
    # car, the first must take all but 6.656 - 5.5 kWh of its energy in the hour it is alone.
    model = network_model(infrastructure_of(tiny_network(line_b_limit_a=40.0, ab_pod_limit_a=32.0)))
    history = ArrivalHistory(periods_per_day=288)
    history.record([SessionInfo("AB-AV", "yesterday", 5.5, 0.0, arrival=108, departure=120)], day=0, weekend=False)
    now = 288 + 96
    today = SessionInfo("AB-CC", "today", 5.5, 0.0, arrival=now, departure=now + 24, current_time=now)
    history.record([today], day=1, weekend=False)
    settings = MpcSettings(fine_periods=12, power_change_weight=0.001, expected_days=expected_days)
    expected = history.expected(now, days=settings.expected_days, within_periods=144)
    problem = planning_problem(
        [today],
        model,
        phasor_limits(model, facets=16),
        settings,
        now=now,
        now_utc=START,
        period_h=PERIOD_H,
        expected=expected,
    )

    plan, _ = plan_call(problem, settings, solve)

    own = plan.plan_for("today")
    assert own is not None
    assert len(expected) == expected_days
    assert own.planned_energy_kwh == pytest.approx(5.5, abs=1e-6)
    first_hour_kw = own.power_kw[:12]
    assert sum(first_hour_kw) / 12 == pytest.approx(first_hour_kwh, abs=1e-4)
    if expected_days:
        (arrival,) = (p for p in plan.plans if p.expected)
        assert arrival.planned_energy_kwh == pytest.approx(5.5, abs=1e-6)


def test_the_second_of_two_like_days_is_planned_with_the_first_days_arrivals() -> None:
    # each day: 08:00 a car staying 2 h on the ClipperCreek, 09:00 one staying 1 h on the AeroVironment
    sessions = tuple(
        session(f"{name}-{day}", station, arrival=day * 288 + start, departure=day * 288 + 120, energy_kwh=5.5)
        for day in (0, 1)
        for name, station, start in (("long", "AB-CC", 96), ("short", "AB-AV", 108))
    )
    mpc = OptimiserMPC(MpcSettings(fine_periods=12, power_change_weight=0.001, expected_days=1))
    simulator = acnsim.Simulator(
        tiny_network(line_b_limit_a=40.0, ab_pod_limit_a=32.0),
        mpc,
        event_queue(sessions),
        datetime(2019, 3, 5, tzinfo=UTC),  # a Tuesday: both days are weekdays
        period=5,
        verbose=False,
    )
    simulator.run()

    # a full car is no longer active: each charges for 10 periods (5.5 kWh at 6.6 kW is 50 min). Day
    # 0 has no day before it; on day 1 the 09:00 arrival is expected while the first car charges.
    busy = [call.expected for call in mpc.calls if call.sessions]
    assert busy == [0] * 20 + [1] * 10 + [0] * 10
    assert all(call.feasible for call in mpc.calls)
    assert acnsim.total_energy_delivered(simulator) == pytest.approx(22.0, abs=1e-3)


def test_known_arrivals_are_expected_from_the_first_day() -> None:
    # the same two cars as above, on day 0 only: no day before it to learn from, but known arrivals
    sessions = tuple(
        session(name, station, arrival=start, departure=120, energy_kwh=5.5)
        for name, station, start in (("long", "AB-CC", 96), ("short", "AB-AV", 108))
    )
    settings = MpcSettings(fine_periods=12, power_change_weight=0.001, expected_weight=1.0, known_arrivals=True)
    mpc = OptimiserMPC(settings, known_sessions=sessions)
    simulator = acnsim.Simulator(
        tiny_network(line_b_limit_a=40.0, ab_pod_limit_a=32.0),
        mpc,
        event_queue(sessions),
        datetime(2019, 3, 5, tzinfo=UTC),
        period=5,
        verbose=False,
    )
    simulator.run()

    busy = [call.expected for call in mpc.calls if call.sessions]
    assert busy == [1] * 10 + [0] * 10
    assert acnsim.total_energy_delivered(simulator) == pytest.approx(11.0, abs=1e-3)


def test_known_arrivals_need_the_sessions() -> None:
    with pytest.raises(ValueError, match="known_sessions"):
        OptimiserMPC(MpcSettings(known_arrivals=True))
