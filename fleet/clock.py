"""Where the application reads the time: the system clock, or a scaled clock for simulated days."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Protocol


def interval_start(at: datetime, interval: timedelta) -> datetime:
    """The start of the ``interval`` (a slot, a billing quarter hour) that ``at`` falls in, counted from
    the Unix epoch: the same boundaries in UTC and in every whole-hour zone such as Milan's."""
    epoch = datetime(1970, 1, 1, tzinfo=at.tzinfo)
    return epoch + (at - epoch) // interval * interval


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
