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
    ChangeAvailabilityCommand,
    OcppCallError,
    OcppCommandAnswer,
    RemoteStartCommand,
    RemoteStopCommand,
    ResetCommand,
    UnlockConnectorCommand,
)
from fleet.api.context import Ctx
from fleet.api.problems import problem_responses
from fleet.api.security import Operator
from ocpp_server.raw_calls import CentralSystemAction, RawCallAnswer, RawCallOutcome

router = APIRouter(prefix="/charge-points/{charge_point_id}", tags=["charger commands"])

_RESPONSES = problem_responses(401, 403, 404, 409, 422, 504)


async def _send(
    ctx: Ctx, charge_point_id: str, action: CentralSystemAction, payload: dict[str, Any]
) -> OcppCommandAnswer:
    if all(cp.id != charge_point_id for cp in ctx.site.charge_points):
        raise HTTPException(404, f"unknown charge point {charge_point_id!r}")
    answer = await ctx.commands.send_call(charge_point_id, action, payload)
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
