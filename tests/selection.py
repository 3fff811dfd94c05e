"""Which tests a pass of ./scripts/test runs: the kinds of test, and the pass's choice among them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

DATABASE_FIXTURES = frozenset({"database_url", "empty_database_url", "databases", "module_databases"})
BROWSER_FIXTURES = frozenset({"browser_context", "shared_context"})
SERIAL_PATHS = (
    "tests/e2e/",
    "tests/benchmarks/test_faults_bench.py",
    "tests/benchmarks/test_ocpp_load.py",
    "tests/benchmarks/test_scale_out_bench.py",
    "tests/fleet/bus/",
    "tests/test_docker.py",
)
"""Tests that start processes, servers, whole demos or a browser: they run one at a time. The other
benchmark tests only compute (plans, simulations, plots) and use one core like the unit tests."""

Part = Literal["all", "side-by-side", "serial"]
PARTS: tuple[Part, ...] = ("all", "side-by-side", "serial")


@dataclass(frozen=True, slots=True)
class Kind:
    database: bool
    """Opens a database from tests/conftest.py's fixtures."""
    browser: bool
    """Drives the operator page in Chromium."""
    serial: bool
    """Needs the machine to itself."""

    @classmethod
    def of(cls, node_id: str, fixture_names: Iterable[str]) -> Kind:
        fixtures = set(fixture_names)
        return cls(
            database=bool(DATABASE_FIXTURES & fixtures),
            browser=bool(BROWSER_FIXTURES & fixtures),
            serial=node_id.startswith(SERIAL_PATHS),
        )

    def runs_in(self, *, database_tests_only: bool, part: Part) -> bool:
        """Whether a pass runs it: the second backend's pass (``database_tests_only``) runs the tests that
        open a database but the browser tests, whose every request is an API call tested on both."""
        if database_tests_only and not (self.database and not self.browser):
            return False
        return part == "all" or (part == "serial") == self.serial
