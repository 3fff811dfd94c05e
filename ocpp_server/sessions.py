"""Bookkeeping for open charger connections: sessions, tasks they own, per-charger ordering."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from ocpp_server.events import OcppVersion
from ocpp_server.ports import BootDecision

if TYPE_CHECKING:
    from ocpp_server.handlers_v16 import ChargePointV16
    from ocpp_server.handlers_v201 import ChargePointV201

LOGGER = logging.getLogger(__name__)


class Session:
    """One accepted connection of one charger, from admission to disconnect."""

    def __init__(
        self,
        charge_point_id: str,
        resume: BootDecision | None,
        *,
        pending: bool = False,
        version: OcppVersion = OcppVersion.V16,
    ) -> None:
        self.charge_point_id = charge_point_id
        self.version = version
        self.resume = resume
        self.pending = pending
        """Admitted without being accepted: requests are screened until an accepted boot."""
        self.charge_point: ChargePointV16 | ChargePointV201 | None = None
        """Set once the connection is open and served."""
        self.replaced = asyncio.Event()
        """Set when a newer connection of the same charger took over; this one then closes."""


class OwnedTasks:
    """Tasks of one connection, inside its TaskGroup: errors logged, all cancelled at the end."""

    def __init__(self, group: asyncio.TaskGroup) -> None:
        self._group = group
        self._live: set[asyncio.Task[None]] = set()

    def spawn(self, coroutine: Coroutine[Any, Any, object], *, name: str) -> None:
        try:
            task = self._group.create_task(_logging_errors(coroutine, name), name=name)
        except RuntimeError:
            coroutine.close()
            LOGGER.warning("%s not started: the connection is shutting down", name)
            return
        self._live.add(task)
        task.add_done_callback(self._live.discard)

    def cancel_all(self) -> None:
        for task in list(self._live):
            task.cancel()


async def _logging_errors(coroutine: Coroutine[Any, Any, object], name: str) -> None:
    # A failing child would cancel the whole TaskGroup, read loop included: log it instead.
    try:
        await coroutine
    except Exception:
        LOGGER.exception("%s failed", name)


class KeyedLocks:
    """One asyncio.Lock per key, dropped when nobody holds or waits for it.

    Serialises the connect and disconnect reports of one charger, so that the application never
    sees a newer connection's ChargerConnected overtaken by an older one's ChargerDisconnected.
    """

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
