"""The passes of ./scripts/test: every test runs on SQLite exactly once, and the second backend's
pass runs the database tests but the browser ones; what needs the machine to itself runs serially."""

from __future__ import annotations

import itertools

import pytest

from tests.selection import PARTS, Kind, Part

SPLIT: tuple[Part, ...] = ("side-by-side", "serial")

CASES = {
    "unit": ("tests/optimizer/test_solve_cases.py::test_x", ()),
    "api on a database": ("tests/fleet/test_api.py::test_x", ("database_url", "tmp_path")),
    "migrations from nothing": ("tests/fleet/persistence/test_migrations.py::test_x", ("empty_database_url",)),
    "end-to-end on a database": ("tests/e2e/test_crash_recovery.py::test_x", ("databases",)),
    "browser on a demo": ("tests/e2e/test_operator_page.py::test_x", ("demo", "database_url", "browser_context")),
    "browser, module-wide": ("tests/e2e/test_operator_views.py::test_x", ("module_databases", "shared_context")),
    "bus over NATS": ("tests/fleet/bus/test_bus_paths.py::test_x", ()),
    "benchmark with gateways": ("tests/benchmarks/test_faults_bench.py::test_x", ("tmp_path",)),
    "benchmark that computes": ("tests/benchmarks/test_speed_floor.py::test_x", ()),
    "docker file": ("tests/test_docker.py::test_x", ()),
}


def _passes(node_id: str, fixtures: tuple[str, ...]) -> list[tuple[bool, Part]]:
    kind = Kind.of(node_id, fixtures)
    return [
        (database_only, part)
        for database_only, part in itertools.product((False, True), SPLIT)
        if kind.runs_in(database_tests_only=database_only, part=part)
    ]


@pytest.mark.parametrize("case", CASES)
def test_each_test_runs_once_on_the_first_backend_and_in_one_part(case: str) -> None:
    node_id, fixtures = CASES[case]
    kind = Kind.of(node_id, fixtures)
    first_backend = [part for database_only, part in _passes(node_id, fixtures) if not database_only]
    assert len(first_backend) == 1
    assert first_backend == ["serial" if kind.serial else "side-by-side"]
    assert kind.runs_in(database_tests_only=False, part="all")


def test_the_second_backend_runs_the_database_tests_but_the_browser_ones() -> None:
    second = {case for case, (node, fixtures) in CASES.items() if any(only for only, _ in _passes(node, fixtures))}
    assert second == {"api on a database", "migrations from nothing", "end-to-end on a database"}


def test_what_starts_processes_or_a_browser_runs_serially() -> None:
    serial = {case for case, (node, fixtures) in CASES.items() if Kind.of(node, fixtures).serial}
    assert serial == {
        "end-to-end on a database",
        "browser on a demo",
        "browser, module-wide",
        "bus over NATS",
        "benchmark with gateways",
        "docker file",
    }
    assert PARTS == ("all", "side-by-side", "serial")
