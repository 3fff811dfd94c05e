"""One database transaction whose begin and end are not cut short by a cancelled caller.

A task cancelled inside a transaction (a charger that disconnects mid-message, a process that
stops) still has to give its connection back rolled back before anyone else writes: on SQLite the
store lets one writer in at a time, and a write transaction left open on a pooled connection would
keep every later writer waiting out its busy timeout; on PostgreSQL it would hold its row locks.
SQLAlchemy's own clean-up awaits the driver, so a second cancellation arriving during it (a task
group closing, a server's graceful-shutdown timeout) could otherwise abandon it half way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import FrameType
from typing import Any, TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)

T = TypeVar("T")


@asynccontextmanager
async def transaction(
    sessions: async_sessionmaker[AsyncSession], exclusive: AbstractAsyncContextManager[object]
) -> AsyncIterator[AsyncSession]:
    """A session in one transaction, inside ``exclusive``: committed when the block ends normally,
    rolled back otherwise; ``exclusive`` is released only once the connection is back in the pool.
    """
    async with exclusive:
        session = sessions()
        try:
            # The transaction's begin, commit and rollback run to their end whatever the caller's
            # cancellations: SQLAlchemy discards a connection whose begin or end was cut short (it
            # cannot know what the driver did), and a write transaction begun behind its back
            # would keep SQLite's write lock.
            await _until_done(session.connection())
            try:
                yield session
            except BaseException:
                await _until_done(session.rollback())
                raise
            await _until_done(session.commit())
        except OperationalError as error:
            if _is_locked(error):
                # Nothing in this process should hold the lock past a transaction's end (the store
                # lets one writer in at a time and a closed connection rolls back first): say which
                # tasks were where, for whoever finds out what did.
                log.error("the database stayed locked by another connection: %s", describe_tasks())
            raise
        finally:
            await _until_done(session.close())


async def _until_done(step: Coroutine[Any, Any, T]) -> T:
    """Await ``step`` to its end; a cancellation meanwhile is re-raised afterwards, not lost."""
    task = asyncio.ensure_future(step)
    cancelled = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            # Also when the step ended in the same turn of the loop: the caller was still cancelled,
            # and a loop that never hears of it goes round again instead of stopping.
            cancelled = True
    if cancelled:
        raise asyncio.CancelledError
    return task.result()


def _is_locked(error: OperationalError) -> bool:
    return "database is locked" in str(error.orig)


def describe_tasks() -> str:
    """Every task of the running loop and where it waits: what held the database, when it stays locked."""
    lines = []
    for task in asyncio.all_tasks():
        frames = _awaited_frames(task)[-6:]
        where = " -> ".join(f"{f.f_code.co_name} ({_short(f.f_code.co_filename)}:{f.f_lineno})" for f in frames)
        lines.append(f"  {task.get_name()}: {where or 'not started'}")
    return f"{len(lines)} tasks:\n" + "\n".join(sorted(lines))


def _awaited_frames(task: asyncio.Task[Any]) -> list[FrameType]:
    """The frames of ``task``'s coroutine and of every coroutine it awaits, outermost first.

    ``Task.get_stack`` stops at a suspended coroutine's own frame; the coroutine it awaits, and the
    one that awaits, down to where the task really waits, are what tells a stuck task apart.
    """
    frames: list[FrameType] = []
    awaited: Any = task.get_coro()
    while awaited is not None:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
        if frame is None:
            break
        frames.append(frame)
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
    return frames


def _short(path: str) -> str:
    return "/".join(path.rsplit("/", 2)[-2:])
