"""The Milan week's seeded past: sessions as the store would hold them, and the MPC expecting arrivals from them."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from benchmarks.milan.conditions import SiteConditions
from benchmarks.milan.controllers import MpcController
from benchmarks.milan.history import history_sessions
from benchmarks.milan.plant import Plant
from benchmarks.milan.scenario import Scenario
from fleet.arrival_forecast import expected_arrivals_by_hour
from fleet.site_config import SiteConfig
from fleet.site_forecast import forecast_site
from forecasts.sessions import SESSION_COLUMNS
from tests.benchmarks.milan_day import START_UTC, day_scenario


@pytest.fixture(scope="module")
def day(site: SiteConfig, conditions: SiteConditions) -> Scenario:
    return day_scenario(site, conditions)


@pytest.fixture(scope="module")
def past(site: SiteConfig, day: Scenario) -> pd.DataFrame:
    return history_sessions(site, day.vehicles, START_UTC, seed=3)


def test_the_past_holds_four_weeks_of_finished_stays_that_never_overlap(
    site: SiteConfig, day: Scenario, past: pd.DataFrame
) -> None:
    assert list(past.columns) == list(SESSION_COLUMNS)
    assert (past["arrived_at"] >= pd.Timestamp(START_UTC - timedelta(days=28))).all()
    assert (past["departed_at"] <= pd.Timestamp(START_UTC)).all()
    assert (past["arrived_at"] < past["departed_at"]).all()
    assert (past["energy_kwh"] > 0).all()
    classes = {v.id: v.vehicle_class for v in site.vehicles}
    assert (past["vehicle_class"] == past["vehicle_id"].map(classes)).all()
    for _, own in past.groupby("vehicle_id"):
        own = own.sort_values("arrived_at")
        assert (own["arrived_at"].iloc[1:].to_numpy() >= own["departed_at"].iloc[:-1].to_numpy()).all()
    # every van has worked most days; the same seed gives the same past
    vans = past[past["vehicle_class"] == "van"]
    assert vans.groupby("vehicle_id").size().min() >= 15
    assert past.equals(history_sessions(site, day.vehicles, START_UTC, seed=3))
    assert not past.equals(history_sessions(site, day.vehicles, START_UTC, seed=4))


def test_the_past_teaches_the_forecast_that_vans_come_back_in_the_afternoon(
    site: SiteConfig, past: pd.DataFrame
) -> None:
    now = START_UTC + timedelta(hours=6)  # 08:00 local: the vans are out
    forecast = forecast_site(site, now, 24.0)
    expected = expected_arrivals_by_hour(site, past, forecast, [], now)
    vans_by_local_hour: dict[int, float] = {}
    for arrivals in expected:
        if arrivals.vehicle_class == "van":
            hour = arrivals.arrive_utc.astimezone(ZoneInfo("Europe/Rome")).hour
            vans_by_local_hour[hour] = vans_by_local_hour.get(hour, 0.0) + arrivals.vehicles
    afternoon = sum(n for hour, n in vans_by_local_hour.items() if 12 <= hour < 21)
    assert afternoon > 5.0  # most of the ten vans
    assert afternoon > 2 * sum(n for hour, n in vans_by_local_hour.items() if not 12 <= hour < 21)


def test_the_mpc_with_a_past_plans_for_vehicles_that_have_not_arrived(
    site: SiteConfig, day: Scenario, past: pd.DataFrame
) -> None:
    plans: dict[str, int] = {}
    for name, history in (("without", None), ("with", past)):
        plant = Plant(day)
        mpc = MpcController(site, day.conditions, time_limit_s=10.0, history=history)
        plant.apply(mpc.limits_kw(plant, plant.begin_step()))
        plans[name] = mpc.calls[0].vehicles
    assert plans["with"] > plans["without"]
