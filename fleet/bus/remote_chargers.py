"""The controller's end of the command path: commands go to the gateway that holds the charger."""

from __future__ import annotations

from typing import Any

from nats.aio.client import Client
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError

from fleet.bus.codec import (
    COMMAND_ANSWER_TYPES,
    ClearProfileCommand,
    Codec,
    CommandKind,
    FramesCommand,
    SendCallCommand,
    SetProfileCommand,
)
from fleet.bus.headers import ERROR, KIND
from fleet.bus.holders import ChargerHolders
from fleet.bus.subjects import Subjects
from ocpp_server.commands import (
    CommandResult,
    CommandStatus,
    ConnectorElectrical,
    PowerLimitProfile,
    ProfilePurpose,
)
from ocpp_server.message_trace import TracedFrame
from ocpp_server.profiles import to_ocpp16_charging_profile
from ocpp_server.raw_calls import CentralSystemAction, RawCallAnswer, RawCallOutcome

GATEWAY_MARGIN_S = 5.0
"""Beyond the charger's own answer time: the way to the gateway and back."""


class _UnreachableError(Exception):
    def __init__(self, detail: str, *, timed_out: bool = False) -> None:
        super().__init__(detail)
        self.timed_out = timed_out

    def command_result(self) -> CommandResult:
        return CommandResult(CommandStatus.TIMEOUT if self.timed_out else CommandStatus.NOT_CONNECTED, str(self))


class RemoteChargers:
    """What ``CentralSystem`` offers the application, for chargers held by gateway nodes."""

    def __init__(
        self, client: Client, subjects: Subjects, holders: ChargerHolders, codec: Codec, *, call_timeout_s: float
    ) -> None:
        self._client = client
        self._subjects = subjects
        self._holders = holders
        self._codec = codec
        self._timeout_s = call_timeout_s + GATEWAY_MARGIN_S

    def connected_ids(self) -> frozenset[str]:
        return self._holders.connected_ids()

    async def set_charging_profile(
        self,
        charge_point_id: str,
        profile: PowerLimitProfile,
        electrical: ConnectorElectrical,
        *,
        max_periods: int | None = None,
    ) -> CommandResult:
        # The same caller errors as in one process, raised here rather than on the gateway.
        to_ocpp16_charging_profile(profile, electrical, max_periods=max_periods)
        command = SetProfileCommand(charge_point_id, profile, electrical, max_periods)
        try:
            answer: CommandResult = await self._ask(CommandKind.SET_CHARGING_PROFILE, charge_point_id, command)
        except _UnreachableError as why:
            return why.command_result()
        return answer

    async def clear_charging_profile(
        self,
        charge_point_id: str,
        *,
        profile_id: int | None = None,
        connector_id: int | None = None,
        purpose: ProfilePurpose | None = None,
        stack_level: int | None = None,
    ) -> CommandResult:
        command = ClearProfileCommand(charge_point_id, profile_id, connector_id, purpose, stack_level)
        try:
            answer: CommandResult = await self._ask(CommandKind.CLEAR_CHARGING_PROFILE, charge_point_id, command)
        except _UnreachableError as why:
            return why.command_result()
        return answer

    async def send_call(
        self, charge_point_id: str, action: CentralSystemAction, payload: dict[str, Any]
    ) -> RawCallAnswer:
        command = SendCallCommand(charge_point_id, action, payload)
        try:
            answer: RawCallAnswer = await self._ask(CommandKind.SEND_CALL, charge_point_id, command)
        except _UnreachableError as why:
            outcome = RawCallOutcome.TIMEOUT if why.timed_out else RawCallOutcome.NOT_CONNECTED
            return RawCallAnswer(outcome, detail=str(why))
        return answer

    async def recent_frames(self, charge_point_id: str) -> tuple[TracedFrame, ...]:
        try:
            frames: tuple[TracedFrame, ...] = await self._ask(
                CommandKind.RECENT_FRAMES, charge_point_id, FramesCommand(charge_point_id)
            )
        except _UnreachableError:
            return ()
        return frames

    async def _ask(self, kind: CommandKind, charge_point_id: str, command: Any) -> Any:
        gateway_id = self._holders.holder(charge_point_id)
        if gateway_id is None:
            raise _UnreachableError(f"{charge_point_id} is not connected")
        try:
            message = await self._client.request(
                self._subjects.commands(gateway_id),
                self._codec.encode(type(command), command),
                timeout=self._timeout_s,
                headers={KIND: kind.value},
            )
        except NoRespondersError:
            raise _UnreachableError(f"{charge_point_id}: its gateway {gateway_id} is gone") from None
        except NatsTimeoutError:
            raise _UnreachableError(
                f"{charge_point_id}: no answer through gateway {gateway_id} within {self._timeout_s:g} s",
                timed_out=True,
            ) from None
        headers = message.headers or {}
        if ERROR in headers:
            raise RuntimeError(f"gateway {gateway_id} failed: {headers[ERROR]}")
        return self._codec.decode(COMMAND_ANSWER_TYPES[kind], message.data)
