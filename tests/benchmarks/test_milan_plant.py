"""The Milan plant: its energy bookkeeping, its physics and queue, the forecasts it hands the MPC, the MPC's limit."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from benchmarks.milan.conditions import STEP_H, SiteConditions
from benchmarks.milan.controllers import MpcController, Uncontrolled, quarter_hour_peak_kw, quarter_hour_so_far
from benchmarks.milan.metrics import bill_eur
from benchmarks.milan.offline import offline_optimum
from benchmarks.milan.plant import Plant
from benchmarks.milan.run import run_plant
from benchmarks.milan.scenario import Scenario
from benchmarks.milan.stays import ready_at_max_power
from fleet.simulation import simulated_chargers
from fleet.site_config import SiteConfig
from fleet.site_forecast import SiteForecast, forecast_site
from ocpp_server.simulator.battery import CHARGING_EFFICIENCY, SimVehicleSpec
from ocpp_server.simulator.day_plan import Trip
from tests.benchmarks.milan_day import START_UTC, day_scenario


@pytest.fixture(scope="module")
def day(site: SiteConfig, conditions: SiteConditions) -> Scenario:
    return day_scenario(site, conditions)


def _car(vehicle_id: str, soc: float) -> SimVehicleSpec:
    return SimVehicleSpec(vehicle_id, f"RFID-{vehicle_id}", "car", 50.0, 11.0, 50.0, soc)


def test_batteries_gain_the_metered_energy_times_the_efficiency(day: Scenario) -> None:
    run = run_plant(day, Uncontrolled())

    assert run.metered_kwh > 1000.0
    assert run.stored_gain_kwh == pytest.approx(run.metered_kwh * CHARGING_EFFICIENCY, abs=1e-6)
    for stay in run.stays:
        gained_kwh = stay.stored_at_unplug_kwh - stay.stored_at_plug_in_kwh
        assert gained_kwh == pytest.approx(stay.metered_kwh * CHARGING_EFFICIENCY, abs=1e-9)


def test_no_battery_is_ever_charged_beyond_full(day: Scenario) -> None:
    plant = Plant(day)
    fullest_soc = 0.0
    while not plant.finished:
        plant.apply(Uncontrolled().limits_kw(plant, plant.begin_step()))
        fullest_soc = max(fullest_soc, *(b.soc for b in plant.batteries.values()))
        assert all(b.stored_kwh <= b.spec.battery_kwh + 1e-9 for b in plant.batteries.values())
    assert fullest_soc == pytest.approx(1.0)  # some battery did fill up: the check above had work to do


def test_an_uncontrolled_van_draws_its_rated_power_while_below_the_taper(
    site: SiteConfig, conditions: SiteConditions
) -> None:
    van = SimVehicleSpec("VAN-01", "RFID-VAN-01", "van", 79.0, 22.0, 50.0, 0.5)
    plant = Plant(Scenario(site, 3, START_UTC, 1, (van,), (), conditions))

    plant.apply(Uncontrolled().limits_kw(plant, plant.begin_step()))

    # a van prefers AC: the first AC charger, 22 kW for 5 minutes is 22 / 12 kWh through the meter
    assert [s.charge_point_id for s in plant.sessions()] == ["MI-AC-01"]
    assert plant.metered_kwh == pytest.approx(22.0 / 12.0)
    assert plant.batteries["VAN-01"].stored_kwh == pytest.approx(39.5 + 22.0 / 12.0 * 0.92)
    assert plant.import_kw[0] == pytest.approx(22.0 + conditions.base_load_kw[0] - conditions.pv_kw[0])


def test_vehicles_wait_for_a_charger_first_come_first_served(site: SiteConfig, conditions: SiteConditions) -> None:
    one_charger = site.model_copy(update={"charge_points": site.charge_points[:1]})
    cars = (_car("CAR-A", 0.2), _car("CAR-B", 0.3), _car("CAR-C", 0.4))
    leaves = Trip("CAR-A", START_UTC + timedelta(minutes=30), START_UTC + timedelta(hours=3), 5.0)
    plant = Plant(Scenario(one_charger, 3, START_UTC, 1, cars, (leaves,), conditions))

    for _ in range(6):
        plant.apply(Uncontrolled().limits_kw(plant, plant.begin_step()))
    assert [s.vehicle_id for s in plant.sessions()] == ["CAR-A"]
    assert plant.waiting_count[5] == 2

    plugged_in = plant.begin_step()  # 00:30: CAR-A leaves, the first in line takes its charger

    assert plugged_in
    assert [s.vehicle_id for s in plant.sessions()] == ["CAR-B"]
    assert [(d.vehicle_id, d.step) for d in plant.departures] == [("CAR-A", 6)]


def test_full_power_readiness_counts_the_steps_it_takes(site: SiteConfig) -> None:
    dc = next(c for c in simulated_chargers(site) if c.kind == "DC")
    car = _car("CAR-A", 0.2)
    # 50 kW for 5 minutes puts 50 / 12 * 0.92 = 3.83 kWh into the battery: 10 -> 21.5 kWh in three steps
    assert not ready_at_max_power(car, dc, 10.0, 2, 20.0, 300.0)
    assert ready_at_max_power(car, dc, 10.0, 3, 20.0, 300.0)


def test_clouds_take_from_clear_sky_not_from_the_forecast(conditions: SiteConditions) -> None:
    # The forecast's PV already carries the climatological clouds; the actual PV is clear sky times
    # the day's cloud factor, so it can be anything from 2 % of clear sky up to clear sky itself.
    clear_kw = conditions.forecast.clear_sky_pv_kw
    day = clear_kw > 1.0
    ratio = conditions.pv_kw[day] / clear_kw[day]
    assert ratio.max() <= 1.0 + 1e-12
    assert ratio.min() >= 0.02 - 1e-12
    assert clear_kw.max() > conditions.forecast.pv_kw.max()  # the forecast's mean is below clear sky


def test_perfect_forecasts_are_the_actuals_on_the_planners_slots(conditions: SiteConditions) -> None:
    now = START_UTC + timedelta(hours=13, minutes=35)  # a 10-minute first slot, then quarter hours
    forecast = conditions.with_perfect_forecasts().site_forecast(now, 2.0)
    first = conditions.step_of(now)
    assert forecast.pv_kw[0] == pytest.approx(conditions.pv_kw[first : first + 2].mean())
    assert forecast.pv_p10_kw[1] == pytest.approx(conditions.pv_kw[first + 2 : first + 5].mean())
    assert forecast.base_load_kw[1] == pytest.approx(conditions.base_load_kw[first + 2 : first + 5].mean())
    assert forecast.import_price_eur_per_kwh == conditions.site_forecast(now, 2.0).import_price_eur_per_kwh


@pytest.mark.parametrize("fine_horizon_h", [None, 2.0], ids=["quarter-hours", "hours-after-2h"])
def test_the_planner_gets_what_forecast_site_returns(
    site: SiteConfig, conditions: SiteConditions, fine_horizon_h: float | None
) -> None:
    now = START_UTC + timedelta(hours=13, minutes=35)  # mid-slot: the first slot is 10 minutes long
    site = site.with_planning(fine_horizon_h=fine_horizon_h)

    ours = dataclasses.replace(conditions, planning=site.planning).site_forecast(now, 24.0)
    theirs = forecast_site(site, now, 24.0)

    assert max(ours.slot_duration_h) == (0.25 if fine_horizon_h is None else 1.0)

    assert ours.slot_starts == theirs.slot_starts
    assert ours.slot_duration_h == pytest.approx(theirs.slot_duration_h)
    for spec in dataclasses.fields(SiteForecast):
        if spec.name not in ("slot_starts", "slot_duration_h", "tariff_band"):
            assert getattr(ours, spec.name) == pytest.approx(getattr(theirs, spec.name), rel=1e-9, abs=1e-9), spec.name
    assert ours.tariff_band == theirs.tariff_band


def test_the_mpc_keeps_the_site_under_a_tight_limit_while_everyone_charges_at_night(
    site: SiteConfig, day: Scenario
) -> None:
    # 180 kW leaves about 115 kW for 60 vehicles after the night's base load and the 20 kW margin:
    # less than the 130 kW the capacity charge alone would spread the night's charging to.
    grid = site.site.grid.model_copy(update={"import_limit_kw": 180.0})
    tight = site.model_copy(update={"site": site.site.model_copy(update={"grid": grid})})
    plant = Plant(dataclasses.replace(day, site=tight))
    mpc = MpcController(tight, day.conditions, time_limit_s=10.0)
    for _ in range(36):  # 00:00-03:00, the cheapest hours, every charger busy
        plant.apply(mpc.limits_kw(plant, plant.begin_step()))

    night = slice(0, 36)
    assert plant.ev_power_kw[night].max() > 105.0  # the limit binds
    assert plant.import_kw[night].max() <= 180.0
    assert len(mpc.calls) == 12  # one plan per 15-minute slot, the first at the start's plug-ins


def test_the_offline_optimum_stays_within_the_limit(day: Scenario) -> None:
    stays = run_plant(day, Uncontrolled()).stays

    offline = offline_optimum(day, stays)

    assert offline.status == "optimal"
    assert offline.import_kw.max() <= day.site.site.grid.import_limit_kw + 1e-6
    assert set(offline.unmet_by_transaction) == {s.transaction_id for s in stays}


def test_the_bill_of_one_kwh_per_step_is_the_sum_of_the_prices(day: Scenario) -> None:
    one_kwh_per_step_kw = np.full(day.n_steps, 1.0 / STEP_H)
    prices = day.conditions.forecast.import_price_eur_per_kwh[: day.n_steps]

    assert bill_eur(day, one_kwh_per_step_kw) == pytest.approx(float(prices.sum()))
    assert bill_eur(day, -one_kwh_per_step_kw) == pytest.approx(-0.06 * day.n_steps)


def test_the_capacity_charge_peak_is_the_highest_complete_quarter_hour() -> None:
    steps_kw = np.array([100.0, 200.0, 300.0, 50.0, 50.0, 50.0, 900.0])  # the last quarter hour is not over

    assert quarter_hour_peak_kw(steps_kw) == pytest.approx(200.0)
    assert quarter_hour_peak_kw(steps_kw[:2]) == 0.0


def test_the_mpc_counts_the_minutes_gone_in_the_quarter_hour_now_running() -> None:
    steps_kw = np.array([100.0, 200.0, 300.0, 50.0, 70.0])
    start = datetime(2026, 3, 2, tzinfo=UTC)
    so_far = quarter_hour_so_far(steps_kw, start)
    assert so_far is not None
    assert so_far.elapsed_h == pytest.approx(2 * STEP_H)
    assert so_far.mean_import_kw == pytest.approx(60.0)
    assert quarter_hour_so_far(steps_kw[:3], start) is None  # at a boundary
    first = quarter_hour_so_far(steps_kw[:1], start)
    assert first is not None
    assert first.elapsed_h == pytest.approx(STEP_H)
    assert first.mean_import_kw == 100.0
