"""Profiles sent while a connection is being set up wait for it, a bounded time.

A charger's set-up reads how it takes profiles (1.6 GetConfiguration, 2.0.1 GetVariables); a
profile converted before that read would use defaults the charger may refuse. Waiting is bounded by
the read's own timeout, so a charger that never answers delays a profile, never blocks it.
"""

from __future__ import annotations

import asyncio


class SetUpGate:
    """Open unless a set-up is under way; ``wait`` returns when it ends or after ``timeout_s``."""

    def __init__(self, timeout_s: float) -> None:
        self._timeout_s = timeout_s
        self._open = asyncio.Event()
        self._open.set()

    def close(self) -> None:
        """A set-up is coming."""
        self._open.clear()

    def open(self) -> None:
        """The set-up ended, whatever its outcome."""
        self._open.set()

    async def wait(self) -> None:
        if self._open.is_set():
            return
        try:
            async with asyncio.timeout(self._timeout_s):
                await self._open.wait()
        except TimeoutError:
            pass
