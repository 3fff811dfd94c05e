"""Operator commands to charge points: any OCPP 1.6 action as given, and typed everyday commands.

Operators and administrators only; the audit log records each command and idempotency keys make a
retried command safe (both are middleware, see ``app``). A command reaches the charger unchanged,
without checks against what the site knows: the charger's answer, CALLRESULT or CALLERROR, is the
answer (200). A charger that is not configured is 404, one not connected 409, one that does not
answer in time 504.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException

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
from fleet.api.context import Ctx, require_charge_point
from fleet.api.problems import problem_responses
from fleet.api.security import Operator
from fleet.charger_security import accepted, sets_authorization_key
from ocpp_server.raw_calls import CentralSystemAction, RawCallAnswer, RawCallOutcome

router = APIRouter(prefix="/charge-points/{charge_point_id}", tags=["charger commands"])

_RESPONSES = problem_responses(401, 403, 404, 409, 422, 504)


async def _send(
    ctx: Ctx, charge_point_id: str, action: CentralSystemAction, payload: dict[str, Any]
) -> OcppCommandAnswer:
    require_charge_point(ctx, charge_point_id)
    answer = await ctx.commands.send_call(charge_point_id, action, payload)
    new_key = sets_authorization_key(action, payload)
    if new_key is not None and accepted(answer) and ctx.charger_security is not None:
        # The charger now answers to the new key only: its hash is stored before the API answers.
        await ctx.charger_security.key_accepted(charge_point_id, new_key)
    return _public(charge_point_id, action, answer)


def _public(charge_point_id: str, action: CentralSystemAction, answer: RawCallAnswer) -> OcppCommandAnswer:
    if answer.outcome is RawCallOutcome.NOT_CONNECTED:
        raise HTTPException(409, f"charge point {charge_point_id!r}: {answer.detail}")
    if answer.outcome is RawCallOutcome.TIMEOUT:
        raise HTTPException(504, f"charge point {charge_point_id!r}: {answer.detail}")
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
    payload: Annotated[dict[str, Any], Body(description="the OCPP 1.6 payload in wire form (camelCase)")],
    ctx: Ctx,
    _: Operator,
) -> OcppCommandAnswer:
    """Send any OCPP 1.6 action with the body as its payload, unchanged; answer what the charger answers."""
    return await _send(ctx, charge_point_id, action, payload)


@router.post("/commands/remote-start", responses=_RESPONSES)
async def remote_start(charge_point_id: str, command: RemoteStartCommand, ctx: Ctx, _: Operator) -> OcppCommandAnswer:
    """RemoteStartTransaction: start charging for ``id_tag``."""
    return await _send(ctx, charge_point_id, CentralSystemAction.REMOTE_START_TRANSACTION, command.wire_payload())


@router.post("/commands/remote-stop", responses=_RESPONSES)
async def remote_stop(charge_point_id: str, command: RemoteStopCommand, ctx: Ctx, _: Operator) -> OcppCommandAnswer:
    """RemoteStopTransaction: stop the transaction ``transaction_id``."""
    return await _send(ctx, charge_point_id, CentralSystemAction.REMOTE_STOP_TRANSACTION, command.wire_payload())


@router.post("/commands/reset", responses=_RESPONSES)
async def reset(charge_point_id: str, command: ResetCommand, ctx: Ctx, _: Operator) -> OcppCommandAnswer:
    """Reset: a soft or hard restart of the charger."""
    return await _send(ctx, charge_point_id, CentralSystemAction.RESET, command.wire_payload())


@router.post("/commands/unlock-connector", responses=_RESPONSES)
async def unlock_connector(
    charge_point_id: str, command: UnlockConnectorCommand, ctx: Ctx, _: Operator
) -> OcppCommandAnswer:
    """UnlockConnector: release a stuck cable."""
    return await _send(ctx, charge_point_id, CentralSystemAction.UNLOCK_CONNECTOR, command.wire_payload())


@router.post("/commands/change-availability", responses=_RESPONSES)
async def change_availability(
    charge_point_id: str, command: ChangeAvailabilityCommand, ctx: Ctx, _: Operator
) -> OcppCommandAnswer:
    """ChangeAvailability: take a connector (0: the whole charger) out of service or back in."""
    return await _send(ctx, charge_point_id, CentralSystemAction.CHANGE_AVAILABILITY, command.wire_payload())


@router.post("/commands/get-configuration", responses=_RESPONSES)
async def get_configuration(
    charge_point_id: str, command: GetConfigurationCommand, ctx: Ctx, _: Operator
) -> OcppCommandAnswer:
    """GetConfiguration: the charger's configuration keys (all of them, or those named) and unknown keys."""
    return await _send(ctx, charge_point_id, CentralSystemAction.GET_CONFIGURATION, command.wire_payload())


@router.post("/commands/change-configuration", responses=_RESPONSES)
async def change_configuration(
    charge_point_id: str, command: ChangeConfigurationCommand, ctx: Ctx, _: Operator
) -> OcppCommandAnswer:
    """ChangeConfiguration: set one key; the charger answers Accepted, Rejected, RebootRequired or NotSupported."""
    return await _send(ctx, charge_point_id, CentralSystemAction.CHANGE_CONFIGURATION, command.wire_payload())


@router.post("/commands/trigger-message", responses=_RESPONSES)
async def trigger_message(
    charge_point_id: str, command: TriggerMessageCommand, ctx: Ctx, _: Operator
) -> OcppCommandAnswer:
    """TriggerMessage: ask the charger to send one of its messages now (a status, meter values, a boot...)."""
    return await _send(ctx, charge_point_id, CentralSystemAction.TRIGGER_MESSAGE, command.wire_payload())


@router.post("/commands/clear-cache", responses=_RESPONSES)
async def clear_cache(charge_point_id: str, ctx: Ctx, _: Operator) -> OcppCommandAnswer:
    """ClearCache: empty the charger's authorisation cache (no body)."""
    return await _send(ctx, charge_point_id, CentralSystemAction.CLEAR_CACHE, {})


@router.post("/commands/reserve-now", responses=_RESPONSES)
async def reserve_now(charge_point_id: str, command: ReserveNowCommand, ctx: Ctx, _: Operator) -> OcppCommandAnswer:
    """ReserveNow: hold a connector (0: any connector) for ``id_tag`` until ``expiry_date``."""
    return await _send(ctx, charge_point_id, CentralSystemAction.RESERVE_NOW, command.wire_payload())


@router.post("/commands/cancel-reservation", responses=_RESPONSES)
async def cancel_reservation(
    charge_point_id: str, command: CancelReservationCommand, ctx: Ctx, _: Operator
) -> OcppCommandAnswer:
    """CancelReservation: release the reservation ``reservation_id``."""
    return await _send(ctx, charge_point_id, CentralSystemAction.CANCEL_RESERVATION, command.wire_payload())


@router.post("/commands/update-firmware", responses=_RESPONSES)
async def update_firmware(
    charge_point_id: str, command: UpdateFirmwareCommand, ctx: Ctx, _: Operator
) -> OcppCommandAnswer:
    """UpdateFirmware: download from ``location`` after ``retrieve_date`` and install; progress comes as
    FirmwareStatusNotification in the charger's log."""
    return await _send(ctx, charge_point_id, CentralSystemAction.UPDATE_FIRMWARE, command.wire_payload())


@router.post("/commands/get-diagnostics", responses=_RESPONSES)
async def get_diagnostics(
    charge_point_id: str, command: GetDiagnosticsCommand, ctx: Ctx, _: Operator
) -> OcppCommandAnswer:
    """GetDiagnostics: upload a diagnostics file to ``location``; the answer names the file, progress comes as
    DiagnosticsStatusNotification in the charger's log."""
    return await _send(ctx, charge_point_id, CentralSystemAction.GET_DIAGNOSTICS, command.wire_payload())


@router.post("/commands/data-transfer", responses=_RESPONSES)
async def data_transfer(charge_point_id: str, command: DataTransferCommand, ctx: Ctx, _: Operator) -> OcppCommandAnswer:
    """DataTransfer: a vendor-specific message; the charger's status and data come back as it sent them."""
    return await _send(ctx, charge_point_id, CentralSystemAction.DATA_TRANSFER, command.wire_payload())


@router.post("/commands/get-composite-schedule", responses=_RESPONSES)
async def get_composite_schedule(
    charge_point_id: str, command: GetCompositeScheduleCommand, ctx: Ctx, _: Operator
) -> OcppCommandAnswer:
    """GetCompositeSchedule: the limits the charger will apply over the next ``duration_s``, all its profiles
    combined, as it computes them (what it really holds, whatever it was sent)."""
    return await _send(ctx, charge_point_id, CentralSystemAction.GET_COMPOSITE_SCHEDULE, command.wire_payload())


@router.post("/commands/clear-charging-profile", responses=_RESPONSES)
async def clear_charging_profile(
    charge_point_id: str, command: ClearChargingProfileCommand, ctx: Ctx, _: Operator
) -> OcppCommandAnswer:
    """ClearChargingProfile: remove the profiles matching every criterion given. A TxProfile the plan wants
    is sent again when the charger next reboots or reconnects, or with the next plan that changes it."""
    return await _send(ctx, charge_point_id, CentralSystemAction.CLEAR_CHARGING_PROFILE, command.wire_payload())
