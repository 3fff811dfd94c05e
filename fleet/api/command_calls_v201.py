"""The typed operator commands written as OCPP 2.0.1 calls: the same request, the station's version.

Pure translations: each takes a command as the API received it (``command_schemas``) and returns
the 2.0.1 action and its payload in wire form. This site has one connector per EVSE (see
docs/ocpp201-conformance.md), so a command's ``connector_id`` is the ``evseId`` and the connector
within it is 1. Id tags carry no type in the site's id-tag store; the central system chooses them,
so they go out as ``Central`` tokens, as the local list and the group tokens do.

Where 1.6 and 2.0.1 differ in meaning, the nearest 2.0.1 request is sent:

- ``reset`` Hard is ``Immediate`` (transactions are stopped, then the station restarts); Soft is
  ``OnIdle``: the station waits for its transactions to end instead of stopping them.
- ``get-diagnostics`` is GetLog of a ``DiagnosticsLog``; ``trigger-message``'s
  DiagnosticsStatusNotification is LogStatusNotification.
- ``clear-charging-profile``'s ChargePointMaxProfile is ChargingStationMaxProfile.

A command that cannot be written in 2.0.1 raises ``NoV201CallError`` (the API's 422).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Final

from fleet.api.command_schemas import (
    CancelReservationCommand,
    ChangeAvailabilityCommand,
    ChangeConfigurationCommand,
    ClearChargingProfileCommand,
    DataTransferCommand,
    GetCompositeScheduleCommand,
    GetConfigurationCommand,
    GetDiagnosticsCommand,
    RemoteStartCommand,
    RemoteStopCommand,
    ReserveNowCommand,
    ResetCommand,
    TriggerMessageCommand,
    UnlockConnectorCommand,
    UpdateFirmwareCommand,
)
from fleet.charger_security import MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, password_of_key
from fleet.configuration_keys_v201 import (
    AUTHORIZATION_KEY_VARIABLE,
    UnmappedKeyError,
    device_variable,
    device_variables,
)
from fleet.persistence.records import TransactionRecord
from ocpp_server.raw_calls import CentralSystemAction as Action
from ocpp_server.timestamps import format_utc_timestamp

ID_TOKEN_TYPE: Final = "Central"
CONNECTOR_IN_EVSE: Final = 1
MAX_URL_CHARS: Final = 512
"""2.0.1 limits firmware and log locations to 512 characters (1.6: anyURI)."""
_MAX_REQUEST_ID: Final = 2**31 - 1

RESET_TYPES: Final = {"Hard": "Immediate", "Soft": "OnIdle"}
TRIGGERED_MESSAGES: Final = {"DiagnosticsStatusNotification": "LogStatusNotification"}
"""1.6 TriggerMessage names that 2.0.1 spells differently; the others are the same."""
PROFILE_PURPOSES: Final = {"ChargePointMaxProfile": "ChargingStationMaxProfile"}


class NoV201CallError(ValueError):
    """The command cannot be written as a 2.0.1 call; the message says why."""


@dataclass(frozen=True, slots=True)
class OutboundCall:
    action: Action
    payload: dict[str, Any]


def new_request_id() -> int:
    """A ``remoteStartId`` / ``requestId``: the station repeats it in the messages the request causes."""
    return secrets.randbelow(_MAX_REQUEST_ID) + 1


def _id_token(id_tag: str) -> dict[str, Any]:
    return {"idToken": id_tag, "type": ID_TOKEN_TYPE}


def remote_start(command: RemoteStartCommand, remote_start_id: int) -> OutboundCall:
    payload: dict[str, Any] = {"idToken": _id_token(command.id_tag), "remoteStartId": remote_start_id}
    if command.connector_id is not None:
        payload["evseId"] = command.connector_id
    return OutboundCall(Action.REQUEST_START_TRANSACTION, payload)


def remote_stop(
    command: RemoteStopCommand, charge_point_id: str, transaction: TransactionRecord | None
) -> OutboundCall:
    """RequestStopTransaction with the station's own id of the site's transaction ``transaction_id``."""
    if transaction is None or transaction.charge_point_id != charge_point_id:
        raise NoV201CallError(f"transaction {command.transaction_id} is not one of {charge_point_id!r}")
    if transaction.charger_transaction_id is None:
        raise NoV201CallError(f"transaction {command.transaction_id} has no OCPP 2.0.1 transactionId")
    return OutboundCall(Action.REQUEST_STOP_TRANSACTION, {"transactionId": transaction.charger_transaction_id})


def reset(command: ResetCommand) -> OutboundCall:
    return OutboundCall(Action.RESET, {"type": RESET_TYPES[command.type]})


def unlock_connector(command: UnlockConnectorCommand) -> OutboundCall:
    return OutboundCall(Action.UNLOCK_CONNECTOR, {"evseId": command.connector_id, "connectorId": CONNECTOR_IN_EVSE})


def change_availability(command: ChangeAvailabilityCommand) -> OutboundCall:
    payload: dict[str, Any] = {"operationalStatus": command.type}
    if command.connector_id != 0:
        payload["evse"] = {"id": command.connector_id}
    return OutboundCall(Action.CHANGE_AVAILABILITY, payload)


def get_configuration(command: GetConfigurationCommand) -> OutboundCall:
    if command.keys is None:
        raise NoV201CallError(
            "a 2.0.1 station cannot be asked for every variable in one answer: name the keys, or ask for its "
            "report with ocpp/GetBaseReport (it comes as NotifyReport)"
        )
    try:
        variables = device_variables(list(command.keys))
    except UnmappedKeyError as error:
        raise NoV201CallError(str(error)) from None
    return OutboundCall(Action.GET_VARIABLES, {"getVariableData": [variable.wire() for variable in variables]})


def change_configuration(command: ChangeConfigurationCommand) -> OutboundCall:
    variable = device_variable(command.key)
    if variable is None:
        raise NoV201CallError(str(UnmappedKeyError([command.key])))
    value = command.value
    if command.key == "AuthorizationKey":
        # The same AuthorizationKey gives the same Basic-auth password on both versions: 1.6 holds
        # the password's hexadecimal form, 2.0.1's BasicAuthPassword the password itself.
        value = _password_text(value)
    if variable == AUTHORIZATION_KEY_VARIABLE and not MIN_PASSWORD_CHARS <= len(value) <= MAX_PASSWORD_CHARS:
        raise NoV201CallError(f"a BasicAuthPassword is {MIN_PASSWORD_CHARS}-{MAX_PASSWORD_CHARS} characters (A02)")
    setting = variable.wire() | {"attributeValue": value}
    return OutboundCall(Action.SET_VARIABLES, {"setVariableData": [setting]})


def _password_text(authorization_key: str) -> str:
    password = password_of_key(authorization_key)
    try:
        text = password.decode("ascii")
    except UnicodeDecodeError:
        text = ""
    if not text.isprintable() or not text:
        raise NoV201CallError("this AuthorizationKey stands for a password that is not printable text")
    return text


def trigger_message(command: TriggerMessageCommand) -> OutboundCall:
    requested = TRIGGERED_MESSAGES.get(command.requested_message, command.requested_message)
    payload: dict[str, Any] = {"requestedMessage": requested}
    if command.connector_id is not None:
        evse: dict[str, Any] = {"id": command.connector_id}
        if requested == "StatusNotification":
            # A connector's status is what 2.0.1 reports: name the one connector of the EVSE.
            evse["connectorId"] = CONNECTOR_IN_EVSE
        payload["evse"] = evse
    return OutboundCall(Action.TRIGGER_MESSAGE, payload)


def clear_cache() -> OutboundCall:
    return OutboundCall(Action.CLEAR_CACHE, {})


def reserve_now(command: ReserveNowCommand) -> OutboundCall:
    payload: dict[str, Any] = {
        "id": command.reservation_id,
        "expiryDateTime": format_utc_timestamp(command.expiry_date),
        "idToken": _id_token(command.id_tag),
    }
    if command.connector_id != 0:
        payload["evseId"] = command.connector_id
    if command.parent_id_tag is not None:
        payload["groupIdToken"] = _id_token(command.parent_id_tag)
    return OutboundCall(Action.RESERVE_NOW, payload)


def cancel_reservation(command: CancelReservationCommand) -> OutboundCall:
    return OutboundCall(Action.CANCEL_RESERVATION, {"reservationId": command.reservation_id})


def _short_url(url: str) -> str:
    if len(url) > MAX_URL_CHARS:
        raise NoV201CallError(f"a 2.0.1 station takes locations of at most {MAX_URL_CHARS} characters")
    return url


def _retries(retries: int | None, retry_interval_s: int | None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if retries is not None:
        fields["retries"] = retries
    if retry_interval_s is not None:
        fields["retryInterval"] = retry_interval_s
    return fields


def update_firmware(command: UpdateFirmwareCommand, request_id: int) -> OutboundCall:
    firmware = {
        "location": _short_url(command.location),
        "retrieveDateTime": format_utc_timestamp(command.retrieve_date),
    }
    payload = {"requestId": request_id, "firmware": firmware} | _retries(command.retries, command.retry_interval_s)
    return OutboundCall(Action.UPDATE_FIRMWARE, payload)


def get_diagnostics(command: GetDiagnosticsCommand, request_id: int) -> OutboundCall:
    log: dict[str, Any] = {"remoteLocation": _short_url(command.location)}
    for key, moment in (("oldestTimestamp", command.start_time), ("latestTimestamp", command.stop_time)):
        if moment is not None:
            log[key] = format_utc_timestamp(moment)
    payload = {"log": log, "logType": "DiagnosticsLog", "requestId": request_id}
    return OutboundCall(Action.GET_LOG, payload | _retries(command.retries, command.retry_interval_s))


def data_transfer(command: DataTransferCommand) -> OutboundCall:
    return OutboundCall(Action.DATA_TRANSFER, command.wire_payload())


def get_composite_schedule(command: GetCompositeScheduleCommand) -> OutboundCall:
    payload: dict[str, Any] = {"duration": command.duration_s, "evseId": command.connector_id}
    if command.charging_rate_unit is not None:
        payload["chargingRateUnit"] = command.charging_rate_unit
    return OutboundCall(Action.GET_COMPOSITE_SCHEDULE, payload)


def clear_charging_profile(command: ClearChargingProfileCommand) -> OutboundCall:
    purpose = None if command.purpose is None else PROFILE_PURPOSES.get(command.purpose, command.purpose)
    criteria = {
        "evseId": command.connector_id,
        "chargingProfilePurpose": purpose,
        "stackLevel": command.stack_level,
    }
    payload: dict[str, Any] = {}
    if command.profile_id is not None:
        payload["chargingProfileId"] = command.profile_id
    given = {key: value for key, value in criteria.items() if value is not None}
    if given:
        payload["chargingProfileCriteria"] = given
    return OutboundCall(Action.CLEAR_CHARGING_PROFILE, payload)
