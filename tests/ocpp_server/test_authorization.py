"""The IdTagInfo of Authorize.conf, StartTransaction.conf and StopTransaction.conf on the wire.

The charger is the ``ocpp`` library's client, which checks every answer against the official 1.6
schemas (camelCase, no extra fields) before handing it over in snake_case.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from ocpp.v16 import call

from ocpp_server.central_system import CentralSystem
from ocpp_server.events import TransactionStarted
from ocpp_server.ports import IdTagInfo, IdTagStatus
from tests.ocpp_server.support import RecordingSink, charger, fixed_now, running

EXPIRY = datetime(2025, 7, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
"""Written on the wire in UTC, to the millisecond: 2025-07-01T10:30:15.123Z."""


async def test_authorize_carries_the_expiry_date_in_utc_and_the_parent_id_tag() -> None:
    sink = RecordingSink(id_tags={"VAN-CARD": IdTagInfo(IdTagStatus.ACCEPTED, EXPIRY, "FLEET-GROUP")})
    async with running(CentralSystem(sink, fixed_now)) as url, charger(url, "CP1") as cp:
        answer = await cp.call(call.Authorize(id_tag="VAN-CARD"))

    assert answer.id_tag_info == {
        "status": "Accepted",
        "expiry_date": "2025-07-01T10:30:15.123Z",
        "parent_id_tag": "FLEET-GROUP",
    }
    assert ("CP1", "VAN-CARD") in sink.events


async def test_every_status_reaches_the_charger_as_the_application_says() -> None:
    sink = RecordingSink(id_tags={status.value: IdTagInfo(status) for status in IdTagStatus})
    async with running(CentralSystem(sink, fixed_now)) as url, charger(url, "CP1") as cp:
        answers = {status.value: await cp.call(call.Authorize(id_tag=status.value)) for status in IdTagStatus}

    assert {tag: answer.id_tag_info for tag, answer in answers.items()} == {
        status.value: {"status": status.value} for status in IdTagStatus
    }


async def test_a_blocked_start_still_gets_a_transaction_id_and_is_handed_on() -> None:
    blocked = IdTagInfo(IdTagStatus.BLOCKED, parent_id_tag="FLEET-GROUP")
    sink = RecordingSink(next_transaction_id=41, id_tags={"LOST-CARD": blocked})
    async with running(CentralSystem(sink, fixed_now)) as url, charger(url, "CP1") as cp:
        started = await cp.call(
            call.StartTransaction(connector_id=2, id_tag="LOST-CARD", meter_start=0, timestamp="2025-06-02T10:00:00Z")
        )
        stopped = await cp.call(
            call.StopTransaction(
                meter_stop=500, timestamp="2025-06-02T10:05:00Z", transaction_id=42, id_tag="LOST-CARD"
            )
        )

    assert started.transaction_id == 42
    assert started.id_tag_info == {"status": "Blocked", "parent_id_tag": "FLEET-GROUP"}
    assert stopped.id_tag_info == {"status": "Blocked", "parent_id_tag": "FLEET-GROUP"}
    assert [event.id_tag for event in sink.of_type(TransactionStarted)] == ["LOST-CARD"]


async def test_a_stop_without_id_tag_gets_no_id_tag_info() -> None:
    sink = RecordingSink(id_tags={"CARD": IdTagInfo(IdTagStatus.ACCEPTED, datetime(2030, 1, 1, tzinfo=UTC))})
    async with running(CentralSystem(sink, fixed_now)) as url, charger(url, "CP1") as cp:
        stopped = await cp.call(
            call.StopTransaction(meter_stop=500, timestamp="2025-06-02T10:05:00Z", transaction_id=7)
        )

    assert stopped.id_tag_info is None
