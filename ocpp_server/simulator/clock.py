"""Simulated time: a clock that can run faster than real time.

The simulator (and the application when it runs a demo) reads the time only through a
:class:`SimClock`, so a simulated day can pass in minutes. :class:`ScaledClock` maps real monotonic
time onto simulated UTC time by a constant factor.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class SimClock(Protocol):
    """The time source of a simulation."""

    def now(self) -> datetime:
        """The current simulated time, timezone-aware UTC."""
        ...

    async def sleep(self, duration_s: float) -> None:
        """Wait for ``duration_s`` simulated seconds."""
        ...


class ScaledClock:
    """Simulated time running ``speedup`` times faster than real time.

    ``now = start_utc + (monotonic() - t0) * speedup`` where ``t0`` is the monotonic time at
    construction; ``sleep(duration_s)`` waits ``duration_s / speedup`` real seconds.

    Parameters
    ----------
    start_utc
        Simulated time at construction; must be timezone-aware (it is converted to UTC).
    speedup
        Simulated seconds per real second, > 0. ``1.0`` is real time.
    monotonic
        Real time source [s]; ``time.monotonic`` unless a test supplies its own.
    """

    def __init__(
        self,
        start_utc: datetime,
        speedup: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if start_utc.tzinfo is None or start_utc.utcoffset() is None:
            raise ValueError(f"start_utc must be timezone-aware, got naive {start_utc.isoformat()}")
        if not speedup > 0:
            raise ValueError(f"speedup must be > 0, got {speedup}")
        self._start_utc = start_utc.astimezone(UTC)
        self._speedup = float(speedup)
        self._monotonic = monotonic
        self._t0 = monotonic()

    @property
    def start_utc(self) -> datetime:
        return self._start_utc

    @property
    def speedup(self) -> float:
        return self._speedup

    def now(self) -> datetime:
        elapsed_real_s = self._monotonic() - self._t0
        return self._start_utc + timedelta(seconds=elapsed_real_s * self._speedup)

    async def sleep(self, duration_s: float) -> None:
        """Wait ``duration_s`` simulated seconds (``duration_s / speedup`` real seconds).

        Parameters
        ----------
        duration_s
            Simulated duration [s], >= 0.
        """
        if duration_s < 0:
            raise ValueError(f"duration_s must be >= 0, got {duration_s}")
        await asyncio.sleep(duration_s / self._speedup)


async def sleep_until(clock: SimClock, when_utc: datetime) -> None:
    """Wait until the simulated time reaches ``when_utc``; return at once if it has passed."""
    # Event-loop timers may fire a little early, so check again rather than trust one sleep.
    while (remaining_s := (when_utc - clock.now()).total_seconds()) > 0:
        await clock.sleep(remaining_s)
