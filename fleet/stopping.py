"""Telling a background loop that is being stopped from one whose round met an error.

A loop that must outlive a bad round catches ``Exception``. A database driver may turn the
cancellation of a query into an error of its own (asyncpg, aiosqlite closing under a cancelled
await), so such a loop would log the stop as a failure and go round again: the runtime then
waits for it forever. Each loop asks ``being_stopped`` in its handler and re-raises.
"""

from __future__ import annotations

import asyncio


def being_stopped() -> bool:
    """Whether the running task has been asked to stop (cancelled, not yet finished)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def stop_if_asked() -> None:
    """Raise ``CancelledError`` when the running task was cancelled but carried on.

    An await may swallow a cancellation (Python 3.11's ``asyncio.wait_for`` when the result arrives
    in the same turn, CPython gh-86296), and a loop that went on would never stop. Loops call this
    at the top of every round.
    """
    if being_stopped():
        raise asyncio.CancelledError
