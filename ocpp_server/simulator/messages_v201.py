"""Outbox messages as OCPP 2.0.1 requests (edition 3 shapes, ``ocpp.v201.call`` payloads).

The charging model speaks of transactions starting, updating and stopping; 2.0.1 reports all of
them as TransactionEvent with a sequence number per charger (from 0, one more per event), the
charger's own transaction id, and ``offline: true`` on events that happened while it was offline.
Status values of the model (OCPP 1.6 names) collapse into the 2.0.1 connector status; the
charging state travels in the transaction events instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from typing import Any, Literal

from ocpp.v201 import call

from ocpp_server.simulator.battery import VehicleBattery
from ocpp_server.simulator.charger_spec import SimChargerSpec
from ocpp_server.simulator.outbox import (
    BootOut,
    ChargingNeedsOut,
    HeartbeatOut,
    IdleNotificationOut,
    LocalTransaction,
    MeterReading,
    MeterValuesOut,
    OutMessage,
    StartTransactionOut,
    StatusOut,
    StopReason,
    StopTransactionOut,
    TransactionUpdateOut,
)
from ocpp_server.simulator.profile_store import CONNECTOR_ID
from ocpp_server.simulator.timestamps import format_ocpp_datetime

EVSE_ID = 1
"""The one EVSE of a simulated charge point; its one connector is CONNECTOR_ID."""
FIRMWARE_VERSION = "vettabbia-sim-1"
EV_DC_NOMINAL_VOLTAGE_V = 400.0
"""Battery voltage of the simulated vehicles (a 400 V class pack), for currents from powers [V]."""
EV_DC_MAX_VOLTAGE_V = 450
"""Highest DC voltage the simulated vehicles accept (a 400 V pack when full) [V]."""

ConnectorStatus = Literal["Available", "Occupied", "Reserved", "Unavailable", "Faulted"]

_CONNECTOR_STATUS: dict[str, ConnectorStatus] = {
    "Available": "Available",
    "Preparing": "Occupied",
    "Charging": "Occupied",
    "SuspendedEV": "Occupied",
    "SuspendedEVSE": "Occupied",
    "Finishing": "Occupied",
    "Reserved": "Reserved",
    "Unavailable": "Unavailable",
    "Faulted": "Faulted",
}

# Why a transaction ended, as 2.0.1 says it: (triggerReason, stoppedReason).
_ENDINGS: dict[StopReason, tuple[str, str]] = {
    "EVDisconnected": ("EVDeparted", "EVDisconnected"),
    "Remote": ("RemoteStop", "Remote"),
    "DeAuthorized": ("Deauthorized", "DeAuthorized"),
    "SoftReset": ("ResetCommand", "Reboot"),
    "HardReset": ("ResetCommand", "ImmediateReset"),
    "UnlockCommand": ("UnlockCommand", "Other"),
    "Local": ("StopAuthorized", "Local"),
}


def connector_status(status: str) -> ConnectorStatus:
    """The 2.0.1 connector status for a status of the charging model (1.6 names)."""
    return _CONNECTOR_STATUS.get(status, "Faulted")


def status_notification(message: StatusOut) -> call.StatusNotification:
    return call.StatusNotification(
        timestamp=format_ocpp_datetime(message.timestamp),
        connector_status=connector_status(message.status),
        evse_id=EVSE_ID,
        connector_id=CONNECTOR_ID,
    )


def boot_notification(spec: SimChargerSpec, reason: str = "PowerUp") -> call.BootNotification:
    """The boot on connecting (PowerUp), or one asked for by TriggerMessage (Triggered)."""
    return call.BootNotification(
        charging_station={
            "model": spec.model,
            "vendorName": spec.vendor,
            "serialNumber": spec.charge_point_id[:25],
            "firmwareVersion": FIRMWARE_VERSION,
        },
        reason=reason,
    )


def _sampled(value: float, measurand: str, unit: str, context: str, **extra: str) -> dict[str, Any]:
    return {
        "value": round(value, 1),
        "context": context,
        "measurand": measurand,
        "unitOfMeasure": {"unit": unit},
        **extra,
    }


def meter_value(reading: MeterReading, measurands: Collection[str] | None = None) -> dict[str, Any]:
    """A 2.0.1 MeterValueType: energy [Wh], power [W], current per phase [A] and SoC [%] when known,
    only ``measurands`` when given."""
    context = reading.context
    values = [_sampled(reading.energy_register_wh, "Energy.Active.Import.Register", "Wh", context, location="Outlet")]
    if reading.power_w is not None:
        values.append(_sampled(reading.power_w, "Power.Active.Import", "W", context, location="Outlet"))
    if reading.current_a is not None:
        values.extend(
            _sampled(reading.current_a, "Current.Import", "A", context, location="Outlet", phase=f"L{phase}")
            for phase in range(1, reading.phases + 1)
        )
    if reading.soc_percent is not None:
        values.append(_sampled(reading.soc_percent, "SoC", "Percent", context, location="EV"))
    if measurands is not None:
        values = [v for v in values if v["measurand"] in measurands]
    return {"timestamp": format_ocpp_datetime(reading.timestamp), "sampledValue": values}


def _evse() -> dict[str, int]:
    return {"id": EVSE_ID, "connectorId": CONNECTOR_ID}


class TransactionEvents:
    """Numbers and shapes the TransactionEvents of one charger.

    Messages are translated in sending order and the head of the outbox is sent again after a
    lost answer, so a message seen twice in a row keeps its number and a new one takes the next.
    Remote start ids and idToken types are remembered per transaction until it ends. Periodic
    samples carry the measurands ``updated_measurands`` names (SampledDataCtrlr.TxUpdatedMeasurands).
    """

    def __init__(self, updated_measurands: Callable[[], Collection[str]] | None = None) -> None:
        self._updated_measurands = updated_measurands
        self._next_seq_no = 0
        self._last: tuple[OutMessage, int] | None = None
        self._remote_start_ids: dict[str, int] = {}
        self._token_types: dict[str, str] = {}

    def remember_remote_start(self, transaction: LocalTransaction, remote_start_id: int, token_type: str) -> None:
        self._remote_start_ids[transaction.local_id] = remote_start_id
        self._token_types[transaction.local_id] = token_type

    def _seq_no(self, message: OutMessage) -> int:
        if self._last is not None and self._last[0] is message:
            return self._last[1]
        seq_no = self._next_seq_no
        self._next_seq_no += 1
        self._last = (message, seq_no)
        return seq_no

    def _event(
        self,
        message: OutMessage,
        *,
        event_type: str,
        trigger_reason: str,
        transaction_info: dict[str, Any],
        timestamp: str,
        offline: bool,
        readings: tuple[MeterReading, ...] = (),
        measurands: Collection[str] | None = None,
        **extra: Any,
    ) -> call.TransactionEvent:
        meter_values = [meter_value(r, measurands) for r in readings]
        return call.TransactionEvent(
            event_type=event_type,
            timestamp=timestamp,
            trigger_reason=trigger_reason,
            seq_no=self._seq_no(message),
            transaction_info=transaction_info,
            meter_value=[m for m in meter_values if m["sampledValue"]] or None,
            offline=True if offline else None,
            **extra,
        )

    def started(self, message: StartTransactionOut, *, offline: bool) -> call.TransactionEvent:
        tx = message.transaction
        info: dict[str, Any] = {"transactionId": tx.local_id, "chargingState": "EVConnected"}
        remote_start_id = self._remote_start_ids.get(tx.local_id)
        if remote_start_id is not None:
            info["remoteStartId"] = remote_start_id
        begin = MeterReading(tx.started_at, "Transaction.Begin", tx.meter_start_wh)
        return self._event(
            message,
            event_type="Started",
            trigger_reason="CablePluggedIn" if remote_start_id is None else "RemoteStart",
            transaction_info=info,
            timestamp=format_ocpp_datetime(tx.started_at),
            offline=offline,
            readings=(begin,),
            evse=_evse(),
            id_token={"idToken": tx.id_tag, "type": self._token_types.get(tx.local_id, "ISO14443")},
        )

    def updated(self, message: MeterValuesOut | TransactionUpdateOut, *, offline: bool) -> call.TransactionEvent:
        transaction = message.transaction
        assert transaction is not None  # callers pass meter values of a transaction only
        info: dict[str, Any] = {"transactionId": transaction.local_id}
        if isinstance(message, TransactionUpdateOut):
            info["chargingState"] = message.charging_state
            return self._event(
                message,
                event_type="Updated",
                trigger_reason=message.reason,
                transaction_info=info,
                timestamp=format_ocpp_datetime(message.timestamp),
                offline=offline,
            )
        periodic = message.readings[0].context != "Trigger"
        return self._event(
            message,
            event_type="Updated",
            trigger_reason="MeterValuePeriodic" if periodic else "Trigger",
            transaction_info=info,
            timestamp=format_ocpp_datetime(message.readings[0].timestamp),
            offline=offline,
            readings=message.readings,
            measurands=self._updated_measurands() if periodic and self._updated_measurands is not None else None,
        )

    def ended(self, message: StopTransactionOut, *, offline: bool) -> call.TransactionEvent:
        tx = message.transaction
        trigger_reason, stopped_reason = _ENDINGS[message.reason]
        self._remote_start_ids.pop(tx.local_id, None)
        self._token_types.pop(tx.local_id, None)
        return self._event(
            message,
            event_type="Ended",
            trigger_reason=trigger_reason,
            transaction_info={"transactionId": tx.local_id, "stoppedReason": stopped_reason},
            timestamp=format_ocpp_datetime(message.timestamp),
            offline=offline,
            readings=message.readings,
        )


def charging_needs(message: ChargingNeedsOut) -> call.NotifyEVChargingNeeds:
    """NotifyEVChargingNeeds of a DC vehicle (ISO 15118-2 DC parameters)."""
    needs: dict[str, Any] = {
        "requestedEnergyTransfer": "DC",
        "dcChargingParameters": {
            "evMaxCurrent": math.ceil(message.ev_max_power_w / EV_DC_NOMINAL_VOLTAGE_V),
            "evMaxVoltage": EV_DC_MAX_VOLTAGE_V,
            "energyAmount": message.energy_amount_wh,
            "evMaxPower": message.ev_max_power_w,
            "stateOfCharge": message.soc_percent,
            "evEnergyCapacity": message.ev_energy_capacity_wh,
            "fullSoC": 100,
        },
    }
    if message.departure_utc is not None:
        needs["departureTime"] = format_ocpp_datetime(message.departure_utc)
    return call.NotifyEVChargingNeeds(charging_needs=needs, evse_id=EVSE_ID)


def needs_of(
    spec: SimChargerSpec, transaction: LocalTransaction, battery: VehicleBattery, departure_utc: Any
) -> ChargingNeedsOut:
    """What the vehicle on the charger asks for now: energy to full, its maximum power, its SoC."""
    vehicle = battery.spec
    return ChargingNeedsOut(
        transaction=transaction,
        departure_utc=departure_utc,
        energy_amount_wh=max(0, round((vehicle.battery_kwh - battery.stored_kwh) * 1000)),
        ev_max_power_w=round(min(vehicle.rated_power_kw(spec.kind), spec.max_power_kw) * 1000),
        soc_percent=min(100, max(0, round(battery.soc * 100))),
        ev_energy_capacity_wh=round(vehicle.battery_kwh * 1000),
    )


def to_call(message: OutMessage, events: TransactionEvents, spec: SimChargerSpec, *, offline: bool) -> Any | None:
    """The ``ocpp.v201.call`` payload for an outbox message; None when 2.0.1 sends nothing for it.

    Connector 0 has no status in 2.0.1, and the begin reading travels in the Started event.
    """
    if isinstance(message, StatusOut):
        return None if message.connector_id != CONNECTOR_ID else status_notification(message)
    if isinstance(message, HeartbeatOut):
        return call.Heartbeat()
    if isinstance(message, BootOut):
        return boot_notification(spec, "Triggered")
    if isinstance(message, IdleNotificationOut):
        if message.action == "DiagnosticsStatusNotification":
            return call.LogStatusNotification(status="Idle")
        return call.FirmwareStatusNotification(status="Idle")
    if isinstance(message, StartTransactionOut):
        return events.started(message, offline=offline)
    if isinstance(message, MeterValuesOut):
        if message.transaction is None:
            return call.MeterValues(evse_id=EVSE_ID, meter_value=[meter_value(r) for r in message.readings])
        if message.readings[0].context == "Transaction.Begin":
            return None
        return events.updated(message, offline=offline)
    if isinstance(message, TransactionUpdateOut):
        return events.updated(message, offline=offline)
    if isinstance(message, StopTransactionOut):
        return events.ended(message, offline=offline)
    if isinstance(message, ChargingNeedsOut):
        return charging_needs(message)
    return message.payload
