"""Alembic environment for the Vettabbia schema.

Two ways in:

- from the application (``Store.migrate``), which passes an open connection in
  ``config.attributes["connection"]``;
- from the command line, ``alembic -c fleet/persistence/alembic.ini upgrade head``, with the database
  given as ``-x url=...``, or ``VETTABBIA_DATABASE_URL``, or ``sqlalchemy.url`` in the ini file.
"""

from __future__ import annotations

import asyncio
import logging.config
import os

from alembic import context
from sqlalchemy.engine import Connection

from fleet.persistence.engine import async_database_url, create_engine
from fleet.persistence.migration import CONNECTION_ATTRIBUTE
from fleet.persistence.models import Base

URL_VARIABLE = "VETTABBIA_DATABASE_URL"

config = context.config
target_metadata = Base.metadata


def _database_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get(URL_VARIABLE)
    url = url or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit(f"No database given: pass -x url=<database url> or set {URL_VARIABLE}.")
    return url


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )


def _migrate(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _migrate_url(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_migrate)
    finally:
        await engine.dispose()


def run_offline() -> None:
    """Print the SQL instead of running it (``alembic upgrade head --sql``)."""
    url = async_database_url(_database_url())
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.get_backend_name() == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get(CONNECTION_ATTRIBUTE)
    if connection is not None:
        _migrate(connection)
        return
    # Only the command line configures logging: the application has its own.
    if config.config_file_name is not None:
        logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)
    asyncio.run(_migrate_url(_database_url()))


if context.is_offline_mode():
    run_offline()
else:
    run_online()
