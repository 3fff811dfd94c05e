"""Dispatchable setpoints: 0 or at least the minimum, in steps, within every limit; the gap reported."""

from __future__ import annotations

import pytest

from optimizer import PhasorLimit, SolveStatus, UnmetReason, dispatchable, fallback_schedule, solve
from optimizer.repair import repair_setpoints
from optimizer.repair_slots import SetpointGrid
from tests.optimizer.factories import problem, vehicle
from tests.optimizer.invariants import assert_dispatchable, assert_safe

# 6 A minimum and 1 A steps at 3 x 230 V: 4.14 kW and 0.69 kW; 16 A is 11.04 kW.
MIN_KW, STEP_KW, MAX_KW = 4.14, 0.69, 11.04


def test_setpoint_grid() -> None:
    grid = SetpointGrid(MIN_KW, STEP_KW)
    assert grid.lowest_kw == pytest.approx(4.14)
    assert grid.floor(4.0) == 0.0
    assert grid.floor(5.0) == pytest.approx(4.83)
    assert grid.above(0.0) == pytest.approx(4.14)
    assert grid.above(4.83) == pytest.approx(5.52)
    continuous = SetpointGrid(1.5, 0.0)
    assert (continuous.floor(1.0), continuous.floor(2.7), continuous.above(1.0), continuous.above(2.0)) == (
        0.0,
        2.7,
        1.5,
        None,
    )


def test_below_minimum_energy_moves_into_a_larger_setpoint() -> None:
    # 3.45 kWh in four 15-minute slots. The LP takes 11.04 kW in the cheapest slot (0.10) and the
    # last 0.69 kWh at 2.76 kW in the next cheapest (0.20): below the 4.14 kW minimum. The repair
    # holds 4.14 kW there and takes 1.38 kW off the cheap slot: 9.66 + 4.14 = 13.8 kW x 0.25 h.
    # LP 2.76 x 0.10 + 0.69 x 0.20 = 0.414; repaired 2.415 x 0.10 + 1.035 x 0.20 = 0.4485 (+8.33 %).
    car = vehicle(
        "car",
        available_h=(0.25,) * 4,
        max_power_kw=MAX_KW,
        energy_needed_kwh=3.45,
        min_power_kw=MIN_KW,
        power_step_kw=STEP_KW,
    )
    p = problem(slot_duration_h=(0.25,) * 4, import_price_eur_per_kwh=(0.30, 0.10, 0.20, 0.40), vehicles=[car])
    lp = solve(p)
    assert lp.plans[0].power_kw == pytest.approx((0.0, 11.04, 2.76, 0.0))
    repaired = solve(p, dispatchable=True)
    assert repaired.status is SolveStatus.OPTIMAL
    assert repaired.plans[0].power_kw == pytest.approx((0.0, 9.66, 4.14, 0.0))
    assert repaired.plans[0].unmet_energy_kwh == 0.0
    assert repaired.plans[0].part_slot_h == ()  # whole slots where an exchange does it
    assert repaired.lp_objective_eur == pytest.approx(0.414)
    assert repaired.objective_eur == pytest.approx(0.4485)
    assert repaired.gap_percent == pytest.approx(100 * 0.0345 / 0.414)
    assert repaired.timings.repair_s > 0
    assert_dispatchable(p, repaired)
    assert_safe(p, repaired)


def test_grid_limit_and_steps_leave_the_lower_priority_out() -> None:
    # 10 kW for an hour: the LP gives the van (priority 3) 10 kW. On 0.69 kW steps it gets 9.66 kW;
    # the car's 4.14 kW minimum does not fit in the 0.34 kW left. The van's 0.34 kWh is below one
    # step (the charger's granularity), the car's 10 kWh is the grid's.
    # LP 10 x 0.20 + 2.0 x 10 = 22.00; repaired 9.66 x 0.20 + 2.0 x 3 x 0.34 + 2.0 x 10 = 23.972.
    p = problem(
        slot_duration_h=(1.0,),
        grid_import_limit_kw=10.0,
        vehicles=[
            vehicle("car", available_h=(1.0,), max_power_kw=MAX_KW, min_power_kw=MIN_KW, power_step_kw=STEP_KW),
            vehicle(
                "van", available_h=(1.0,), max_power_kw=MAX_KW, priority=3.0, min_power_kw=MIN_KW, power_step_kw=STEP_KW
            ),
        ],
    )
    repaired = solve(p, dispatchable=True)
    car, van = repaired.plans
    assert car.power_kw == (0.0,)
    assert van.power_kw == pytest.approx((9.66,))
    assert (car.unmet_reason, van.unmet_reason) == (UnmetReason.NOT_ENOUGH_GRID, UnmetReason.VEHICLE_LIMIT)
    assert repaired.lp_objective_eur == pytest.approx(22.0)
    assert repaired.objective_eur == pytest.approx(23.972)
    assert_dispatchable(p, repaired)


def test_continuous_chargers_keep_the_lp_plan() -> None:
    p = problem(
        slot_duration_h=(0.5, 1.0, 1.0),
        import_price_eur_per_kwh=(0.3, 0.1, 0.2),
        grid_import_limit_kw=15.0,
        vehicles=[
            vehicle("a", available_h=(0.5, 1.0, 1.0), energy_needed_kwh=17.0),
            vehicle("b", available_h=(0.5, 1.0, 0.0), energy_needed_kwh=6.0),
        ],
    )
    lp = solve(p)
    repaired = dispatchable(lp, p)
    assert [plan.power_kw for plan in repaired.plans] == [plan.power_kw for plan in lp.plans]
    assert repaired.gap_percent == pytest.approx(0.0, abs=1e-9)


def test_fallback_plans_can_be_repaired_too() -> None:
    p = problem(
        slot_duration_h=(0.25,) * 4,
        grid_import_limit_kw=12.0,
        vehicles=[
            vehicle(name, available_h=(0.25,) * 4, max_power_kw=MAX_KW, min_power_kw=MIN_KW, power_step_kw=STEP_KW)
            for name in ("a", "b", "c")
        ],
    )
    repaired = dispatchable(fallback_schedule(p, reason="solver down"), p)
    assert repaired.status is SolveStatus.FALLBACK
    assert repaired.lp_objective_eur is None
    assert repaired.gap_percent is None
    assert repaired.ev_power_kw[0] > 0
    assert_dispatchable(p, repaired)
    assert_safe(p, repaired)


def test_a_schedule_for_another_problem_is_refused() -> None:
    p = problem(slot_duration_h=(1.0,), vehicles=[vehicle("a", available_h=(1.0,))])
    other = problem(slot_duration_h=(1.0,), vehicles=[vehicle("b", available_h=(1.0,))])
    with pytest.raises(ValueError, match="schedule"):
        dispatchable(solve(other), p)


def test_a_battery_tapering_below_the_minimum_is_offered_the_minimum_and_charges_to_full() -> None:
    # 68 kWh van at 97 %: its taper (11 kW to 80 %, 1.1 kW at 100 %) accepts 2.6 kW now, less than
    # 6 A (4.14 kW). The charger is offered 6 A and the van takes what it accepts, so the plan must
    # not round it to 0: the last 2 kWh arrive within the hour.
    taper = ((0.0, 11.0), (0.8, 11.0), (1.0, 1.1))
    van = vehicle(
        "van",
        available_h=[0.25] * 4,
        max_power_kw=11.0,
        energy_needed_kwh=1.5,
        min_power_kw=MIN_KW,
        power_step_kw=STEP_KW,
        battery_kwh=68.0,
        initial_soc=0.97,
        taper=taper,
    )
    p = problem(slot_duration_h=(0.25,) * 4, vehicles=[van], grid_import_limit_kw=100.0)
    repaired = solve(p, dispatchable=True)
    assert_safe(p, repaired)
    assert_dispatchable(p, repaired)
    plan = repaired.plans[0]
    # at 97 % the taper allows 11 - 0.17 / 0.2 * 9.9 = 2.585 kW, falling 49.5 kW per unit of SoC: the
    # plan counts what it still accepts at the quarter hour's end, 2.585 / (1 + 49.5 * 0.25 / 68) kW
    assert plan.power_kw[0] == pytest.approx(2.585 / (1 + 49.5 * 0.25 / 68), abs=1e-6)
    assert all(0 < p_kw < MIN_KW for p_kw in plan.power_kw[:3])
    assert plan.planned_energy_kwh == pytest.approx(1.5, abs=1e-6)
    assert plan.unmet_energy_kwh == 0.0


def test_a_held_draw_reserves_the_minimum_under_the_grid_limit() -> None:
    # two vans held below the minimum, but only one charger's minimum fits under the grid limit:
    # the limits the chargers are given (4.14 kW each) must fit, not the draws (2.6 kW each)
    taper = ((0.0, 11.0), (0.8, 11.0), (1.0, 1.1))
    vans = [
        vehicle(
            f"van{i}",
            available_h=[0.25],
            max_power_kw=11.0,
            energy_needed_kwh=1.0,
            min_power_kw=MIN_KW,
            power_step_kw=STEP_KW,
            battery_kwh=68.0,
            initial_soc=0.97,
            taper=taper,
        )
        for i in range(2)
    ]
    p = problem(slot_duration_h=(0.25,), vehicles=vans, grid_import_limit_kw=6.0)
    repaired = solve(p, dispatchable=True)
    assert_safe(p, repaired)
    assert_dispatchable(p, repaired)
    assert sorted(plan.power_kw[0] > 0 for plan in repaired.plans) == [False, True]


def test_a_last_few_tenths_of_a_kwh_are_held_at_the_minimum_for_part_of_the_slot() -> None:
    # 0.3 kWh missing and one quarter hour left; 6 A (4.14 kW) for the whole slot would put
    # 4.14 x 0.25 x 0.92 = 0.952 kWh in: more than the need, so rounding to the charger's
    # setpoints used to leave the car 0.3 kWh short. The plan counts 0.3 / (0.25 x 0.92) = 1.3043 kW
    # on average: 6 A for 1.3043 x 0.25 / 4.14 = 0.07876 h (4.7 minutes), the charger's 4.14 kW
    # counted against the grid limit.
    car = vehicle(
        "car",
        available_h=(0.25,),
        max_power_kw=MAX_KW,
        energy_needed_kwh=0.3,
        efficiency=0.92,
        min_power_kw=MIN_KW,
        power_step_kw=0.069,
        battery_kwh=52.0,
        initial_soc=0.5,
    )
    p = problem(slot_duration_h=(0.25,), vehicles=[car], grid_import_limit_kw=4.2)
    repaired = solve(p, dispatchable=True)
    plan = repaired.plans[0]
    assert plan.power_kw[0] == pytest.approx(0.3 / 0.23, abs=1e-6)
    assert plan.part_slot_h[0] == pytest.approx(0.3 / 0.23 * 0.25 / 4.14, abs=1e-6)
    assert plan.part_slot_h[0] == pytest.approx(0.07876, abs=1e-5)
    assert plan.unmet_energy_kwh == 0.0
    assert_dispatchable(p, repaired)
    assert_safe(p, repaired)
    # with less than the charger's minimum free under the grid limit, nothing can be given
    tight = problem(slot_duration_h=(0.25,), vehicles=[car], grid_import_limit_kw=4.0)
    assert solve(tight, dispatchable=True).plans[0].power_kw == (0.0,)


def test_a_held_draw_counts_at_its_worse_end_in_each_phasor_row() -> None:
    # "held" can take 3.7 kW, below the 4.14 kW minimum: it is offered 4.14 kW and draws 3.7 kW. A
    # row on the difference of the two connectors (|held - other| <= 1 kW) must hold for the draw as
    # for the limit: 4.83 kW for "other" passes with the limit (0.69) but not with the draw (1.13),
    # so "other" gets 4.14 kW (0.44 and 0.0), not 4.83 kW cut to an off-step 4.7 kW afterwards.
    held = vehicle(
        "held", available_h=(0.25,), max_power_kw=3.7, energy_needed_kwh=1.0, min_power_kw=MIN_KW, power_step_kw=STEP_KW
    )
    other = vehicle(
        "other",
        available_h=(0.25,),
        max_power_kw=MAX_KW,
        energy_needed_kwh=1.0,
        efficiency=0.8125,
        min_power_kw=MIN_KW,
        power_step_kw=STEP_KW,
    )
    row = PhasorLimit("difference", (("CP-held/1", 1 + 0j), ("CP-other/1", -1 + 0j)), limit=1.0, facets=4)
    p = problem(
        slot_duration_h=(0.25,),
        vehicles=(held, other),
        grid_import_limit_kw=9.0,
        unmet_energy_penalty_eur_per_kwh=1.0,
        phasor_limits=(row,),
    )
    repaired = solve(p, dispatchable=True)
    assert [plan.power_kw[0] for plan in repaired.plans] == pytest.approx([3.7, 4.14])
    assert_safe(p, repaired)
    assert_dispatchable(p, repaired)


@pytest.mark.parametrize(
    ("charge_eur_per_kw", "expected_peak_kw", "expected_unmet_kwh"),
    [
        # 5 kW is off the 0.69 kW steps: 4.83 kW in every slot leaves 0.17 kWh unmet (0.34 EUR),
        # cheaper than one slot at 5.52 kW raising the month's peak by 0.52 kW (0.52 EUR).
        (1.0, 4.83, 0.17),
        # Without a capacity charge a slot may go up to catch up (and the next down: the need caps it).
        (0.0, 5.52, 0.17),
    ],
)
def test_the_repair_keeps_to_the_plans_peak_under_a_capacity_charge(
    charge_eur_per_kw: float, expected_peak_kw: float, expected_unmet_kwh: float
) -> None:
    # A plan holding the car flat at 5 kW: the least peak for 5 kWh in an hour. Rounding down in
    # each slot and catching up in the next puts one slot at 5.52 kW, above the plan's peak; a
    # re-plan riding at that new peak would repeat it slot after slot.
    car = vehicle(
        "car",
        available_h=(0.25,) * 4,
        max_power_kw=MAX_KW,
        energy_needed_kwh=5.0,
        min_power_kw=MIN_KW,
        power_step_kw=STEP_KW,
    )
    p = problem(slot_duration_h=(0.25,) * 4, capacity_charge_eur_per_kw=charge_eur_per_kw, vehicles=[car])

    (setpoints_kw,) = repair_setpoints(p, [[5.0] * 4])

    assert max(setpoints_kw) == pytest.approx(expected_peak_kw)
    assert 5.0 - sum(setpoints_kw) * 0.25 == pytest.approx(expected_unmet_kwh, abs=1e-9)
    assert all(x == 0 or x >= MIN_KW - 1e-9 for x in setpoints_kw)


def test_a_last_slot_under_the_peak_holds_the_minimum_for_part_of_it() -> None:
    # Two cars on a site whose month's peak is 8 kW; the van leaves after slot 1 needing 1 kWh
    # more than the minimum can give in whole slots. The LP holds it at 2 kW (below the 4.14 kW
    # minimum) in both slots; the repair holds the minimum for part of its last slot instead of
    # raising the peak or leaving the van short.
    van = vehicle(
        "van",
        available_h=(0.25, 0.25, 0.0, 0.0),
        max_power_kw=MAX_KW,
        energy_needed_kwh=1.0,
        priority=2.0,
        min_power_kw=MIN_KW,
        power_step_kw=STEP_KW,
    )
    car = vehicle("car", available_h=(0.25,) * 4, max_power_kw=MAX_KW, energy_needed_kwh=6.0, min_power_kw=MIN_KW)
    p = problem(
        slot_duration_h=(0.25,) * 4,
        capacity_charge_eur_per_kw=4.5,
        peak_import_so_far_kw=8.0,
        vehicles=[van, car],
    )

    repaired = solve(p, dispatchable=True)

    assert repaired.plans[0].unmet_energy_kwh == pytest.approx(0.0, abs=1e-9)
    assert repaired.plans[1].unmet_energy_kwh == pytest.approx(0.0, abs=1e-9)
    assert max(repaired.grid_import_kw) <= 8.0 + 1e-9
    assert_dispatchable(p, repaired)
    assert_safe(p, repaired)
