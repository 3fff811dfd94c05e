"""A gateway's end of the command path: the controller's commands for the chargers it holds.

Commands come to this gateway's own subject, since the controller knows (from the events) which
gateway holds which charger. Each runs in its own task: a charger that is slow to answer never holds
up the others. Every few seconds the gateway also says that it lives and which chargers it holds, so
that a controller that restarted knows where everything is, and one that stops hearing a gateway
knows its chargers are gone.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg

from fleet.bus.codec import (
    COMMAND_ANSWER_TYPES,
    COMMAND_TYPES,
    ClearProfileCommand,
    Codec,
    CommandKind,
    FramesCommand,
    GatewayAlive,
    SendCallCommand,
    SetProfileCommand,
)
from fleet.bus.headers import ERROR, KIND
from fleet.bus.subjects import Subjects
from fleet.chargers import Chargers
from fleet.stopping import stop_if_asked

log = logging.getLogger(__name__)

ALIVE_INTERVAL_S = 5.0
"""How often a gateway says it lives; the controller gives up on it after a few missed ones."""


class GatewayCommands:
    def __init__(self, client: Client, subjects: Subjects, gateway_id: str, chargers: Chargers, codec: Codec) -> None:
        self._client = client
        self._subjects = subjects
        self._gateway_id = gateway_id
        self._chargers = chargers
        self._codec = codec
        self._running: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Serve commands and say it lives, until cancelled."""
        subscription = await self._client.subscribe(self._subjects.commands(self._gateway_id), cb=self._on_command)
        try:
            while True:
                # A cancellation the broker client dropped while publishing still ends the loop.
                stop_if_asked()
                await self.say_alive()
                await asyncio.sleep(ALIVE_INTERVAL_S)
        finally:
            await subscription.unsubscribe()
            for task in list(self._running):
                task.cancel()

    async def say_alive(self) -> None:
        word = GatewayAlive(self._gateway_id, tuple(sorted(self._chargers.connected_ids())))
        try:
            await self._client.publish(self._subjects.alive(self._gateway_id), self._codec.encode(GatewayAlive, word))
        except Exception as error:  # the broker is away: the next word will do
            log.warning("bus: could not say this gateway lives: %r", error)

    async def _on_command(self, message: Msg) -> None:
        # The subscription's callbacks run one after the other: hand each command its own task.
        task = asyncio.create_task(self._answer(message))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _answer(self, message: Msg) -> None:
        try:
            kind = CommandKind((message.headers or {}).get(KIND, ""))
            command = self._codec.decode(COMMAND_TYPES[kind], message.data)
            answer = await self._execute(command)
            await message.respond(self._codec.encode(COMMAND_ANSWER_TYPES[kind], answer))
        except Exception as error:
            log.exception("bus: a command failed")
            await self._client.publish(message.reply, b"", headers={ERROR: repr(error)[:500]})

    async def _execute(self, command: Any) -> Any:
        chargers = self._chargers
        match command:
            case SetProfileCommand():
                return await chargers.set_charging_profile(
                    command.charge_point_id, command.profile, command.electrical, max_periods=command.max_periods
                )
            case ClearProfileCommand():
                return await chargers.clear_charging_profile(
                    command.charge_point_id,
                    profile_id=command.profile_id,
                    connector_id=command.connector_id,
                    purpose=command.purpose,
                    stack_level=command.stack_level,
                )
            case SendCallCommand():
                return await chargers.send_call(command.charge_point_id, command.action, command.payload)
            case FramesCommand():
                return await chargers.recent_frames(command.charge_point_id)
        raise TypeError(f"not a command: {type(command).__name__}")
