"""What travels on the bus: every event, answer and command survives the trip to JSON and back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fleet.bus.codec import (
    ANSWER_TYPES,
    COMMAND_ANSWER_TYPES,
    COMMAND_TYPES,
    EVENT_TYPES,
    AuthorizeRequest,
    ClearProfileCommand,
    Codec,
    CommandKind,
    CsrRequest,
    EventKind,
    FindTransactionRequest,
    FramesCommand,
    GatewayAlive,
    SendCallCommand,
    SetProfileCommand,
    SignedChain,
    TransactionCostRequest,
)
from fleet.bus.subjects import Subjects
from ocpp_server.capabilities import ChargerCapabilities
from ocpp_server.commands import (
    CommandResult,
    CommandStatus,
    PowerLimitProfile,
    PowerPeriod,
    ProfilePurpose,
    RateUnit,
)
from ocpp_server.events import (
    CapabilitiesReported,
    ChargerBooted,
    ChargerConnected,
    ChargerDisconnected,
    ChargerNotice,
    ConnectorStatusChanged,
    EvChargingNeeds,
    ExternalChargingLimit,
    Measurand,
    MeterSample,
    MeterValuesReceived,
    NoticeKind,
    OcppVersion,
    PresentedCredentials,
    TransactionStarted,
    TransactionStopped,
)
from ocpp_server.message_trace import Direction, TracedFrame
from ocpp_server.ports import (
    BootDecision,
    ConnectionDecision,
    CsrReview,
    IdTagInfo,
    IdTagStatus,
    KnownTransaction,
    Refusal,
    TransactionDecision,
)
from ocpp_server.raw_calls import CentralSystemAction, RawCallAnswer, RawCallOutcome
from tests.ocpp_server.support import AC_22KW, AC_BOOT

AT = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)
SAMPLES = (
    MeterSample(Measurand.ENERGY_IMPORT_KWH, 12.345, AT),
    MeterSample(Measurand.CURRENT_IMPORT_A, 10.4, AT, phase="L1"),
)

EVENTS: dict[EventKind, Any] = {
    # A 1.6 AuthorizationKey need not be UTF-8: the bytes must come back exactly.
    EventKind.CHARGER_CONNECTED: ChargerConnected(
        "CP1", OcppVersion.V16, AT, PresentedCredentials("CP1", b"\xff\x00key", True, "CP1", "1a2b")
    ),
    EventKind.CHARGER_DISCONNECTED: ChargerDisconnected("CP1", AT),
    EventKind.CHARGER_BOOTED: ChargerBooted("CP1", "Vendor", "Model", None, "1.2.3", AT),
    EventKind.CONNECTOR_STATUS_CHANGED: ConnectorStatusChanged("CP1", 1, "Charging", "NoError", AT),
    EventKind.AUTHORIZE: AuthorizeRequest("CP1", "tag-1"),
    EventKind.TRANSACTION_STARTED: TransactionStarted(
        "CP1", 1, "tag-1", 12.0, AT, reservation_id=4, charger_transaction_id="f3a9-0001"
    ),
    EventKind.TRANSACTION_STOPPED: TransactionStopped("CP1", 501, 20.0, AT, "EVDisconnected", None, SAMPLES),
    EventKind.METER_VALUES_RECEIVED: MeterValuesReceived("CP1", 1, 501, SAMPLES),
    EventKind.CHARGER_REPORTED: ChargerNotice("CP1", NoticeKind.FIRMWARE_STATUS, "Installed", AT, detail="v2"),
    EventKind.CAPABILITIES_REPORTED: CapabilitiesReported(
        "CP1",
        ChargerCapabilities(
            read_at=AT,
            feature_profiles=frozenset({"Core", "SmartCharging"}),
            allowed_rate_units=frozenset({RateUnit.AMPS}),
            max_schedule_periods=24,
        ),
        {"NumberOfConnectors": "2", "Odd": None},
    ),
    EventKind.EV_CHARGING_NEEDS: EvChargingNeeds(
        "CP1",
        1,
        "AC_three_phase",
        AT,
        departure_at=AT + timedelta(hours=3),
        energy_amount_kwh=24.5,
        max_power_kw=11.0,
        max_current_a=16.0,
        soc_percent=41.0,
        capacity_kwh=60.0,
    ),
    EventKind.EXTERNAL_LIMIT_CHANGED: ExternalChargingLimit("CP1", 0, "SO", 7.4, True, AT),
    EventKind.TRANSACTION_COST: TransactionCostRequest("CP1", 501),
    EventKind.FIND_TRANSACTION: FindTransactionRequest("CP1", "tx-501"),
    EventKind.REVIEW_CSR: CsrRequest("CP1", "-----BEGIN CERTIFICATE REQUEST-----"),
    EventKind.SIGN_CSR: CsrRequest("CP1", "-----BEGIN CERTIFICATE REQUEST-----"),
}

ANSWERS: dict[EventKind, Any] = {
    EventKind.CHARGER_CONNECTED: ConnectionDecision(False, refusal=Refusal.UNAUTHORIZED, detail="wrong password"),
    EventKind.CHARGER_BOOTED: AC_BOOT,
    EventKind.AUTHORIZE: IdTagInfo(IdTagStatus.ACCEPTED, AT, "fleet-1"),
    EventKind.TRANSACTION_STARTED: TransactionDecision(501, IdTagInfo(IdTagStatus.BLOCKED)),
    EventKind.TRANSACTION_STOPPED: None,
    EventKind.EV_CHARGING_NEEDS: False,
    EventKind.TRANSACTION_COST: 3.25,
    EventKind.FIND_TRANSACTION: KnownTransaction(501, 2, "", 12.5),
    EventKind.REVIEW_CSR: CsrReview(False, "no CA"),
    EventKind.SIGN_CSR: SignedChain("-----BEGIN CERTIFICATE-----"),
}

PROFILE = PowerLimitProfile(7, ProfilePurpose.TX, 2, 1, AT, 900, (PowerPeriod(0, 11.0), PowerPeriod(300, 0.0)), 501)
COMMANDS: dict[CommandKind, Any] = {
    CommandKind.SET_CHARGING_PROFILE: SetProfileCommand("CP1", PROFILE, AC_22KW, 5),
    CommandKind.CLEAR_CHARGING_PROFILE: ClearProfileCommand("CP1", purpose=ProfilePurpose.TX_DEFAULT),
    CommandKind.SEND_CALL: SendCallCommand("CP1", CentralSystemAction.DATA_TRANSFER, {"vendorId": "x", "data": "é"}),
    CommandKind.RECENT_FRAMES: FramesCommand("CP1"),
}
COMMAND_ANSWERS: dict[CommandKind, Any] = {
    CommandKind.SET_CHARGING_PROFILE: CommandResult(CommandStatus.NOT_SENT, "too many periods"),
    CommandKind.CLEAR_CHARGING_PROFILE: CommandResult(CommandStatus.UNKNOWN),
    CommandKind.SEND_CALL: RawCallAnswer(RawCallOutcome.CALL_ERROR, None, "NotImplemented", "no", {"a": [1]}),
    CommandKind.RECENT_FRAMES: (TracedFrame(AT, Direction.RECEIVED, '[2,"1","Heartbeat",{}]', False),),
}


def test_every_kind_has_a_sample_here() -> None:
    assert set(EVENTS) == set(EventKind) == set(EVENT_TYPES)
    assert set(ANSWERS) == set(ANSWER_TYPES)
    assert set(COMMANDS) == set(CommandKind) == set(COMMAND_TYPES) == set(COMMAND_ANSWER_TYPES)


@pytest.mark.parametrize("kind", list(EventKind))
def test_events_and_answers_come_back_as_they_left(kind: EventKind) -> None:
    codec = Codec()
    event = EVENTS[kind]
    assert codec.decode(EVENT_TYPES[kind], codec.encode(EVENT_TYPES[kind], event)) == event
    if kind in ANSWER_TYPES:
        answer = ANSWERS[kind]
        assert codec.decode(ANSWER_TYPES[kind], codec.encode(ANSWER_TYPES[kind], answer)) == answer


@pytest.mark.parametrize("kind", list(CommandKind))
def test_commands_and_their_answers_come_back_as_they_left(kind: CommandKind) -> None:
    codec = Codec()
    assert codec.decode(COMMAND_TYPES[kind], codec.encode(COMMAND_TYPES[kind], COMMANDS[kind])) == COMMANDS[kind]
    answer = COMMAND_ANSWERS[kind]
    assert codec.decode(COMMAND_ANSWER_TYPES[kind], codec.encode(COMMAND_ANSWER_TYPES[kind], answer)) == answer


def test_a_cleared_limit_travels_as_no_limit() -> None:
    codec = Codec()
    cleared = ExternalChargingLimit("CP1", 2, "EMS", None, False, AT)
    assert codec.decode(ExternalChargingLimit, codec.encode(ExternalChargingLimit, cleared)) == cleared


def test_a_boot_decision_keeps_its_connectors_keyed_by_number() -> None:
    codec = Codec()
    decision = BootDecision(True, 60, {1: AC_22KW, 2: AC_22KW}, 4.6)
    assert codec.decode(BootDecision, codec.encode(BootDecision, decision)).electrical == {1: AC_22KW, 2: AC_22KW}


def test_a_message_of_the_wrong_shape_is_refused_not_half_read() -> None:
    codec = Codec()
    with pytest.raises(ValueError, match="transaction_id"):
        codec.decode(MeterValuesReceived, b'{"value": {"charge_point_id": "CP1", "connector_id": 1, "samples": []}}')
    alive = GatewayAlive("gw-a", ("CP1", "CP2"))
    assert codec.decode(GatewayAlive, codec.encode(GatewayAlive, alive)) == alive


def test_namespaces_keep_deployments_apart_and_refuse_what_nats_would_misread() -> None:
    site = Subjects("milan")
    other = Subjects("turin-2")
    assert site.event("gw-a") == "milan.events.gw-a"
    assert site.event_stream == "MILAN_EVENTS"
    assert other.event_stream == "TURIN_2_EVENTS"
    assert site.commands("gw-a") != other.commands("gw-a")
    for bad in ("", "a.b", "a*", "a b", "a>"):
        with pytest.raises(ValueError, match="bus namespace"):
            Subjects(bad)
