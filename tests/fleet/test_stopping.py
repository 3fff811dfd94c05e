"""Background loops stop when cancelled, even when a database driver turns the cancellation of a
query into an error of its own (a runtime's shutdown would otherwise wait for them forever)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest

from fleet.over_limit import OverLimitMonitor
from fleet.persistence.engine import create_engine
from fleet.persistence.records import TransactionRecord
from fleet.persistence.store import Store
from fleet.site_meter import NoSiteMeter
from fleet.site_monitor import SiteMonitor
from fleet.stopping import being_stopped

NOW = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)
STOP_WITHIN_S = 5.0


class DriverError(Exception):
    """What a driver raises instead of CancelledError when its query is cancelled."""


class CancelTurningStore(Store):
    """A store whose query for the active transactions hangs, then, on cancellation, fails the way a
    driver may (with an error of its own instead of CancelledError) or, with ``swallow``, answers
    as if nothing had happened (an await that lost the cancellation)."""

    def __init__(self, swallow: bool = False) -> None:
        super().__init__(create_engine("sqlite://"))
        self.swallow = swallow
        self.queries = 0
        self.querying = asyncio.Event()

    async def active_transactions(self) -> list[TransactionRecord]:
        self.queries += 1
        self.querying.set()
        if self.queries > 1:
            # The loop went round again after its stop: end it, so that a failing test still ends.
            raise asyncio.CancelledError
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            if self.swallow:
                return []
            raise DriverError("connection was closed in the middle of operation") from None
        raise AssertionError("unreachable: the query never answers")


class InstantClock:
    def now(self) -> datetime:
        return NOW

    async def sleep(self, duration_s: float) -> None:
        await asyncio.sleep(0)


@pytest.fixture(params=["driver error", "swallowed"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[CancelTurningStore]:
    opened = CancelTurningStore(swallow=request.param == "swallowed")
    await opened.migrate()
    try:
        yield opened
    finally:
        await opened.close()


async def stops_when_cancelled(store: CancelTurningStore, run: Callable[[], Awaitable[None]]) -> None:
    task = asyncio.ensure_future(run())
    await asyncio.wait_for(store.querying.wait(), STOP_WITHIN_S)
    task.cancel()
    await asyncio.wait({task}, timeout=STOP_WITHIN_S)
    assert task.done()
    assert store.queries == 1, "the loop went round again instead of stopping"
    with pytest.raises(asyncio.CancelledError if store.swallow else DriverError):
        task.result()


async def test_the_over_limit_monitor_stops(store: CancelTurningStore) -> None:
    monitor = OverLimitMonitor(store, InstantClock(), lambda key: None, failsafe_kw=6.3)
    await stops_when_cancelled(store, monitor.run)


async def test_the_site_monitor_stops(store: CancelTurningStore) -> None:
    monitor = SiteMonitor(store, InstantClock(), NoSiteMeter())
    await stops_when_cancelled(store, monitor.run)


async def test_a_failing_round_that_is_not_a_stop_goes_round_again() -> None:
    """The other side: a plain error in a round is logged and the loop carries on."""
    rounds = 0

    async def flaky() -> None:
        nonlocal rounds
        while rounds < 3:
            rounds += 1
            try:
                raise DriverError("the database is away")
            except DriverError:
                if being_stopped():
                    raise
            await asyncio.sleep(0)

    await asyncio.wait_for(flaky(), STOP_WITHIN_S)
    assert rounds == 3
