"""Fresh, empty databases for tests, on the backend chosen by ``VETTABBIA_TEST_DATABASE``.

``VETTABBIA_TEST_DATABASE=sqlite`` (the default) gives each database its own file in a temporary
directory; ``VETTABBIA_TEST_DATABASE=postgresql`` gives each its own database on the server at
127.0.0.1:5432 (trust authentication, user ``postgres``), created empty and dropped afterwards with
``DROP DATABASE ... WITH (FORCE)``, so connections left by a killed server do not keep it alive.
``./scripts/test`` runs the suite once per backend; the fixtures in ``tests/conftest.py`` use this.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum
from pathlib import Path
from typing import Final

import asyncpg

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


class Databases:
    """Hands out fresh, empty databases on one backend and drops them all on ``close``.

    Parameters
    ----------
    backend
        Where the databases live.
    directory
        Where SQLite files go (unused for PostgreSQL).
    label
        Part of each PostgreSQL database's name (the test's name), to tell leftovers apart.
    """

    def __init__(self, backend: Backend, directory: Path, label: str) -> None:
        self.backend = backend
        self._directory = directory
        self._label = _identifier(label)
        self._names: set[str] = set()
        self._created: list[str] = []

    def new_url(self, name: str = "vettabbia") -> str:
        """The URL of a new empty database (plain ``sqlite:///`` or ``postgresql://``, no driver).

        ``name`` tells a test's databases apart; a name can be handed out once.
        """
        if name in self._names:
            raise ValueError(f"a database named {name!r} was handed out already")
        self._names.add(name)
        if self.backend is Backend.SQLITE:
            return f"sqlite:///{self._directory / name}.db"
        suffix = f"_{_identifier(name)[:16]}_{uuid.uuid4().hex[:8]}"
        database = (POSTGRES_NAME_PREFIX + self._label)[: POSTGRES_NAME_MAX_CHARS - len(suffix)] + suffix
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
    # A thread of its own with its own event loop: callers may be inside a test's running loop.
    with ThreadPoolExecutor(max_workers=1) as executor:
        executor.submit(asyncio.run, _execute(sql)).result()


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
