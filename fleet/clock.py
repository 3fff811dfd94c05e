"""Where the application reads the time: the system clock, or a scaled clock for simulated days."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, tz-aware UTC."""

    async def sleep(self, duration_s: float) -> None:
        """Sleep for ``duration_s`` seconds of this clock's time."""


class SystemClock:
    """Wall-clock time, for real chargers."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, duration_s: float) -> None:
        await asyncio.sleep(duration_s)
