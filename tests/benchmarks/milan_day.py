"""One simulated day of the Milan hub, shared by the Milan benchmark's tests."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from benchmarks.milan.conditions import SiteConditions, forecast_series, site_conditions
from benchmarks.milan.scenario import LOOKAHEAD_DAYS, STEPS_PER_DAY, Scenario, build_scenario
from fleet.site_config import SiteConfig

START_UTC = datetime(2026, 6, 8, tzinfo=ZoneInfo("Europe/Rome")).astimezone(UTC)  # a Monday, local midnight
SEED = 3


def day_conditions(site: SiteConfig) -> SiteConditions:
    """The day's weather, load and forecasts (seed 3), with the look-ahead the plans need."""
    return site_conditions(site, forecast_series(site, START_UTC, (1 + LOOKAHEAD_DAYS) * STEPS_PER_DAY), seed=SEED)


def day_scenario(site: SiteConfig, conditions: SiteConditions) -> Scenario:
    """The fleet's trips on that day (seed 3)."""
    return build_scenario(site, conditions.forecast, seed=SEED, days=1)
