"""Meter values of many chargers in one commit: the store's write path as the site grows.

Every MeterValues is stored before its charger gets an answer; one database transaction per
message costs a commit each (and, on SQLite, a turn of the one writer), which at thousands of
chargers keeps a StartTransaction waiting behind hundreds of meter values. Here the messages that
arrive while a write runs wait for the next one, which takes them all: a lone message is written at
once, a crowd shares one commit, and each still returns only once its own samples are durable.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from fleet.persistence import MeterBatch, MeterBatchOutcome
from fleet.stopping import being_stopped

MAX_BATCHES_PER_COMMIT = 500
"""Bounds one transaction (and the time the writer holds the database) under a backlog."""


class MeterStore(Protocol):
    def checked_meter_batch(self, batch: MeterBatch) -> MeterBatch: ...

    async def add_meter_batches(self, batches: list[MeterBatch]) -> list[MeterBatchOutcome]: ...


class MeterWriter:
    def __init__(self, store: MeterStore, *, max_batches: int = MAX_BATCHES_PER_COMMIT) -> None:
        self._store = store
        self._max_batches = max_batches
        self._waiting: list[tuple[MeterBatch, asyncio.Future[MeterBatchOutcome]]] = []
        self._in_flight: list[tuple[MeterBatch, asyncio.Future[MeterBatchOutcome]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.commits = 0
        """Transactions written so far (for tests and diagnostics)."""

    async def add(self, batch: MeterBatch) -> MeterBatchOutcome:
        """Store ``batch``; returns once it is committed. Raises what the store raised for its commit.

        A batch the store would refuse is refused here, to its caller alone: it never fails the
        commit it would have shared.
        """
        batch = self._store.checked_meter_batch(batch)
        answer: asyncio.Future[MeterBatchOutcome] = asyncio.get_running_loop().create_future()
        self._waiting.append((batch, answer))
        if self._writer is None or self._writer.done():
            # A task of its own: a caller cancelled while waiting must not stop others' writes.
            self._writer = asyncio.create_task(self._write_all(), name="meter values writer")
            self._writer.add_done_callback(self._writer_ended)
        return await answer

    def _writer_ended(self, writer: asyncio.Task[None]) -> None:
        # Cancelled (the process is stopping), perhaps before it even started: nobody will write
        # these any more, so their callers must hear so instead of waiting forever on an answer.
        if writer.cancelled() or writer.exception() is not None:
            stranded = self._in_flight + self._waiting
            self._in_flight, self._waiting = [], []
            _fail(stranded, RuntimeError("the meter values writer stopped"))

    async def _write_all(self) -> None:
        while self._waiting:
            taken = self._waiting[: self._max_batches]
            del self._waiting[: self._max_batches]
            self._in_flight = taken
            try:
                outcomes = await self._store.add_meter_batches([batch for batch, _ in taken])
            except Exception as error:
                self._in_flight = []
                _fail(taken, error)
                if being_stopped():
                    raise
                continue
            self._in_flight = []
            self.commits += 1
            for (_, answer), outcome in zip(taken, outcomes, strict=True):
                if not answer.done():
                    answer.set_result(outcome)


def _fail(answers: list[tuple[MeterBatch, asyncio.Future[MeterBatchOutcome]]], error: BaseException) -> None:
    for _, answer in answers:
        if not answer.done():
            answer.set_exception(error)
