"""OCPP-J 1.6 message routing on top of the ``ocpp`` library, without its traps.

``ChargePointRpcV16`` keeps the library's ``@on`` route map, schema validation and key conversion,
and replaces the library's read loop and call dispatch so that:

* every frame gets the answer OCPP-J 1.6 asks for (see ``framing``), with 1.6's error spelling
  (FormationViolation, OccurenceConstraintViolation) and its meaning of NotImplemented (action
  unknown) and NotSupported (action known, not handled), which the library has the wrong way round;
* a failing handler or sink becomes one CALLERROR and the connection keeps serving;
* work a handler wants done after its reply (a charging profile after a boot) runs as a task owned
  by the connection (``after_reply``) once the reply is on the wire, where ``@after`` would start an
  unowned task whose errors are lost, possibly before the reply is sent;
* a CALL whose unique id was answered recently on the same connection gets the same answer again
  without being handled a second time (a charger resending a message it thinks was lost);
* a subclass may refuse an action before it is handled (``refusal_for``), e.g. while a boot is
  Pending;
* every CALL payload and every CALLRESULT it answers with are checked against the official schemas
  by a ``PayloadSchemas`` (compiled validators by default, see ``schemas``), and frames are read and
  written with a ``JsonCodec`` (orjson by default), instead of the library's thread-pool jsonschema
  and standard-library JSON, which cap one process near a thousand messages a second.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, ClassVar, Protocol, TypeVar

from ocpp.charge_point import remove_nones, serialize_as_dict
from ocpp.exceptions import NotImplementedError as OcppNotImplementedError
from ocpp.exceptions import NotSupportedError, OCPPError
from ocpp.messages import Call, CallError, CallResult
from ocpp.routing import on
from ocpp.v16 import ChargePoint
from ocpp.v16.enums import Action
from websockets.exceptions import ConnectionClosed

from ocpp_server.errors import InvalidPayloadError
from ocpp_server.framing import FORMATION_VIOLATION, MalformedFrame, encode_frame, parse_frame
from ocpp_server.json_codec import JsonCodec
from ocpp_server.keys import camel_to_snake_keys, snake_to_camel_keys
from ocpp_server.message_trace import Direction, MessageTrace
from ocpp_server.metrics import EdgeMetrics, MessageType, NoEdgeMetrics, action_label
from ocpp_server.schemas import PayloadSchemas

LOGGER = logging.getLogger(__name__)

_V16_SPELLING = {
    "FormatViolation": FORMATION_VIOLATION,
    "OccurrenceConstraintViolation": "OccurenceConstraintViolation",
}
"""Library (OCPP 2.x) error codes -> the codes OCPP-J 1.6 defines, typos included."""

_KNOWN_ACTIONS = frozenset(action.value for action in Action)

ANSWERS_REMEMBERED = 8
"""Answers kept per connection for repeated unique ids. OCPP-J allows one CALL in flight per
direction, and a charger resends one only while it waits for its answer, so a repeat is of one of
the last few; a handful of short frames per connection keeps memory flat at thousands of chargers."""

_NOT_REMEMBERED = frozenset({"InternalError", "SecurityError"})
"""Answers that say nothing about the message itself (it failed inside the central system, or came
while the charger was not accepted): if it comes again, it is handled again."""

_Handler = TypeVar("_Handler", bound=Callable[..., Any])

FollowUp = Callable[[], Coroutine[Any, Any, object]]


class Spawn(Protocol):
    """Starts a task owned by the connection; its errors are logged, never lost."""

    def __call__(self, coroutine: Coroutine[Any, Any, object], *, name: str) -> None: ...


class WebSocket(Protocol):
    async def recv(self) -> str | bytes: ...

    async def send(self, message: str) -> None: ...


def on_action(action: str) -> Callable[[_Handler], _Handler]:
    """``ocpp.routing.on`` with a type: the decorated handler keeps its signature."""
    decorator: Callable[[_Handler], _Handler] = on(action)
    return decorator


def call_error_for(unique_id: str, error: Exception, spelling: Mapping[str, str] = _V16_SPELLING) -> CallError:
    """The CALLERROR that answers a CALL whose handling raised ``error``; the one mapping place.

    ``spelling`` turns the library's (OCPP 2.x) error codes into the protocol version's.
    """
    if isinstance(error, OCPPError):
        code = spelling.get(error.code, error.code)
        cause = error.details.get("cause") if isinstance(error.details, dict) else None
        details = {"cause": str(cause)} if cause is not None else {}
        return CallError(unique_id, code, error.description, details)
    if isinstance(error, InvalidPayloadError):
        return CallError(
            unique_id,
            "PropertyConstraintViolation",
            "Payload is syntactically correct but at least one field contains an invalid value",
            {"cause": str(error)},
        )
    return CallError(
        unique_id,
        "InternalError",
        "An internal error occurred and the receiver was not able to process the requested Action",
        {},
    )


class _ReplyInvalidError(Exception):
    """Our own reply failed the schema: a fault of the central system, answered as InternalError."""


class ChargePointRpcV16(ChargePoint):  # type: ignore[misc]  # the ocpp package ships no types
    """One charger's OCPP 1.6 session: frames in, replies out, outbound calls correlated.

    What differs between OCPP-J versions is held in class attributes, which ``rpc_v201`` overrides.
    """

    protocol_name: ClassVar[str] = "OCPP 1.6"
    error_spelling: ClassVar[Mapping[str, str]] = _V16_SPELLING
    known_actions: ClassVar[frozenset[str]] = _KNOWN_ACTIONS

    def __init__(
        self,
        charge_point_id: str,
        connection: WebSocket,
        *,
        spawn: Spawn,
        call_timeout_s: float,
        schemas: PayloadSchemas,
        json_codec: JsonCodec,
        trace: MessageTrace | None = None,
        metrics: EdgeMetrics | None = None,
    ) -> None:
        """``schemas`` is shared by every connection: it keeps what it compiled. ``trace`` keeps the
        recent frames in both directions; ``metrics`` counts frames, answers and handler times."""
        super().__init__(charge_point_id, connection, response_timeout=call_timeout_s)
        self._trace = trace
        self._metrics: EdgeMetrics = NoEdgeMetrics() if metrics is None else metrics
        self._spawn = spawn
        self._schemas = schemas
        self._json = json_codec
        self._follow_ups: list[tuple[str, FollowUp]] = []
        self._answers: dict[str, tuple[str, str]] = {}
        """Recent (action, answer) by the unique id of the CALL they answer, oldest first."""
        self.closed = asyncio.Event()
        """Set once the read loop has ended: no answer to an outbound call can arrive any more."""

    @classmethod
    def handled_actions(cls) -> frozenset[str]:
        """The actions this class has an ``@on_action`` handler for."""
        handlers = (getattr(cls, name) for name in dir(cls))
        return frozenset(str(handler._on_action) for handler in handlers if hasattr(handler, "_on_action"))

    @property
    def charge_point_id(self) -> str:
        charge_point_id: str = self.id
        return charge_point_id

    async def start(self) -> None:
        """Serve frames until the connection closes; returns normally on close."""
        try:
            while True:
                frame = await self._connection.recv()
                LOGGER.debug("%s: received %s", self.id, frame)
                if self._trace is not None:
                    self._trace.record(self.id, Direction.RECEIVED, frame)
                await self.route_message(frame)
        except ConnectionClosed:
            LOGGER.debug("%s: connection closed", self.id)
        finally:
            self.closed.set()

    def after_reply(self, name: str, follow_up: FollowUp) -> None:
        """Run ``follow_up`` as a task of this connection once the current reply has been sent.

        Dropped if the call ends in a CALLERROR. Handlers use this for outbound calls, which they
        must never await themselves: the reply they wait for is read by the loop they would block.
        """
        self._follow_ups.append((name, follow_up))

    async def route_message(self, raw_msg: str | bytes) -> None:
        frame = parse_frame(raw_msg, self._json)
        if isinstance(frame, MalformedFrame):
            self._metrics.message_received("", MessageType.MALFORMED)
            await self._answer_malformed(frame, raw_msg)
        elif isinstance(frame, Call):
            self._metrics.message_received(action_label(frame.action), MessageType.CALL)
            await self._answer_call(frame)
        else:
            kind = MessageType.CALLERROR if isinstance(frame, CallError) else MessageType.CALLRESULT
            self._metrics.message_received("", kind)
            self._response_queue.put_nowait(frame)

    async def _answer_malformed(self, frame: MalformedFrame, raw_msg: str | bytes) -> None:
        LOGGER.warning("%s: malformed frame (%s): %.200r", self.id, frame.reason, raw_msg)
        error = self.malformed_frame_error(frame)
        if error is not None:
            self._metrics.call_error_sent(error.error_code)
            await self._send(encode_frame(error, self._json))

    @classmethod
    def malformed_frame_error(cls, frame: MalformedFrame) -> CallError | None:
        """The CALLERROR answering ``frame`` under this protocol version; None leaves it unanswered."""
        if frame.reply_unique_id is None:
            return None
        return CallError(
            frame.reply_unique_id,
            FORMATION_VIOLATION,
            "Payload for Action is syntactically incorrect or not conform the PDU structure",
            {"cause": frame.reason},
        )

    def refusal_for(self, action: str) -> OCPPError | None:
        """The error to answer ``action`` with instead of handling it; None handles it."""
        return None

    async def _answer_call(self, call: Call) -> None:
        remembered = self._answers.get(call.unique_id)
        # The action must match too: an id reused for another message is a new message.
        if remembered is not None and remembered[0] == call.action:
            LOGGER.info("%s: %s %s seen before, answered again", self.id, call.action, call.unique_id)
            await self._send(remembered[1])
            return
        self._follow_ups = []
        started_s = time.perf_counter()
        try:
            reply = encode_frame(await self._reply_to(call), self._json)
        except Exception as error:
            if isinstance(error, OCPPError | InvalidPayloadError):
                LOGGER.warning("%s: %s refused: %s", self.id, call.action, error)
            else:
                LOGGER.exception("%s: %s failed", self.id, call.action)
            self._follow_ups = []
            call_error = call_error_for(call.unique_id, error, self.error_spelling)
            encoded = encode_frame(call_error, self._json)
            if call_error.error_code not in _NOT_REMEMBERED:
                self._remember(call, encoded)
            await self._send(encoded)
            self._metrics.call_error_sent(call_error.error_code)
            self._metrics.call_handled(action_label(call.action), time.perf_counter() - started_s)
            return
        self._remember(call, reply)
        await self._send(reply)
        self._metrics.call_handled(action_label(call.action), time.perf_counter() - started_s)
        follow_ups, self._follow_ups = self._follow_ups, []
        for name, follow_up in follow_ups:
            self._spawn(follow_up(), name=f"{self.id}: {name}")

    def _remember(self, call: Call, answer: str) -> None:
        self._answers.pop(call.unique_id, None)  # re-inserted last: dicts keep insertion order
        self._answers[call.unique_id] = (call.action, answer)
        if len(self._answers) > ANSWERS_REMEMBERED:
            del self._answers[next(iter(self._answers))]

    async def _reply_to(self, call: Call) -> CallResult:
        refusal = self.refusal_for(call.action)
        if refusal is not None:
            raise refusal
        handlers = self.route_map.get(call.action, {})
        handler = handlers.get("_on_action")
        if handler is None:
            raise _unhandled_action_error(call.action, self.known_actions, self.protocol_name)
        validate = not handlers.get("_skip_schema_validation", False)
        if validate:
            await self._schemas.validate(call)
        response = await handler(**camel_to_snake_keys(call.payload))
        payload = snake_to_camel_keys(remove_nones(serialize_as_dict(response)))
        result = CallResult(call.unique_id, payload, call.action)
        if validate:
            try:
                await self._schemas.validate(result)
            except OCPPError as error:
                raise _ReplyInvalidError(f"reply to {call.action} fails its schema: {error}") from error
        return result

    async def _send(self, message: str) -> None:
        LOGGER.debug("%s: sending %s", self.id, message)
        if self._trace is not None:
            self._trace.record(self.id, Direction.SENT, message)
        await self._connection.send(message)


def _unhandled_action_error(action: str, known_actions: frozenset[str], protocol_name: str) -> OCPPError:
    if action in known_actions:
        return NotSupportedError(
            description="Requested Action is recognized but not supported by the receiver",
            details={"cause": f"{action} is not handled by the central system"},
        )
    return OcppNotImplementedError(
        description="Requested Action is not known by receiver",
        details={"cause": f"{action} is not an {protocol_name} action"},
    )
