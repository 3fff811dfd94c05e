"""A load process of the fault benchmark: its share of library-made chargers, driven over a pipe.

The chargers are ``StreamingCharger``s (reconnecting, keeping what was acknowledged to them). They
come up a bounded number at a time: each connects through the balancer, boots, starts its
transaction and streams meter values. Then the process answers the parent's commands:

- ``("views", since_s)``: per charger, its connections, first fail-safe and first TxProfile since
  ``since_s`` (``time.monotonic()``, the same clock in every process on Linux), readings acknowledged;
- ``("watch", True | False)``: start, or stop and report, sampling the sum of the limits the
  chargers hold in force (what a central system that went away leaves them with);
- ``("stop", ids)``: stop those chargers' transactions, answered once acknowledged;
- ``("ledger",)``: everything acknowledged to every charger, to compare with the database;
- ``("quit",)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any

import uvloop

from benchmarks.ocpp_load.worker import raise_open_files_limit
from benchmarks.scale_out.streaming_charger import Reading, StreamingCharger

BRING_UPS_IN_FLIGHT = 10
"""Chargers connecting, booting and starting their transaction at once, per process: each of these
waits for the controller, and more at once only wait past the gateway's 10 s answer timeout."""
WATCH_INTERVAL_S = 0.5
STOP_TIMEOUT_S = 120.0


@dataclass(frozen=True, slots=True)
class LoadSettings:
    url: str
    """The balancer, ``ws://host:port``."""
    chargers: tuple[tuple[str, str], ...]
    """(charge point id, id tag) of each charger of this process."""
    session_start: datetime
    meter_interval_s: float
    reconnect_s: float
    bring_up_timeout_s: float


@dataclass(frozen=True, slots=True)
class BroughtUp:
    streaming: int
    """Chargers with a transaction and a first reading acknowledged."""
    chargers: int
    seconds: float
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ChargerView:
    charge_point_id: str
    connected_at: tuple[float, ...]
    """Connections opened since the asked instant [monotonic s]."""
    first_failsafe_at: float | None
    first_tx_profile_at: float | None
    readings_acknowledged: int
    transaction_id: int | None
    stopped: bool


@dataclass(frozen=True, slots=True)
class LimitWatch:
    samples: int
    max_sum_kw: float
    """The largest sum, over one sample, of the limits the chargers held in force."""
    max_without_limit: int
    """The most chargers, in one sample, holding no limit at all (they would charge at full power)."""
    profiles_received: int
    """SetChargingProfile calls received while watching."""


@dataclass(frozen=True, slots=True)
class ChargerLedger:
    charge_point_id: str
    id_tag: str
    transaction_ids: tuple[int, ...]
    readings: tuple[Reading, ...]
    stops: tuple[tuple[int, int], ...]
    """(transaction id, meter stop [Wh])."""


def run_fault_load(settings: LoadSettings, pipe: Connection) -> None:
    """Process entry point."""
    raise_open_files_limit()
    # The library logs every CALLERROR; the chargers retry those by design (a controller that is down
    # or busy answers asks with InternalError), and the run reports what matters.
    logging.getLogger("ocpp").setLevel(logging.CRITICAL)
    uvloop.run(_work(settings, pipe))


def _first(charger: StreamingCharger, purpose: str, since_s: float) -> float | None:
    return next(
        (p.received_at for p in charger.profiles if p.received_at >= since_s and p.profile.purpose == purpose), None
    )


def _view(charger: StreamingCharger, since_s: float) -> ChargerView:
    return ChargerView(
        charge_point_id=charger.charge_point_id,
        connected_at=tuple(t for t in charger.connected_at if t >= since_s),
        first_failsafe_at=_first(charger, "TxDefaultProfile", since_s),
        first_tx_profile_at=_first(charger, "TxProfile", since_s),
        readings_acknowledged=charger.readings_acknowledged,
        transaction_id=charger.transaction_id,
        stopped=charger.stopped.is_set(),
    )


def _ledger(charger: StreamingCharger) -> ChargerLedger:
    acknowledged = charger.acknowledged
    return ChargerLedger(
        charge_point_id=charger.charge_point_id,
        id_tag=charger.id_tag,
        transaction_ids=tuple(acknowledged.transaction_ids),
        readings=tuple(acknowledged.readings),
        stops=tuple(acknowledged.stops.items()),
    )


class _Watch:
    """Samples the limits in force until stopped."""

    def __init__(self, chargers: Sequence[StreamingCharger]) -> None:
        self._chargers = chargers
        self._profiles_before = sum(len(c.profiles) for c in chargers)
        self._samples = 0
        self._max_sum_kw = 0.0
        self._max_without = 0
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            now = datetime.now(UTC)
            limits = [c.limit_in_force_kw(now) for c in self._chargers]
            self._samples += 1
            self._max_sum_kw = max(self._max_sum_kw, sum(lim for lim in limits if lim is not None))
            self._max_without = max(self._max_without, sum(1 for lim in limits if lim is None))
            await asyncio.sleep(WATCH_INTERVAL_S)

    async def stop(self) -> LimitWatch:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        received = sum(len(c.profiles) for c in self._chargers) - self._profiles_before
        return LimitWatch(self._samples, self._max_sum_kw, self._max_without, received)


async def _bring_up(chargers: Sequence[StreamingCharger], timeout_s: float) -> tuple[list[asyncio.Task[None]], float]:
    started_s = time.monotonic()
    deadline_s = started_s + timeout_s
    slots = asyncio.Semaphore(BRING_UPS_IN_FLIGHT)
    tasks: list[asyncio.Task[None]] = []

    async def one(charger: StreamingCharger) -> None:
        async with slots:
            tasks.append(asyncio.create_task(charger.run(), name=charger.charge_point_id))
            # The charger signals no first reading: polled, a few times a second.
            while charger.readings_acknowledged < 1 and time.monotonic() < deadline_s:  # noqa: ASYNC110
                await asyncio.sleep(0.05)

    await asyncio.gather(*(one(c) for c in chargers))
    return tasks, time.monotonic() - started_s


async def _stop_transactions(chargers: Sequence[StreamingCharger]) -> int:
    for charger in chargers:
        charger.stop_transaction()
    waits = [asyncio.create_task(c.stopped.wait()) for c in chargers if c.transaction_id is not None]
    if waits:
        await asyncio.wait(waits, timeout=STOP_TIMEOUT_S)
    for wait in waits:
        wait.cancel()
    return sum(1 for c in chargers if c.stopped.is_set())


async def _work(settings: LoadSettings, pipe: Connection) -> None:
    chargers = [
        StreamingCharger(
            cp_id, id_tag, settings.url, settings.session_start, settings.meter_interval_s, settings.reconnect_s
        )
        for cp_id, id_tag in settings.chargers
    ]
    by_id = {c.charge_point_id: c for c in chargers}
    tasks, seconds = await _bring_up(chargers, settings.bring_up_timeout_s)
    try:
        missing = tuple(c.charge_point_id for c in chargers if c.readings_acknowledged < 1)
        pipe.send(BroughtUp(len(chargers) - len(missing), len(chargers), seconds, missing))
        watch: _Watch | None = None
        while True:
            command: tuple[Any, ...] = await asyncio.to_thread(pipe.recv)
            match command:
                case ("views", since_s):
                    pipe.send([_view(c, since_s) for c in chargers])
                case ("watch", True):
                    watch = _Watch(chargers)
                    pipe.send(None)
                case ("watch", False):
                    pipe.send(await watch.stop() if watch is not None else None)
                    watch = None
                case ("stop", ids):
                    pipe.send(await _stop_transactions([by_id[i] for i in ids if i in by_id]))
                case ("ledger",):
                    pipe.send([_ledger(c) for c in chargers])
                case ("quit",):
                    pipe.send(None)
                    return
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
