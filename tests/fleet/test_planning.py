"""State -> ChargingProblem: hand-checkable needs, availability and the idle-connector reserve."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from fleet.persistence.records import BookingRecord
from fleet.planning import (
    ExpectedArrivals,
    ImportSoFar,
    PluggedVehicle,
    build_problem,
    expected_requests,
    idle_connector_reserve_kw,
    plugged_vehicles,
    quarter_hour_peak_terms,
)
from fleet.site_config import load_site
from fleet.site_forecast import SiteForecast, fallback_forecast, forecast_site
from optimizer import solve
from optimizer.taper import taper_limit_kw, taper_lines, vehicle_limit_kw
from tests.fleet.builders import T0, booking, transaction, vehicle

SITE = load_site()


def test_booking_energy_counts_what_was_charged_since_plug_in() -> None:
    tx = transaction(energy_kwh=12.0)
    b = booking("VAN-01", T0 + timedelta(hours=8), 50.0, created_at=T0 + timedelta(seconds=30))
    [p] = plugged_vehicles(T0 + timedelta(hours=1), SITE, [tx], {"VAN-01": vehicle()}, {"VAN-01": b})
    # The booking is battery energy; of the 12 kWh metered, 92 % reached the battery.
    assert p.energy_needed_kwh == pytest.approx(50.0 - 0.92 * 12.0)
    assert p.departure_utc == T0 + timedelta(hours=8)
    assert p.needs_source == "booking"
    assert p.max_power_kw == 11.0  # the van's AC on-board charger, below the 22 kW charge point


def test_booking_is_capped_by_the_room_left_in_the_battery() -> None:
    tx = transaction(soc_percent=90.0)
    b = booking("VAN-01", T0 + timedelta(hours=8), 50.0)
    [p] = plugged_vehicles(T0, SITE, [tx], {"VAN-01": vehicle(battery_kwh=80.0)}, {"VAN-01": b})
    assert p.energy_needed_kwh == pytest.approx(8.0)


def _target(target_soc: float) -> BookingRecord:
    return replace(booking("VAN-01", T0 + timedelta(hours=8), 0.0), energy_needed_kwh=None, target_soc=target_soc)


def test_a_target_soc_is_energy_from_the_last_reported_soc() -> None:
    tx = transaction(soc_percent=30.0, energy_kwh=12.0)
    [p] = plugged_vehicles(T0, SITE, [tx], {"VAN-01": vehicle(battery_kwh=80.0)}, {"VAN-01": _target(0.8)})
    # (0.8 - 0.3) * 80 kWh; the SoC already counts what this session charged.
    assert p.energy_needed_kwh == pytest.approx(40.0)
    assert p.needs_source == "booking"


def test_a_target_soc_below_the_reported_soc_needs_nothing() -> None:
    tx = transaction(soc_percent=95.0)
    [p] = plugged_vehicles(T0, SITE, [tx], {"VAN-01": vehicle(battery_kwh=80.0)}, {"VAN-01": _target(0.9)})
    assert p.energy_needed_kwh == 0.0


def test_a_target_soc_without_a_reported_soc_assumes_an_empty_arrival() -> None:
    tx = transaction(energy_kwh=10.0)
    [p] = plugged_vehicles(T0, SITE, [tx], {"VAN-01": vehicle(battery_kwh=80.0)}, {"VAN-01": _target(0.5)})
    # 0.5 * 80 kWh less the 92 % of the 10 kWh metered that reached the battery.
    assert p.energy_needed_kwh == pytest.approx(40.0 - 9.2)


def test_van_without_booking_leaves_at_six_next_morning_full() -> None:
    tx = transaction(soc_percent=40.0)
    [p] = plugged_vehicles(T0, SITE, [tx], {"VAN-01": vehicle(battery_kwh=79.0)}, {})
    assert p.needs_source == "default"
    assert p.departure_utc == T0.replace(day=3, hour=5)  # 06:00 in Milan is 05:00 UTC in March
    assert p.energy_needed_kwh == pytest.approx(0.6 * 79.0)
    assert p.priority == 3.0


def test_unknown_vehicle_gets_the_charger_maximum() -> None:
    [p] = plugged_vehicles(T0, SITE, [transaction(charge_point_id="MI-DC-02", vehicle_id=None)], {}, {})
    assert p.max_power_kw == 50.0
    assert p.plan_key == "tx-1"


def test_transaction_on_an_unconfigured_charger_is_left_out() -> None:
    assert plugged_vehicles(T0, SITE, [transaction(charge_point_id="ELSEWHERE")], {}, {}) == []


def test_idle_connectors_keep_their_failsafe_reserve() -> None:
    plugged = plugged_vehicles(T0, SITE, [transaction()], {"VAN-01": vehicle()}, {})
    assert idle_connector_reserve_kw(SITE, plugged) == pytest.approx(59 * 6.3)
    forecast = fallback_forecast(SITE, T0, 24)
    problem = build_problem(SITE, forecast, plugged)
    assert problem.grid_import_limit_kw[0] == pytest.approx(500 - 59 * 6.3 - SITE.planning.grid_margin_kw)


def test_availability_follows_departure_within_the_slot() -> None:
    now = T0 + timedelta(minutes=5)
    b = booking("VAN-01", now + timedelta(minutes=40), 5.0)
    plugged = plugged_vehicles(now, SITE, [transaction()], {"VAN-01": vehicle()}, {"VAN-01": b})
    problem = build_problem(SITE, fallback_forecast(SITE, now, 24), plugged)
    # slots: 10:05-10:15, 10:15-10:30, 10:30-10:45 (leaves 10:45), 10:45-...
    assert problem.vehicles[0].available_h[:4] == pytest.approx((10 / 60, 0.25, 0.25, 0.0))


def test_a_vehicle_leaving_within_the_current_slot_is_planned_until_it_leaves() -> None:
    # 10:05 now, the van leaves at 10:12: seven minutes, not the ten to the slot's end, so the plan
    # gives it all it needs before it goes
    now = T0 + timedelta(minutes=5)
    b = booking("VAN-01", now + timedelta(minutes=7), 1.0)
    plugged = plugged_vehicles(now, SITE, [transaction()], {"VAN-01": vehicle()}, {"VAN-01": b})
    problem = build_problem(SITE, fallback_forecast(SITE, now, 24), plugged)
    assert problem.vehicles[0].available_h[0] == pytest.approx(7 / 60)
    assert sum(problem.vehicles[0].available_h[1:]) == 0


def test_overdue_vehicle_is_planned_for_the_current_slot_only() -> None:
    b = booking("VAN-01", T0 - timedelta(minutes=1), 5.0, created_at=T0 - timedelta(hours=2))
    tx = transaction(started_at=T0 - timedelta(minutes=30))
    plugged = plugged_vehicles(T0, SITE, [tx], {"VAN-01": vehicle()}, {"VAN-01": b})
    problem = build_problem(SITE, fallback_forecast(SITE, T0, 24), plugged)
    assert problem.vehicles[0].available_h[0] == pytest.approx(0.25)
    assert sum(problem.vehicles[0].available_h[1:]) == 0


def test_forecast_problem_solves_for_a_full_site() -> None:
    vehicles = {f"CAR-{i:02d}": vehicle(f"CAR-{i:02d}", "car", 52.0) for i in range(1, 61)}
    txs = [transaction(i, c.id, f"CAR-{i:02d}", soc_percent=30.0) for i, c in enumerate(SITE.charge_points, start=1)]
    plugged = plugged_vehicles(T0, SITE, txs, vehicles, {})
    problem = build_problem(SITE, forecast_site(SITE, T0, 24), plugged)
    schedule = solve(problem)
    assert schedule.status.value == "optimal"
    for t, ev_kw in enumerate(schedule.ev_power_kw):
        assert ev_kw + problem.base_load_kw[t] - problem.pv_firm_kw[t] <= 500 + 1e-6


def test_the_taper_scales_with_the_vehicle_not_the_charger() -> None:
    # A Ford E-Transit (115 kW DC, 68 kWh) at 90 % on a 50 kW DC charger: its battery tapers from
    # 115 kW at 80 % to 11.5 kW at 100 %, so at 90 % it accepts 115 - 0.1 / 0.2 * 103.5 = 63.25 kW,
    # more than the charger gives: the plan may use the charger's 50 kW, not the 27.5 kW a curve
    # drawn from the charger's rating would allow (50 - 0.1 / 0.2 * 45).
    van = replace(vehicle("VAN-02", battery_kwh=68.0), max_dc_kw=115.0)
    tx = transaction(charge_point_id="MI-DC-01", vehicle_id="VAN-02", soc_percent=90.0)
    b = booking("VAN-02", T0 + timedelta(hours=2), 5.0)
    plugged = plugged_vehicles(T0, SITE, [tx], {"VAN-02": van}, {"VAN-02": b})
    assert plugged[0].max_power_kw == 50.0
    assert plugged[0].vehicle_max_power_kw == 115.0
    request = build_problem(SITE, fallback_forecast(SITE, T0, 24), plugged).vehicles[0]
    assert request.taper == ((0.0, 115.0), (0.8, 115.0), (1.0, 11.5))
    assert taper_limit_kw(taper_lines(request.taper), 0.9) == pytest.approx(63.25)
    assert vehicle_limit_kw(request, taper_lines(request.taper), 0.0) == 50.0


def test_the_capacity_charge_keeps_a_margin_for_clouds_and_base_load() -> None:
    # The month's peak is measured: a slot planned on the expected PV and base load would set a new
    # peak under a cloud or with more load than forecast, so the peak counts the PV's P10 (the
    # margin is the expected PV above it) and the base load's share above its forecast.
    now = T0.replace(hour=6, minute=0)
    forecast = forecast_site(SITE, now, 24)
    share = SITE.planning.base_load_peak_margin_pct / 100.0
    assert share > 0.0
    problem = build_problem(SITE, forecast, [])
    clouds = [pv - p10 for pv, p10 in zip(forecast.pv_kw, forecast.pv_p10_kw, strict=True)]
    expected = [c + share * base for c, base in zip(clouds, forecast.base_load_kw, strict=True)]
    assert problem.peak_margin_kw == pytest.approx(expected)
    assert max(clouds) > 10.0  # around midday
    night = clouds.index(min(clouds))
    assert problem.peak_margin_kw[night] == pytest.approx(share * forecast.base_load_kw[night])


def test_a_site_can_trust_its_base_load_forecast() -> None:
    site = SITE.with_planning(base_load_peak_margin_pct=0.0)
    forecast = forecast_site(site, T0.replace(hour=6, minute=0), 24)
    problem = build_problem(site, forecast, [])
    clouds = tuple(pv - p10 for pv, p10 in zip(forecast.pv_kw, forecast.pv_p10_kw, strict=True))
    assert problem.peak_margin_kw == pytest.approx(clouds)


@pytest.mark.parametrize("weight_kwh", [0.0, 0.05])
def test_the_site_s_completion_weight_reaches_the_problem(weight_kwh: float) -> None:
    site = SITE.with_planning(completion_weight_kwh=weight_kwh)
    problem = build_problem(site, fallback_forecast(site, T0, 24), [])
    assert problem.completion_weight_kwh == weight_kwh
    assert SITE.planning.completion_weight_kwh == 0.01  # the default


def test_an_expected_stay_past_the_horizon_asks_for_its_share_of_the_energy() -> None:
    forecast = fallback_forecast(SITE, T0, 24)  # 24 h from T0
    inside = ExpectedArrivals("van", T0 + timedelta(hours=4), vehicles=2.0, energy_per_vehicle_kwh=60.0, stay_h=10.0)
    # arrives 4 h before the horizon ends and stays 10 h: 4 h of 10 are planned, 40 % of the energy
    across = replace(inside, arrive_utc=T0 + timedelta(hours=20))
    requests = expected_requests(SITE, forecast, [inside, across])
    assert [r.energy_needed_kwh for r in requests] == pytest.approx([120.0, 48.0])
    assert sum(requests[1].available_h) == pytest.approx(4.0)
    assert all(r.expected for r in requests)


def _plugged_on_connectors(count: int, departure_h: float) -> list[PluggedVehicle]:
    """``count`` vehicles on the site's first connectors, all leaving ``departure_h`` after T0."""
    keys = [(c.id, n) for c in SITE.charge_points for n in range(1, c.connectors + 1)][:count]
    return [
        PluggedVehicle(
            transaction_id=i,
            charge_point_id=cp_id,
            connector_id=n,
            vehicle_id=f"V{i}",
            max_power_kw=22.0,
            departure_utc=T0 + timedelta(hours=departure_h),
            energy_needed_kwh=10.0,
            priority=1.0,
            needs_source="booking",
        )
        for i, (cp_id, n) in enumerate(keys)
    ]


def test_expected_vehicles_charge_only_on_the_connectors_the_plugged_ones_leave_free() -> None:
    connectors = sum(c.connectors for c in SITE.charge_points)
    assert connectors == 60
    forecast = fallback_forecast(SITE, T0, 24)
    plugged = _plugged_on_connectors(54, departure_h=6.0)  # 6 connectors free until T0 + 6 h
    vans = ExpectedArrivals("van", T0 + timedelta(hours=1), vehicles=12.0, energy_per_vehicle_kwh=50.0, stay_h=10.0)
    (request,) = expected_requests(SITE, forecast, [vans], plugged)
    slot_h = forecast.slot_duration_h[1]
    by_slot = dict(zip(forecast.slot_starts, request.available_h, strict=True))
    assert by_slot[T0] == 0.0  # not here yet
    # 12 vans share the 6 free connectors: each slot counts for half of the group's hours.
    assert by_slot[T0 + timedelta(hours=2)] == pytest.approx(slot_h / 2)
    # From T0 + 6 h every connector is free.
    assert by_slot[T0 + timedelta(hours=7)] == pytest.approx(slot_h)
    # Planned, the group never draws more than the free connectors can give.
    problem = build_problem(SITE, forecast, plugged, [vans])
    schedule = solve(problem)
    planned = next(p for p in schedule.plans if p.vehicle_id == request.vehicle_id)
    for start, power_kw in zip(forecast.slot_starts, planned.power_kw, strict=True):
        if start < T0 + timedelta(hours=6):
            assert power_kw <= 6 * 22.0 + 1e-6


def test_expected_vehicles_that_would_find_every_connector_taken_are_not_planned() -> None:
    forecast = fallback_forecast(SITE, T0, 24)
    plugged = _plugged_on_connectors(60, departure_h=30.0)
    cars = ExpectedArrivals("car", T0 + timedelta(hours=2), vehicles=3.0, energy_per_vehicle_kwh=20.0, stay_h=4.0)
    assert expected_requests(SITE, forecast, [cars], plugged) == []
    assert len(expected_requests(SITE, forecast, [cars], plugged[:59])) == 1
    # Vehicles past their departure still hold their connectors now, not after the current slot.
    overdue = _plugged_on_connectors(60, departure_h=-1.0)
    (request,) = expected_requests(SITE, forecast, [replace(cars, arrive_utc=T0)], overdue)
    assert request.available_h[0] == 0.0
    assert request.available_h[1] == pytest.approx(forecast.slot_duration_h[1])


def _quarter_hour_forecast(minutes_in: int) -> SiteForecast:
    forecast = fallback_forecast(SITE, T0 + timedelta(minutes=minutes_in), 24)
    assert forecast.slot_duration_h[0] == pytest.approx((15 - minutes_in) / 60)
    return forecast


def test_the_minutes_already_gone_in_the_quarter_hour_count_against_the_peak() -> None:
    forecast = _quarter_hour_forecast(10)
    idle_kw = forecast.base_load_kw[0] - forecast.pv_kw[0]
    margins = (5.0,) * len(forecast.slot_starts)
    # 10 minutes at 180 kW against a peak of 165 + 5 minutes to go: the first slot may import
    # 165 - 5 - 2 * (180 - 165) = 130 kW, and (10 * 180 + 5 * (130 + 5)) / 15 = 165.
    assert idle_kw + 5.0 < 130.0
    peak_kw, shifted = quarter_hour_peak_terms(forecast, margins, 165.0, ImportSoFar(10 / 60, 180.0))
    assert peak_kw == 165.0
    assert shifted[0] == pytest.approx(35.0)
    assert shifted[1:] == margins[1:]
    # Below the peak, the rest of the quarter hour may make up for it: 165 - (-25) = 190 kW.
    _, shifted = quarter_hour_peak_terms(forecast, margins, 165.0, ImportSoFar(10 / 60, 150.0))
    assert shifted[0] == pytest.approx(-25.0)
    # At a quarter-hour boundary, or with slots that do not end with it, nothing changes.
    assert quarter_hour_peak_terms(forecast, margins, 165.0, None) == (165.0, margins)
    assert quarter_hour_peak_terms(forecast, margins, 165.0, ImportSoFar(5 / 60, 180.0)) == (165.0, margins)


def test_with_five_minute_slots_every_slot_to_the_quarter_hours_end_shares_the_minutes_gone() -> None:
    site = SITE.with_planning(slot_min=5)
    forecast = fallback_forecast(site, T0 + timedelta(minutes=4), 24)
    assert forecast.slot_duration_h[:3] == pytest.approx((1 / 60, 5 / 60, 5 / 60))
    margins = (5.0,) * len(forecast.slot_starts)
    # 4 minutes at 187 kW against a peak of 165, 11 minutes to go in three slots: each may import
    # 165 - 5 - 4 / 11 * (187 - 165) = 152 kW, and (4 * 187 + 11 * (152 + 5)) / 15 = 165.
    peak_kw, shifted = quarter_hour_peak_terms(forecast, margins, 165.0, ImportSoFar(4 / 60, 187.0))
    assert peak_kw == 165.0
    assert shifted[:3] == pytest.approx((13.0, 13.0, 13.0))
    assert shifted[3:] == margins[3:]


def test_a_quarter_hour_already_above_the_peak_raises_the_peak_so_far_to_what_it_reaches_anyway() -> None:
    forecast = _quarter_hour_forecast(14)  # one minute left
    idle_kw = forecast.base_load_kw[0] - forecast.pv_kw[0]
    margins = (5.0,) * len(forecast.slot_starts)
    peak_kw, shifted = quarter_hour_peak_terms(forecast, margins, 165.0, ImportSoFar(14 / 60, 300.0))
    # 14 minutes at 300 kW and one minute without charging: the quarter hour's mean.
    assert peak_kw == pytest.approx((14 * 300.0 + (idle_kw + 5.0)) / 15)
    # At that peak the last minute may import no more than without charging; no blow-up.
    assert peak_kw - shifted[0] == pytest.approx(idle_kw)


def test_a_plan_made_during_a_quarter_hour_keeps_that_quarter_hours_mean_within_its_peak() -> None:
    forecast = _quarter_hour_forecast(10)
    now = forecast.slot_starts[0]
    plugged = [replace(p, departure_utc=now + timedelta(minutes=50)) for p in _plugged_on_connectors(20, 1.0)]
    so_far = ImportSoFar(10 / 60, 200.0)
    margin0 = build_problem(SITE, forecast, plugged, peak_import_so_far_kw=150.0).peak_margin_kw[0]

    def quarter_hour_over_peak_kw(import_so_far: ImportSoFar | None) -> float:
        problem = build_problem(SITE, forecast, plugged, peak_import_so_far_kw=150.0, import_so_far=import_so_far)
        schedule = solve(problem)
        planned_peak_kw = max(
            problem.peak_import_so_far_kw,
            *(g + m for g, m in zip(schedule.grid_import_kw, problem.peak_margin_kw, strict=True)),
        )
        first_kw = schedule.grid_import_kw[0] + margin0
        quarter_kw = (so_far.elapsed_h * so_far.mean_import_kw + forecast.slot_duration_h[0] * first_kw) / 0.25
        return quarter_kw - planned_peak_kw

    assert quarter_hour_over_peak_kw(so_far) <= 1e-6
    # Planned as if the quarter hour had just begun, the plan's own peak is exceeded.
    assert quarter_hour_over_peak_kw(None) > 5.0
