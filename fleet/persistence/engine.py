"""Building the async engine for SQLite (embedded default) or PostgreSQL (several nodes).

The same schema, migrations and queries run on both; only the URL changes. Plain URLs are accepted
(``sqlite:///vettabbia.db``, ``postgresql://user@host/db``) and given the async driver.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
from collections.abc import Callable
from typing import Any, Final

import aiosqlite
from sqlalchemy import event
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from fleet.persistence.errors import UnsupportedDatabaseError

SQLITE_BUSY_TIMEOUT_MS: Final = 30_000
"""How long a SQLite connection waits for another process's write lock before failing [ms]."""

WRITE_OPTION: Final = "vettabbia_write"
"""Execution option marking a connection that will write (SQLite: ``BEGIN IMMEDIATE``)."""

ITER_CHUNK_SIZE: Final = 64
"""Rows aiosqlite fetches per trip to its thread (its own default)."""

log = logging.getLogger(__name__)

_ASYNC_DRIVERS: Final = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def async_database_url(url: str | URL) -> URL:
    """Return ``url`` with the async driver of its backend (aiosqlite or asyncpg).

    Parameters
    ----------
    url
        A SQLAlchemy URL for SQLite or PostgreSQL, with or without a driver.

    Raises
    ------
    UnsupportedDatabaseError
        For any other backend.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgres":
        backend = "postgresql"
    driver = _ASYNC_DRIVERS.get(backend)
    if driver is None:
        raise UnsupportedDatabaseError(parsed.render_as_string(hide_password=True))
    return parsed.set(drivername=driver)


def create_engine(url: str | URL) -> AsyncEngine:
    """Build the engine for ``url``; no connection is opened until the engine is used.

    On SQLite every connection runs in WAL mode (readers never block the writer), with foreign keys
    enforced, ``synchronous=NORMAL`` (durable across application crashes; the last transactions may
    be lost only on power loss) and a busy timeout for other processes such as the Alembic command
    line. Transactions are begun explicitly so that a read sees one snapshot and a write takes the
    write lock up front (``BEGIN IMMEDIATE``) instead of failing when upgrading a read lock.
    """
    async_url = async_database_url(url)
    if async_url.get_backend_name() != "sqlite":
        return create_async_engine(async_url, pool_pre_ping=True)
    engine = create_async_engine(async_url, async_creator=_aiosqlite_connector(async_url))
    event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
    event.listen(engine.sync_engine, "begin", _begin_sqlite_transaction)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # The sqlite3 module would otherwise open transactions itself, lazily and only before writes.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS:d}")
    finally:
        cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    writing = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


class SafeClosingConnection(aiosqlite.Connection):
    """aiosqlite's connection, which gives SQLite's write lock back when it closes and whose worker
    thread is asked to stop at most once.

    A task cancelled while its query runs leaves that query's statement with rows still to fetch.
    SQLAlchemy then discards the connection, and closing a ``sqlite3`` connection whose statement
    is still alive (the cursor is kept by the cancelled task's traceback) does not end its
    transaction: the connection lingers, holding the write lock, until that cursor is freed, and
    every later writer waits out its busy timeout. So a close, forced or graceful, first rolls back.

    aiosqlite's worker thread ends at the first stop request, and a second request is never served:
    whoever awaits it waits forever. SQLAlchemy asks twice when it terminates a connection whose
    task was cancelled during a query (the forced stop, then the graceful close's own), and the
    task left waiting keeps the event loop, and so the process, from shutting down.
    """

    def __init__(self, connector: Callable[[], Any], iter_chunk_size: int) -> None:
        super().__init__(connector, iter_chunk_size)
        self._stop_requested = False
        self._stopped: asyncio.Future[Any] | None = None

    async def close(self) -> None:
        """Roll back whatever transaction is open, then close (aiosqlite's own close); after a
        stop, wait for that stop's close instead."""
        if self._connection is not None and self._running:
            try:
                await self.rollback()
            except sqlite3.Error as error:
                # The close still ends the transaction, once nothing holds its statements any more.
                log.warning("rolling back before closing a SQLite connection failed: %s", error)
        if self._stop_requested:
            # A forced stop, now or during the rollback, closes the connection itself.
            if self._stopped is not None:
                await self._stopped
            return
        await super().close()

    def stop(self) -> asyncio.Future[Any] | None:
        """The first call rolls back, closes and asks the thread to stop; every call returns that
        request's answer."""
        if not self._stop_requested:
            self._stop_requested = True
            # The worker thread runs its queue in order: the rollback comes before the close.
            self._tx.put_nowait((None, self._roll_back))
            self._stopped = super().stop()
        return self._stopped

    def _roll_back(self) -> None:
        # Runs in the worker thread, the only one that may touch the sqlite3 connection.
        connection = self._connection
        if connection is not None and connection.in_transaction:
            connection.rollback()


def _aiosqlite_connector(url: URL) -> Callable[[], SafeClosingConnection]:
    # The same arguments SQLAlchemy's dialect would pass (file name, check_same_thread).
    args, kwargs = SQLiteDialect_aiosqlite().create_connect_args(url)
    open_sqlite = functools.partial(sqlite3.connect, *args, **kwargs)

    def connect() -> SafeClosingConnection:
        connection = SafeClosingConnection(open_sqlite, ITER_CHUNK_SIZE)
        # As SQLAlchemy does for its own: a thread left running must not keep the process alive.
        connection._thread.daemon = True
        return connection

    return connect
