"""What chargers send, as the application receives it; and frames that are not OCPP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from ocpp.v16 import call
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from ocpp_server.central_system import CentralSystem
from ocpp_server.events import (
    ConnectorStatusChanged,
    Measurand,
    MeterSample,
    MeterValuesReceived,
    TransactionStarted,
    TransactionStopped,
)
from tests.ocpp_server.support import NOW, RecordingSink, charger, fixed_now, running


async def test_a_transaction_round_trip_uses_the_ids_of_the_application() -> None:
    sink = RecordingSink(next_transaction_id=1000)
    async with running(CentralSystem(sink, fixed_now)) as url, charger(url, "CP1") as cp:
        authorized = await cp.call(call.Authorize(id_tag="ok-van-3"))
        refused = await cp.call(call.Authorize(id_tag="stolen"))
        started = await cp.call(
            call.StartTransaction(
                connector_id=1, id_tag="ok-van-3", meter_start=12345, timestamp="2025-06-02T11:59:00+02:00"
            )
        )
        stopped = await cp.call(
            call.StopTransaction(
                meter_stop=20345,
                timestamp="2025-06-02T09:59:30Z",
                transaction_id=started.transaction_id,
                reason="EVDisconnected",
                id_tag="ok-van-3",
                transaction_data=[
                    {
                        "timestamp": "2025-06-02T09:59:30Z",
                        "sampledValue": [{"value": "20.345", "unit": "kWh", "context": "Transaction.End"}],
                    }
                ],
            )
        )
        stopped_without_tag = await cp.call(
            call.StopTransaction(meter_stop=20345, timestamp="2025-06-02T09:59:30Z", transaction_id=1001)
        )

    assert authorized.id_tag_info == {"status": "Accepted"}
    assert refused.id_tag_info == {"status": "Invalid"}
    assert started.transaction_id == 1001
    assert started.id_tag_info == {"status": "Accepted"}
    assert stopped.id_tag_info == {"status": "Accepted"}
    assert stopped_without_tag.id_tag_info is None
    assert sink.of_type(TransactionStarted) == [
        TransactionStarted("CP1", 1, "ok-van-3", 12.345, datetime(2025, 6, 2, 9, 59, tzinfo=UTC))
    ]
    first_stop = sink.of_type(TransactionStopped)[0]
    at = datetime(2025, 6, 2, 9, 59, 30, tzinfo=UTC)
    assert first_stop == TransactionStopped(
        "CP1", 1001, 20.345, at, "EVDisconnected", "ok-van-3", (MeterSample(Measurand.ENERGY_IMPORT_KWH, 20.345, at),)
    )


async def test_meter_values_reach_the_application_normalised() -> None:
    sink = RecordingSink()
    async with running(CentralSystem(sink, fixed_now)) as url, charger(url, "CP1") as cp:
        await cp.call(
            call.MeterValues(
                connector_id=2,
                transaction_id=1001,
                meter_value=[
                    {
                        "timestamp": "2025-06-02T09:58:00Z",
                        "sampledValue": [
                            {"value": "1500000"},
                            {"value": "7.2", "measurand": "Power.Active.Import", "unit": "kW"},
                            {"value": "10.4", "measurand": "Current.Import", "unit": "A", "phase": "L1"},
                            {"value": "63", "measurand": "SoC", "location": "EV", "unit": "Percent"},
                            {"value": "ab12", "format": "SignedData"},
                            {"value": "NaN", "measurand": "Voltage", "unit": "V"},
                        ],
                    },
                    {"timestamp": "2025-06-02T11:00:00Z", "sampledValue": [{"value": "1600000"}]},
                ],
            )
        )

    at = datetime(2025, 6, 2, 9, 58, tzinfo=UTC)
    assert sink.of_type(MeterValuesReceived) == [
        MeterValuesReceived(
            "CP1",
            2,
            1001,
            (
                MeterSample(Measurand.ENERGY_IMPORT_KWH, 1500.0, at),
                MeterSample(Measurand.POWER_IMPORT_KW, 7.2, at),
                MeterSample(Measurand.CURRENT_IMPORT_A, 10.4, at, "L1"),
                MeterSample(Measurand.SOC_PERCENT, 63.0, at),
            ),
        )
    ]


async def test_power_above_one_and_a_half_times_the_connector_rating_is_dropped() -> None:
    sink = RecordingSink()  # connector 1 is rated 22 kW: 33 kW is the bound
    async with running(CentralSystem(sink, fixed_now)) as url, charger(url, "CP1") as cp:
        await cp.call(call.BootNotification(charge_point_model="AC22", charge_point_vendor="Acme"))
        power = {"measurand": "Power.Active.Import", "unit": "kW"}
        await cp.call(
            call.MeterValues(
                connector_id=1,
                meter_value=[
                    {
                        "timestamp": "2025-06-02T09:58:00Z",
                        "sampledValue": [{**power, "value": "32.9"}, {**power, "value": "33.1"}],
                    }
                ],
            )
        )

    (received,) = sink.of_type(MeterValuesReceived)
    assert [sample.value for sample in received.samples] == [32.9]


async def test_status_notifications_carry_the_charger_time_or_now() -> None:
    sink = RecordingSink()
    async with running(CentralSystem(sink, fixed_now)) as url, charger(url, "CP1") as cp:
        await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing"))
        await cp.call(
            call.StatusNotification(
                connector_id=0, error_code="GroundFailure", status="Faulted", timestamp="2025-06-02T09:00:00Z"
            )
        )

    assert sink.of_type(ConnectorStatusChanged) == [
        ConnectorStatusChanged("CP1", 1, "Preparing", "NoError", NOW),
        ConnectorStatusChanged("CP1", 0, "Faulted", "GroundFailure", datetime(2025, 6, 2, 9, 0, tzinfo=UTC)),
    ]


async def test_vendor_data_and_firmware_reports_are_acknowledged() -> None:
    async with running(CentralSystem(RecordingSink(), fixed_now)) as url, charger(url, "CP1") as cp:
        data = await cp.call(call.DataTransfer(vendor_id="com.acme", message_id="x", data="{}"))
        await cp.call(call.FirmwareStatusNotification(status="Installed"))
        await cp.call(call.DiagnosticsStatusNotification(status="Uploaded"))

    assert data.status == "UnknownVendorId"


@asynccontextmanager
async def raw_socket(url: str) -> AsyncIterator[ClientConnection]:
    async with connect(f"{url}/CP1", subprotocols=[Subprotocol("ocpp1.6")]) as ws:
        yield ws


async def exchange(ws: ClientConnection, frame: str) -> list[Any]:
    await ws.send(frame)
    answer: list[Any] = json.loads(await ws.recv())
    return answer


@pytest.mark.parametrize(
    ("frame", "unique_id", "error_code"),
    [
        ("this is not json", "-1", "FormationViolation"),
        ('{"action": "Heartbeat"}', "-1", "FormationViolation"),
        ('[2,"m1","Heartbeat"]', "m1", "FormationViolation"),
        ('[2,"m2","Heartbeat",{"extra":1}]', "m2", "FormationViolation"),
        ('[2,"m3","StatusNotification",{"connectorId":1,"status":"Available"}]', "m3", "ProtocolError"),
        (
            '[2,"m4","StartTransaction",{"connectorId":"1","idTag":"a","meterStart":0,"timestamp":"x"}]',
            "m4",
            "TypeConstraintViolation",
        ),
        (
            '[2,"m5","StartTransaction",{"connectorId":1,"idTag":"a","meterStart":0,"timestamp":"soon"}]',
            "m5",
            "PropertyConstraintViolation",
        ),
        ('[2,"m6","FlyToTheMoon",{}]', "m6", "NotImplemented"),
        ('[2,"m7","Reset",{"type":"Hard"}]', "m7", "NotSupported"),
    ],
)
async def test_a_bad_frame_gets_a_callerror_and_the_connection_keeps_serving(
    frame: str, unique_id: str, error_code: str
) -> None:
    async with running(CentralSystem(RecordingSink(), fixed_now)) as url, raw_socket(url) as ws:
        answer = await exchange(ws, frame)
        after = await exchange(ws, '[2,"next","Heartbeat",{}]')

    assert answer[:3] == [4, unique_id, error_code]
    assert after == [3, "next", {"currentTime": "2025-06-02T10:00:00.000Z"}]


async def test_unknown_message_types_and_stray_results_are_ignored() -> None:
    async with running(CentralSystem(RecordingSink(), fixed_now)) as url, raw_socket(url) as ws:
        await ws.send('[7,"x",{}]')
        await ws.send('[3,"nobody-asked",{}]')
        await ws.send('[4,"nobody-asked","GenericError","",{}]')
        after = await exchange(ws, '[2,"next","Heartbeat",{}]')

    assert after[:2] == [3, "next"]


async def test_a_failing_application_gets_internal_error_and_the_connection_keeps_serving() -> None:
    sink = RecordingSink(failing=frozenset({"connector_status_changed"}))
    async with running(CentralSystem(sink, fixed_now)) as url, raw_socket(url) as ws:
        answer = await exchange(
            ws, '[2,"s1","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Available"}]'
        )
        after = await exchange(ws, '[2,"next","Heartbeat",{}]')

    assert answer[:3] == [4, "s1", "InternalError"]
    assert "is down" not in json.dumps(answer)
    assert after[:2] == [3, "next"]
