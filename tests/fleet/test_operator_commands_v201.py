"""The typed operator commands to a 2.0.1 station: same request bodies as for 1.6, the 2.0.1 call on the wire.

Each test looks at the call as it arrived at a library-made 2.0.1 station over a real websocket (the
station checks it against the 2.0.1 schema before its handler sees it) and at the API's answer,
which names the action sent. Named after the OCA 2.0.1 test blocks (B provisioning, C authorisation,
F remote control, G availability, H reservation, K smart charging, L firmware, N diagnostics,
P data transfer) and the use case each command is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from fleet.runtime import Runtime
from tests.fleet.station201_support import connected_station, serving_runtime, signed_in

CHARGER = "MI-DC-01"
OTHER_CHARGER = "MI-DC-02"
COMMANDS = f"/api/v1/charge-points/{CHARGER}/commands"
CENTRAL_TOKEN = {"idToken": "RFID-CAR-01", "type": "Central"}


@pytest.fixture
async def runtime(database_url: str) -> AsyncIterator[Runtime]:
    async with serving_runtime(database_url) as rt:
        yield rt


async def _command(rt: Runtime, command: str, body: dict[str, Any] | None) -> tuple[dict[str, Any], list[Any]]:
    """The API's answer (200 asserted) and every call the station received."""
    async with connected_station(rt, CHARGER) as station, signed_in(rt, "operator") as api:
        answer = await api.post(f"{COMMANDS}/{command}", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json(), station.calls


@pytest.mark.parametrize(
    ("command", "body", "action", "wire", "result"),
    [
        pytest.param(
            "reset", {"type": "Hard"}, "Reset", {"type": "Immediate"}, {"status": "Accepted"}, id="b11_reset_hard"
        ),
        pytest.param(
            "reset", {"type": "Soft"}, "Reset", {"type": "OnIdle"}, {"status": "Scheduled"}, id="b12_reset_soft"
        ),
        pytest.param(
            "unlock-connector",
            {"connector_id": 2},
            "UnlockConnector",
            {"evseId": 2, "connectorId": 1},
            {"status": "Unlocked"},
            id="f05_unlock",
        ),
        pytest.param(
            "change-availability",
            {"connector_id": 2, "type": "Inoperative"},
            "ChangeAvailability",
            {"operationalStatus": "Inoperative", "evse": {"id": 2}},
            {"status": "Accepted"},
            id="g03_evse",
        ),
        pytest.param(
            "change-availability",
            {"connector_id": 0, "type": "Operative"},
            "ChangeAvailability",
            {"operationalStatus": "Operative"},
            {"status": "Accepted"},
            id="g04_station",
        ),
        pytest.param(
            "trigger-message",
            {"requested_message": "StatusNotification", "connector_id": 1},
            "TriggerMessage",
            {"requestedMessage": "StatusNotification", "evse": {"id": 1, "connectorId": 1}},
            {"status": "Accepted"},
            id="f06_status",
        ),
        pytest.param(
            "trigger-message",
            {"requested_message": "DiagnosticsStatusNotification"},
            "TriggerMessage",
            {"requestedMessage": "LogStatusNotification"},
            {"status": "Accepted"},
            id="f06_log_status",
        ),
        pytest.param(
            "reserve-now",
            {
                "connector_id": 1,
                "expiry_date": "2026-03-02T10:30:00+01:00",
                "id_tag": "RFID-CAR-01",
                "parent_id_tag": "FLEET-CARS",
                "reservation_id": 7,
            },
            "ReserveNow",
            {
                "id": 7,
                "expiryDateTime": "2026-03-02T09:30:00.000Z",
                "idToken": CENTRAL_TOKEN,
                "evseId": 1,
                "groupIdToken": {"idToken": "FLEET-CARS", "type": "Central"},
            },
            {"status": "Accepted"},
            id="h01_reserve_evse",
        ),
        pytest.param(
            "reserve-now",
            {"connector_id": 0, "expiry_date": "2026-03-02T09:30:00Z", "id_tag": "RFID-CAR-01", "reservation_id": 8},
            "ReserveNow",
            {"id": 8, "expiryDateTime": "2026-03-02T09:30:00.000Z", "idToken": CENTRAL_TOKEN},
            {"status": "Accepted"},
            id="h01_reserve_any_evse",
        ),
        pytest.param(
            "cancel-reservation",
            {"reservation_id": 7},
            "CancelReservation",
            {"reservationId": 7},
            {"status": "Accepted"},
            id="h02_cancel",
        ),
        pytest.param("clear-cache", None, "ClearCache", {}, {"status": "Accepted"}, id="c11_clear_cache"),
        pytest.param(
            "data-transfer",
            {"vendor_id": "com.example", "message_id": "ping", "data": "hello"},
            "DataTransfer",
            {"vendorId": "com.example", "messageId": "ping", "data": "hello"},
            {"status": "UnknownVendorId"},
            id="p01_data_transfer",
        ),
        pytest.param(
            "get-composite-schedule",
            {"connector_id": 1, "duration_s": 3600, "charging_rate_unit": "W"},
            "GetCompositeSchedule",
            {"duration": 3600, "evseId": 1, "chargingRateUnit": "W"},
            {"status": "Rejected"},
            id="k08_composite_schedule",
        ),
        pytest.param(
            "clear-charging-profile",
            {"connector_id": 1, "purpose": "ChargePointMaxProfile", "stack_level": 2},
            "ClearChargingProfile",
            {
                "chargingProfileCriteria": {
                    "evseId": 1,
                    "chargingProfilePurpose": "ChargingStationMaxProfile",
                    "stackLevel": 2,
                }
            },
            {"status": "Accepted"},
            id="k10_clear_profile",
        ),
        pytest.param(
            "clear-charging-profile",
            {"profile_id": 12},
            "ClearChargingProfile",
            {"chargingProfileId": 12},
            {"status": "Accepted"},
            id="k10_clear_profile_by_id",
        ),
    ],
)
async def test_tc_b_c_f_g_h_k_p_each_typed_command_sends_its_201_counterpart(
    runtime: Runtime,
    command: str,
    body: dict[str, Any] | None,
    action: str,
    wire: dict[str, Any],
    result: dict[str, Any],
) -> None:
    answer, calls = await _command(runtime, command, body)

    assert calls == [(action, wire)]
    assert answer == {
        "charge_point_id": CHARGER,
        "action": action,
        "outcome": "CallResult",
        "payload": result,
        "error": None,
    }


async def test_tc_f_remote_start_sends_request_start_transaction_with_a_fresh_remote_start_id(
    runtime: Runtime,
) -> None:
    answers, starts = [], []
    for _ in range(2):
        answer, calls = await _command(runtime, "remote-start", {"id_tag": "RFID-CAR-01", "connector_id": 1})
        answers.append(answer)
        [(action, wire)] = calls
        assert action == "RequestStartTransaction"
        starts.append(wire)

    assert [(a["action"], a["payload"]) for a in answers] == [("RequestStartTransaction", {"status": "Accepted"})] * 2
    for wire in starts:
        assert {k: v for k, v in wire.items() if k != "remoteStartId"} == {"idToken": CENTRAL_TOKEN, "evseId": 1}
        assert isinstance(wire["remoteStartId"], int)
        assert wire["remoteStartId"] > 0
    assert starts[0]["remoteStartId"] != starts[1]["remoteStartId"]


async def test_tc_f_remote_start_without_a_connector_lets_the_station_choose(runtime: Runtime) -> None:
    _, [(_, wire)] = await _command(runtime, "remote-start", {"id_tag": "RFID-CAR-01"})

    assert set(wire) == {"idToken", "remoteStartId"}


async def test_tc_f_remote_stop_sends_the_stations_own_transaction_id(runtime: Runtime) -> None:
    started_at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    transaction_id = await runtime.store.start_transaction(
        CHARGER, 1, "RFID-CAR-01", None, 10.0, started_at, charger_transaction_id="7f3a-tx"
    )

    answer, calls = await _command(runtime, "remote-stop", {"transaction_id": transaction_id})

    assert calls == [("RequestStopTransaction", {"transactionId": "7f3a-tx"})]
    assert (answer["action"], answer["payload"]) == ("RequestStopTransaction", {"status": "Accepted"})


async def test_tc_b_configuration_keys_are_read_and_set_as_their_201_variables(runtime: Runtime) -> None:
    keys = ["MeterValueSampleInterval", "SmartChargingCtrlr.Entries.ChargingProfiles", "HeartbeatInterval"]
    async with connected_station(runtime, CHARGER) as station, signed_in(runtime, "operator") as api:
        read = await api.post(f"{COMMANDS}/get-configuration", json={"keys": keys})
        changed = await api.post(
            f"{COMMANDS}/change-configuration", json={"key": "MeterValueSampleInterval", "value": "60"}
        )
        held = station.variables[("SampledDataCtrlr", "TxUpdatedInterval", None)]

    assert station.calls == [
        (
            "GetVariables",
            {
                "getVariableData": [
                    {"component": {"name": "SampledDataCtrlr"}, "variable": {"name": "TxUpdatedInterval"}},
                    {
                        "component": {"name": "SmartChargingCtrlr"},
                        "variable": {"name": "Entries", "instance": "ChargingProfiles"},
                    },
                    {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
                ]
            },
        ),
        (
            "SetVariables",
            {
                "setVariableData": [
                    {
                        "component": {"name": "SampledDataCtrlr"},
                        "variable": {"name": "TxUpdatedInterval"},
                        "attributeValue": "60",
                    }
                ]
            },
        ),
    ]
    assert read.json()["action"] == "GetVariables"
    results = read.json()["payload"]["getVariableResult"]
    assert [(r["attributeStatus"], r.get("attributeValue")) for r in results] == [
        ("Accepted", "300"),
        ("Accepted", "16"),
        ("UnknownVariable", None),
    ]
    assert changed.json()["action"] == "SetVariables"
    assert changed.json()["payload"]["setVariableResult"][0]["attributeStatus"] == "Accepted"
    assert held == "60"


async def test_tc_l_n_firmware_update_and_diagnostics_become_update_firmware_and_get_log(runtime: Runtime) -> None:
    firmware = {"location": "https://fw.example/dc50-2.bin", "retrieve_date": "2026-03-02T02:00:00Z", "retries": 3}
    diagnostics = {
        "location": "ftp://logs.example/upload",
        "start_time": "2026-03-01T00:00:00Z",
        "stop_time": "2026-03-02T00:00:00Z",
        "retry_interval_s": 60,
    }
    async with connected_station(runtime, CHARGER) as station, signed_in(runtime, "operator") as api:
        updated = await api.post(f"{COMMANDS}/update-firmware", json=firmware)
        logged = await api.post(f"{COMMANDS}/get-diagnostics", json=diagnostics)

    [(update_action, update), (log_action, log)] = station.calls
    assert (update_action, log_action) == ("UpdateFirmware", "GetLog")
    assert update.pop("requestId") > 0
    assert update == {
        "firmware": {"location": "https://fw.example/dc50-2.bin", "retrieveDateTime": "2026-03-02T02:00:00.000Z"},
        "retries": 3,
    }
    assert log.pop("requestId") > 0
    assert log == {
        "log": {
            "remoteLocation": "ftp://logs.example/upload",
            "oldestTimestamp": "2026-03-01T00:00:00.000Z",
            "latestTimestamp": "2026-03-02T00:00:00.000Z",
        },
        "logType": "DiagnosticsLog",
        "retryInterval": 60,
    }
    assert updated.json()["payload"] == {"status": "Accepted"}
    assert logged.json()["payload"] == {"status": "Accepted", "filename": "diagnostics.zip"}


@pytest.mark.parametrize(
    ("command", "body", "why"),
    [
        ("get-configuration", {}, "GetBaseReport"),
        ("get-configuration", {"keys": ["HeartbeatInterval", "LightIntensity"]}, "'LightIntensity'"),
        ("change-configuration", {"key": "NumberOfConnectors", "value": "2"}, "'NumberOfConnectors'"),
        ("change-configuration", {"key": "AuthorizationKey", "value": "too-short"}, "16-40 characters"),
        ("remote-stop", {"transaction_id": 987654}, "transaction 987654 is not one of"),
        (
            "update-firmware",
            {"location": "https://fw.example/" + "x" * 500, "retrieve_date": "2026-03-02T02:00:00Z"},
            "512",
        ),
    ],
)
async def test_a_command_without_a_201_counterpart_is_422_and_nothing_is_sent(
    runtime: Runtime, command: str, body: dict[str, Any], why: str
) -> None:
    async with connected_station(runtime, CHARGER) as station, signed_in(runtime, "operator") as api:
        answer = await api.post(f"{COMMANDS}/{command}", json=body)

    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert "speaks OCPP 2.0.1" in answer.json()["detail"]
    assert why in answer.json()["detail"]
    assert station.calls == []


async def test_stopping_another_chargers_transaction_is_422(runtime: Runtime) -> None:
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    other = await runtime.store.start_transaction(
        OTHER_CHARGER, 1, "RFID-CAR-02", None, 1.0, at, charger_transaction_id="a"
    )
    async with connected_station(runtime, CHARGER) as station, signed_in(runtime, "operator") as api:
        answer = await api.post(f"{COMMANDS}/remote-stop", json={"transaction_id": other})

    assert answer.status_code == 422
    assert station.calls == []


async def test_a_201_command_is_audited_and_an_idempotency_key_sends_it_once(runtime: Runtime) -> None:
    headers = {"Idempotency-Key": "reset-201"}
    async with connected_station(runtime, CHARGER) as station, signed_in(runtime, "operator") as api:
        first = await api.post(f"{COMMANDS}/reset", json={"type": "Hard"}, headers=headers)
        again = await api.post(f"{COMMANDS}/reset", json={"type": "Hard"}, headers=headers)

    assert first.status_code == again.status_code == 200
    assert again.headers["idempotency-replayed"] == "true"
    assert again.json() == first.json()
    assert first.json()["action"] == "Reset"
    assert station.calls == [("Reset", {"type": "Immediate"})]
    entries = [e for e in await runtime.store.access.list_audit(limit=50) if e.path == f"{COMMANDS}/reset"]
    assert [(e.status_code, e.payload) for e in entries] == [(200, {"type": "Hard"})] * 2


async def test_a_16_action_sent_raw_to_a_201_station_is_422(runtime: Runtime) -> None:
    async with connected_station(runtime, CHARGER) as station, signed_in(runtime, "operator") as api:
        answer = await api.post(f"/api/v1/charge-points/{CHARGER}/ocpp/RemoteStartTransaction", json={"idTag": "A"})

    assert answer.status_code == 422
    assert station.calls == []
