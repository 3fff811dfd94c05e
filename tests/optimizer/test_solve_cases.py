"""Hand-checkable charging problems: every expected number below is worked out in the comments."""

from __future__ import annotations

import pytest

from optimizer import SolveStatus, solve
from optimizer.model import build_charge_index, build_model
from tests.optimizer.factories import problem, vehicle
from tests.optimizer.invariants import assert_safe


def test_charges_in_the_cheaper_slot() -> None:
    # 9.2 kWh into the battery at 92 % is 10 kWh from the grid; the 0.10 slot takes it all at 10 kW.
    p = problem(
        slot_duration_h=(1.0, 1.0),
        import_price_eur_per_kwh=(0.30, 0.10),
        vehicles=[vehicle("car", available_h=(1.0, 1.0), energy_needed_kwh=9.2, efficiency=0.92)],
    )
    schedule = solve(p)
    assert schedule.status is SolveStatus.OPTIMAL
    assert schedule.termination == "HiGHS: Optimal"
    plan = schedule.plans[0]
    assert plan.power_kw == pytest.approx((0.0, 10.0))
    assert plan.planned_energy_kwh == pytest.approx(9.2)
    assert plan.unmet_energy_kwh == 0.0
    assert schedule.objective_eur == pytest.approx(10 * 0.10)
    assert_safe(p, schedule)


def test_binding_grid_limit_leaves_unmet_energy_not_infeasibility() -> None:
    # Headroom 20 - 12 = 8 kW per slot: 2 h x 8 kW x 0.92 = 14.72 kWh of the 18.4 wanted, 3.68 unmet.
    # Cost: import 20 kW x 2 h x 0.20 = 8.00, penalty 2.0 x 3.68 = 7.36.
    p = problem(
        slot_duration_h=(1.0, 1.0),
        grid_import_limit_kw=20.0,
        base_load_kw=12.0,
        vehicles=[vehicle("van", available_h=(1.0, 1.0), energy_needed_kwh=18.4, efficiency=0.92)],
    )
    schedule = solve(p)
    assert schedule.status is SolveStatus.OPTIMAL
    assert schedule.plans[0].power_kw == pytest.approx((8.0, 8.0))
    assert schedule.plans[0].unmet_energy_kwh == pytest.approx(3.68)
    assert schedule.unmet_energy_kwh == pytest.approx(3.68)
    assert schedule.grid_import_kw == pytest.approx((20.0, 20.0))
    assert schedule.objective_eur == pytest.approx(8.00 + 7.36)
    assert_safe(p, schedule)


@pytest.mark.parametrize(("car_priority", "van_priority"), [(1.0, 3.0), (3.0, 1.0)])
def test_scarce_capacity_goes_to_the_higher_priority(car_priority: float, van_priority: float) -> None:
    # 10 kW for one hour, both want 10 kWh: the winner is unmet 0, the other unmet 10 kWh.
    p = problem(
        slot_duration_h=(1.0,),
        grid_import_limit_kw=10.0,
        vehicles=[
            vehicle("car", available_h=(1.0,), max_power_kw=10.0, priority=car_priority),
            vehicle("van", available_h=(1.0,), max_power_kw=10.0, priority=van_priority),
        ],
    )
    schedule = solve(p)
    winner, loser = ("van", "car") if van_priority > car_priority else ("car", "van")
    winner_plan, loser_plan = schedule.plan_for(winner), schedule.plan_for(loser)
    assert winner_plan is not None
    assert loser_plan is not None
    assert winner_plan.power_kw == pytest.approx((10.0,))
    assert loser_plan.unmet_energy_kwh == pytest.approx(10.0)
    # 10 kWh at 0.20 plus the loser's penalty 2.0 x priority 1 x 10 kWh
    assert schedule.objective_eur == pytest.approx(2.0 + 20.0)


@pytest.mark.parametrize(
    ("pv_firm_kw", "expected_power_kw", "expected_objective_eur"),
    [
        # no firm PV: headroom max(0, 10 - 10) = 0; export 20 - 10 = 10 kW x 0.05 = -0.50, penalty 2 x 20
        (0.0, 0.0, -0.50 + 40.0),
        # 6 kW firm: headroom 6; net import 6 + 10 - 20 = -4 kW -> -0.20; penalty 2 x (20 - 6)
        (6.0, 6.0, -0.20 + 28.0),
    ],
)
def test_firm_pv_raises_headroom(pv_firm_kw: float, expected_power_kw: float, expected_objective_eur: float) -> None:
    p = problem(
        slot_duration_h=(1.0,),
        grid_import_limit_kw=10.0,
        base_load_kw=10.0,
        pv_kw=20.0,
        pv_firm_kw=pv_firm_kw,
        export_price_eur_per_kwh=0.05,
        vehicles=[vehicle("car", available_h=(1.0,), energy_needed_kwh=20.0)],
    )
    schedule = solve(p)
    assert schedule.status is SolveStatus.OPTIMAL
    assert schedule.plans[0].power_kw == pytest.approx((expected_power_kw,))
    assert schedule.grid_import_kw == pytest.approx((expected_power_kw + 10.0 - 20.0,))
    assert schedule.objective_eur == pytest.approx(expected_objective_eur)


def test_short_first_slot_holds_only_its_share_of_energy() -> None:
    # The cheap first slot lasts 15 min: 8 kW there is 2 kWh; the other 3 kWh come at 3 kW.
    # Cost 2 x 0.10 + 3 x 0.30 = 1.10.
    p = problem(
        slot_duration_h=(0.25, 1.0),
        import_price_eur_per_kwh=(0.10, 0.30),
        vehicles=[vehicle("car", available_h=(0.25, 1.0), max_power_kw=8.0, energy_needed_kwh=5.0)],
    )
    schedule = solve(p)
    assert schedule.plans[0].power_kw == pytest.approx((8.0, 3.0))
    assert schedule.objective_eur == pytest.approx(1.10)
    assert_safe(p, schedule)


def test_vehicle_leaving_mid_slot() -> None:
    # Plugged in for the whole first hour and half the second. The cheap second slot holds
    # 10 kW x 0.5 h = 5 kWh; the other 3 kWh come at 3 kW in the first. Cost 3 x 0.30 + 5 x 0.10.
    # The limit sees 10 kW in the second slot; the bill sees its average, 5 kW.
    p = problem(
        slot_duration_h=(1.0, 1.0),
        import_price_eur_per_kwh=(0.30, 0.10),
        vehicles=[vehicle("car", available_h=(1.0, 0.5), max_power_kw=10.0, energy_needed_kwh=8.0)],
    )
    schedule = solve(p)
    assert schedule.plans[0].power_kw == pytest.approx((3.0, 10.0))
    assert schedule.ev_power_kw == pytest.approx((3.0, 10.0))
    assert schedule.grid_import_kw == pytest.approx((3.0, 5.0))
    assert schedule.objective_eur == pytest.approx(1.40)


def test_indifferent_plan_charges_as_early_as_possible() -> None:
    p = problem(
        slot_duration_h=(1.0, 1.0, 1.0),
        vehicles=[vehicle("car", available_h=(1.0, 1.0, 1.0), max_power_kw=10.0, energy_needed_kwh=10.0)],
    )
    schedule = solve(p)
    assert schedule.plans[0].power_kw == pytest.approx((10.0, 0.0, 0.0))
    assert schedule.objective_eur == pytest.approx(10 * 0.2)


def test_site_without_vehicles_pays_its_base_load() -> None:
    # 30 kW x 1 h x 0.20 = 6.00, then (30 - 10) kW x 0.5 h x 0.40 = 4.00.
    p = problem(
        slot_duration_h=(1.0, 0.5),
        base_load_kw=30.0,
        pv_kw=(0.0, 10.0),
        import_price_eur_per_kwh=(0.20, 0.40),
        export_price_eur_per_kwh=0.05,
    )
    schedule = solve(p)
    assert schedule.status is SolveStatus.OPTIMAL
    assert schedule.plans == ()
    assert schedule.ev_power_kw == (0.0, 0.0)
    assert schedule.grid_import_kw == pytest.approx((30.0, 20.0))
    assert schedule.objective_eur == pytest.approx(10.0)


def test_vehicle_never_plugged_in_is_reported_unmet() -> None:
    # penalty 2.0 x priority 2 x 5 kWh
    p = problem(
        slot_duration_h=(1.0, 1.0),
        vehicles=[vehicle("van", available_h=(0.0, 0.0), energy_needed_kwh=5.0, priority=2.0)],
    )
    schedule = solve(p)
    assert schedule.status is SolveStatus.OPTIMAL
    assert schedule.plans[0].power_kw == (0.0, 0.0)
    assert schedule.plans[0].unmet_energy_kwh == pytest.approx(5.0)
    assert schedule.objective_eur == pytest.approx(20.0)


def test_export_priced_above_import_is_not_traded_against_itself() -> None:
    # 10 kW of PV, the car takes 4 kW, 6 kW are sold at 0.50: the bill is -3.00.
    p = problem(
        slot_duration_h=(1.0,),
        pv_kw=10.0,
        import_price_eur_per_kwh=0.20,
        export_price_eur_per_kwh=0.50,
        vehicles=[vehicle("car", available_h=(1.0,), energy_needed_kwh=4.0)],
    )
    schedule = solve(p)
    assert schedule.plans[0].power_kw == pytest.approx((4.0,))
    assert schedule.grid_import_kw == pytest.approx((-6.0,))
    assert schedule.objective_eur == pytest.approx(-3.0)


def test_charging_variables_exist_only_where_charging_can_help() -> None:
    p = problem(
        slot_duration_h=(1.0, 1.0, 1.0),
        vehicles=[
            vehicle("present-twice", available_h=(1.0, 0.0, 0.5)),
            vehicle("needs-nothing", available_h=(1.0, 1.0, 1.0), energy_needed_kwh=0.0),
            vehicle("no-power", available_h=(1.0, 1.0, 1.0), max_power_kw=0.0),
        ],
    )
    index = build_charge_index(p)
    assert index.pairs == ((0, 0), (0, 2))
    assert index.vehicles_by_slot == ((0,), (), (0,))
    assert index.slots_by_vehicle == ((0, 2), (), ())
    model = build_model(p, index)
    assert len(model.charge_power_kw) == 2
    assert sorted(model.grid_limit.keys()) == [0, 2]
    assert len(model.site_power_balance) == 3
    assert len(model.vehicle_energy) == 3


@pytest.mark.parametrize(
    ("slot_duration_h", "expected_power_kw", "expected_objective_eur"),
    [
        # 15-minute slots, the first only 5 minutes long (now is 18:10): 12 kW for 5 minutes is 1 kWh
        # at 0.10, the other 3 kWh at 12 kW in the 0.20 slot. Cost 0.10 + 0.60.
        ((5 / 60, 0.25, 0.25, 0.25), (12.0, 0.0, 12.0, 0.0), 0.70),
        # 5-minute slots: 12 kW is 1 kWh per slot, so all four are needed whatever their price.
        # Cost 0.10 + 0.30 + 0.20 + 0.40.
        ((5 / 60,) * 4, (12.0, 12.0, 12.0, 12.0), 1.0),
    ],
)
def test_slots_of_any_length(
    slot_duration_h: tuple[float, ...], expected_power_kw: tuple[float, ...], expected_objective_eur: float
) -> None:
    p = problem(
        slot_duration_h=slot_duration_h,
        import_price_eur_per_kwh=(0.10, 0.30, 0.20, 0.40),
        vehicles=[vehicle("car", available_h=slot_duration_h, max_power_kw=12.0, energy_needed_kwh=4.0)],
    )
    schedule = solve(p)
    assert schedule.plans[0].power_kw == pytest.approx(expected_power_kw)
    assert schedule.objective_eur == pytest.approx(expected_objective_eur)
    assert_safe(p, schedule)
