"""Site limits: the grid limit slot by slot, phasor limits (exact or polygon), and the export limit."""

from __future__ import annotations

import cmath
import math

import pytest

from optimizer import PhasorLimit, SolveStatus, fallback_schedule, solve
from optimizer.limits import limit_rows
from tests.optimizer.factories import problem, vehicle
from tests.optimizer.invariants import assert_safe, true_magnitude


def test_temporary_lower_grid_limit_moves_charging() -> None:
    # Cheapest slots 1 and 2 (0.10), but slot 1 is limited to 4 kW: 4 kWh there, 11 kWh in slot 2,
    # the last 5 kWh in slot 3 (0.20) rather than slot 0 (0.30). Cost 0.4 + 1.1 + 1.0 = 2.5.
    p = problem(
        slot_duration_h=(1.0, 1.0, 1.0, 1.0),
        grid_import_limit_kw=(50.0, 4.0, 50.0, 50.0),
        import_price_eur_per_kwh=(0.30, 0.10, 0.10, 0.20),
        vehicles=[vehicle("car", available_h=(1.0, 1.0, 1.0, 1.0), energy_needed_kwh=20.0)],
    )
    schedule = solve(p)
    assert schedule.plans[0].power_kw == pytest.approx((0.0, 4.0, 11.0, 5.0))
    assert schedule.objective_eur == pytest.approx(2.5)
    assert_safe(p, schedule)
    assert_safe(p, fallback_schedule(p, reason="test"))


def test_group_limit_with_real_coefficients_is_exact() -> None:
    # A cabinet of 15 kW over two connectors: the van (priority 3) takes 10 kW, the car the other 5.
    # Energy 15 kWh x 0.20 = 3.00; the car's penalty 2.0 x 5 kWh = 10.00.
    cabinet = PhasorLimit("cabinet", (("CP-car/1", 1.0), ("CP-van/1", 1.0)), limit=15.0)
    p = problem(
        slot_duration_h=(1.0,),
        phasor_limits=[cabinet],
        vehicles=[
            vehicle("car", available_h=(1.0,)),
            vehicle("van", available_h=(1.0,), priority=3.0),
        ],
    )
    schedule = solve(p)
    assert [plan.power_kw for plan in schedule.plans] == [pytest.approx((5.0,)), pytest.approx((10.0,))]
    assert schedule.objective_eur == pytest.approx(13.0)
    assert [row.exact for row in limit_rows(cabinet)] == [True]
    assert_safe(p, schedule)


def test_opposite_real_coefficients_limit_the_difference_both_ways() -> None:
    # |p_a - p_b| <= 2 kW: b wants only 2 kWh, so a may draw 4 kW. Energy 6 x 0.20, penalty 2 x 6.
    unbalance = PhasorLimit("unbalance", (("CP-a/1", 1.0), ("CP-b/1", -1.0)), limit=2.0)
    p = problem(
        slot_duration_h=(1.0,),
        phasor_limits=[unbalance],
        vehicles=[
            vehicle("a", available_h=(1.0,), energy_needed_kwh=10.0),
            vehicle("b", available_h=(1.0,), energy_needed_kwh=2.0),
        ],
    )
    schedule = solve(p)
    assert [plan.power_kw for plan in schedule.plans] == [pytest.approx((4.0,)), pytest.approx((2.0,))]
    assert schedule.objective_eur == pytest.approx(1.2 + 12.0)
    assert [row.exact for row in limit_rows(unbalance)] == [True, True]
    assert_safe(p, schedule)


LINE_TO_LINE_V = 400.0
LIMIT_A = 32.0


def line_to_line_network(facets: int) -> tuple[PhasorLimit, ...]:
    """Three chargers between the lines AB, BC, CA of a balanced three-phase supply.

    A charger between lines x and y draws ``1000 / 400`` A per kW at the angle of ``V_xy`` (30, -90 and
    150 degrees); line A carries ``I_ab - I_ca``, line B ``I_bc - I_ab``, line C ``I_ca - I_bc``.
    """
    a_per_kw = 1000.0 / LINE_TO_LINE_V
    current = {
        pair: a_per_kw * cmath.exp(1j * math.radians(deg)) for pair, deg in (("AB", 30), ("BC", -90), ("CA", 150))
    }
    lines = {"A": ("AB", "CA"), "B": ("BC", "AB"), "C": ("CA", "BC")}
    return tuple(
        PhasorLimit(
            name=f"line {line}",
            coefficients=((f"CP-{into}/1", current[into]), (f"CP-{out}/1", -current[out])),
            limit=LIMIT_A,
            facets=facets,
        )
        for line, (into, out) in lines.items()
    )


@pytest.mark.parametrize("facets", [4, 6, 16, 32])
def test_polygon_gives_up_at_most_one_minus_cos_pi_over_facets(facets: int) -> None:
    # Balanced: each line carries sqrt(3) x one charger's current, so the exact optimum draws
    # 32 A x 400 V / sqrt(3) = 7.39 kW per charger. The inscribed polygon keeps every line within
    # 32 A and gives up no more than 1 - cos(pi / facets) of that.
    limits = line_to_line_network(facets)
    p = problem(
        slot_duration_h=(1.0,),
        phasor_limits=limits,
        vehicles=[
            vehicle(pair, available_h=(1.0,), max_power_kw=50.0, energy_needed_kwh=50.0) for pair in ("AB", "BC", "CA")
        ],
    )
    schedule = solve(p)
    assert schedule.status is SolveStatus.OPTIMAL
    assert_safe(p, schedule)
    exact_total_kw = 3 * LIMIT_A * LINE_TO_LINE_V / 1000.0 / math.sqrt(3)
    planned_total_kw = schedule.ev_power_kw[0]
    assert planned_total_kw <= exact_total_kw * (1 + 1e-9)
    assert planned_total_kw >= math.cos(math.pi / facets) * exact_total_kw * (1 - 1e-9)
    assert all(len(limit_rows(limit)) <= facets for limit in limits)
    for limit in limits:
        assert true_magnitude(p, schedule, limit.coefficients, 0) <= LIMIT_A * (1 + 1e-9)


def test_fallback_keeps_the_polygon_too() -> None:
    p = problem(
        slot_duration_h=(1.0, 1.0),
        phasor_limits=line_to_line_network(8),
        vehicles=[
            vehicle(pair, available_h=(1.0, 1.0), max_power_kw=50.0, energy_needed_kwh=30.0)
            for pair in ("AB", "BC", "CA")
        ],
    )
    schedule = fallback_schedule(p, reason="test")
    assert schedule.ev_power_kw[0] > 0
    assert_safe(p, schedule)


@pytest.mark.parametrize(
    ("export_limit_kw", "export_price", "expected_import_kw", "expected_objective_eur"),
    [
        # PV 50, base 10, car 5: 35 kW surplus. Unlimited: sold at 0.05 -> -1.75.
        (None, 0.05, -35.0, -1.75),
        # At most 10 kW out, the other 25 kW curtailed: -0.50.
        (10.0, 0.05, -10.0, -0.50),
        # No export at all: everything beyond the site's use is curtailed.
        (0.0, 0.05, 0.0, 0.0),
        # Export costs money: a site that can curtail (it has an export limit) sends nothing out...
        (100.0, -0.02, 0.0, 0.0),
        # ...while one that cannot pays for its surplus: 35 x 0.02.
        (None, -0.02, -35.0, 0.70),
    ],
)
def test_export_limit_and_price(
    export_limit_kw: float | None, export_price: float, expected_import_kw: float, expected_objective_eur: float
) -> None:
    p = problem(
        slot_duration_h=(1.0,),
        pv_kw=50.0,
        base_load_kw=10.0,
        import_price_eur_per_kwh=0.20,
        export_price_eur_per_kwh=export_price,
        export_limit_kw=export_limit_kw,
        vehicles=[vehicle("car", available_h=(1.0,), energy_needed_kwh=5.0)],
    )
    schedule = solve(p)
    assert schedule.plans[0].power_kw == pytest.approx((5.0,))
    assert schedule.grid_import_kw == pytest.approx((expected_import_kw,))
    assert schedule.objective_eur == pytest.approx(expected_objective_eur)
    assert schedule.lp_objective_eur == pytest.approx(expected_objective_eur, abs=1e-6)


def test_export_limit_makes_stored_pv_worth_more() -> None:
    # PV 30 kW in slot 0 only, no export allowed: the car takes 11 kW of free PV there, and its
    # other 1 kWh at 0.20 in slot 1. Cost 0.20.
    p = problem(
        slot_duration_h=(1.0, 1.0),
        pv_kw=(30.0, 0.0),
        import_price_eur_per_kwh=(0.30, 0.20),
        export_price_eur_per_kwh=0.10,
        export_limit_kw=0.0,
        vehicles=[vehicle("car", available_h=(1.0, 1.0), energy_needed_kwh=12.0)],
    )
    schedule = solve(p)
    assert schedule.plans[0].power_kw == pytest.approx((11.0, 1.0))
    assert schedule.objective_eur == pytest.approx(0.20)
