"""A small OCPP 2.0.1 central system for the simulator tests, on the ``ocpp`` library's ``v201`` server role.

Same use as :class:`~.central_system.CentralSystem` (subprotocol ``ocpp2.0.1``). The library checks
every request it receives against the 2.0.1 JSON schemas before a handler sees it, and answers a
request that fails with a CALLERROR; every CALLERROR this side sends is kept in ``call_errors``.
"""

from __future__ import annotations

from typing import Any

from ocpp.v201 import ChargePoint as LibraryChargePoint
from ocpp.v201 import call_result
from ocpp.v201.enums import Action
from websockets.asyncio.server import ServerConnection

from .central_system import CentralSystem, Received, _now_text, _on


class _ChargerSessionV201(LibraryChargePoint):  # type: ignore[misc]
    def __init__(self, charge_point_id: str, connection: ServerConnection, system: CentralSystemV201) -> None:
        super().__init__(charge_point_id, connection, response_timeout=5)
        self._system = system

    async def _send(self, message: str) -> None:
        if message.startswith("[4,"):
            self._system.call_errors.append(message)
        await super()._send(message)

    def _record(self, action: str, payload: dict[str, Any]) -> None:
        self._system.record(Received(self.id, action, payload))

    @_on(Action.boot_notification)
    def on_boot(self, **payload: Any) -> call_result.BootNotification:
        self._record("BootNotification", payload)
        return call_result.BootNotification(
            current_time=_now_text(), interval=self._system.boot_interval_s, status=self._system.next_boot_status()
        )

    @_on(Action.heartbeat)
    def on_heartbeat(self, **payload: Any) -> call_result.Heartbeat:
        self._record("Heartbeat", payload)
        return call_result.Heartbeat(current_time=_now_text())

    @_on(Action.status_notification)
    def on_status(self, **payload: Any) -> call_result.StatusNotification:
        self._record("StatusNotification", payload)
        return call_result.StatusNotification()

    @_on(Action.authorize)
    def on_authorize(self, **payload: Any) -> call_result.Authorize:
        self._record("Authorize", payload)
        return call_result.Authorize(id_token_info={"status": self._system.id_tag_status})

    @_on(Action.transaction_event)
    def on_transaction_event(self, **payload: Any) -> call_result.TransactionEvent:
        self._record("TransactionEvent", payload)
        if payload.get("id_token") is None:
            return call_result.TransactionEvent()
        return call_result.TransactionEvent(id_token_info={"status": self._system.id_tag_status})

    @_on(Action.meter_values)
    def on_meter_values(self, **payload: Any) -> call_result.MeterValues:
        self._record("MeterValues", payload)
        return call_result.MeterValues()

    @_on(Action.notify_ev_charging_needs)
    def on_charging_needs(self, **payload: Any) -> call_result.NotifyEVChargingNeeds:
        self._record("NotifyEVChargingNeeds", payload)
        return call_result.NotifyEVChargingNeeds(status="Accepted")

    @_on(Action.notify_ev_charging_schedule)
    def on_charging_schedule(self, **payload: Any) -> call_result.NotifyEVChargingSchedule:
        self._record("NotifyEVChargingSchedule", payload)
        return call_result.NotifyEVChargingSchedule(status="Accepted")

    @_on(Action.notify_report)
    def on_notify_report(self, **payload: Any) -> call_result.NotifyReport:
        self._record("NotifyReport", payload)
        return call_result.NotifyReport()

    @_on(Action.report_charging_profiles)
    def on_report_charging_profiles(self, **payload: Any) -> call_result.ReportChargingProfiles:
        self._record("ReportChargingProfiles", payload)
        return call_result.ReportChargingProfiles()

    @_on(Action.log_status_notification)
    def on_log_status(self, **payload: Any) -> call_result.LogStatusNotification:
        self._record("LogStatusNotification", payload)
        return call_result.LogStatusNotification()

    @_on(Action.firmware_status_notification)
    def on_firmware_status(self, **payload: Any) -> call_result.FirmwareStatusNotification:
        self._record("FirmwareStatusNotification", payload)
        return call_result.FirmwareStatusNotification()


class CentralSystemV201(CentralSystem):
    """Use as ``async with CentralSystemV201() as cs:``; chargers connect to ``cs.base_url``."""

    subprotocol = "ocpp2.0.1"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.call_errors: list[str] = []

    def new_session(self, charge_point_id: str, connection: ServerConnection) -> Any:
        return _ChargerSessionV201(charge_point_id, connection, self)
