"""A cancelled writer gives its connection back before anyone else writes, and is still cancelled.

Chargers disconnect mid-message and the process stops with writes in flight: each such task is
cancelled, sometimes twice (its own task group, then a server's shutdown). None of this may leave a
transaction open that would lock out the writers after it.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from fleet.meter_writer import MeterWriter
from fleet.persistence import MeterBatch, MeterBatchOutcome, Store
from fleet.persistence.engine import WRITE_OPTION, SafeClosingConnection, create_engine
from fleet.persistence.session_scope import _until_done, describe_tasks, transaction
from ocpp_server.events import Measurand, MeterSample
from tests.fleet.persistence.conftest import T0


async def _slow_close(turns: int, finished: list[str]) -> None:
    for _ in range(turns):
        await asyncio.sleep(0)
    finished.append("closed")


async def test_a_close_runs_to_its_end_through_repeated_cancellations_which_are_then_raised() -> None:
    finished: list[str] = []
    closing = asyncio.create_task(_until_done(_slow_close(50, finished)))
    for _ in range(10):
        await asyncio.sleep(0)
        closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing
    assert finished == ["closed"]


async def test_a_close_that_is_not_cancelled_returns_normally() -> None:
    finished: list[str] = []
    await _until_done(_slow_close(3, finished))
    assert finished == ["closed"]


async def test_a_cancellation_that_arrives_as_the_close_ends_is_still_raised() -> None:
    """The close and the cancellation in the same turn of the loop: the close is done, and the
    caller still hears that it was cancelled (a background loop would otherwise never stop)."""
    release: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def closing() -> None:
        await release

    waiter = asyncio.create_task(_until_done(closing()))
    for _ in range(3):
        await asyncio.sleep(0)
    release.set_result(None)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter


def _hammer(task: asyncio.Task[None], loop: asyncio.AbstractEventLoop) -> None:
    """Cancel ``task`` again on every turn of the loop until it ends, as a closing scope does."""
    if not task.done():
        task.cancel()
        loop.call_soon(_hammer, task, loop)


async def test_writers_cancelled_at_any_point_never_lock_out_the_next_writer(store: Store) -> None:
    rng = random.Random(7)
    loop = asyncio.get_running_loop()
    for round_ in range(60):
        writers = [asyncio.create_task(store.record_connection(f"CP-{round_}-{n}", "1.6", True, T0)) for n in range(4)]
        await asyncio.sleep(rng.random() * 0.004)
        for writer in writers:
            if rng.random() < 0.6:
                _hammer(writer, loop)
        _, pending = await asyncio.wait(writers, timeout=10)
        assert not pending, f"round {round_}: a cancelled writer did not end"
        # The next write gets the database at once: nothing was left holding it.
        await asyncio.wait_for(store.record_connection(f"probe-{round_}", "1.6", True, T0), 5)
    stored = {record.id for record in await store.list_charge_points()}
    assert {f"probe-{round_}" for round_ in range(60)} <= stored


async def test_callers_of_a_stopped_meter_writer_hear_so_instead_of_waiting_forever(store: Store) -> None:
    transaction_id = await store.start_transaction("CP1", 1, "tag-1", None, 10.0, T0)
    writer = MeterWriter(store)

    def reading(kwh: float) -> MeterBatch:
        return MeterBatch("CP1", 1, transaction_id, (MeterSample(Measurand.ENERGY_IMPORT_KWH, kwh, T0),))

    callers: list[asyncio.Task[MeterBatchOutcome]] = [
        asyncio.create_task(writer.add(reading(10.0 + n))) for n in range(5)
    ]
    await asyncio.sleep(0)
    running = writer._writer
    assert running is not None
    running.cancel()
    results = await asyncio.wait_for(asyncio.gather(*callers, return_exceptions=True), 10)
    for result in results:
        assert isinstance(result, MeterBatchOutcome | RuntimeError), result
    assert any(isinstance(result, RuntimeError) for result in results)


@pytest.mark.parametrize("cancels", [1, 2, 5])
@pytest.mark.parametrize("waited_s", [0.0, 0.01, 0.05])
async def test_a_writer_cancelled_while_it_waits_for_a_lock_leaves_no_task_and_no_lock_behind(
    tmp_path: Path, cancels: int, waited_s: float
) -> None:
    """Another process holds SQLite's write lock; a writer waiting for it is cancelled, again and
    again as a shutting-down server does. SQLAlchemy then discards the connection (it cannot know
    what the driver did), and aiosqlite used to leave that discarding waiting forever: nothing else
    failed, but the event loop could no longer close."""
    path = tmp_path / "vettabbia.db"
    store = Store.from_url(f"sqlite:///{path}")
    await store.migrate()
    other_process = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        other_process.execute("BEGIN IMMEDIATE")
        writer = asyncio.create_task(store.record_connection("CP1", "1.6", True, T0))
        await asyncio.sleep(waited_s)
        for _ in range(cancels):
            writer.cancel()
            await asyncio.sleep(0)
        other_process.execute("COMMIT")
        await asyncio.wait({writer}, timeout=10)
        assert writer.done()
        # The next write gets the database at once.
        await asyncio.wait_for(store.record_connection("probe", "1.6", True, T0), 5)
        await store.close()
        this_task = asyncio.current_task()
        left = [task for task in asyncio.all_tasks() if task is not this_task]
        if left:
            await asyncio.wait(left, timeout=5)
        assert all(task.done() for task in left), [repr(task) for task in left if not task.done()]
    finally:
        other_process.close()


async def test_a_connection_asked_to_stop_twice_answers_both() -> None:
    """What SQLAlchemy does when it discards a connection after a cancellation: stop, then close."""
    connection = await SafeClosingConnection(lambda: sqlite3.connect(":memory:"), 64)
    first = connection.stop()
    assert first is not None
    assert connection.stop() is first
    # The close comes after the stop: it waits for the stop's own close instead of for ever.
    await asyncio.wait_for(connection.close(), 5)
    assert first.done()


async def _open_with_a_query_left_unread(path: Path) -> tuple[SafeClosingConnection, aiosqlite.Cursor]:
    """A connection in a write transaction whose last query still has rows to give, as a task
    cancelled during that query leaves it; the cursor stays alive, as in that task's traceback."""
    connection = SafeClosingConnection(lambda: sqlite3.connect(path, isolation_level=None), 64)
    await connection
    await connection.execute("BEGIN IMMEDIATE")
    await connection.execute("INSERT INTO t VALUES (1)")
    cursor = await connection.execute("SELECT x FROM t UNION ALL SELECT 2")
    assert await cursor.fetchone() == (1,)
    return connection, cursor


def _write_lock_is_free(path: Path) -> bool:
    other_process = sqlite3.connect(path, timeout=0.2, isolation_level=None)
    try:
        other_process.execute("BEGIN IMMEDIATE")
        other_process.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other_process.close()


@pytest.mark.parametrize("closing", ["close", "stop", "stop then close"])
async def test_closing_a_connection_with_a_query_left_unread_gives_the_write_lock_back(
    tmp_path: Path, closing: str
) -> None:
    """A sqlite3 connection closed while a statement of its write transaction is alive keeps the
    write lock until that statement is freed: the open rollback is what ends it. (About SQLite
    itself: its own file.)"""
    path = tmp_path / "locks.db"
    with sqlite3.connect(path) as setting_up:
        setting_up.execute("PRAGMA journal_mode=WAL")
        setting_up.execute("CREATE TABLE t (x INTEGER)")
    setting_up.close()
    connection, cursor = await _open_with_a_query_left_unread(path)
    assert not _write_lock_is_free(path)
    if closing == "close":
        await asyncio.wait_for(connection.close(), 5)
    else:
        stopped = connection.stop()
        assert stopped is not None
        if closing == "stop then close":
            await asyncio.wait_for(connection.close(), 5)
        await asyncio.wait_for(stopped, 5)
    assert _write_lock_is_free(path)
    # Nothing was committed, and the cursor the cancelled task kept is still there.
    assert cursor is not None
    with sqlite3.connect(path) as reading:
        assert reading.execute("SELECT count(*) FROM t").fetchone() == (0,)
    reading.close()


SLOW_QUERY = (
    "WITH RECURSIVE counting(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM counting WHERE n < 1000000) "
    "SELECT n FROM counting ORDER BY -n"
)
"""A query whose first row takes SQLite a while (it sorts a million rows): a cancellation lands
while it runs, and the rows after the first are never fetched."""


async def test_a_writer_cancelled_during_a_query_does_not_keep_the_write_lock_while_its_task_is_kept(
    tmp_path: Path,
) -> None:
    """The cancelled task (and so its traceback, and the cursor in it) is still referenced, as a
    connection registry or a task group keeps it; the next writer must not wait for it to be freed."""
    path = tmp_path / "vettabbia.db"
    engine = create_engine(f"sqlite:///{path}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (x INTEGER)"))
        sessions = async_sessionmaker(engine.execution_options(**{WRITE_OPTION: True}))
        write_lock = asyncio.Lock()

        async def slow_writer() -> None:
            async with transaction(sessions, write_lock) as session:
                await session.execute(text("INSERT INTO t VALUES (1)"))
                await session.execute(text(SLOW_QUERY))

        kept = asyncio.create_task(slow_writer())
        await asyncio.sleep(0.2)
        kept.cancel()
        await asyncio.wait({kept}, timeout=30)
        assert kept.cancelled()
        assert await asyncio.wait_for(asyncio.to_thread(_write_lock_is_free, path), 5)
        async with transaction(sessions, write_lock) as session:
            await asyncio.wait_for(session.execute(text("INSERT INTO t VALUES (2)")), 5)
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT x FROM t"))).scalars().all() == [2]
        del kept
    finally:
        await engine.dispose()


async def test_a_stuck_task_is_described_down_to_where_it_waits() -> None:
    """What a locked database or a runtime that does not stop prints: the innermost wait too."""
    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def waits_for_the_lock() -> None:
        await never

    async def holds_a_session() -> None:
        await waits_for_the_lock()

    stuck = asyncio.create_task(holds_a_session(), name="stuck")
    await asyncio.sleep(0)
    try:
        line = next(line for line in describe_tasks().splitlines() if "stuck:" in line)
        assert "holds_a_session" in line
        assert "waits_for_the_lock" in line
    finally:
        stuck.cancel()
