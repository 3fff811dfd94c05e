"""OCPP-J 2.0.1 framing and errors, authorisation answers, and the station's reports, over real websockets."""

from __future__ import annotations

import json

import pytest
from ocpp.v201 import call

from ocpp_server.central_system import CentralSystem
from ocpp_server.events import ChargerNotice, NoticeKind
from ocpp_server.ports import IdTagInfo, IdTagStatus
from ocpp_server.raw_calls import CentralSystemAction, RawCallOutcome
from tests.ocpp_server.support import NOW, RecordingSink, fixed_now, running, until
from tests.ocpp_server.v201.station import station
from tests.ocpp_server.v201.test_b_provisioning import ACCEPTED, BOOT


@pytest.mark.parametrize(
    ("frame", "unique_id", "error_code"),
    [
        ("this is not json", "-1", "RpcFrameworkError"),
        ('{"action": "Heartbeat"}', "-1", "RpcFrameworkError"),
        ('[2,"m1","Heartbeat"]', "m1", "RpcFrameworkError"),
        ('[2,7,"Heartbeat",{}]', "-1", "RpcFrameworkError"),
        ('[2,"m2","Heartbeat",[]]', "m2", "FormatViolation"),
        ('[5,"m3","Heartbeat",{}]', "m3", "MessageTypeNotSupported"),
        ('[2,"m4","Heartbeat",{"extra":1}]', "m4", "FormatViolation"),
        ('[2,"m5","Authorize",{}]', "m5", "ProtocolError"),
        ('[2,"m8","Authorize",{"idToken":{"idToken":7,"type":"Central"}}]', "m8", "TypeConstraintViolation"),
        ('[2,"m6","FlyToTheMoon",{}]', "m6", "NotImplemented"),
        ('[2,"m7","RequestStartTransaction",{}]', "m7", "NotSupported"),
    ],
)
async def test_tc_rpc_errors_are_spelled_as_in_201(frame: str, unique_id: str, error_code: str) -> None:
    sink = RecordingSink(boot=ACCEPTED)
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        await cs.call(BOOT)
        waiter = cs._raw_waiters.setdefault(unique_id, __import__("asyncio").get_running_loop().create_future())
        await cs._connection.send(frame)
        answer = await __import__("asyncio").wait_for(waiter, timeout=5)

    assert answer[:3] == [4, unique_id, error_code]


async def test_a_broken_callresult_is_never_answered() -> None:
    sink = RecordingSink(boot=ACCEPTED)
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        await cs.call(BOOT)
        await cs._connection.send('[3,"r1"]')
        heartbeat = await cs.send_frame("Heartbeat", {}, "h1")

    assert heartbeat[:2] == [3, "h1"]


async def test_tc_c_authorize_answers_with_the_group_token_and_unknown_tokens_are_invalid() -> None:
    group = IdTagInfo(IdTagStatus.ACCEPTED, parent_id_tag="fleet-vans")
    sink = RecordingSink(boot=ACCEPTED, id_tags={"ok-van-1": group})
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        await cs.call(BOOT)
        van = await cs.call(call.Authorize(id_token={"id_token": "ok-van-1", "type": "ISO14443"}))
        stranger = await cs.call(call.Authorize(id_token={"id_token": "nobody", "type": "ISO14443"}))

    assert van.id_token_info == {"status": "Accepted", "group_id_token": {"id_token": "fleet-vans", "type": "Central"}}
    assert stranger.id_token_info == {"status": "Invalid"}


async def test_tc_p_data_transfer_from_an_unknown_vendor_and_15118_certificates_without_a_provider() -> None:
    sink = RecordingSink(boot=ACCEPTED)
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        await cs.call(BOOT)
        transfer = await cs.call(call.DataTransfer(vendor_id="com.example"))
        certificate = await cs.call(
            call.Get15118EVCertificate(
                iso15118_schema_version="urn:iso:15118:2:2013:MsgDef", action="Install", exi_request="AA=="
            )
        )
        status = await cs.send_frame(
            "GetCertificateStatus",
            {
                "ocspRequestData": {
                    "hashAlgorithm": "SHA256",
                    "issuerNameHash": "a",
                    "issuerKeyHash": "b",
                    "serialNumber": "1",
                    "responderURL": "http://ocsp",
                }
            },
            "g1",
        )

    assert transfer.status == "UnknownVendorId"
    assert certificate.status == "Failed"
    assert certificate.status_info["reason_code"] == "NoCertProvider"
    assert status[2]["status"] == "Failed"


async def test_tc_l_n_status_reports_and_security_events_reach_the_operator_log() -> None:
    sink = RecordingSink(boot=ACCEPTED)
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        await cs.call(BOOT)
        await cs.call(call.FirmwareStatusNotification(status="Installed", request_id=4))
        await cs.call(call.LogStatusNotification(status="Uploaded", request_id=5))
        await cs.call(
            call.SecurityEventNotification(
                type="TamperDetectionActivated", timestamp="2025-06-02T09:00:00Z", tech_info="lid"
            )
        )
        await cs.call(
            call.NotifyEvent(
                generated_at="2025-06-02T09:30:00Z",
                seq_no=0,
                event_data=[
                    {
                        "event_id": 1,
                        "timestamp": "2025-06-02T09:30:00Z",
                        "trigger": "Alerting",
                        "actual_value": "81",
                        "event_notification_type": "CustomMonitor",
                        "component": {"name": "EVSE"},
                        "variable": {"name": "Temperature"},
                    }
                ],
            )
        )
        await until("four notices", lambda: len(sink.of_type(ChargerNotice)) == 4)

    notices = [(n.kind, n.status, n.request_id) for n in sink.of_type(ChargerNotice)]
    assert notices == [
        (NoticeKind.FIRMWARE_STATUS, "Installed", 4),
        (NoticeKind.LOG_STATUS, "Uploaded", 5),
        (NoticeKind.SECURITY_EVENT, "TamperDetectionActivated", None),
        (NoticeKind.EVENT, "Alerting", None),
    ]
    assert sink.of_type(ChargerNotice)[3].detail == "EVSE.Temperature = '81' (CustomMonitor)"
    assert sink.of_type(ChargerNotice)[0].at == NOW


async def test_a_repeated_call_gets_the_same_answer_without_being_handled_twice() -> None:
    sink = RecordingSink(boot=ACCEPTED)
    central = CentralSystem(sink, fixed_now)
    frame = {"timestamp": "2025-06-02T09:00:00Z", "connectorStatus": "Available", "evseId": 1, "connectorId": 1}
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        await cs.call(BOOT)
        first = await cs.send_frame("StatusNotification", frame, "s1")
        again = await cs.send_frame("StatusNotification", frame, "s1")

    assert first == again == [3, "s1", {}]
    assert len([e for e in sink.events if type(e).__name__ == "ConnectorStatusChanged"]) == 1
    assert json.dumps(first)


async def test_operator_commands_send_any_201_action_unchanged_and_refuse_16_ones() -> None:
    sink = RecordingSink(boot=ACCEPTED)
    central = CentralSystem(sink, fixed_now)
    payload = {"getVariableData": [{"component": {"name": "SmartChargingCtrlr"}, "variable": {"name": "Enabled"}}]}
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        await cs.call(BOOT)
        answer = await central.send_call("CS1", CentralSystemAction.GET_VARIABLES, payload)
        refused = await central.send_call("CS1", CentralSystemAction.GET_CONFIGURATION, {})
        unsupported = await central.send_call("CS1", CentralSystemAction.GET_DISPLAY_MESSAGES, {"requestId": 1})

    assert answer.outcome is RawCallOutcome.RESULT
    assert answer.payload == {
        "getVariableResult": [
            {
                "attributeStatus": "Accepted",
                "attributeValue": "true",
                "component": {"name": "SmartChargingCtrlr"},
                "variable": {"name": "Enabled"},
            }
        ]
    }
    assert refused.outcome is RawCallOutcome.NOT_IN_PROTOCOL
    assert "not an OCPP 2.0.1 action" in refused.detail
    # The station (the library's client) has no handler for it: its CALLERROR comes back as sent.
    assert unsupported.outcome is RawCallOutcome.CALL_ERROR
    assert unsupported.error_code == "NotImplemented"
