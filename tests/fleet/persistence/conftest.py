"""A migrated store on a fresh database of the selected backend (``database_url``, tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from fleet.persistence import Store

T0 = datetime(2025, 3, 10, 6, 0, tzinfo=UTC)
"""A Monday morning at the hub, the reference instant of the tests."""


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """A migrated store on a fresh database."""
    opened = Store.from_url(database_url)
    await opened.migrate()
    try:
        yield opened
    finally:
        await opened.close()
