"""Any OCPP action sent to a charger with its payload exactly as given, and the answer as received.

The action must be one the central system sends in the charger's protocol (``actions_of``): a 1.6
action to a 2.0.1 station, or the reverse, is not sent (NOT_IN_PROTOCOL).

For operators who need what the typed commands do not offer: the payload is the wire form
(camelCase keys) and goes out unchanged, with no schema check and no check against what the
central system knows (an unknown transaction id or connector is the charger's to judge). The answer
comes back unchanged too: the CALLRESULT's payload or the CALLERROR's code, description and
details. Like every outbound call it has a timeout, and a charger that goes away while the call is
pending ends it at once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from ocpp.messages import Call, CallError, CallResult
from websockets.exceptions import ConnectionClosed

from ocpp_server.framing import encode_frame
from ocpp_server.json_codec import JsonCodec


class CentralSystemAction(StrEnum):
    """The actions a central system sends: OCPP 1.6 (the security extension's included) and 2.0.1."""

    CANCEL_RESERVATION = "CancelReservation"
    CERTIFICATE_SIGNED = "CertificateSigned"
    CHANGE_AVAILABILITY = "ChangeAvailability"
    CHANGE_CONFIGURATION = "ChangeConfiguration"
    CLEAR_CACHE = "ClearCache"
    CLEAR_CHARGING_PROFILE = "ClearChargingProfile"
    DATA_TRANSFER = "DataTransfer"
    DELETE_CERTIFICATE = "DeleteCertificate"
    EXTENDED_TRIGGER_MESSAGE = "ExtendedTriggerMessage"
    GET_COMPOSITE_SCHEDULE = "GetCompositeSchedule"
    GET_CONFIGURATION = "GetConfiguration"
    GET_DIAGNOSTICS = "GetDiagnostics"
    GET_INSTALLED_CERTIFICATE_IDS = "GetInstalledCertificateIds"
    GET_LOCAL_LIST_VERSION = "GetLocalListVersion"
    GET_LOG = "GetLog"
    INSTALL_CERTIFICATE = "InstallCertificate"
    REMOTE_START_TRANSACTION = "RemoteStartTransaction"
    REMOTE_STOP_TRANSACTION = "RemoteStopTransaction"
    RESERVE_NOW = "ReserveNow"
    RESET = "Reset"
    SEND_LOCAL_LIST = "SendLocalList"
    SET_CHARGING_PROFILE = "SetChargingProfile"
    SIGNED_UPDATE_FIRMWARE = "SignedUpdateFirmware"
    TRIGGER_MESSAGE = "TriggerMessage"
    UNLOCK_CONNECTOR = "UnlockConnector"
    UPDATE_FIRMWARE = "UpdateFirmware"
    # OCPP 2.0.1 only
    CLEAR_DISPLAY_MESSAGE = "ClearDisplayMessage"
    CLEAR_VARIABLE_MONITORING = "ClearVariableMonitoring"
    COST_UPDATED = "CostUpdated"
    CUSTOMER_INFORMATION = "CustomerInformation"
    GET_BASE_REPORT = "GetBaseReport"
    GET_CHARGING_PROFILES = "GetChargingProfiles"
    GET_DISPLAY_MESSAGES = "GetDisplayMessages"
    GET_MONITORING_REPORT = "GetMonitoringReport"
    GET_REPORT = "GetReport"
    GET_TRANSACTION_STATUS = "GetTransactionStatus"
    GET_VARIABLES = "GetVariables"
    PUBLISH_FIRMWARE = "PublishFirmware"
    REQUEST_START_TRANSACTION = "RequestStartTransaction"
    REQUEST_STOP_TRANSACTION = "RequestStopTransaction"
    SET_DISPLAY_MESSAGE = "SetDisplayMessage"
    SET_MONITORING_BASE = "SetMonitoringBase"
    SET_MONITORING_LEVEL = "SetMonitoringLevel"
    SET_NETWORK_PROFILE = "SetNetworkProfile"
    SET_VARIABLE_MONITORING = "SetVariableMonitoring"
    SET_VARIABLES = "SetVariables"
    UNPUBLISH_FIRMWARE = "UnpublishFirmware"


_V16_ONLY = frozenset(
    {
        CentralSystemAction.CHANGE_CONFIGURATION,
        CentralSystemAction.EXTENDED_TRIGGER_MESSAGE,
        CentralSystemAction.GET_CONFIGURATION,
        CentralSystemAction.GET_DIAGNOSTICS,
        CentralSystemAction.REMOTE_START_TRANSACTION,
        CentralSystemAction.REMOTE_STOP_TRANSACTION,
        CentralSystemAction.SIGNED_UPDATE_FIRMWARE,
    }
)
_V201_ONLY = frozenset(
    {
        CentralSystemAction.CLEAR_DISPLAY_MESSAGE,
        CentralSystemAction.CLEAR_VARIABLE_MONITORING,
        CentralSystemAction.COST_UPDATED,
        CentralSystemAction.CUSTOMER_INFORMATION,
        CentralSystemAction.GET_BASE_REPORT,
        CentralSystemAction.GET_CHARGING_PROFILES,
        CentralSystemAction.GET_DISPLAY_MESSAGES,
        CentralSystemAction.GET_MONITORING_REPORT,
        CentralSystemAction.GET_REPORT,
        CentralSystemAction.GET_TRANSACTION_STATUS,
        CentralSystemAction.GET_VARIABLES,
        CentralSystemAction.PUBLISH_FIRMWARE,
        CentralSystemAction.REQUEST_START_TRANSACTION,
        CentralSystemAction.REQUEST_STOP_TRANSACTION,
        CentralSystemAction.SET_DISPLAY_MESSAGE,
        CentralSystemAction.SET_MONITORING_BASE,
        CentralSystemAction.SET_MONITORING_LEVEL,
        CentralSystemAction.SET_NETWORK_PROFILE,
        CentralSystemAction.SET_VARIABLE_MONITORING,
        CentralSystemAction.SET_VARIABLES,
        CentralSystemAction.UNPUBLISH_FIRMWARE,
    }
)

V16_ACTIONS = frozenset(CentralSystemAction) - _V201_ONLY
"""What a central system sends a 1.6 charger."""
V201_ACTIONS = frozenset(CentralSystemAction) - _V16_ONLY
"""What a central system sends a 2.0.1 station."""


class RawCallOutcome(StrEnum):
    RESULT = "CallResult"
    CALL_ERROR = "CallError"
    TIMEOUT = "Timeout"
    NOT_CONNECTED = "NotConnected"
    NOT_IN_PROTOCOL = "NotInProtocol"
    """The action is not one the central system sends in the charger's OCPP version; not sent."""


@dataclass(frozen=True, slots=True)
class RawCallAnswer:
    """What became of a raw call: callers must look at ``outcome``.

    ``payload`` is set for RESULT, the ``error_*`` fields for CALL_ERROR; ``detail`` explains a
    TIMEOUT or NOT_CONNECTED.
    """

    outcome: RawCallOutcome
    payload: dict[str, Any] | None = None
    error_code: str | None = None
    error_description: str | None = None
    error_details: dict[str, Any] | None = field(default=None)
    detail: str = ""


class RawCallingChargePoint(Protocol):
    """The parts of an ``ocpp`` library charge point session a raw call uses."""

    closed: asyncio.Event
    _call_lock: asyncio.Lock

    async def _send(self, message: str) -> None: ...

    def _get_specific_response(self, unique_id: str, timeout: float) -> Awaitable[Any]: ...


class _ConnectionLostError(Exception):
    pass


async def send_raw_call(
    charge_point: RawCallingChargePoint,
    action: CentralSystemAction,
    payload: dict[str, Any],
    *,
    timeout_s: float,
    codec: JsonCodec,
) -> RawCallAnswer:
    """Send ``action`` with ``payload`` as given; the answer as received, within ``timeout_s`` [s].

    The wait for the charger's previous call (the library allows one call in flight per charger)
    counts against the timeout.
    """
    call = Call(str(uuid.uuid4()), action.value, payload)
    try:
        async with asyncio.timeout(timeout_s):
            response = await _unless_closed(_exchange(charge_point, call, codec, timeout_s), charge_point.closed)
    except TimeoutError:
        return RawCallAnswer(RawCallOutcome.TIMEOUT, detail=f"no answer to {action} within {timeout_s} s")
    except (_ConnectionLostError, ConnectionClosed):
        return RawCallAnswer(RawCallOutcome.NOT_CONNECTED, detail=f"connection closed before {action} was answered")
    if isinstance(response, CallError):
        return RawCallAnswer(
            RawCallOutcome.CALL_ERROR,
            error_code=str(response.error_code),
            error_description=str(response.error_description),
            error_details=response.error_details if isinstance(response.error_details, dict) else {},
        )
    if isinstance(response, CallResult) and isinstance(response.payload, dict):
        return RawCallAnswer(RawCallOutcome.RESULT, payload=response.payload)
    raise TypeError(f"unexpected answer to {action}: {response!r}")


async def _exchange(charge_point: RawCallingChargePoint, call: Call, codec: JsonCodec, timeout_s: float) -> Any:
    # The library's own ``call`` would reshape both ways (snake_case to camelCase, nulls dropped, the
    # answer turned into its dataclass), so the frame is sent here; its lock still keeps one call in
    # flight per charger, and its response queue still matches the answer by unique id.
    async with charge_point._call_lock:
        await charge_point._send(encode_frame(call, codec))
        return await charge_point._get_specific_response(call.unique_id, timeout_s)


async def _unless_closed(answer: Awaitable[Any], closed: asyncio.Event) -> Any:
    """Await ``answer``; raise _ConnectionLostError instead if the connection closes first."""
    answer_task = asyncio.ensure_future(answer)
    closed_task = asyncio.ensure_future(closed.wait())
    try:
        await asyncio.wait({answer_task, closed_task}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (answer_task, closed_task):
            task.cancel()
        await asyncio.gather(answer_task, closed_task, return_exceptions=True)
    if answer_task.cancelled():
        raise _ConnectionLostError
    return answer_task.result()
