"""Meter values of many chargers share a commit, and each caller still learns its own outcome."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from fleet.meter_writer import MeterWriter
from fleet.persistence import InvalidValueError, MeterBatch, Store
from ocpp_server.events import Measurand, MeterSample

T0 = datetime(2025, 3, 10, 6, 0, tzinfo=UTC)


def reading(charge_point_id: str, transaction_id: int | None, kwh: float, seconds: int = 0) -> MeterBatch:
    sample = MeterSample(Measurand.ENERGY_IMPORT_KWH, kwh, T0 + timedelta(seconds=seconds))
    return MeterBatch(charge_point_id, 1, transaction_id, (sample,))


@pytest.fixture
async def store(database_url: str) -> Store:
    opened = Store.from_url(database_url)
    await opened.migrate()
    return opened


async def test_a_crowd_of_chargers_shares_commits_and_every_reading_is_stored(store: Store) -> None:
    try:
        started = [await store.start_transaction(f"CP{n}", 1, f"tag-{n}", None, 10.0, T0) for n in range(40)]
        writer = MeterWriter(store)
        outcomes = await asyncio.gather(
            *(writer.add(reading(f"CP{n}", tx, 10.5)) for n, tx in enumerate(started)),
            writer.add(reading("CP-X", 99999, 1.0)),
        )
        again = await writer.add(reading("CP0", started[0], 10.5))
        active = {tx.id: tx for tx in await store.active_transactions()}
    finally:
        await store.close()

    assert [o.stored for o in outcomes] == [1] * 41
    assert [o.transaction_known for o in outcomes] == [True] * 40 + [False]
    # Forty-one messages at once: the first commit takes the first, the next the forty waiting.
    assert writer.commits <= 3
    assert again.stored == 0  # the same reading again is not stored twice
    assert len(active) == 40
    assert all(tx.energy_kwh == pytest.approx(0.5) for tx in active.values())


async def test_a_reading_the_store_refuses_fails_its_caller_alone(store: Store) -> None:
    try:
        tx = await store.start_transaction("CP1", 1, "tag-1", None, 10.0, T0)
        writer = MeterWriter(store)
        bad = MeterBatch("CP2", -1, None, (MeterSample(Measurand.ENERGY_IMPORT_KWH, 1.0, T0),))
        good, refused = await asyncio.gather(
            writer.add(reading("CP1", tx, 11.0)), writer.add(bad), return_exceptions=True
        )
    finally:
        await store.close()

    assert isinstance(refused, InvalidValueError)
    assert not isinstance(good, BaseException)
    assert good.stored == 1
