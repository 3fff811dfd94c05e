"""Every message a central system sends, through the operator API to a charger on a real websocket.

The generic endpoint (``POST /charge-points/{id}/ocpp/{action}``) must deliver the payload exactly
as given and hand back exactly what the charger answered, CALLRESULT or CALLERROR; the typed
endpoints must write their snake_case bodies in OCPP 1.6's wire form. The charger checks every
request against the official schema.
"""

from __future__ import annotations

from typing import Any

from ocpp_server.raw_calls import V16_ACTIONS, CentralSystemAction
from tests.ocpp_server.compliance.harness import (
    DC_CHARGER,
    Refuse,
    check_result,
    operator_api,
    scripted_charger,
    site_runtime,
)
from tests.ocpp_server.compliance.samples import CENTRAL_SYSTEM_CALLS

COMMANDS = f"/api/v1/charge-points/{DC_CHARGER}/commands"


def test_the_samples_cover_every_action_a_central_system_sends() -> None:
    assert set(CENTRAL_SYSTEM_CALLS) == V16_ACTIONS


async def test_every_central_system_action_is_forwarded_exactly_and_its_answer_returned(database_url: str) -> None:
    failures: list[str] = []
    async with site_runtime(database_url) as runtime, scripted_charger(runtime, DC_CHARGER) as charger:
        await charger.boot()
        async with operator_api(runtime) as api:
            for action, (request, answer) in CENTRAL_SYSTEM_CALLS.items():
                await check_result(action.value, answer)
                charger.answers[action.value] = answer
                sent = len(charger.calls)
                reply = await api.post(f"/api/v1/charge-points/{DC_CHARGER}/ocpp/{action.value}", json=request)
                got = (reply.status_code, reply.json().get("outcome"), reply.json().get("payload"))
                if got != (200, "CallResult", answer):
                    failures.append(f"{action}: answered {got}, the charger said {answer}")
                if charger.calls[sent:] != [(action.value, request)]:
                    failures.append(f"{action}: the charger received {charger.calls[sent:]}, not {request}")
    assert failures == []
    assert charger.invalid == []


async def test_every_central_system_action_returns_the_chargers_call_error(database_url: str) -> None:
    """A charger that cannot do something says so with a CALLERROR: the operator reads it as sent."""
    failures: list[str] = []
    async with site_runtime(database_url) as runtime, scripted_charger(runtime, DC_CHARGER) as charger:
        await charger.boot()
        async with operator_api(runtime) as api:
            for action, (request, _) in CENTRAL_SYSTEM_CALLS.items():
                details = {"cause": f"{action.value} is not implemented here"}
                charger.answers[action.value] = Refuse("NotImplemented", "Requested Action is not known", details)
                reply = await api.post(f"/api/v1/charge-points/{DC_CHARGER}/ocpp/{action.value}", json=request)
                body = reply.json()
                expected_error = {"code": "NotImplemented", "description": "Requested Action is not known"}
                if (reply.status_code, body["outcome"], body["payload"]) != (200, "CallError", None) or body[
                    "error"
                ] != {**expected_error, "details": details}:
                    failures.append(f"{action}: {reply.status_code} {body}")
    assert failures == []


TYPED: list[tuple[str, str, dict[str, Any] | None, dict[str, Any], dict[str, Any]]] = [
    # (test case, command, body, wire payload, the charger's answer)
    ("tc_019_1_retrieve_all_configuration_keys", "get-configuration", {}, {}, {"configurationKey": []}),
    (
        "tc_019_2_retrieve_specific_configuration_key",
        "get-configuration",
        {"keys": ["HeartbeatInterval"]},
        {"key": ["HeartbeatInterval"]},
        {"configurationKey": [{"key": "HeartbeatInterval", "readonly": True, "value": "300"}]},
    ),
    (
        "tc_040_1_configuration_keys_non_existing_key",
        "get-configuration",
        {"keys": ["NoSuchKey"]},
        {"key": ["NoSuchKey"]},
        {"unknownKey": ["NoSuchKey"]},
    ),
    (
        "tc_021_change_configuration",
        "change-configuration",
        {"key": "MeterValueSampleInterval", "value": "60"},
        {"key": "MeterValueSampleInterval", "value": "60"},
        {"status": "Accepted"},
    ),
    (
        "tc_040_2_configuration_keys_invalid_value",
        "change-configuration",
        {"key": "MeterValueSampleInterval", "value": "-1"},
        {"key": "MeterValueSampleInterval", "value": "-1"},
        {"status": "Rejected"},
    ),
    (
        "tc_054_trigger_message",
        "trigger-message",
        {"requested_message": "StatusNotification", "connector_id": 1},
        {"requestedMessage": "StatusNotification", "connectorId": 1},
        {"status": "Accepted"},
    ),
    (
        "tc_055_trigger_message_rejected",
        "trigger-message",
        {"requested_message": "MeterValues"},
        {"requestedMessage": "MeterValues"},
        {"status": "Rejected"},
    ),
    ("tc_061_clear_authorization_cache", "clear-cache", None, {}, {"status": "Accepted"}),
    (
        "tc_046_reserve_a_connector",
        "reserve-now",
        {
            "connector_id": 1,
            "expiry_date": "2026-12-05T12:30:00+01:00",
            "id_tag": "RFID-CAR-01",
            "reservation_id": 7,
        },
        {"connectorId": 1, "expiryDate": "2026-12-05T11:30:00.000Z", "idTag": "RFID-CAR-01", "reservationId": 7},
        {"status": "Accepted"},
    ),
    (
        "tc_053_reserve_with_a_parent_id_tag",
        "reserve-now",
        {
            "connector_id": 0,
            "expiry_date": "2026-12-05T11:30:00Z",
            "id_tag": "RFID-CAR-01",
            "parent_id_tag": "FLEET-CS",
            "reservation_id": 8,
        },
        {
            "connectorId": 0,
            "expiryDate": "2026-12-05T11:30:00.000Z",
            "idTag": "RFID-CAR-01",
            "parentIdTag": "FLEET-CS",
            "reservationId": 8,
        },
        {"status": "Accepted"},
    ),
    (
        "tc_051_cancel_reservation",
        "cancel-reservation",
        {"reservation_id": 7},
        {"reservationId": 7},
        {"status": "Accepted"},
    ),
    (
        "tc_044_1_firmware_update",
        "update-firmware",
        {
            "location": "https://firmware.example.org/fw.bin",
            "retrieve_date": "2026-12-05T12:00:00Z",
            "retries": 3,
            "retry_interval_s": 60,
        },
        {
            "location": "https://firmware.example.org/fw.bin",
            "retrieveDate": "2026-12-05T12:00:00.000Z",
            "retries": 3,
            "retryInterval": 60,
        },
        {},
    ),
    (
        "tc_045_1_get_diagnostics",
        "get-diagnostics",
        {
            "location": "ftp://logs.example.org/upload/",
            "start_time": "2026-12-04T00:00:00Z",
            "stop_time": "2026-12-05T00:00:00Z",
        },
        {
            "location": "ftp://logs.example.org/upload/",
            "startTime": "2026-12-04T00:00:00.000Z",
            "stopTime": "2026-12-05T00:00:00.000Z",
        },
        {"fileName": "diag.zip"},
    ),
    (
        "tc_062_data_transfer_to_a_charge_point",
        "data-transfer",
        {"vendor_id": "com.example.charger", "message_id": "ping", "data": "1"},
        {"vendorId": "com.example.charger", "messageId": "ping", "data": "1"},
        {"status": "UnknownVendorId"},
    ),
]


async def test_typed_commands_are_sent_in_wire_form_and_answered_as_the_charger_answers(database_url: str) -> None:
    failures: list[str] = []
    async with site_runtime(database_url) as runtime, scripted_charger(runtime, DC_CHARGER) as charger:
        await charger.boot()
        async with operator_api(runtime) as api:
            for case, command, body, wire, answer in TYPED:
                action = CentralSystemAction(
                    {
                        "get-configuration": "GetConfiguration",
                        "change-configuration": "ChangeConfiguration",
                        "trigger-message": "TriggerMessage",
                        "clear-cache": "ClearCache",
                        "reserve-now": "ReserveNow",
                        "cancel-reservation": "CancelReservation",
                        "update-firmware": "UpdateFirmware",
                        "get-diagnostics": "GetDiagnostics",
                        "data-transfer": "DataTransfer",
                    }[command]
                )
                await check_result(action.value, answer)
                charger.answers[action.value] = answer
                sent = len(charger.calls)
                reply = await api.post(f"{COMMANDS}/{command}", json=body)
                expected = {
                    "charge_point_id": DC_CHARGER,
                    "action": action.value,
                    "outcome": "CallResult",
                    "payload": answer,
                    "error": None,
                }
                if reply.status_code != 200 or reply.json() != expected:
                    failures.append(f"{case}: {reply.status_code} {reply.text}")
                if charger.calls[sent:] != [(action.value, wire)]:
                    failures.append(f"{case}: the charger received {charger.calls[sent:]}, expected {wire}")
    assert failures == []
    assert charger.invalid == []


BAD_BODIES: list[tuple[str, dict[str, Any], str]] = [
    # (command, body, the field named in the problem)
    ("get-configuration", {"keys": []}, "keys"),
    ("get-configuration", {"keys": ["K" * 51]}, "keys.0"),
    ("change-configuration", {"key": "HeartbeatInterval"}, "value"),
    ("trigger-message", {"requested_message": "StartTransaction"}, "requested_message"),
    ("trigger-message", {"requested_message": "Heartbeat", "connector_id": 0}, "connector_id"),
    (
        "reserve-now",
        {"connector_id": 1, "expiry_date": "2026-12-05T11:30:00", "id_tag": "T", "reservation_id": 1},
        "expiry_date",
    ),
    (
        "reserve-now",
        {"connector_id": 1, "expiry_date": "2026-12-05T11:30:00Z", "id_tag": "T" * 21, "reservation_id": 1},
        "id_tag",
    ),
    (
        "reserve-now",
        {"connector_id": 1, "expiry_date": "0001-01-01T00:30:00+01:00", "id_tag": "T", "reservation_id": 1},
        "expiry_date",
    ),
    ("cancel-reservation", {"reservationId": 7}, "reservationId"),
    ("update-firmware", {"location": "firmware.bin", "retrieve_date": "2026-12-05T12:00:00Z"}, "location"),
    ("get-diagnostics", {"location": "ftp://x/", "retries": -1}, "retries"),
    ("data-transfer", {"vendor_id": ""}, "vendor_id"),
]


async def test_a_bad_typed_command_is_refused_naming_the_field_and_never_sent(database_url: str) -> None:
    failures: list[str] = []
    async with (
        site_runtime(database_url) as runtime,
        scripted_charger(runtime, DC_CHARGER) as charger,
        operator_api(runtime) as api,
    ):
        for command, body, field in BAD_BODIES:
            reply = await api.post(f"{COMMANDS}/{command}", json=body)
            named = {error["field"] for error in reply.json().get("errors", [])}
            if reply.status_code != 422 or f"body.{field}" not in named:
                failures.append(f"{command} {body}: {reply.status_code} {reply.text}")
            elif reply.headers["content-type"] != "application/problem+json":
                failures.append(f"{command}: answered {reply.headers['content-type']}")
    assert failures == []
    assert charger.calls == []


async def test_a_typed_command_to_a_silent_charger_is_a_gateway_timeout_and_is_audited(database_url: str) -> None:
    async with (
        site_runtime(database_url, call_timeout_s=0.3) as runtime,
        scripted_charger(runtime, DC_CHARGER) as charger,
    ):
        await charger.boot()
        charger.answers["GetConfiguration"] = None
        async with operator_api(runtime) as api:
            reply = await api.post(f"{COMMANDS}/get-configuration", json={"keys": ["HeartbeatInterval"]})
        audit = await runtime.store.access.list_audit(limit=10)
    assert reply.status_code == 504
    assert reply.headers["content-type"] == "application/problem+json"
    assert "no answer to GetConfiguration within 0.3 s" in reply.json()["detail"]
    entries = [entry for entry in audit if entry.path == f"{COMMANDS}/get-configuration"]
    assert [(entry.actor, entry.status_code, entry.payload) for entry in entries] == [
        ("otto", 504, {"keys": ["HeartbeatInterval"]})
    ]
