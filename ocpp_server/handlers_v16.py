"""OCPP 1.6 handlers for the messages a charger sends: translate, one sink call, respond.

Handlers never await an outbound call (the reply would be read by the loop they block); the
fail-safe profile after an accepted boot is sent from a task the connection owns, after the
BootNotification reply is on the wire.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from ocpp.v16 import call_result
from ocpp.v16.datatypes import IdTagInfo
from ocpp.v16.enums import Action, DataTransferStatus, RegistrationStatus

from ocpp_server.commands import CommandResult, CommandStatus, ConnectorElectrical
from ocpp_server.events import (
    ChargerBooted,
    ConnectorStatusChanged,
    MeterSample,
    MeterValuesReceived,
    TransactionStarted,
    TransactionStopped,
)
from ocpp_server.json_codec import JsonCodec
from ocpp_server.meter_parsing import parse_meter_values, parse_wh
from ocpp_server.outbound_v16 import OutboundCalls
from ocpp_server.ports import BootDecision, ChargerEventSink
from ocpp_server.profiles import failsafe_profile, to_ocpp16_charging_profile
from ocpp_server.rpc_v16 import ChargePointRpcV16, Spawn, WebSocket, on_action
from ocpp_server.schemas import PayloadSchemas
from ocpp_server.timestamps import format_utc_timestamp, parse_utc_timestamp, require_utc

LOGGER = logging.getLogger(__name__)

PLAUSIBLE_POWER_FACTOR = 1.5
"""A power sample above this multiple of the connector's rated power is a metering fault."""


class ChargePointV16(ChargePointRpcV16):
    """The central system's side of one OCPP 1.6 charger connection."""

    def __init__(
        self,
        charge_point_id: str,
        connection: WebSocket,
        *,
        sink: ChargerEventSink,
        now: Callable[[], datetime],
        outbound: OutboundCalls,
        spawn: Spawn,
        boot: BootDecision | None,
        max_plausible_power_kw: float,
        schemas: PayloadSchemas,
        json_codec: JsonCodec,
    ) -> None:
        super().__init__(
            charge_point_id,
            connection,
            spawn=spawn,
            call_timeout_s=outbound.timeout_s,
            schemas=schemas,
            json_codec=json_codec,
        )
        self._sink = sink
        self._now = now
        self._outbound = outbound
        self._boot = boot
        self._max_plausible_power_kw = max_plausible_power_kw

    def utc_now(self) -> datetime:
        return require_utc(self._now(), "now()")

    async def install_failsafe(self, decision: BootDecision) -> CommandResult:
        """Send the fail-safe TxDefaultProfile for ``decision`` and log how the charger answered."""
        electrical = _failsafe_electrical(decision.electrical)
        if electrical is None:
            LOGGER.error("%s: no connector electrical data, fail-safe not installed", self.id)
            return CommandResult(CommandStatus.REJECTED, "no connector electrical data")
        profile = failsafe_profile(decision.failsafe_limit_kw)
        payload = to_ocpp16_charging_profile(profile, electrical)
        result = await self._outbound.set_charging_profile(self, profile.connector_id, payload)
        if result.ok:
            LOGGER.debug("%s: fail-safe %.1f kW installed", self.id, decision.failsafe_limit_kw)
        else:
            LOGGER.warning(
                "%s: fail-safe %.1f kW not installed: %s %s",
                self.id,
                decision.failsafe_limit_kw,
                result.status,
                result.detail,
            )
        return result

    @on_action(Action.boot_notification)
    async def on_boot_notification(
        self,
        charge_point_vendor: str,
        charge_point_model: str,
        charge_point_serial_number: str | None = None,
        charge_box_serial_number: str | None = None,
        firmware_version: str | None = None,
        **_: Any,
    ) -> call_result.BootNotification:
        now = self.utc_now()
        decision = await self._sink.charger_booted(
            ChargerBooted(
                charge_point_id=self.charge_point_id,
                vendor=charge_point_vendor,
                model=charge_point_model,
                serial_number=charge_point_serial_number or charge_box_serial_number,
                firmware_version=firmware_version,
                at=now,
            )
        )
        if decision.accepted:
            self._boot = decision
            self.after_reply("fail-safe profile", lambda: self.install_failsafe(decision))
        return call_result.BootNotification(
            current_time=format_utc_timestamp(now),
            interval=decision.heartbeat_interval_s,
            status=RegistrationStatus.accepted if decision.accepted else RegistrationStatus.rejected,
        )

    @on_action(Action.heartbeat)
    async def on_heartbeat(self, **_: Any) -> call_result.Heartbeat:
        return call_result.Heartbeat(current_time=format_utc_timestamp(self.utc_now()))

    @on_action(Action.status_notification)
    async def on_status_notification(
        self,
        connector_id: int,
        error_code: str,
        status: str,
        timestamp: str | None = None,
        **_: Any,
    ) -> call_result.StatusNotification:
        at = self.utc_now() if timestamp is None else parse_utc_timestamp(timestamp, "timestamp")
        await self._sink.connector_status_changed(
            ConnectorStatusChanged(
                charge_point_id=self.charge_point_id,
                connector_id=connector_id,
                status=str(status),
                error_code=str(error_code),
                at=at,
            )
        )
        return call_result.StatusNotification()

    @on_action(Action.authorize)
    async def on_authorize(self, id_tag: str, **_: Any) -> call_result.Authorize:
        status = await self._sink.authorize(self.charge_point_id, id_tag)
        return call_result.Authorize(id_tag_info=IdTagInfo(status=status.value))

    @on_action(Action.start_transaction)
    async def on_start_transaction(
        self,
        connector_id: int,
        id_tag: str,
        meter_start: int,
        timestamp: str,
        reservation_id: int | None = None,
        **_: Any,
    ) -> call_result.StartTransaction:
        decision = await self._sink.transaction_started(
            TransactionStarted(
                charge_point_id=self.charge_point_id,
                connector_id=connector_id,
                id_tag=id_tag,
                meter_start_kwh=parse_wh(meter_start, "meterStart"),
                started_at=parse_utc_timestamp(timestamp, "timestamp"),
                reservation_id=reservation_id,
            )
        )
        return call_result.StartTransaction(
            transaction_id=decision.transaction_id,
            id_tag_info=IdTagInfo(status=decision.id_tag_status.value),
        )

    @on_action(Action.stop_transaction)
    async def on_stop_transaction(
        self,
        meter_stop: int,
        timestamp: str,
        transaction_id: int,
        reason: str | None = None,
        id_tag: str | None = None,
        transaction_data: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> call_result.StopTransaction:
        status = await self._sink.transaction_stopped(
            TransactionStopped(
                charge_point_id=self.charge_point_id,
                transaction_id=transaction_id,
                meter_stop_kwh=parse_wh(meter_stop, "meterStop"),
                stopped_at=parse_utc_timestamp(timestamp, "timestamp"),
                reason=None if reason is None else str(reason),
                id_tag=id_tag,
                samples=self._samples(transaction_data or [], connector_id=None),
            )
        )
        if id_tag is None or status is None:
            return call_result.StopTransaction()
        return call_result.StopTransaction(id_tag_info=IdTagInfo(status=status.value))

    @on_action(Action.meter_values)
    async def on_meter_values(
        self,
        connector_id: int,
        meter_value: list[dict[str, Any]],
        transaction_id: int | None = None,
        **_: Any,
    ) -> call_result.MeterValues:
        samples = self._samples(meter_value, connector_id=connector_id)
        if samples:
            await self._sink.meter_values_received(
                MeterValuesReceived(
                    charge_point_id=self.charge_point_id,
                    connector_id=connector_id,
                    transaction_id=transaction_id,
                    samples=samples,
                )
            )
        return call_result.MeterValues()

    @on_action(Action.data_transfer)
    async def on_data_transfer(self, vendor_id: str, **_: Any) -> call_result.DataTransfer:
        LOGGER.info("%s: DataTransfer from vendor %r not handled", self.id, vendor_id)
        return call_result.DataTransfer(status=DataTransferStatus.unknown_vendor_id)

    @on_action(Action.diagnostics_status_notification)
    async def on_diagnostics_status_notification(
        self, status: str, **_: Any
    ) -> call_result.DiagnosticsStatusNotification:
        LOGGER.info("%s: diagnostics upload %s", self.id, status)
        return call_result.DiagnosticsStatusNotification()

    @on_action(Action.firmware_status_notification)
    async def on_firmware_status_notification(self, status: str, **_: Any) -> call_result.FirmwareStatusNotification:
        LOGGER.info("%s: firmware update %s", self.id, status)
        return call_result.FirmwareStatusNotification()

    def _samples(self, meter_values: Sequence[dict[str, Any]], *, connector_id: int | None) -> tuple[MeterSample, ...]:
        parsed = parse_meter_values(meter_values, now=self.utc_now(), max_power_kw=self._power_bound_kw(connector_id))
        for reason in parsed.dropped:
            LOGGER.warning("%s: meter sample dropped: %s", self.id, reason)
        return parsed.samples

    def _power_bound_kw(self, connector_id: int | None) -> float:
        """Power [kW] no sample from ``connector_id`` can plausibly exceed."""
        if self._boot is None or not self._boot.electrical:
            return self._max_plausible_power_kw
        electrical = self._boot.electrical
        known = electrical.get(connector_id) if connector_id else None
        rated_kw = known.max_power_kw if known else max(e.max_power_kw for e in electrical.values())
        return PLAUSIBLE_POWER_FACTOR * rated_kw


def _failsafe_electrical(electrical: dict[int, ConnectorElectrical]) -> ConnectorElectrical | None:
    """Connector 1's description, else the lowest-numbered connector's: the fail-safe goes on
    connector 0 and so needs one conversion for the whole charger."""
    if 1 in electrical:
        return electrical[1]
    if not electrical:
        return None
    return electrical[min(electrical)]
