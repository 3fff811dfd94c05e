"""Operator commands to charge points: any OCPP action as given, and typed everyday commands.

Operators and administrators only; the audit log records each command and idempotency keys make a
retried command safe (both are middleware, see ``app``). A raw command reaches the charger
unchanged, without checks against what the site knows: the charger's answer, CALLRESULT or
CALLERROR, is the answer (200). A charger that is not configured is 404, one not connected 409, one
that does not answer in time 504; an action of another OCPP version than the charger's is 422.

A typed command has one request body for every charger: it is sent as the 1.6 action, or as its
2.0.1 counterpart (``command_calls_v201``) to a station that connected with 2.0.1 or 2.1 (the
version the store recorded). The answer's ``action`` names what was sent, its ``payload`` is the
charger's answer in that action's shape. A command that cannot be written in 2.0.1 (every
configuration key at once, a key without a 2.0.1 variable, a transaction the station did not name)
is 422 and nothing is sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException

from fleet.api import command_calls_v201 as v201
from fleet.api.command_calls_v201 import NoV201CallError, OutboundCall
from fleet.api.command_schemas import (
    CancelReservationCommand,
    ChangeAvailabilityCommand,
    ChangeConfigurationCommand,
    ClearChargingProfileCommand,
    DataTransferCommand,
    GetCompositeScheduleCommand,
    GetConfigurationCommand,
    GetDiagnosticsCommand,
    OcppCallError,
    OcppCommandAnswer,
    RemoteStartCommand,
    RemoteStopCommand,
    ReserveNowCommand,
    ResetCommand,
    TriggerMessageCommand,
    UnlockConnectorCommand,
    UpdateFirmwareCommand,
)
from fleet.api.context import ApiContext, Ctx, require_charge_point
from fleet.api.problems import problem_responses
from fleet.api.security import Operator
from fleet.charger_protocols import OcppFamily, RecordedVersions
from fleet.charger_security import password_held_after
from ocpp_server.raw_calls import CentralSystemAction, RawCallAnswer, RawCallOutcome

router = APIRouter(prefix="/charge-points/{charge_point_id}", tags=["charger commands"])

_RESPONSES = problem_responses(401, 403, 404, 409, 422, 504)


async def _send(
    ctx: Ctx, charge_point_id: str, action: CentralSystemAction, payload: dict[str, Any]
) -> OcppCommandAnswer:
    require_charge_point(ctx, charge_point_id)
    answer = await ctx.commands.send_call(charge_point_id, action, payload)
    password = password_held_after(action, payload, answer)
    if password is not None and ctx.charger_security is not None:
        # The charger now answers to the new password only: its hash is stored before the API answers.
        await ctx.charger_security.password_held(charge_point_id, password)
    return _public(charge_point_id, action, answer)


async def _send_typed(
    ctx: ApiContext, charge_point_id: str, v16: OutboundCall, v201_call: Callable[[], Awaitable[OutboundCall]]
) -> OcppCommandAnswer:
    """Send ``v16`` to a 1.6 charger, else what ``v201_call`` writes for a 2.0.1 station."""
    require_charge_point(ctx, charge_point_id)
    call = v16
    if await RecordedVersions(ctx.store).family(charge_point_id) is OcppFamily.V201:
        try:
            call = await v201_call()
        except NoV201CallError as error:
            raise HTTPException(422, f"charge point {charge_point_id!r} speaks OCPP 2.0.1: {error}") from None
    return await _send(ctx, charge_point_id, call.action, call.payload)


def _written(translate: Callable[[], OutboundCall]) -> Callable[[], Awaitable[OutboundCall]]:
    async def written() -> OutboundCall:
        return translate()

    return written


def _public(charge_point_id: str, action: CentralSystemAction, answer: RawCallAnswer) -> OcppCommandAnswer:
    if answer.outcome is RawCallOutcome.NOT_CONNECTED:
        raise HTTPException(409, f"charge point {charge_point_id!r}: {answer.detail}")
    if answer.outcome is RawCallOutcome.TIMEOUT:
        raise HTTPException(504, f"charge point {charge_point_id!r}: {answer.detail}")
    if answer.outcome is RawCallOutcome.NOT_IN_PROTOCOL:
        raise HTTPException(422, f"charge point {charge_point_id!r}: {answer.detail}")
    if answer.outcome is RawCallOutcome.CALL_ERROR:
        error = OcppCallError(
            code=answer.error_code or "",
            description=answer.error_description or "",
            details=answer.error_details or {},
        )
        return OcppCommandAnswer(charge_point_id=charge_point_id, action=action.value, outcome="CallError", error=error)
    return OcppCommandAnswer(
        charge_point_id=charge_point_id, action=action.value, outcome="CallResult", payload=answer.payload
    )


@router.post("/ocpp/{action}", responses=_RESPONSES)
async def send_ocpp_action(
    charge_point_id: str,
    action: CentralSystemAction,
    payload: Annotated[
        dict[str, Any],
        Body(description="the payload in wire form (camelCase) of the charger's OCPP version (1.6 or 2.0.1)"),
    ],
    ctx: Ctx,
    _: Operator,
) -> OcppCommandAnswer:
    """Send any action of the charger's OCPP version with the body as its payload, unchanged; answer what
    the charger answers."""
    return await _send(ctx, charge_point_id, action, payload)


@router.post("/commands/remote-start", responses=_RESPONSES)
async def remote_start(charge_point_id: str, command: RemoteStartCommand, ctx: Ctx, _: Operator) -> OcppCommandAnswer:
    """RemoteStartTransaction (2.0.1: RequestStartTransaction): start charging for ``id_tag``."""
    v16 = OutboundCall(CentralSystemAction.REMOTE_START_TRANSACTION, command.wire_payload())
    return await _send_typed(
        ctx, charge_point_id, v16, _written(lambda: v201.remote_start(command, v201.new_request_id()))
    )


@router.post("/commands/remote-stop", responses=_RESPONSES)
async def remote_stop(charge_point_id: str, command: RemoteStopCommand, ctx: Ctx, _: Operator) -> OcppCommandAnswer:
    """RemoteStopTransaction (2.0.1: RequestStopTransaction with the station's own id of the transaction):
    stop the transaction ``transaction_id``."""

    async def v201_call() -> OutboundCall:
        transaction = await ctx.store.get_transaction(command.transaction_id)
        return v201.remote_stop(command, charge_point_id, transaction)

    v16 = OutboundCall(CentralSystemAction.REMOTE_STOP_TRANSACTION, command.wire_payload())
    return await _send_typed(ctx, charge_point_id, v16, v201_call)


@router.post("/commands/reset", responses=_RESPONSES)
async def reset(charge_point_id: str, command: ResetCommand, ctx: Ctx, _: Operator) -> OcppCommandAnswer:
    """Reset: a soft or hard restart of the charger (2.0.1: OnIdle or Immediate)."""
    v16 = OutboundCall(CentralSystemAction.RESET, command.wire_payload())
    return await _send_typed(ctx, charge_point_id, v16, _written(lambda: v201.reset(command)))


@router.post("/commands/unlock-connector", responses=_RESPONSES)
async def unlock_connector(
    charge_point_id: str, command: UnlockConnectorCommand, ctx: Ctx, _: Operator
) -> OcppCommandAnswer:
    """UnlockConnector: release a stuck cable."""
    v16 = OutboundCall(CentralSystemAction.UNLOCK_CONNECTOR, command.wire_payload())
    return await _send_typed(ctx, charge_point_id, v16, _written(lambda: v201.unlock_connector(command)))


@router.post("/commands/change-availability", responses=_RESPONSES)
async def change_availability(
    charge_point_id: str, command: ChangeAvailabilityCommand, ctx: Ctx, _: Operator
) -> OcppCommandAnswer:
    """ChangeAvailability: take a connector (0: the whole charger) out of service or back in."""
    v16 = OutboundCall(CentralSystemAction.CHANGE_AVAILABILITY, command.wire_payload())
    return await _send_typed(ctx, charge_point_id, v16, _written(lambda: v201.change_availability(command)))


@router.post("/commands/get-configuration", responses=_RESPONSES)
async def get_configuration(
    charge_point_id: str, command: GetConfigurationCommand, ctx: Ctx, _: Operator
) -> OcppCommandAnswer:
    """GetConfiguration: the charger's configuration keys (all of them, or those named) and unknown keys.
    2.0.1: GetVariables of the named keys' variables (see ``configuration_keys_v201``)."""
    v16 = OutboundCall(CentralSystemAction.GET_CONFIGURATION, command.wire_payload())
    return await _send_typed(ctx, charge_point_id, v16, _written(lambda: v201.get_configuration(command)))


@router.post("/commands/change-configuration", responses=_RESPONSES)
async def change_configuration(
    charge_point_id: str, command: ChangeConfigurationCommand, ctx: Ctx, _: Operator
) -> OcppCommandAnswer:
    """ChangeConfiguration: set one key; the charger answers Accepted, Rejected, RebootRequired or NotSupported.
    2.0.1: SetVariables of the key's variable."""
    v16 = OutboundCall(CentralSystemAction.CHANGE_CONFIGURATION, command.wire_payload())
    return await _send_typed(ctx, charge_point_id, v16, _written(lambda: v201.change_configuration(command)))


@router.post("/commands/trigger-message", responses=_RESPONSES)
async def trigger_message(
    charge_point_id: str, command: TriggerMessageCommand, ctx: Ctx, _: Operator
) -> OcppCommandAnswer:
    """TriggerMessage: ask the charger to send one of its messages now (a status, meter values, a boot...)."""
    v16 = OutboundCall(CentralSystemAction.TRIGGER_MESSAGE, command.wire_payload())
    return await _send_typed(ctx, charge_point_id, v16, _written(lambda: v201.trigger_message(command)))


@router.post("/commands/clear-cache", responses=_RESPONSES)
async def clear_cache(charge_point_id: str, ctx: Ctx, _: Operator) -> OcppCommandAnswer:
    """ClearCache: empty the charger's authorisation cache (no body)."""
    v16 = OutboundCall(CentralSystemAction.CLEAR_CACHE, {})
    return await _send_typed(ctx, charge_point_id, v16, _written(v201.clear_cache))


@router.post("/commands/reserve-now", responses=_RESPONSES)
async def reserve_now(charge_point_id: str, command: ReserveNowCommand, ctx: Ctx, _: Operator) -> OcppCommandAnswer:
    """ReserveNow: hold a connector (0: any connector) for ``id_tag`` until ``expiry_date``."""
    v16 = OutboundCall(CentralSystemAction.RESERVE_NOW, command.wire_payload())
    return await _send_typed(ctx, charge_point_id, v16, _written(lambda: v201.reserve_now(command)))


@router.post("/commands/cancel-reservation", responses=_RESPONSES)
async def cancel_reservation(
    charge_point_id: str, command: CancelReservationCommand, ctx: Ctx, _: Operator
) -> OcppCommandAnswer:
    """CancelReservation: release the reservation ``reservation_id``."""
    v16 = OutboundCall(CentralSystemAction.CANCEL_RESERVATION, command.wire_payload())
    return await _send_typed(ctx, charge_point_id, v16, _written(lambda: v201.cancel_reservation(command)))


@router.post("/commands/update-firmware", responses=_RESPONSES)
async def update_firmware(
    charge_point_id: str, command: UpdateFirmwareCommand, ctx: Ctx, _: Operator
) -> OcppCommandAnswer:
    """UpdateFirmware: download from ``location`` after ``retrieve_date`` and install; progress comes as
    FirmwareStatusNotification in the charger's log."""
    v16 = OutboundCall(CentralSystemAction.UPDATE_FIRMWARE, command.wire_payload())
    return await _send_typed(
        ctx, charge_point_id, v16, _written(lambda: v201.update_firmware(command, v201.new_request_id()))
    )


@router.post("/commands/get-diagnostics", responses=_RESPONSES)
async def get_diagnostics(
    charge_point_id: str, command: GetDiagnosticsCommand, ctx: Ctx, _: Operator
) -> OcppCommandAnswer:
    """GetDiagnostics: upload a diagnostics file to ``location``; the answer names the file, progress comes as
    DiagnosticsStatusNotification in the charger's log."""
    v16 = OutboundCall(CentralSystemAction.GET_DIAGNOSTICS, command.wire_payload())
    return await _send_typed(
        ctx, charge_point_id, v16, _written(lambda: v201.get_diagnostics(command, v201.new_request_id()))
    )


@router.post("/commands/data-transfer", responses=_RESPONSES)
async def data_transfer(charge_point_id: str, command: DataTransferCommand, ctx: Ctx, _: Operator) -> OcppCommandAnswer:
    """DataTransfer: a vendor-specific message; the charger's status and data come back as it sent them."""
    v16 = OutboundCall(CentralSystemAction.DATA_TRANSFER, command.wire_payload())
    return await _send_typed(ctx, charge_point_id, v16, _written(lambda: v201.data_transfer(command)))


@router.post("/commands/get-composite-schedule", responses=_RESPONSES)
async def get_composite_schedule(
    charge_point_id: str, command: GetCompositeScheduleCommand, ctx: Ctx, _: Operator
) -> OcppCommandAnswer:
    """GetCompositeSchedule: the limits the charger will apply over the next ``duration_s``, all its profiles
    combined, as it computes them (what it really holds, whatever it was sent)."""
    v16 = OutboundCall(CentralSystemAction.GET_COMPOSITE_SCHEDULE, command.wire_payload())
    return await _send_typed(ctx, charge_point_id, v16, _written(lambda: v201.get_composite_schedule(command)))


@router.post("/commands/clear-charging-profile", responses=_RESPONSES)
async def clear_charging_profile(
    charge_point_id: str, command: ClearChargingProfileCommand, ctx: Ctx, _: Operator
) -> OcppCommandAnswer:
    """ClearChargingProfile: remove the profiles matching every criterion given. A TxProfile the plan wants
    is sent again when the charger next reboots or reconnects, or with the next plan that changes it."""
    v16 = OutboundCall(CentralSystemAction.CLEAR_CHARGING_PROFILE, command.wire_payload())
    return await _send_typed(ctx, charge_point_id, v16, _written(lambda: v201.clear_charging_profile(command)))
