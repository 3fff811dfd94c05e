"""OCPP 2.0.1 messages a station sends about itself, not about charging: security (A), firmware (L),
certificates (M), diagnostics and monitoring (N), display messages (O), reservations (H) and vendor
data (P). Each becomes a line of the charger's log for the operator, or an answer that says plainly
what the site cannot do (no contract-certificate pool, no OCSP responder, no vendor extension).

``ChargePointV201`` builds on this class; it holds only these handlers (the log line they write is
:class:`~ocpp_server.charger_reports.ChargerReports`, shared with 1.6).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ocpp.v201 import call_result
from ocpp.v201.enums import Action

from ocpp_server.certificate_delivery import deliver_certificate, review_csr
from ocpp_server.charger_reports import ChargerReports
from ocpp_server.events import NoticeKind
from ocpp_server.outbound_v16 import OutboundCalls
from ocpp_server.ports import CertificateSigner, ChargerEventSink
from ocpp_server.rpc_v16 import on_action
from ocpp_server.rpc_v201 import ChargePointRpcV201
from ocpp_server.timestamps import parse_utc_timestamp, require_utc

LOGGER = logging.getLogger(__name__)


class StationReportsV201(ChargePointRpcV201, ChargerReports):
    """The station's reports on itself; ``ChargePointV201`` sets the attributes below."""

    _sink: ChargerEventSink
    _outbound: OutboundCalls
    _certificates: CertificateSigner | None
    _now: Callable[[], datetime]

    def utc_now(self) -> datetime:
        return require_utc(self._now(), "now()")

    # A Security, L Firmware, N Diagnostics

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
        return call_result.SignCertificate(status="Accepted" if review.accepted else "Rejected")

    @on_action(Action.security_event_notification)
    async def on_security_event_notification(
        self, type: str, timestamp: str, tech_info: str | None = None, **_: Any
    ) -> call_result.SecurityEventNotification:
        await self._report(
            NoticeKind.SECURITY_EVENT, type, at=parse_utc_timestamp(timestamp, "timestamp"), detail=tech_info
        )
        return call_result.SecurityEventNotification()

    @on_action(Action.firmware_status_notification)
    async def on_firmware_status_notification(
        self, status: str, request_id: int | None = None, **_: Any
    ) -> call_result.FirmwareStatusNotification:
        await self._report(NoticeKind.FIRMWARE_STATUS, str(status), request_id=request_id)
        return call_result.FirmwareStatusNotification()

    @on_action(Action.publish_firmware_status_notification)
    async def on_publish_firmware_status_notification(
        self, status: str, request_id: int | None = None, **_: Any
    ) -> call_result.PublishFirmwareStatusNotification:
        await self._report(NoticeKind.FIRMWARE_STATUS, f"Publish{status}", request_id=request_id)
        return call_result.PublishFirmwareStatusNotification()

    @on_action(Action.log_status_notification)
    async def on_log_status_notification(
        self, status: str, request_id: int | None = None, **_: Any
    ) -> call_result.LogStatusNotification:
        await self._report(NoticeKind.LOG_STATUS, str(status), request_id=request_id)
        return call_result.LogStatusNotification()

    @on_action(Action.notify_event)
    async def on_notify_event(
        self, generated_at: str, seq_no: int, event_data: list[dict[str, Any]], **_: Any
    ) -> call_result.NotifyEvent:
        for event in event_data:
            component = event.get("component", {}).get("name", "?")
            variable = event.get("variable", {}).get("name", "?")
            await self._report(
                NoticeKind.EVENT,
                str(event.get("trigger", "")),
                at=parse_utc_timestamp(event.get("timestamp", generated_at), "timestamp"),
                detail=f"{component}.{variable} = {event.get('actual_value')!r} "
                f"({event.get('event_notification_type')})",
            )
        return call_result.NotifyEvent()

    @on_action(Action.notify_monitoring_report)
    async def on_notify_monitoring_report(
        self, request_id: int, seq_no: int, **_: Any
    ) -> call_result.NotifyMonitoringReport:
        LOGGER.info("%s: monitoring report %d part %d", self.id, request_id, seq_no)
        return call_result.NotifyMonitoringReport()

    @on_action(Action.notify_customer_information)
    async def on_notify_customer_information(
        self, data: str, seq_no: int, request_id: int, **_: Any
    ) -> call_result.NotifyCustomerInformation:
        LOGGER.info("%s: customer information %d part %d: %d characters", self.id, request_id, seq_no, len(data))
        return call_result.NotifyCustomerInformation()

    @on_action(Action.notify_display_messages)
    async def on_notify_display_messages(self, request_id: int, **_: Any) -> call_result.NotifyDisplayMessages:
        return call_result.NotifyDisplayMessages()

    @on_action(Action.reservation_status_update)
    async def on_reservation_status_update(
        self, reservation_id: int, reservation_update_status: str, **_: Any
    ) -> call_result.ReservationStatusUpdate:
        await self._report(NoticeKind.EVENT, f"Reservation{reservation_update_status}", request_id=reservation_id)
        return call_result.ReservationStatusUpdate()

    # M Certificates, P Data transfer: no provider behind them here

    @on_action(Action.get_15118_ev_certificate)
    async def on_get_15118_ev_certificate(self, **_: Any) -> call_result.Get15118EVCertificate:
        return call_result.Get15118EVCertificate(
            status="Failed",
            exi_response="",
            status_info={"reason_code": "NoCertProvider", "additional_info": "no contract certificate pool"},
        )

    @on_action(Action.get_certificate_status)
    async def on_get_certificate_status(self, **_: Any) -> call_result.GetCertificateStatus:
        return call_result.GetCertificateStatus(
            status="Failed", status_info={"reason_code": "NoOcspResponder", "additional_info": "no OCSP responder"}
        )

    @on_action(Action.data_transfer)
    async def on_data_transfer(self, vendor_id: str, **_: Any) -> call_result.DataTransfer:
        LOGGER.info("%s: DataTransfer from vendor %r not handled", self.id, vendor_id)
        return call_result.DataTransfer(status="UnknownVendorId")
