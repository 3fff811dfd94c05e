"""The feature profiles' exchanges from end to end: the operator asks, the charger answers, then reports.

Reservation, Remote Trigger, Firmware Management and the security extension's log upload and
signed firmware update, each as the OCA compliance test case runs it against a central system:
the request goes out through the operator API, the charger's answer comes back to the operator,
and what the charger reports afterwards is in the store.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ocpp.messages import CallResult

from fleet.persistence import Store
from tests.ocpp_server.compliance.harness import (
    AC_CHARGER,
    KNOWN_TAG,
    ScriptedCharger,
    operator_api,
    scripted_charger,
    site_runtime,
    wire_time,
)

COMMANDS = f"/api/v1/charge-points/{AC_CHARGER}/commands"
OCPP = f"/api/v1/charge-points/{AC_CHARGER}/ocpp"


async def _log(store: Store) -> list[tuple[str, str, int | None, bool]]:
    """The charger's log, oldest first, as (kind, status, request id, flagged)."""
    lines = await store.charger_log(charge_point_id=AC_CHARGER, limit=100)
    return [(line.kind, line.status, line.request_id, line.flagged) for line in reversed(lines)]


async def _report(charger: ScriptedCharger, action: str, statuses: list[str], **extra: Any) -> None:
    for status in statuses:
        answer = await charger.request(action, {"status": status, **extra})
        assert isinstance(answer, CallResult)
        assert answer.payload == {}


async def test_tc_046_reservation_of_a_connector_transaction(database_url: str) -> None:
    """The reservation goes out in wire form; the start that uses it is stored and linked to it."""
    expiry = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    body = {"connector_id": 1, "expiry_date": expiry.isoformat(), "id_tag": KNOWN_TAG, "reservation_id": 31}
    async with site_runtime(database_url) as runtime, scripted_charger(runtime) as charger:
        await charger.boot()
        charger.answers["ReserveNow"] = {"status": "Accepted"}
        async with operator_api(runtime) as api:
            reserved = await api.post(f"{COMMANDS}/reserve-now", json=body)
        await charger.status("Reserved")
        booted_connectors = next(cp for cp in await runtime.store.list_charge_points() if cp.id == AC_CHARGER)
        start = {
            "connectorId": 1,
            "idTag": KNOWN_TAG,
            "meterStart": 500,
            "timestamp": wire_time(datetime.now(UTC)),
            "reservationId": 31,
        }
        started = await charger.request("StartTransaction", start)
        await charger.status("Charging")
        assert isinstance(started, CallResult)
        transaction_id = started.payload["transactionId"]
        stored = await runtime.store.get_transaction(transaction_id)
        async with operator_api(runtime) as api:
            session = (await api.get(f"/api/v1/sessions/{transaction_id}")).json()
    assert reserved.status_code == 200, reserved.text
    assert reserved.json()["payload"] == {"status": "Accepted"}
    assert charger.calls_of("ReserveNow") == [
        {
            "connectorId": 1,
            "expiryDate": wire_time(expiry).replace("Z", ".000Z"),
            "idTag": KNOWN_TAG,
            "reservationId": 31,
        }
    ]
    assert [(c.connector_id, c.status) for c in booted_connectors.connectors] == [(1, "Reserved")]
    assert started.payload["idTagInfo"]["status"] == "Accepted"
    assert stored is not None
    assert (stored.connector_id, stored.id_tag, stored.vehicle_id, stored.reservation_id) == (
        1,
        KNOWN_TAG,
        "CAR-01",
        31,
    )
    assert session["reservation_id"] == 31


async def test_a_start_without_a_reservation_links_none(database_url: str) -> None:
    async with site_runtime(database_url) as runtime, scripted_charger(runtime) as charger:
        await charger.boot()
        start = {"connectorId": 1, "idTag": KNOWN_TAG, "meterStart": 0, "timestamp": wire_time(datetime.now(UTC))}
        started = await charger.request("StartTransaction", start)
        assert isinstance(started, CallResult)
        stored = await runtime.store.get_transaction(started.payload["transactionId"])
    assert stored is not None
    assert stored.reservation_id is None


async def test_tc_048_reservations_refused_and_tc_052_cancel_rejected_come_back_to_the_operator(
    database_url: str,
) -> None:
    expiry = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    async with site_runtime(database_url) as runtime, scripted_charger(runtime) as charger:
        await charger.boot()
        answers = []
        async with operator_api(runtime) as api:
            for reservation_id, status in enumerate(("Faulted", "Occupied", "Rejected", "Unavailable")):
                charger.answers["ReserveNow"] = {"status": status}
                body = {"connector_id": 1, "expiry_date": expiry, "id_tag": KNOWN_TAG, "reservation_id": reservation_id}
                reply = await api.post(f"{COMMANDS}/reserve-now", json=body)
                answers.append((reply.status_code, reply.json()["payload"]))
            charger.answers["CancelReservation"] = {"status": "Rejected"}
            cancelled = await api.post(f"{COMMANDS}/cancel-reservation", json={"reservation_id": 99})
    assert answers == [
        (200, {"status": "Faulted"}),
        (200, {"status": "Occupied"}),
        (200, {"status": "Rejected"}),
        (200, {"status": "Unavailable"}),
    ]
    assert (cancelled.status_code, cancelled.json()["payload"]) == (200, {"status": "Rejected"})
    assert charger.calls_of("CancelReservation") == [{"reservationId": 99}]


async def test_tc_054_trigger_message_the_triggered_status_is_stored(database_url: str) -> None:
    async with site_runtime(database_url) as runtime, scripted_charger(runtime) as charger:
        await charger.boot()
        charger.answers["TriggerMessage"] = {"status": "Accepted"}
        async with operator_api(runtime) as api:
            reply = await api.post(
                f"{COMMANDS}/trigger-message", json={"requested_message": "StatusNotification", "connector_id": 1}
            )
        # What the trigger asked for, sent after the answer as OCPP 1.6 (5.17) asks.
        await charger.status("Faulted", error_code="GroundFailure")
        record = next(cp for cp in await runtime.store.list_charge_points() if cp.id == AC_CHARGER)
    assert reply.json()["payload"] == {"status": "Accepted"}
    assert charger.calls_of("TriggerMessage") == [{"requestedMessage": "StatusNotification", "connectorId": 1}]
    assert [(c.connector_id, c.status, c.error_code) for c in record.connectors] == [(1, "Faulted", "GroundFailure")]


async def test_extended_trigger_message_heartbeat_is_sent_and_answered(database_url: str) -> None:
    async with site_runtime(database_url) as runtime, scripted_charger(runtime) as charger:
        await charger.boot()
        charger.answers["ExtendedTriggerMessage"] = {"status": "Accepted"}
        async with operator_api(runtime) as api:
            reply = await api.post(f"{OCPP}/ExtendedTriggerMessage", json={"requestedMessage": "Heartbeat"})
        heartbeat = await charger.request("Heartbeat", {})
    assert reply.json()["payload"] == {"status": "Accepted"}
    assert charger.calls_of("ExtendedTriggerMessage") == [{"requestedMessage": "Heartbeat"}]
    assert isinstance(heartbeat, CallResult)
    said = datetime.fromisoformat(heartbeat.payload["currentTime"].replace("Z", "+00:00"))
    assert abs(said - datetime.now(UTC)) < timedelta(seconds=5)


async def test_tc_044_firmware_update_installed_and_failures_flagged(database_url: str) -> None:
    """TC_044_1 download and install, then TC_044_2 download failed and TC_044_3 installation failed."""
    body = {"location": "https://firmware.example.org/fw.bin", "retrieve_date": datetime.now(UTC).isoformat()}
    async with site_runtime(database_url) as runtime, scripted_charger(runtime) as charger:
        await charger.boot()
        charger.answers["UpdateFirmware"] = {}
        async with operator_api(runtime) as api:
            reply = await api.post(f"{COMMANDS}/update-firmware", json=body)
        await _report(charger, "FirmwareStatusNotification", ["Downloading", "Downloaded", "Installing", "Installed"])
        await _report(charger, "FirmwareStatusNotification", ["Downloading", "DownloadFailed"])
        await _report(charger, "FirmwareStatusNotification", ["Downloaded", "Installing", "InstallationFailed"])
        log = [line for line in await _log(runtime.store) if line[0] == "FirmwareStatus"]
    assert (reply.status_code, reply.json()["payload"]) == (200, {})
    assert [(status, flagged) for _, status, _, flagged in log] == [
        ("Downloading", False),
        ("Downloaded", False),
        ("Installing", False),
        ("Installed", False),
        ("Downloading", False),
        ("DownloadFailed", True),
        ("Downloaded", False),
        ("Installing", False),
        ("InstallationFailed", True),
    ]


async def test_tc_045_get_diagnostics_uploaded_and_upload_failed_flagged(database_url: str) -> None:
    async with site_runtime(database_url) as runtime, scripted_charger(runtime) as charger:
        await charger.boot()
        charger.answers["GetDiagnostics"] = {"fileName": "diag-MI-AC-01.zip"}
        async with operator_api(runtime) as api:
            reply = await api.post(f"{COMMANDS}/get-diagnostics", json={"location": "ftp://logs.example.org/in/"})
        await _report(charger, "DiagnosticsStatusNotification", ["Uploading", "Uploaded", "Uploading", "UploadFailed"])
        log = [line for line in await _log(runtime.store) if line[0] == "DiagnosticsStatus"]
    assert reply.json()["payload"] == {"fileName": "diag-MI-AC-01.zip"}
    assert [(status, flagged) for _, status, _, flagged in log] == [
        ("Uploading", False),
        ("Uploaded", False),
        ("Uploading", False),
        ("UploadFailed", True),
    ]


async def test_tc_079_get_security_log_reports_its_request(database_url: str) -> None:
    request = {"logType": "SecurityLog", "requestId": 88, "log": {"remoteLocation": "https://logs.example.org/sec"}}
    async with site_runtime(database_url) as runtime, scripted_charger(runtime) as charger:
        await charger.boot()
        charger.answers["GetLog"] = {"status": "Accepted", "filename": "security-88.log"}
        async with operator_api(runtime) as api:
            reply = await api.post(f"{OCPP}/GetLog", json=request)
        await _report(charger, "LogStatusNotification", ["Uploading", "Uploaded"], requestId=88)
        log = [line for line in await _log(runtime.store) if line[0] == "LogStatus"]
    assert reply.json()["payload"] == {"status": "Accepted", "filename": "security-88.log"}
    assert charger.calls_of("GetLog") == [request]
    assert log == [("LogStatus", "Uploading", 88, False), ("LogStatus", "Uploaded", 88, False)]


async def test_tc_080_secure_firmware_update_and_tc_081_invalid_signature_flagged(database_url: str) -> None:
    firmware = {
        "location": "https://firmware.example.org/fw-2.1.bin",
        "retrieveDateTime": wire_time(datetime.now(UTC)),
        "signingCertificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        "signature": "c2lnbmF0dXJl",
    }
    async with site_runtime(database_url) as runtime, scripted_charger(runtime) as charger:
        await charger.boot()
        charger.answers["SignedUpdateFirmware"] = {"status": "Accepted"}
        async with operator_api(runtime) as api:
            first = await api.post(f"{OCPP}/SignedUpdateFirmware", json={"requestId": 5, "firmware": firmware})
            second = await api.post(f"{OCPP}/SignedUpdateFirmware", json={"requestId": 6, "firmware": firmware})
        installed = ["Downloading", "Downloaded", "SignatureVerified", "Installing", "Installed"]
        await _report(charger, "SignedFirmwareStatusNotification", installed, requestId=5)
        await _report(charger, "SignedFirmwareStatusNotification", ["Downloaded", "InvalidSignature"], requestId=6)
        log = [line for line in await _log(runtime.store) if line[0] == "SignedFirmwareStatus"]
    assert first.json()["payload"] == second.json()["payload"] == {"status": "Accepted"}
    assert [line[1:] for line in log] == [
        *((status, 5, False) for status in installed),
        ("Downloaded", 6, False),
        ("InvalidSignature", 6, True),
    ]
