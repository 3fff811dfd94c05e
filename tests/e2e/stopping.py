"""Stopping a runtime that a test started in its own event loop."""

from __future__ import annotations

import asyncio

from fleet.persistence.session_scope import describe_tasks
from fleet.runtime import Runtime

STOP_TIMEOUT_S = 60.0


async def stop_runtime(runtime: Runtime, task: asyncio.Task[None]) -> None:
    """Ask ``runtime`` to stop and wait for ``task`` (its ``run``) to end.

    A runtime that does not stop in time fails the test with every task and where it waits, instead
    of hanging until the suite's timeout with only the test's own stack to show.
    """
    runtime.stop()
    done, _ = await asyncio.wait([task], timeout=STOP_TIMEOUT_S)
    if not done:
        raise AssertionError(f"the runtime did not stop in {STOP_TIMEOUT_S:.0f} s; {describe_tasks()}")
    task.result()
