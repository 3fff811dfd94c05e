"""Outbound OCPP 1.6 calls to chargers, each ending in a CommandResult the caller must look at.

Every call has a timeout and takes one slot of a semaphore shared by all chargers, so that a mass
reconnect (a fail-safe profile per charger) cannot flood the event loop. CALLERRORs are raised by
the library (``suppress=False``) and turned into CALL_ERROR here; a charger that goes away while a
call is pending is NOT_CONNECTED at once rather than a TIMEOUT much later.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Sequence
from typing import Any, Protocol

from ocpp.exceptions import OCPPError, UnknownCallErrorCodeError
from ocpp.v16 import call
from websockets.exceptions import ConnectionClosed

from ocpp_server.commands import CommandResult, CommandStatus, ProfilePurpose
from ocpp_server.metrics import EdgeMetrics, NoEdgeMetrics, OutboundOutcome, outcome_of_status


class CallingChargePoint(Protocol):
    """What outbound calls need of a charger session: the library's ``call`` and a closed flag."""

    closed: asyncio.Event

    def call(self, payload: Any, suppress: bool = True) -> Awaitable[Any]: ...


class _ConnectionLostError(Exception):
    pass


_SET_PROFILE_STATUS = {
    "Accepted": CommandStatus.ACCEPTED,
    "Rejected": CommandStatus.REJECTED,
    "NotSupported": CommandStatus.NOT_SUPPORTED,
}


_OUTCOME_OF_FAILURE = {
    CommandStatus.TIMEOUT: OutboundOutcome.TIMEOUT,
    CommandStatus.NOT_CONNECTED: OutboundOutcome.NOT_CONNECTED,
    CommandStatus.CALL_ERROR: OutboundOutcome.ERROR,
}
"""The outcome of a call that got no answer payload (``OutboundCalls._answer`` returns these)."""


class OutboundCalls:
    """Sends commands to chargers with a timeout [s] and at most ``max_concurrent`` at once; each
    call's outcome and duration go to ``metrics``."""

    def __init__(self, *, timeout_s: float, max_concurrent: int, metrics: EdgeMetrics | None = None) -> None:
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        if max_concurrent < 1:
            raise ValueError(f"max_concurrent must be at least 1, got {max_concurrent}")
        self.timeout_s = timeout_s
        self._semaphore = asyncio.Semaphore(max_concurrent)
        self.metrics: EdgeMetrics = NoEdgeMetrics() if metrics is None else metrics

    async def set_charging_profile(
        self, charge_point: CallingChargePoint, connector_id: int, cs_charging_profiles: dict[str, Any]
    ) -> CommandResult:
        """Send SetChargingProfile.req with a profile built by ``profiles.to_ocpp16_charging_profile``."""
        payload = call.SetChargingProfile(connector_id=connector_id, cs_charging_profiles=cs_charging_profiles)
        response = await self._call(charge_point, payload)
        if isinstance(response, CommandResult):
            return response
        status = str(response.status)
        return CommandResult(_SET_PROFILE_STATUS.get(status, CommandStatus.REJECTED), status)

    async def clear_charging_profile(
        self,
        charge_point: CallingChargePoint,
        *,
        profile_id: int | None,
        connector_id: int | None,
        purpose: ProfilePurpose | None,
        stack_level: int | None,
    ) -> CommandResult:
        """Send ClearChargingProfile.req; a charger answering Unknown had no matching profile."""
        payload = call.ClearChargingProfile(
            id=profile_id,
            connector_id=connector_id,
            charging_profile_purpose=None if purpose is None else purpose.value,
            stack_level=stack_level,
        )
        response = await self._call(charge_point, payload)
        if isinstance(response, CommandResult):
            return response
        status = str(response.status)
        if status == "Accepted":
            return CommandResult(CommandStatus.ACCEPTED, status)
        if status == "Unknown":
            return CommandResult(CommandStatus.UNKNOWN, "no charging profile matched")
        return CommandResult(CommandStatus.REJECTED, status)

    async def get_configuration(
        self, charge_point: CallingChargePoint, keys: Sequence[str], *, timeout_s: float | None = None
    ) -> dict[str, Any] | CommandResult:
        """Send GetConfiguration.req for ``keys``; the answer (snake_case), or why there is none.

        ``timeout_s`` shortens the wait below the usual command timeout.
        """
        response = await self._call(charge_point, call.GetConfiguration(key=list(keys)), timeout_s=timeout_s)
        if isinstance(response, CommandResult):
            return response
        return {"configuration_key": response.configuration_key or [], "unknown_key": response.unknown_key or []}

    async def request(self, charge_point: CallingChargePoint, payload: Any, *, timeout_s: float | None = None) -> Any:
        """Send any request of the ``ocpp`` library (1.6 or 2.0.1 ``call`` classes) under the same
        timeout, concurrency limit and metrics; the answer, or the CommandResult saying why there is none."""
        return await self._call(charge_point, payload, timeout_s=timeout_s)

    async def _call(self, charge_point: CallingChargePoint, payload: Any, *, timeout_s: float | None = None) -> Any:
        """The charger's answer payload, or the CommandResult that explains why there is none."""
        action = type(payload).__name__
        started_s = time.perf_counter()
        answer = await self._answer(charge_point, payload, action, timeout_s)
        if isinstance(answer, CommandResult):
            outcome = _OUTCOME_OF_FAILURE[answer.status]
        else:
            outcome = outcome_of_status(getattr(answer, "status", None))
        self.metrics.outbound_call_finished(action, outcome, time.perf_counter() - started_s)
        return answer

    async def _answer(
        self, charge_point: CallingChargePoint, payload: Any, action: str, timeout_s: float | None
    ) -> Any:
        timeout_s = self.timeout_s if timeout_s is None else min(timeout_s, self.timeout_s)
        async with self._semaphore:
            try:
                async with asyncio.timeout(timeout_s):
                    return await _unless_closed(charge_point.call(payload, suppress=False), charge_point.closed)
            except TimeoutError:
                return CommandResult(CommandStatus.TIMEOUT, f"no answer to {action} within {timeout_s} s")
            except (_ConnectionLostError, ConnectionClosed):
                return CommandResult(CommandStatus.NOT_CONNECTED, f"connection closed before {action} was answered")
            except OCPPError as error:
                return CommandResult(CommandStatus.CALL_ERROR, f"{error.code}: {error.description} {error.details}")
            except UnknownCallErrorCodeError as error:
                return CommandResult(CommandStatus.CALL_ERROR, str(error))


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
