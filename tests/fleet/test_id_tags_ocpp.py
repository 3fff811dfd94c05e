"""Authorisation end to end: a library-made charger on a real websocket, the central system, the
application and its store. Named after the OCPP 1.6 compliance test cases where one matches.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ocpp.v16 import call

from fleet.persistence.id_tag_records import IdTagRecord
from fleet.runtime import RunSettings, Runtime, vehicle_records
from fleet.site_config import load_site
from ocpp_server.ports import IdTagInfo, IdTagStatus
from tests.fleet.conftest import TEST_KEY, fast_hasher
from tests.ocpp_server.support import charger

VAN_CARD = "RFID-CAR-01"
"""The first card of vehicle CAR-01 in the Milan site file; the id-tag store does not hold it."""


@pytest.fixture
async def runtime(database_url: str) -> AsyncIterator[Runtime]:
    settings = RunSettings(database_url=database_url, token_key=TEST_KEY)
    rt = Runtime(load_site(), settings, secret_hasher=fast_hasher())
    await rt.store.migrate()
    await rt.store.upsert_vehicles(vehicle_records(rt.site))
    ready = asyncio.Event()
    server = asyncio.create_task(rt.central.serve("127.0.0.1", 0, ready=ready))
    await asyncio.wait_for(ready.wait(), timeout=5)
    yield rt
    server.cancel()
    await asyncio.gather(server, return_exceptions=True)
    await rt.store.close()


def _url(rt: Runtime) -> str:
    return f"ws://127.0.0.1:{rt.central.listening_port()}"


async def _store_tag(rt: Runtime, id_tag: str, info: IdTagInfo) -> None:
    assert await rt.store.id_tags.add_id_tag(IdTagRecord(id_tag, info))


async def _authorize(rt: Runtime, id_tag: str, charge_point_id: str = "MI-DC-01") -> dict[str, Any]:
    async with charger(_url(rt), charge_point_id) as cp:
        answer = await cp.call(call.Authorize(id_tag=id_tag))
    info: dict[str, Any] = answer.id_tag_info
    return info


def _start(connector_id: int, id_tag: str, at: str = "2025-06-02T10:00:00Z") -> call.StartTransaction:
    return call.StartTransaction(connector_id=connector_id, id_tag=id_tag, meter_start=1000, timestamp=at)


async def test_tc_023_1_csms_an_unknown_tag_is_invalid(runtime: Runtime) -> None:
    assert await _authorize(runtime, "NOBODY-KNOWS") == {"status": "Invalid"}


async def test_tc_023_2_csms_an_accepted_tag_past_its_expiry_is_expired(runtime: Runtime) -> None:
    yesterday = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    await _store_tag(runtime, "TEMP-CARD", IdTagInfo(IdTagStatus.ACCEPTED, yesterday))

    answer = await _authorize(runtime, "TEMP-CARD")

    assert answer == {"status": "Expired", "expiry_date": yesterday.strftime("%Y-%m-%dT%H:%M:%S.000Z")}


async def test_tc_023_3_csms_a_blocked_tag_is_blocked(runtime: Runtime) -> None:
    await _store_tag(runtime, "LOST-CARD", IdTagInfo(IdTagStatus.BLOCKED))

    assert await _authorize(runtime, "lost-card") == {"status": "Blocked"}


async def test_an_accepted_tag_answers_its_expiry_and_parent_id_tag(runtime: Runtime) -> None:
    await _store_tag(runtime, "DRIVER-7", IdTagInfo(IdTagStatus.ACCEPTED, datetime(2099, 1, 1, tzinfo=UTC), "DEPOT-A"))

    answer = await _authorize(runtime, "Driver-7")

    assert answer == {"status": "Accepted", "expiry_date": "2099-01-01T00:00:00.000Z", "parent_id_tag": "DEPOT-A"}


async def test_a_vehicles_card_is_accepted_in_any_letter_case_until_the_store_blocks_it(runtime: Runtime) -> None:
    before = await _authorize(runtime, VAN_CARD.lower())
    await _store_tag(runtime, VAN_CARD, IdTagInfo(IdTagStatus.BLOCKED))
    after = await _authorize(runtime, VAN_CARD)

    assert (before, after) == ({"status": "Accepted"}, {"status": "Blocked"})


async def test_a_start_with_a_blocked_tag_is_stored_and_answered_blocked(runtime: Runtime) -> None:
    await _store_tag(runtime, VAN_CARD, IdTagInfo(IdTagStatus.BLOCKED, parent_id_tag="CAR-SHARING"))
    async with charger(_url(runtime), "MI-DC-01") as cp:
        started = await cp.call(_start(1, VAN_CARD.lower()))

    stored = await runtime.store.get_transaction(started.transaction_id)
    assert started.id_tag_info == {"status": "Blocked", "parent_id_tag": "CAR-SHARING"}
    assert stored is not None
    assert (stored.charge_point_id, stored.connector_id, stored.id_tag) == ("MI-DC-01", 1, VAN_CARD.lower())
    assert stored.vehicle_id == "CAR-01"


async def test_a_tag_charging_at_one_charger_is_concurrent_at_another(runtime: Runtime) -> None:
    async with charger(_url(runtime), "MI-DC-01") as first, charger(_url(runtime), "MI-DC-02") as second:
        started = await first.call(_start(1, VAN_CARD))
        at_the_same_charger = await first.call(call.Authorize(id_tag=VAN_CARD))
        elsewhere = await second.call(call.Authorize(id_tag=VAN_CARD.lower()))
        second_start = await second.call(_start(1, VAN_CARD, at="2025-06-02T10:01:00Z"))
        await second.call(
            call.StopTransaction(
                meter_stop=1000, timestamp="2025-06-02T10:02:00Z", transaction_id=second_start.transaction_id
            )
        )
        stopped = await first.call(
            call.StopTransaction(
                meter_stop=9000,
                timestamp="2025-06-02T11:00:00Z",
                transaction_id=started.transaction_id,
                id_tag=VAN_CARD,
            )
        )
        after_the_stop = await second.call(call.Authorize(id_tag=VAN_CARD))

    assert started.id_tag_info == {"status": "Accepted"}
    assert at_the_same_charger.id_tag_info == {"status": "Accepted"}
    assert elsewhere.id_tag_info == {"status": "ConcurrentTx"}
    assert second_start.id_tag_info == {"status": "ConcurrentTx"}
    assert second_start.transaction_id != started.transaction_id
    assert await runtime.store.get_transaction(second_start.transaction_id) is not None
    assert stopped.id_tag_info == {"status": "Accepted"}
    assert after_the_stop.id_tag_info == {"status": "Accepted"}


async def test_a_retried_start_is_not_concurrent_with_itself(runtime: Runtime) -> None:
    async with charger(_url(runtime), "MI-DC-01") as cp:
        first = await cp.call(_start(1, VAN_CARD))
        retried = await cp.call(_start(1, VAN_CARD))

    assert retried.transaction_id == first.transaction_id
    assert retried.id_tag_info == {"status": "Accepted"}
