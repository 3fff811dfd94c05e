"""A gateway's end of the event path: its chargers' events go to the broker, durably.

Events that need no answer (meter values, status, disconnects, reports) are done once JetStream has
stored them: the charger is answered then, even while no controller runs. Events that need one
(connect, boot, authorize, start, stop, certificates) wait for the controller's answer, which comes
back on this gateway's reply subject; past ``request_timeout_s`` the charger gets an error and, as
OCPP chargers do, tries again. The controller skips such a request once its deadline has passed.
A gateway that stops gives up the questions still open (:meth:`GatewayLink.close`) rather than wait
out their timeout: their chargers' sockets are closing anyway, and an event the broker has stored is
still handled by the controller, which takes the charger's repeat of it as the same event.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg

from fleet.bus.broker import BusSettings
from fleet.bus.codec import ANSWER_TYPES, Codec, EventKind
from fleet.bus.headers import CHARGE_POINT, DEADLINE, ERROR, GATEWAY, KIND, REPLY_ID
from fleet.observability.metrics import FleetMetrics


class ControllerUnavailableError(Exception):
    """The controller did not answer in time, or answered that it failed."""


class GatewayLink:
    def __init__(
        self, client: Client, settings: BusSettings, gateway_id: str, codec: Codec, metrics: FleetMetrics | None = None
    ) -> None:
        self._metrics = metrics
        self._client = client
        self._js = client.jetstream()
        self._settings = settings
        self._gateway_id = gateway_id
        self._codec = codec
        self._waiting: dict[str, asyncio.Future[Msg]] = {}
        # Unique across restarts of this gateway too: a late answer to the last run is never taken
        # for an answer to this one.
        self._prefix = f"{gateway_id}-{time.time_ns():x}-"
        self._ids = itertools.count()
        self._closed = False

    async def start(self) -> None:
        await self._client.subscribe(self._settings.subjects.replies(self._gateway_id), cb=self._on_reply)

    async def tell(self, kind: EventKind, charge_point_id: str, event: Any) -> None:
        """Returns once the broker has stored the event."""
        await self._publish(kind, charge_point_id, event, {})

    async def ask(self, kind: EventKind, charge_point_id: str, event: Any) -> Any:
        """The controller's answer to the event.

        Raises
        ------
        ControllerUnavailableError
            No answer within the request timeout, or the controller's handling failed.
        """
        if self._closed:
            raise ControllerUnavailableError("the gateway is stopping")
        reply_id = f"{self._prefix}{next(self._ids)}"
        answer: asyncio.Future[Msg] = asyncio.get_running_loop().create_future()
        self._waiting[reply_id] = answer
        timeout_s = self._settings.request_timeout_s
        try:
            await self._publish(
                kind, charge_point_id, event, {REPLY_ID: reply_id, DEADLINE: f"{time.time() + timeout_s:.3f}"}
            )
            try:
                message = await asyncio.wait_for(answer, timeout_s)
            except TimeoutError:
                if self._metrics is not None:
                    self._metrics.bus_unanswered(kind.value)
                raise ControllerUnavailableError(f"no answer from the controller within {timeout_s:g} s") from None
        finally:
            self._waiting.pop(reply_id, None)
        headers = message.headers or {}
        if ERROR in headers:
            raise ControllerUnavailableError(f"the controller failed: {headers[ERROR]}")
        return self._codec.decode(ANSWER_TYPES[kind], message.data)

    def close(self) -> None:
        """Answer every open question and every later one with :class:`ControllerUnavailableError`."""
        self._closed = True
        for waiting in self._waiting.values():
            if not waiting.done():
                waiting.set_exception(ControllerUnavailableError("the gateway is stopping"))

    async def _publish(self, kind: EventKind, charge_point_id: str, event: Any, extra: dict[str, str]) -> None:
        headers = {KIND: kind.value, GATEWAY: self._gateway_id, CHARGE_POINT: charge_point_id, **extra}
        data = self._codec.encode(type(event), event)
        try:
            await self._js.publish(
                self._settings.subjects.event(self._gateway_id),
                data,
                headers=headers,
                timeout=self._settings.request_timeout_s,
            )
        except Exception as error:  # broker down or slow: the charger gets an error and retries
            raise ControllerUnavailableError(f"the broker did not store the event: {error!r}") from error

    async def _on_reply(self, message: Msg) -> None:
        reply_id = (message.headers or {}).get(REPLY_ID)
        waiting = self._waiting.get(reply_id or "")
        if waiting is not None and not waiting.done():
            waiting.set_result(message)
