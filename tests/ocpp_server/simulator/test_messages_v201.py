"""Every request a simulated OCPP 2.0.1 charger sends is valid against the 2.0.1 JSON schemas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ocpp.charge_point import serialize_as_dict, snake_to_camel_case
from ocpp.messages import Call, validate_payload

from ocpp_server.simulator.battery import SimVehicleSpec, VehicleBattery
from ocpp_server.simulator.charger_spec import SimChargerSpec
from ocpp_server.simulator.messages_v201 import TransactionEvents, boot_notification, needs_of, to_call
from ocpp_server.simulator.outbox import (
    BootOut,
    HeartbeatOut,
    IdleNotificationOut,
    LocalTransaction,
    MeterReading,
    MeterValuesOut,
    OutMessage,
    StartTransactionOut,
    StatusOut,
    StopTransactionOut,
    TransactionUpdateOut,
)

AC = SimChargerSpec("AC-3", "AC", 22.0, "A", 3, 230.0, 6.0, "Vettabbia", "SimAC22", ocpp_version="2.0.1")
DC = SimChargerSpec("DC-3", "DC", 50.0, "W", 3, 230.0, 0.0, "Vettabbia", "SimDC50", ocpp_version="2.0.1")
AT = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)


async def assert_valid(payload: Any) -> None:
    """Checked as the library checks a request before sending it (``ocpp.messages.validate_payload``)."""
    camel = snake_to_camel_case(serialize_as_dict(payload))
    message = Call(unique_id="1", action=type(payload).__name__, payload=_without_nones(camel))
    await validate_payload(message, "2.0.1")


def _without_nones(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _without_nones(v) for k, v in data.items() if v is not None}
    if isinstance(data, list):
        return [_without_nones(v) for v in data]
    return data


def session(spec: SimChargerSpec) -> list[OutMessage]:
    """What a charger queues over one transaction, one of each kind."""
    tx = LocalTransaction("TAG-1", 1200, AT)
    periodic = MeterReading(AT + timedelta(minutes=1), "Sample.Periodic", 1450.4, 11000.0, 15.9, 3, 51.2)
    if spec.kind == "DC":
        periodic = MeterReading(AT + timedelta(minutes=1), "Sample.Periodic", 1450.4, 40000.0, None, 3, 51.2)
    end = MeterReading(AT + timedelta(minutes=2), "Transaction.End", 1650.0, 0.0, None, 3, 52.0)
    trigger = MeterReading(AT, "Trigger", 1200.0, 0.0, None, 3, None)
    battery = VehicleBattery(SimVehicleSpec("car-1", "TAG-1", "car", 50.0, 11.0, 40.0, 0.5))
    return [
        BootOut(),
        HeartbeatOut(),
        IdleNotificationOut("DiagnosticsStatusNotification"),
        IdleNotificationOut("FirmwareStatusNotification"),
        StatusOut(1, "Preparing", AT),
        StartTransactionOut(1, tx),
        TransactionUpdateOut(tx, "ChargingStateChanged", "Charging", AT),
        TransactionUpdateOut(tx, "ChargingRateChanged", "Charging", AT),
        needs_of(spec, tx, battery, AT + timedelta(hours=2)),
        needs_of(spec, tx, battery, None),
        MeterValuesOut(1, tx, (periodic,)),
        MeterValuesOut(1, tx, (trigger,)),
        MeterValuesOut(1, None, (trigger,)),
        *(StopTransactionOut(tx, 1650, AT, reason, (end,)) for reason in ("EVDisconnected", "Remote", "DeAuthorized")),
        *(StopTransactionOut(tx, 1650, AT, reason, (end,)) for reason in ("SoftReset", "HardReset", "UnlockCommand")),
        StatusOut(1, "Available", AT),
    ]


@pytest.mark.parametrize("spec", [AC, DC], ids=["AC", "DC"])
async def test_every_message_of_a_session_is_schema_valid(spec: SimChargerSpec) -> None:
    events = TransactionEvents()
    sent = []
    for message in session(spec):
        payload = to_call(message, events, spec, offline=isinstance(message, StopTransactionOut))
        if payload is not None:
            await assert_valid(payload)
            sent.append(type(payload).__name__)
    await assert_valid(boot_notification(spec))
    assert "NotifyEVChargingNeeds" in sent
    assert "LogStatusNotification" in sent


async def test_a_resent_event_keeps_its_number() -> None:
    events = TransactionEvents()
    tx = LocalTransaction("TAG-1", 0, AT)
    start = StartTransactionOut(1, tx)
    update = TransactionUpdateOut(tx, "ChargingStateChanged", "Charging", AT)
    first = to_call(start, events, AC, offline=False)
    again = to_call(start, events, AC, offline=False)
    then = to_call(update, events, AC, offline=True)
    assert first is not None
    assert again is not None
    assert then is not None
    assert (first.seq_no, again.seq_no, then.seq_no) == (0, 0, 1)
    assert (first.offline, then.offline) == (None, True)
