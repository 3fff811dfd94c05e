"""Fixtures of the Milan benchmark's tests: the bundled site and one simulated day of its weather and load."""

from __future__ import annotations

import pytest

from benchmarks.milan.conditions import SiteConditions
from fleet.site_config import SiteConfig, load_site
from tests.benchmarks.milan_day import day_conditions


@pytest.fixture(scope="module")
def site() -> SiteConfig:
    return load_site()


@pytest.fixture(scope="module")
def conditions(site: SiteConfig) -> SiteConditions:
    return day_conditions(site)
