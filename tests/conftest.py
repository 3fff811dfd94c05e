"""Database fixtures for the whole suite: every test that needs a database gets a fresh one.

The backend comes from ``VETTABBIA_TEST_DATABASE`` (``sqlite``, the default, or ``postgresql`` for
the server on 127.0.0.1:5432, trust authentication, user ``postgres``); ``./scripts/test`` runs the
suite on SQLite and then, when that server is reachable, again on PostgreSQL. See
``tests/databases.py``.

- ``database_url``: the URL of one database for the test (``sqlite:///...`` or
  ``postgresql://...``, no driver: ``Store.from_url``, ``RunSettings`` and ``--database-url`` all take
  it as it is), already at the newest schema: a copy of a template migrated once per session. Code
  under test migrates it as it would any database (``await Store.from_url(url).migrate()``, or
  ``await runtime.store.migrate()``, or a ``vettabbia`` command), which then changes nothing.
- ``databases``: for a test that needs several (two processes, two runtimes), or an empty one (the
  migrations' own tests, a command's first start): ``databases.new_url("one", migrated=True)``,
  ``databases.new_url("empty")``.
- ``empty_database_url``: one empty database, for the migrations' own tests.
- ``module_databases``: the same, kept for a whole module (for module-scoped fixtures).

Every database handed out is dropped when its fixture ends. A test that uses one of them is marked
``database``; ``--database-tests-only`` keeps only those, for the second backend's pass, but for the
browser tests (marked ``browser``): they drive the operator page, and every request the page makes
is an API call that the API tests make on both backends. A test that is about SQLite itself opens
its own file and says so in a comment.

The tests that start processes, servers, whole demos or a browser (``tests/e2e``, the benchmark
tests that start gateways or servers, ``tests/fleet/bus``, ``tests/test_docker.py``) are marked ``serial``: they
need the machine to themselves, while the rest use one core each and can run while another backend's
pass runs (``--part side-by-side`` or ``--part serial`` selects one kind; ``./scripts/test`` runs
both backends' side-by-side parts at once, then the serial parts one after another). The rules are
in ``tests/selection.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.databases import (
    BACKEND_VARIABLE,
    POSTGRES_HOST,
    POSTGRES_PORT,
    Backend,
    Databases,
    MigratedTemplate,
    postgres_reachable,
    selected_backend,
)
from tests.selection import PARTS, Kind

DATABASE_TESTS_ONLY = "--database-tests-only"
PART = "--part"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        DATABASE_TESTS_ONLY,
        action="store_true",
        help="only the tests that open a database, but the browser tests (the second backend's pass)",
    )
    parser.addoption(
        PART,
        choices=PARTS,
        default="all",
        help="side-by-side: only tests that may run next to another pytest; serial: only those that may not",
    )


def pytest_configure(config: pytest.Config) -> None:
    try:
        selected_backend()
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None


def pytest_report_header(config: pytest.Config) -> str:
    backend = selected_backend()
    where = f" on {POSTGRES_HOST}:{POSTGRES_PORT}" if backend is Backend.POSTGRESQL else ""
    return f"database backend: {backend.value}{where} ({BACKEND_VARIABLE})"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    database_only = config.getoption(DATABASE_TESTS_ONLY)
    part = config.getoption(PART)
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        kind = Kind.of(item.nodeid, getattr(item, "fixturenames", ()))
        for wanted, marker in (
            (kind.database, pytest.mark.database),
            (kind.browser, pytest.mark.browser),
            (kind.serial, pytest.mark.serial),
        ):
            if wanted:
                item.add_marker(marker)
        (kept if kind.runs_in(database_tests_only=database_only, part=part) else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def database_backend() -> Backend:
    """The selected backend; fails every database test when PostgreSQL is selected but not running."""
    backend = selected_backend()
    if backend is Backend.POSTGRESQL and not postgres_reachable():
        pytest.fail(f"{BACKEND_VARIABLE}=postgresql but PostgreSQL is not reachable on {POSTGRES_HOST}:{POSTGRES_PORT}")
    return backend


@pytest.fixture(scope="session")
def migrated_template(
    database_backend: Backend, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MigratedTemplate]:
    """The session's migrated database, made when a test first asks for a migrated one."""
    template = MigratedTemplate(database_backend, tmp_path_factory.mktemp("template"))
    try:
        yield template
    finally:
        template.close()


@pytest.fixture
def databases(
    migrated_template: MigratedTemplate, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Databases]:
    """Fresh databases for this test (``databases.new_url(name)``, empty, or with ``migrated=True``),
    dropped at its end."""
    handed_out = Databases(migrated_template, tmp_path_factory.mktemp("databases"), request.node.name)
    try:
        yield handed_out
    finally:
        handed_out.close()


@pytest.fixture(scope="module")
def module_databases(
    migrated_template: MigratedTemplate, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Databases]:
    """The same, kept for the whole module, dropped at its end."""
    handed_out = Databases(
        migrated_template, tmp_path_factory.mktemp("databases"), request.module.__name__.rsplit(".", 1)[-1]
    )
    try:
        yield handed_out
    finally:
        handed_out.close()


@pytest.fixture
def database_url(databases: Databases) -> str:
    """The URL of one fresh database for this test on the selected backend, already migrated to the
    newest schema (migrating it again changes nothing)."""
    return databases.new_url(migrated=True)


@pytest.fixture
def empty_database_url(databases: Databases) -> str:
    """The URL of one fresh, empty database: for what migrates from nothing, or from an older schema."""
    return databases.new_url("empty")
