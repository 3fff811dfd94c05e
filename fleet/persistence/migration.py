"""Running the Alembic migrations from the application, on a connection it already holds."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"
CONNECTION_ATTRIBUTE: Final = "connection"
"""Key of ``Config.attributes`` under which env.py finds the connection to migrate."""


def alembic_config(connection: Connection | None = None) -> Config:
    """Return an Alembic configuration for the shipped migrations, without any ini file.

    Parameters
    ----------
    connection
        When given, env.py migrates this connection (inside its current transaction) instead of
        opening its own from a URL.
    """
    config = Config()
    # ConfigParser interpolation would read a '%' in the install path as a placeholder.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if connection is not None:
        config.attributes[CONNECTION_ATTRIBUTE] = connection
    return config


def upgrade_to_head(connection: Connection) -> None:
    """Apply every migration not yet applied to the database behind ``connection``.

    Runs on a synchronous connection: call it through ``AsyncConnection.run_sync``. The caller
    commits (or rolls back, leaving the schema unchanged, on both SQLite and PostgreSQL).
    """
    command.upgrade(alembic_config(connection), "head")
