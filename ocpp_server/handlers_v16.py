"""OCPP 1.6 handlers for the messages a charger sends: translate, one sink call, respond.

While a charger's boot is Pending or Rejected, its requests are screened (``refusal_for``, see
``Registration``).

Handlers never await an outbound call (the reply would be read by the loop they block); the
capabilities read and the fail-safe profile after an accepted boot are sent from a task the
connection owns, after the BootNotification reply is on the wire (``profile_channel``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import Enum
from typing import Any

from ocpp.exceptions import OCPPError, SecurityError
from ocpp.v16 import call_result
from ocpp.v16.datatypes import IdTagInfo as WireIdTagInfo
from ocpp.v16.enums import Action, DataTransferStatus, GenericStatus, RegistrationStatus

from ocpp_server.certificate_delivery import deliver_certificate, review_csr
from ocpp_server.charger_reports import ChargerReports
from ocpp_server.commands import CommandResult
from ocpp_server.events import (
    ChargerBooted,
    ConnectorStatusChanged,
    MeterSample,
    MeterValuesReceived,
    NoticeKind,
    TransactionStarted,
    TransactionStopped,
)
from ocpp_server.json_codec import JsonCodec
from ocpp_server.message_trace import MessageTrace
from ocpp_server.meter_parsing import parse_meter_values, parse_wh
from ocpp_server.metrics import EdgeMetrics
from ocpp_server.outbound_v16 import OutboundCalls
from ocpp_server.ports import BootDecision, CertificateSigner, ChargerEventSink, IdTagInfo
from ocpp_server.profile_channel import ProfileChannel
from ocpp_server.rpc_v16 import ChargePointRpcV16, Spawn, WebSocket, on_action
from ocpp_server.schemas import PayloadSchemas
from ocpp_server.timestamps import format_utc_timestamp, parse_utc_timestamp, require_utc

LOGGER = logging.getLogger(__name__)

PLAUSIBLE_POWER_FACTOR = 1.5
"""A power sample above this multiple of the connector's rated power is a metering fault."""


class Registration(Enum):
    """Where a charger stands with the central system on this connection."""

    UNSETTLED = "unsettled"
    """No boot on this connection and nothing known against it (a known charger reconnecting)."""
    ACCEPTED = "Accepted"
    PENDING = "Pending"
    REJECTED = "Rejected"


TRIGGERABLE_ACTIONS = frozenset(
    {
        Action.boot_notification.value,
        Action.diagnostics_status_notification.value,
        Action.firmware_status_notification.value,
        Action.heartbeat.value,
        Action.meter_values.value,
        Action.status_notification.value,
    }
)
"""The requests TriggerMessage.req can ask for (OCPP 1.6, 5.17)."""


class ChargePointV16(ChargePointRpcV16, ChargerReports):
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
        pending: bool = False,
        max_plausible_power_kw: float,
        schemas: PayloadSchemas,
        json_codec: JsonCodec,
        certificates: CertificateSigner | None = None,
        capabilities_timeout_s: float = 10.0,
        trace: MessageTrace | None = None,
        metrics: EdgeMetrics | None = None,
    ) -> None:
        super().__init__(
            charge_point_id,
            connection,
            spawn=spawn,
            call_timeout_s=outbound.timeout_s,
            schemas=schemas,
            json_codec=json_codec,
            trace=trace,
            metrics=metrics,
        )
        self._sink = sink
        self._now = now
        self._outbound = outbound
        self._boot = boot
        self._registration = Registration.PENDING if pending else Registration.UNSETTLED
        self._max_plausible_power_kw = max_plausible_power_kw
        self._certificates = certificates
        self.profiles = ProfileChannel(self, outbound, sink, self.utc_now, read_timeout_s=capabilities_timeout_s)
        """Reported capabilities and every charging profile sent to this charger."""

    def refusal_for(self, action: str) -> OCPPError | None:
        """Screen requests of a charger whose boot is Pending or Rejected.

        OCPP 1.6 (4.2) forbids a Pending charger every request except BootNotification and those the
        central system asks for with TriggerMessage.req, and a Rejected one every message until its
        retry interval has passed; it leaves the central system's answer open. Here, while Pending,
        the requests TriggerMessage can ask for are served (which of them were asked for is not
        tracked: operators trigger through raw calls) and every other request is refused with
        OCPP-J 1.6's SecurityError, so that nothing a charger not yet accepted sends (an
        Authorize, a transaction) is taken for site business; the charger keeps such messages and
        sends them once accepted. While Rejected, only BootNotification is served.
        """
        return registration_refusal(self._registration, action, TRIGGERABLE_ACTIONS, "the charge point")

    def utc_now(self) -> datetime:
        return require_utc(self._now(), "now()")

    async def install_failsafe(self, decision: BootDecision) -> CommandResult:
        """Send the fail-safe TxDefaultProfile for ``decision``, checked against the charger's capabilities."""
        return await self.profiles.install_failsafe(decision)

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
            self._registration = Registration.ACCEPTED
            # Profiles sent before the capabilities are read wait for them (see ``ProfileChannel``).
            self.profiles.expect_set_up()
            self.after_reply("capabilities and fail-safe profile", lambda: self.profiles.set_up(decision))
            status = RegistrationStatus.accepted
        elif decision.pending:
            self._registration = Registration.PENDING
            status = RegistrationStatus.pending
        else:
            self._registration = Registration.REJECTED
            status = RegistrationStatus.rejected
        return call_result.BootNotification(
            current_time=format_utc_timestamp(now), interval=decision.heartbeat_interval_s, status=status
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
        info = await self._sink.authorize(self.charge_point_id, id_tag)
        return call_result.Authorize(id_tag_info=_wire_id_tag_info(info))

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
            id_tag_info=_wire_id_tag_info(decision.id_tag_info),
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
        info = await self._sink.transaction_stopped(
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
        if id_tag is None or info is None:
            return call_result.StopTransaction()
        return call_result.StopTransaction(id_tag_info=_wire_id_tag_info(info))

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
        # The site has no vendor extension: every vendor is unknown.
        LOGGER.info("%s: DataTransfer from vendor %r not handled", self.id, vendor_id)
        return call_result.DataTransfer(status=DataTransferStatus.unknown_vendor_id)

    @on_action(Action.diagnostics_status_notification)
    async def on_diagnostics_status_notification(
        self, status: str, **_: Any
    ) -> call_result.DiagnosticsStatusNotification:
        await self._report(NoticeKind.DIAGNOSTICS_STATUS, str(status))
        return call_result.DiagnosticsStatusNotification()

    @on_action(Action.firmware_status_notification)
    async def on_firmware_status_notification(self, status: str, **_: Any) -> call_result.FirmwareStatusNotification:
        await self._report(NoticeKind.FIRMWARE_STATUS, str(status))
        return call_result.FirmwareStatusNotification()

    @on_action(Action.signed_firmware_status_notification)
    async def on_signed_firmware_status_notification(
        self, status: str, request_id: int | None = None, **_: Any
    ) -> call_result.SignedFirmwareStatusNotification:
        await self._report(NoticeKind.SIGNED_FIRMWARE_STATUS, str(status), request_id=request_id)
        return call_result.SignedFirmwareStatusNotification()

    @on_action(Action.log_status_notification)
    async def on_log_status_notification(
        self, status: str, request_id: int | None = None, **_: Any
    ) -> call_result.LogStatusNotification:
        await self._report(NoticeKind.LOG_STATUS, str(status), request_id=request_id)
        return call_result.LogStatusNotification()

    @on_action(Action.sign_certificate)
    async def on_sign_certificate(self, csr: str, **_: Any) -> call_result.SignCertificate:
        review = await review_csr(self._certificates, self.charge_point_id, csr)
        signer = self._certificates
        if review.accepted and signer is not None:
            self.after_reply(
                "CertificateSigned",
                lambda: deliver_certificate(
                    self, self.charge_point_id, signer, csr, timeout_s=self._outbound.timeout_s, codec=self._json
                ),
            )
        return call_result.SignCertificate(status=GenericStatus.accepted if review.accepted else GenericStatus.rejected)

    @on_action(Action.security_event_notification)
    async def on_security_event_notification(
        self, type: str, timestamp: str, tech_info: str | None = None, **_: Any
    ) -> call_result.SecurityEventNotification:
        at = parse_utc_timestamp(timestamp, "timestamp")
        await self._report(NoticeKind.SECURITY_EVENT, type, at=at, detail=tech_info)
        return call_result.SecurityEventNotification()

    def _samples(self, meter_values: Sequence[dict[str, Any]], *, connector_id: int | None) -> tuple[MeterSample, ...]:
        parsed = parse_meter_values(meter_values, now=self.utc_now(), max_power_kw=self._power_bound_kw(connector_id))
        for reason in parsed.dropped:
            LOGGER.warning("%s: meter sample dropped: %s", self.id, reason)
        return parsed.samples

    def _power_bound_kw(self, connector_id: int | None) -> float:
        return plausible_power_kw(self._boot, connector_id, self._max_plausible_power_kw)


def registration_refusal(
    registration: Registration, action: str, triggerable: frozenset[str], charger: str
) -> OCPPError | None:
    """The SecurityError that answers ``action`` from a charger not accepted yet (Pending: only what
    a TriggerMessage may ask for is served; Rejected: only BootNotification); None serves it.
    ``charger`` names the charger in the answer ("the charge point", "the charging station")."""
    allowed: frozenset[str] | None
    if registration is Registration.PENDING:
        allowed = triggerable
    elif registration is Registration.REJECTED:
        allowed = frozenset({Action.boot_notification.value})
    else:
        allowed = None
    if allowed is None or action in allowed:
        return None
    return SecurityError(
        description=f"{action} refused: {charger} is not accepted",
        details={"cause": f"registration status {registration.value}; send BootNotification"},
    )


def plausible_power_kw(boot: BootDecision | None, connector_id: int | None, default_kw: float) -> float:
    """Power [kW] no sample from ``connector_id`` can plausibly exceed: a multiple of its rated
    power (the charger's highest when the connector is not described), ``default_kw`` before boot."""
    if boot is None or not boot.electrical:
        return default_kw
    electrical = boot.electrical
    known = electrical.get(connector_id) if connector_id else None
    rated_kw = known.max_power_kw if known else max(e.max_power_kw for e in electrical.values())
    return PLAUSIBLE_POWER_FACTOR * rated_kw


def _wire_id_tag_info(info: IdTagInfo) -> WireIdTagInfo:
    """``info`` as OCPP 1.6 writes it; the library drops the fields left None."""
    expiry_date = None if info.expires_at is None else format_utc_timestamp(info.expires_at)
    return WireIdTagInfo(status=info.status.value, expiry_date=expiry_date, parent_id_tag=info.parent_id_tag)
