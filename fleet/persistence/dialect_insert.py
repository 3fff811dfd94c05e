"""``INSERT ... ON CONFLICT`` for whichever backend the session is bound to.

SQLite and PostgreSQL spell the clause alike, but SQLAlchemy builds it from dialect-specific
``insert`` constructs; this picks the right one so that queries stay backend-neutral.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, case
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.persistence.errors import UnsupportedDatabaseError

ConflictInsert = sqlite.Insert | postgresql.Insert


def conflict_insert(session: AsyncSession, entity: Any) -> ConflictInsert:
    """Return an ``INSERT`` into ``entity`` (an ORM class or table) that supports ``on_conflict_*``."""
    dialect_name = session.get_bind().dialect.name
    if dialect_name == "sqlite":
        return sqlite.insert(entity)
    if dialect_name == "postgresql":
        return postgresql.insert(entity)
    raise UnsupportedDatabaseError(dialect_name)


def later_of(current: SQLColumnExpression[Any], proposed: SQLColumnExpression[Any]) -> ColumnElement[Any]:
    """The later of two instants, treating NULL as "never" (portable ``GREATEST``)."""
    return case((current > proposed, current), else_=proposed)
