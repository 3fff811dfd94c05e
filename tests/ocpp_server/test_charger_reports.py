"""Status reports and security events a charger sends reach the application, answered per schema."""

from __future__ import annotations

from datetime import UTC, datetime

from ocpp.v16 import call

from ocpp_server.central_system import CentralSystem
from ocpp_server.events import ChargerConnected, ChargerDisconnected, ChargerNotice, NoticeKind
from tests.ocpp_server.support import NOW, RecordingSink, charger, fixed_now, running


async def test_tc_044_firmware_and_diagnostics_statuses_are_reported() -> None:
    sink = RecordingSink()
    async with running(CentralSystem(sink, fixed_now)) as url, charger(url, "CP1") as cp:
        await cp.call(call.FirmwareStatusNotification(status="Downloaded"))
        await cp.call(call.FirmwareStatusNotification(status="InstallationFailed"))
        await cp.call(call.DiagnosticsStatusNotification(status="Uploaded"))

    assert sink.of_type(ChargerNotice) == [
        ChargerNotice("CP1", NoticeKind.FIRMWARE_STATUS, "Downloaded", NOW),
        ChargerNotice("CP1", NoticeKind.FIRMWARE_STATUS, "InstallationFailed", NOW),
        ChargerNotice("CP1", NoticeKind.DIAGNOSTICS_STATUS, "Uploaded", NOW),
    ]


async def test_tc_077_a_security_event_is_reported_with_its_own_time_and_tech_info() -> None:
    sink = RecordingSink()
    async with running(CentralSystem(sink, fixed_now)) as url, charger(url, "CP1") as cp:
        answer = await cp.call(
            call.SecurityEventNotification(
                type="InvalidChargePointCertificate", timestamp="2025-06-02T09:58:00+02:00", tech_info="expired"
            )
        )
        bare = await cp.call(
            call.SecurityEventNotification(type="StartupOfTheDevice", timestamp="2025-06-02T09:59:00Z", tech_info=None)
        )

    assert answer is not None
    assert bare is not None
    assert sink.of_type(ChargerNotice) == [
        ChargerNotice(
            "CP1",
            NoticeKind.SECURITY_EVENT,
            "InvalidChargePointCertificate",
            datetime(2025, 6, 2, 7, 58, tzinfo=UTC),
            detail="expired",
        ),
        ChargerNotice("CP1", NoticeKind.SECURITY_EVENT, "StartupOfTheDevice", datetime(2025, 6, 2, 9, 59, tzinfo=UTC)),
    ]


async def test_log_uploads_and_signed_firmware_report_their_request() -> None:
    sink = RecordingSink()
    async with running(CentralSystem(sink, fixed_now)) as url, charger(url, "CP1") as cp:
        await cp.call(call.LogStatusNotification(status="Uploaded", request_id=12))
        await cp.call(call.SignedFirmwareStatusNotification(status="InvalidSignature", request_id=13))

    assert sink.of_type(ChargerNotice) == [
        ChargerNotice("CP1", NoticeKind.LOG_STATUS, "Uploaded", NOW, request_id=12),
        ChargerNotice("CP1", NoticeKind.SIGNED_FIRMWARE_STATUS, "InvalidSignature", NOW, request_id=13),
    ]


async def test_data_transfer_from_any_vendor_is_answered_unknown_vendor_id() -> None:
    sink = RecordingSink()
    async with running(CentralSystem(sink, fixed_now)) as url, charger(url, "CP1") as cp:
        answer = await cp.call(call.DataTransfer(vendor_id="com.acme", message_id="x", data="{}"))
        bare = await cp.call(call.DataTransfer(vendor_id="org.example"))

    assert answer.status == bare.status == "UnknownVendorId"
    # Vendor data reaches nobody: the application hears only of the connection.
    assert [type(event) for event in sink.events] == [ChargerConnected, ChargerDisconnected]


async def test_a_report_with_an_unreadable_time_is_refused_and_not_reported() -> None:
    sink = RecordingSink()
    async with running(CentralSystem(sink, fixed_now)) as url, charger(url, "CP1") as cp:
        answer = await cp.call(call.SecurityEventNotification(type="X", timestamp="yesterday", tech_info=None))

    assert answer is None  # the library's client gets a CALLERROR and returns nothing
    assert sink.of_type(ChargerNotice) == []
