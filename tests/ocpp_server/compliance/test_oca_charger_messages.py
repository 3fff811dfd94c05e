"""Every message a charger sends, answered by the site's central system and recorded in its store.

A library-made charger on a real websocket sends each OCPP 1.6 request (the security extension's
included) in wire form; the answer must pass the official response schema and carry the right
values, and what the message reports must be in the store afterwards.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ocpp.messages import CallError, CallResult
from ocpp.v16.enums import Action

from fleet.persistence import Store
from ocpp_server.events import Measurand
from ocpp_server.handlers_v16 import ChargePointV16
from ocpp_server.raw_calls import V16_ACTIONS
from tests.ocpp_server.compliance.harness import (
    AC_CHARGER,
    KNOWN_TAG,
    ScriptedCharger,
    scripted_charger,
    site_runtime,
    wire_time,
)

CHARGER_ACTIONS = frozenset(a.value for a in Action) - {a.value for a in V16_ACTIONS} | {"DataTransfer"}
"""What a charger sends: every 1.6 action but those only a central system sends (DataTransfer goes both ways)."""


@dataclass
class Session:
    """What the steps learn as they go: the transaction the central system assigned."""

    transaction_id: int = 0


Payload = Callable[[Session], dict[str, Any]]
Check = Callable[[Store, dict[str, Any], Session], Awaitable[str | None]]
"""Looks at the answer and the store; returns what is wrong, or None."""


async def _log_line(store: Store, kind: str, status: str, request_id: int | None = None) -> str | None:
    lines = await store.charger_log(charge_point_id=AC_CHARGER, limit=50)
    found = [(line.kind, line.status, line.request_id) for line in lines]
    return None if found.count((kind, status, request_id)) == 1 else f"log lines {found}"


async def _booted(store: Store, answer: dict[str, Any], _: Session) -> str | None:
    record = next(cp for cp in await store.list_charge_points() if cp.id == AC_CHARGER)
    if (answer["status"], answer["interval"]) != ("Accepted", 300):
        return f"answered {answer}"
    if (record.vendor, record.model, record.firmware_version) != ("Conformance", "AC-22", "4.2.1"):
        return f"stored {record}"
    return None


async def _heartbeat(_store: Store, answer: dict[str, Any], __: Session) -> str | None:
    said = datetime.fromisoformat(answer["currentTime"].replace("Z", "+00:00"))
    return None if abs(said - datetime.now(UTC)) < timedelta(seconds=5) else f"currentTime {said}"


async def _status(store: Store, answer: dict[str, Any], _: Session) -> str | None:
    record = next(cp for cp in await store.list_charge_points() if cp.id == AC_CHARGER)
    stored = {(c.connector_id, c.status, c.error_code) for c in record.connectors}
    return None if (1, "Preparing", "NoError") in stored and answer == {} else f"stored {stored}, answered {answer}"


async def _authorized(_store: Store, answer: dict[str, Any], _: Session) -> str | None:
    return None if answer["idTagInfo"]["status"] == "Accepted" else f"answered {answer}"


async def _started(store: Store, answer: dict[str, Any], session: Session) -> str | None:
    session.transaction_id = answer["transactionId"]
    stored = await store.get_transaction(session.transaction_id)
    if answer["idTagInfo"]["status"] != "Accepted" or stored is None:
        return f"answered {answer}, stored {stored}"
    if (stored.charge_point_id, stored.connector_id, stored.id_tag, stored.vehicle_id, stored.meter_start_kwh) != (
        AC_CHARGER,
        1,
        KNOWN_TAG,
        "CAR-01",
        12.345,
    ):
        return f"stored {stored}"
    return None


async def _metered(store: Store, answer: dict[str, Any], session: Session) -> str | None:
    energy = [value for _, value in await store.meter_series(session.transaction_id, Measurand.ENERGY_IMPORT_KWH)]
    power = [value for _, value in await store.meter_series(session.transaction_id, Measurand.POWER_IMPORT_KW)]
    return None if (energy, power, answer) == ([13.5], [7.4], {}) else f"stored {energy} kWh, {power} kW"


async def _stopped(store: Store, answer: dict[str, Any], session: Session) -> str | None:
    stored = await store.get_transaction(session.transaction_id)
    if stored is None or (stored.meter_stop_kwh, stored.stop_reason) != (20.0, "EVDisconnected"):
        return f"stored {stored}"
    return None if answer["idTagInfo"]["status"] == "Accepted" else f"answered {answer}"


async def _unknown_vendor(_store: Store, answer: dict[str, Any], _: Session) -> str | None:
    return None if answer == {"status": "UnknownVendorId"} else f"answered {answer}"


async def _diagnostics(store: Store, _answer: dict[str, Any], __: Session) -> str | None:
    return await _log_line(store, "DiagnosticsStatus", "Uploaded")


async def _firmware(store: Store, _answer: dict[str, Any], __: Session) -> str | None:
    return await _log_line(store, "FirmwareStatus", "Installed")


async def _log_upload(store: Store, _answer: dict[str, Any], __: Session) -> str | None:
    return await _log_line(store, "LogStatus", "Uploaded", 88)


async def _signed_firmware(store: Store, _answer: dict[str, Any], __: Session) -> str | None:
    return await _log_line(store, "SignedFirmwareStatus", "SignatureVerified", 5)


async def _security_event(store: Store, _answer: dict[str, Any], __: Session) -> str | None:
    return await _log_line(store, "SecurityEvent", "FirmwareUpdated")


async def _answered(_store: Store, _answer: dict[str, Any], __: Session) -> str | None:
    return None


def _now() -> str:
    return wire_time(datetime.now(UTC))


STEPS: list[tuple[str, Payload, Check]] = [
    (
        "BootNotification",
        lambda _: {"chargePointVendor": "Conformance", "chargePointModel": "AC-22", "firmwareVersion": "4.2.1"},
        _booted,
    ),
    ("Heartbeat", lambda _: {}, _heartbeat),
    (
        "StatusNotification",
        lambda _: {"connectorId": 1, "errorCode": "NoError", "status": "Preparing", "timestamp": _now()},
        _status,
    ),
    ("Authorize", lambda _: {"idTag": KNOWN_TAG}, _authorized),
    (
        "StartTransaction",
        lambda _: {"connectorId": 1, "idTag": KNOWN_TAG, "meterStart": 12345, "timestamp": _now()},
        _started,
    ),
    (
        "MeterValues",
        lambda s: {
            "connectorId": 1,
            "transactionId": s.transaction_id,
            "meterValue": [
                {
                    "timestamp": _now(),
                    "sampledValue": [
                        {"value": "13.5", "measurand": "Energy.Active.Import.Register", "unit": "kWh"},
                        {"value": "7400", "measurand": "Power.Active.Import", "unit": "W"},
                    ],
                }
            ],
        },
        _metered,
    ),
    (
        "StopTransaction",
        lambda s: {
            "transactionId": s.transaction_id,
            "idTag": KNOWN_TAG,
            "meterStop": 20000,
            "timestamp": _now(),
            "reason": "EVDisconnected",
        },
        _stopped,
    ),
    ("DataTransfer", lambda _: {"vendorId": "com.example.charger", "messageId": "hello", "data": "x"}, _unknown_vendor),
    ("DiagnosticsStatusNotification", lambda _: {"status": "Uploaded"}, _diagnostics),
    ("FirmwareStatusNotification", lambda _: {"status": "Installed"}, _firmware),
    ("LogStatusNotification", lambda _: {"status": "Uploaded", "requestId": 88}, _log_upload),
    ("SignedFirmwareStatusNotification", lambda _: {"status": "SignatureVerified", "requestId": 5}, _signed_firmware),
    (
        "SecurityEventNotification",
        lambda _: {"type": "FirmwareUpdated", "timestamp": _now(), "techInfo": "4.2.1 -> 4.2.2"},
        _security_event,
    ),
    (
        "SignCertificate",
        lambda _: {"csr": "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n"},
        _answered,
    ),
]


def test_the_steps_cover_every_message_a_charger_sends() -> None:
    assert {action for action, _, _ in STEPS} == CHARGER_ACTIONS
    assert len(CHARGER_ACTIONS) == 14


async def _run(charger: ScriptedCharger, store: Store) -> list[str]:
    failures: list[str] = []
    session = Session()
    handled = ChargePointV16.handled_actions()
    for action, payload, check in STEPS:
        answer = await charger.request(action, payload(session))
        if action not in handled:
            # Not handled (yet): OCPP-J 1.6 says NotSupported for a known action.
            if not (isinstance(answer, CallError) and answer.error_code == "NotSupported"):
                failures.append(f"{action}: not handled, answered {answer}")
        elif isinstance(answer, CallResult):
            problem = await check(store, answer.payload, session)
            if problem is not None:
                failures.append(f"{action}: {problem}")
        else:
            failures.append(f"{action}: {answer.error_code} {answer.error_description}")
    return failures


async def test_every_charger_message_is_answered_schema_valid_and_recorded(database_url: str) -> None:
    async with site_runtime(database_url) as runtime, scripted_charger(runtime, AC_CHARGER) as charger:
        failures = await _run(charger, runtime.store)
    assert failures == []


async def test_tc_003_regular_charging_session_plugin_first(database_url: str) -> None:
    """Plug in, present the card, charge, unplug: every status and reading ends up stored, in order."""
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    async with site_runtime(database_url) as runtime, scripted_charger(runtime, AC_CHARGER) as charger:
        await charger.boot()
        store = runtime.store
        for status in ("Available", "Preparing"):
            await charger.status(status)
        authorized = await charger.request("Authorize", {"idTag": KNOWN_TAG})
        start = {"connectorId": 1, "idTag": KNOWN_TAG, "meterStart": 1000, "timestamp": wire_time(started)}
        first = await charger.request("StartTransaction", start)
        assert isinstance(authorized, CallResult)
        assert isinstance(first, CallResult)
        transaction_id = first.payload["transactionId"]
        await charger.status("Charging")
        for minutes, wh in ((10, 3000), (20, 5000)):
            values = {
                "timestamp": wire_time(started + timedelta(minutes=minutes)),
                "sampledValue": [{"value": str(wh), "measurand": "Energy.Active.Import.Register"}],
            }
            meter = {"connectorId": 1, "transactionId": transaction_id, "meterValue": [values]}
            assert isinstance(await charger.request("MeterValues", meter), CallResult)
        stop = {
            "transactionId": transaction_id,
            "idTag": KNOWN_TAG,
            "meterStop": 6000,
            "timestamp": wire_time(started + timedelta(minutes=25)),
            "reason": "Local",
        }
        stopped = await charger.request("StopTransaction", stop)
        for status in ("Finishing", "Available"):
            await charger.status(status)
        stored = await store.get_transaction(transaction_id)
        energy = await store.meter_series(transaction_id, Measurand.ENERGY_IMPORT_KWH)
        connectors = next(cp for cp in await store.list_charge_points() if cp.id == AC_CHARGER).connectors
    assert authorized.payload["idTagInfo"]["status"] == "Accepted"
    assert first.payload["idTagInfo"]["status"] == "Accepted"
    assert isinstance(stopped, CallResult)
    assert stopped.payload["idTagInfo"]["status"] == "Accepted"
    assert stored is not None
    assert (stored.vehicle_id, stored.started_at, stored.stopped_at) == (
        "CAR-01",
        started,
        started + timedelta(minutes=25),
    )
    assert (stored.meter_start_kwh, stored.meter_stop_kwh, stored.energy_kwh, stored.stop_reason) == (
        1.0,
        6.0,
        5.0,
        "Local",
    )
    assert energy == [(started + timedelta(minutes=10), 3.0), (started + timedelta(minutes=20), 5.0)]
    assert [(c.connector_id, c.status) for c in connectors] == [(1, "Available")]


async def test_tc_023_1_start_charging_session_authorize_invalid(database_url: str) -> None:
    async with site_runtime(database_url) as runtime, scripted_charger(runtime, AC_CHARGER) as charger:
        await charger.boot()
        await charger.status("Preparing")
        answer = await charger.request("Authorize", {"idTag": "RFID-NOBODY"})
        transactions = await runtime.store.list_transactions()
    assert isinstance(answer, CallResult)
    assert answer.payload["idTagInfo"]["status"] == "Invalid"
    assert transactions == []
