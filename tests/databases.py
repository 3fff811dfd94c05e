"""Fresh databases for tests, on the backend chosen by ``VETTABBIA_TEST_DATABASE``.

``VETTABBIA_TEST_DATABASE=sqlite`` (the default) gives each database its own file in a temporary
directory; ``VETTABBIA_TEST_DATABASE=postgresql`` gives each its own database on the server at
127.0.0.1:5432 (trust authentication, user ``postgres``), dropped afterwards with
``DROP DATABASE ... WITH (FORCE)``, so connections left by a killed server do not keep it alive.
``./scripts/test`` runs the suite once per backend; the fixtures in ``tests/conftest.py`` use this.

A database is either empty or already migrated to the newest schema. A migrated one is a copy of a
template migrated once per test session (a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on
PostgreSQL): migrating a new PostgreSQL database takes about 0.35 s, and several hundred tests want one.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import uuid
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

import asyncpg

from fleet.persistence.store import migrate_database

BACKEND_VARIABLE: Final = "VETTABBIA_TEST_DATABASE"
POSTGRES_HOST: Final = "127.0.0.1"
POSTGRES_PORT: Final = 5432
POSTGRES_USER: Final = "postgres"
POSTGRES_CONNECT_TIMEOUT_S: Final = 3.0
POSTGRES_NAME_PREFIX: Final = "vettabbia_test_"
POSTGRES_NAME_MAX_CHARS: Final = 63
"""PostgreSQL truncates longer identifiers."""


class Backend(StrEnum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


def selected_backend() -> Backend:
    """The backend named by ``VETTABBIA_TEST_DATABASE`` (default SQLite).

    Raises
    ------
    ValueError
        For a value that names neither backend, so that a typo does not silently test SQLite.
    """
    value = os.environ.get(BACKEND_VARIABLE, Backend.SQLITE.value).strip().lower()
    try:
        return Backend(value)
    except ValueError:
        choices = ", ".join(b.value for b in Backend)
        raise ValueError(f"{BACKEND_VARIABLE}={value!r}: expected one of {choices}") from None


def postgres_reachable() -> bool:
    """Whether the test server on 127.0.0.1:5432 accepts the ``postgres`` user."""
    try:
        _admin("SELECT 1")
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    return True


def postgres_url(database: str) -> str:
    return f"postgresql://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}/{database}"


class MigratedTemplate:
    """A database migrated to the newest schema, made on first use and copied for each test that asks.

    Parameters
    ----------
    backend
        Where the template and its copies live.
    directory
        Where the SQLite template file goes (unused for PostgreSQL).
    """

    def __init__(self, backend: Backend, directory: Path) -> None:
        self.backend = backend
        self._directory = directory
        self._made: str | None = None
        """The SQLite file's path or the PostgreSQL database's name, once made."""

    def copy_to(self, target: str) -> None:
        """Make ``target`` (a SQLite file's path or a new PostgreSQL database's name) a copy of it."""
        source = self._made or self._make()
        if self.backend is Backend.SQLITE:
            # The whole database: a write-ahead log left beside the file holds part of it.
            for suffix in ("", "-wal"):
                if Path(source + suffix).exists():
                    shutil.copyfile(source + suffix, target + suffix)
        else:
            _admin(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')

    def close(self) -> None:
        """Drop the PostgreSQL template (the SQLite file goes with its temporary directory)."""
        if self.backend is Backend.POSTGRESQL and self._made is not None:
            _admin(f'DROP DATABASE IF EXISTS "{self._made}" WITH (FORCE)')
        self._made = None

    def _make(self) -> str:
        if self.backend is Backend.SQLITE:
            made = str(self._directory / "migrated-template.db")
            url = f"sqlite:///{made}"
        else:
            made = f"{POSTGRES_NAME_PREFIX}template_{uuid.uuid4().hex[:12]}"
            _admin(f'CREATE DATABASE "{made}"')
            url = postgres_url(made)
        # migrate_database leaves no connection open: PostgreSQL copies a template only while nobody
        # is connected to it.
        _in_own_loop(migrate_database(url))
        self._made = made
        return made


class Databases:
    """Hands out fresh databases, empty or migrated, on one backend and drops them all on ``close``.

    Parameters
    ----------
    template
        The migrated database that ``new_url(migrated=True)`` copies; its backend is theirs.
    directory
        Where SQLite files go (unused for PostgreSQL).
    label
        Part of each PostgreSQL database's name (the test's name), to tell leftovers apart.
    """

    def __init__(self, template: MigratedTemplate, directory: Path, label: str) -> None:
        self.backend = template.backend
        self._template = template
        self._directory = directory
        self._label = _identifier(label)
        self._names: set[str] = set()
        self._created: list[str] = []

    def new_url(self, name: str = "vettabbia", *, migrated: bool = False) -> str:
        """The URL of a new database (plain ``sqlite:///`` or ``postgresql://``, no driver): empty, or
        with ``migrated`` already at the newest schema (migrating it again changes nothing).

        ``name`` tells a test's databases apart; a name can be handed out once.
        """
        if name in self._names:
            raise ValueError(f"a database named {name!r} was handed out already")
        self._names.add(name)
        if self.backend is Backend.SQLITE:
            path = self._directory / f"{name}.db"
            if migrated:
                self._template.copy_to(str(path))
            return f"sqlite:///{path}"
        suffix = f"_{_identifier(name)[:16]}_{uuid.uuid4().hex[:8]}"
        database = (POSTGRES_NAME_PREFIX + self._label)[: POSTGRES_NAME_MAX_CHARS - len(suffix)] + suffix
        if migrated:
            self._template.copy_to(database)
        else:
            _admin(f'CREATE DATABASE "{database}"')
        self._created.append(database)
        return postgres_url(database)

    def close(self) -> None:
        """Drop every PostgreSQL database handed out, closing whatever connections remain."""
        while self._created:
            _admin(f'DROP DATABASE IF EXISTS "{self._created.pop()}" WITH (FORCE)')


def _identifier(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _admin(sql: str) -> None:
    _in_own_loop(_execute(sql))


def _in_own_loop(work: Coroutine[Any, Any, None]) -> None:
    # A thread of its own with its own event loop: callers may be inside a test's running loop.
    with ThreadPoolExecutor(max_workers=1) as executor:
        executor.submit(asyncio.run, work).result()


async def _execute(sql: str) -> None:
    connection = await asyncpg.connect(
        host=POSTGRES_HOST,
        port=POSTGRES_PORT,
        user=POSTGRES_USER,
        database="postgres",
        timeout=POSTGRES_CONNECT_TIMEOUT_S,
    )
    try:
        await connection.execute(sql)
    finally:
        await connection.close()
