"""Events, answers and commands in JSON on the bus: one typed pydantic model per message type.

Every message is a dataclass of ``ocpp_server`` (events, decisions, results); a one-field pydantic
model around it turns it into JSON and back, checking the types on the way in, so that a message a
newer or older node wrote fails loudly instead of being half understood.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, create_model

from ocpp_server.commands import CommandResult, ConnectorElectrical, PowerLimitProfile, ProfilePurpose
from ocpp_server.events import (
    CapabilitiesReported,
    ChargerBooted,
    ChargerConnected,
    ChargerDisconnected,
    ChargerNotice,
    ConnectorStatusChanged,
    EvChargingNeeds,
    ExternalChargingLimit,
    MeterValuesReceived,
    TransactionStarted,
    TransactionStopped,
)
from ocpp_server.message_trace import TracedFrame
from ocpp_server.ports import (
    BootDecision,
    ConnectionDecision,
    CsrReview,
    IdTagInfo,
    KnownTransaction,
    TransactionDecision,
)
from ocpp_server.raw_calls import CentralSystemAction, RawCallAnswer

# OCPP 1.6 passwords are bytes that need not be UTF-8: base64 keeps every one.
_CONFIG = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")


class EventKind(StrEnum):
    """One per ChargerEventSink / CertificateSigner method, named as the method."""

    CHARGER_CONNECTED = "charger_connected"
    CHARGER_DISCONNECTED = "charger_disconnected"
    CHARGER_BOOTED = "charger_booted"
    CONNECTOR_STATUS_CHANGED = "connector_status_changed"
    AUTHORIZE = "authorize"
    TRANSACTION_STARTED = "transaction_started"
    TRANSACTION_STOPPED = "transaction_stopped"
    METER_VALUES_RECEIVED = "meter_values_received"
    CHARGER_REPORTED = "charger_reported"
    CAPABILITIES_REPORTED = "capabilities_reported"
    EV_CHARGING_NEEDS = "ev_charging_needs"
    EXTERNAL_LIMIT_CHANGED = "external_limit_changed"
    TRANSACTION_COST = "transaction_cost"
    FIND_TRANSACTION = "find_transaction"
    REVIEW_CSR = "review_csr"
    SIGN_CSR = "sign_csr"


@dataclass(frozen=True, slots=True)
class AuthorizeRequest:
    charge_point_id: str
    id_tag: str


@dataclass(frozen=True, slots=True)
class TransactionCostRequest:
    charge_point_id: str
    transaction_id: int


@dataclass(frozen=True, slots=True)
class FindTransactionRequest:
    charge_point_id: str
    charger_transaction_id: str


@dataclass(frozen=True, slots=True)
class CsrRequest:
    charge_point_id: str
    csr_pem: str


@dataclass(frozen=True, slots=True)
class SignedChain:
    pem_chain: str


EVENT_TYPES: dict[EventKind, type[Any]] = {
    EventKind.CHARGER_CONNECTED: ChargerConnected,
    EventKind.CHARGER_DISCONNECTED: ChargerDisconnected,
    EventKind.CHARGER_BOOTED: ChargerBooted,
    EventKind.CONNECTOR_STATUS_CHANGED: ConnectorStatusChanged,
    EventKind.AUTHORIZE: AuthorizeRequest,
    EventKind.TRANSACTION_STARTED: TransactionStarted,
    EventKind.TRANSACTION_STOPPED: TransactionStopped,
    EventKind.METER_VALUES_RECEIVED: MeterValuesReceived,
    EventKind.CHARGER_REPORTED: ChargerNotice,
    EventKind.CAPABILITIES_REPORTED: CapabilitiesReported,
    EventKind.EV_CHARGING_NEEDS: EvChargingNeeds,
    EventKind.EXTERNAL_LIMIT_CHANGED: ExternalChargingLimit,
    EventKind.TRANSACTION_COST: TransactionCostRequest,
    EventKind.FIND_TRANSACTION: FindTransactionRequest,
    EventKind.REVIEW_CSR: CsrRequest,
    EventKind.SIGN_CSR: CsrRequest,
}

ANSWER_TYPES: dict[EventKind, Any] = {
    EventKind.CHARGER_CONNECTED: ConnectionDecision,
    EventKind.CHARGER_BOOTED: BootDecision,
    EventKind.AUTHORIZE: IdTagInfo,
    EventKind.TRANSACTION_STARTED: TransactionDecision,
    EventKind.TRANSACTION_STOPPED: IdTagInfo | None,
    EventKind.EV_CHARGING_NEEDS: bool,
    EventKind.TRANSACTION_COST: float | None,
    EventKind.FIND_TRANSACTION: KnownTransaction | None,
    EventKind.REVIEW_CSR: CsrReview,
    EventKind.SIGN_CSR: SignedChain,
}
"""The kinds the gateway waits for an answer to; the others are durable once the broker has them."""


class CommandKind(StrEnum):
    SET_CHARGING_PROFILE = "set_charging_profile"
    CLEAR_CHARGING_PROFILE = "clear_charging_profile"
    SEND_CALL = "send_call"
    RECENT_FRAMES = "recent_frames"


@dataclass(frozen=True, slots=True)
class SetProfileCommand:
    charge_point_id: str
    profile: PowerLimitProfile
    electrical: ConnectorElectrical
    max_periods: int | None = None


@dataclass(frozen=True, slots=True)
class ClearProfileCommand:
    charge_point_id: str
    profile_id: int | None = None
    connector_id: int | None = None
    purpose: ProfilePurpose | None = None
    stack_level: int | None = None


@dataclass(frozen=True, slots=True)
class SendCallCommand:
    charge_point_id: str
    action: CentralSystemAction
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FramesCommand:
    charge_point_id: str


COMMAND_TYPES: dict[CommandKind, type[Any]] = {
    CommandKind.SET_CHARGING_PROFILE: SetProfileCommand,
    CommandKind.CLEAR_CHARGING_PROFILE: ClearProfileCommand,
    CommandKind.SEND_CALL: SendCallCommand,
    CommandKind.RECENT_FRAMES: FramesCommand,
}

COMMAND_ANSWER_TYPES: dict[CommandKind, Any] = {
    CommandKind.SET_CHARGING_PROFILE: CommandResult,
    CommandKind.CLEAR_CHARGING_PROFILE: CommandResult,
    CommandKind.SEND_CALL: RawCallAnswer,
    CommandKind.RECENT_FRAMES: tuple[TracedFrame, ...],
}


@dataclass(frozen=True, slots=True)
class GatewayAlive:
    """A gateway's periodic word: it lives, and holds these chargers."""

    gateway_id: str
    charge_point_ids: tuple[str, ...]


class Codec:
    """JSON for every type above; models are built once, since building one costs milliseconds."""

    def __init__(self) -> None:
        self._boxes: dict[Any, type[BaseModel]] = {}

    def _box(self, kind: Any) -> type[BaseModel]:
        # A model with one field carries the JSON settings down to the dataclasses inside it, which
        # a TypeAdapter of the dataclass itself cannot be given.
        box = self._boxes.get(kind)
        if box is None:
            box = create_model("Box", __config__=_CONFIG, value=(kind, ...))
            self._boxes[kind] = box
        return box

    def encode(self, kind: Any, value: Any) -> bytes:
        return self._box(kind)(value=value).model_dump_json().encode()

    def decode(self, kind: Any, data: bytes) -> Any:
        return self._box(kind).model_validate_json(data).value  # type: ignore[attr-defined]
