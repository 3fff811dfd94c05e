"""Strict reading of OCPP-J frames: which ones are messages and how to answer the ones that are not.

The ``ocpp`` library's own ``unpack`` accepts frames with elements of the wrong type (a numeric
action, a list as payload) and lets them fail later with misleading errors, and it never answers a
frame it could not read. Here every frame is classified once:

* a well-formed CALL, CALLRESULT or CALLERROR becomes the library's message object;
* a CALL that is not well-formed gets a FormationViolation CALLERROR, with its unique id when that
  can be read and "-1" otherwise (the convention OCPP-J uses for an unreadable message id);
* text that is not a JSON array with a message type id gets the same answer with id "-1";
* a broken CALLRESULT or CALLERROR, or an unknown message type, is ignored: OCPP-J 1.6 tells the
  receiver to ignore a message type it does not know, and answering a response could start an
  error loop between the two ends.

OCPP-J 2.0.1 names these cases apart (``FrameProblem``): a frame that is no RPC message, or a CALL
whose structure is broken, is an RpcFrameworkError; a CALL whose payload is not an object a
FormatViolation; an unknown message type id a MessageTypeNotSupported. Which code answers which
problem is the protocol version's choice (``rpc_v16``), so each ``MalformedFrame`` says what it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from ocpp.messages import Call, CallError, CallResult

from ocpp_server.json_codec import ORJSON, JsonCodec

UNREADABLE_UNIQUE_ID = "-1"

FORMATION_VIOLATION = "FormationViolation"
"""OCPP 1.6's spelling (the library and OCPP 2.x say FormatViolation)."""


class FrameProblem(Enum):
    NOT_RPC = "not an RPC message"
    """Not JSON, or not an array starting with a message type id."""
    BROKEN_CALL = "broken CALL"
    """A CALL with the wrong number of elements, or a unique id or action that is not a string."""
    CALL_PAYLOAD = "CALL payload not an object"
    UNKNOWN_MESSAGE_TYPE = "unknown message type"
    BROKEN_RESPONSE = "broken CALLRESULT or CALLERROR"


@dataclass(frozen=True, slots=True)
class MalformedFrame:
    """A frame that is not a valid OCPP-J message."""

    reason: str
    reply_unique_id: str | None
    """The unique id to answer with a CALLERROR under OCPP-J 1.6, or None when the frame must not be
    answered."""
    problem: FrameProblem = FrameProblem.NOT_RPC
    readable_unique_id: str | None = None
    """The frame's unique id when it could be read, whatever the frame's problem."""


def parse_frame(raw: str | bytes, codec: JsonCodec = ORJSON) -> Call | CallResult | CallError | MalformedFrame:
    """Classify one websocket frame, read with ``codec``; never raises."""
    try:
        message = codec.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return MalformedFrame("the frame is not valid JSON", UNREADABLE_UNIQUE_ID, FrameProblem.NOT_RPC)
    if not isinstance(message, list) or not message or not _is_int(message[0]):
        return MalformedFrame(
            "an OCPP-J message is a JSON array starting with a message type id",
            UNREADABLE_UNIQUE_ID,
            FrameProblem.NOT_RPC,
        )
    message_type = message[0]
    if message_type == Call.message_type_id:
        return _parse_call(message)
    if message_type == CallResult.message_type_id:
        return _parse_call_result(message)
    if message_type == CallError.message_type_id:
        return _parse_call_error(message)
    unique_id = message[1] if len(message) > 1 and isinstance(message[1], str) else None
    return MalformedFrame(f"unknown message type id {message_type}", None, FrameProblem.UNKNOWN_MESSAGE_TYPE, unique_id)


def _parse_call(message: list[Any]) -> Call | MalformedFrame:
    unique_id = message[1] if len(message) > 1 and isinstance(message[1], str) else None
    reply_to = unique_id if unique_id is not None else UNREADABLE_UNIQUE_ID
    broken = FrameProblem.BROKEN_CALL
    if len(message) != 4:
        return MalformedFrame(f"a CALL has 4 elements, this one has {len(message)}", reply_to, broken, unique_id)
    if unique_id is None:
        return MalformedFrame("the unique id of a CALL must be a string", reply_to, broken)
    _, _, action, payload = message
    if not isinstance(action, str):
        return MalformedFrame("the action of a CALL must be a string", reply_to, broken, unique_id)
    if not isinstance(payload, dict):
        return MalformedFrame(
            "the payload of a CALL must be a JSON object", reply_to, FrameProblem.CALL_PAYLOAD, unique_id
        )
    return Call(unique_id, action, payload)


def _parse_call_result(message: list[Any]) -> CallResult | MalformedFrame:
    if len(message) != 3 or not isinstance(message[1], str) or not isinstance(message[2], dict):
        return MalformedFrame("a CALLRESULT is [3, uniqueId, {payload}]", None, FrameProblem.BROKEN_RESPONSE)
    return CallResult(message[1], message[2])


def _parse_call_error(message: list[Any]) -> CallError | MalformedFrame:
    if (
        len(message) != 5
        or not all(isinstance(element, str) for element in message[1:4])
        or not isinstance(message[4], dict)
    ):
        return MalformedFrame(
            "a CALLERROR is [4, uniqueId, errorCode, errorDescription, {errorDetails}]",
            None,
            FrameProblem.BROKEN_RESPONSE,
        )
    return CallError(message[1], message[2], message[3], message[4])


def encode_frame(message: Call | CallResult | CallError, codec: JsonCodec = ORJSON) -> str:
    """The OCPP-J text of ``message``, written with ``codec``."""
    if isinstance(message, Call):
        return codec.dumps([Call.message_type_id, message.unique_id, message.action, message.payload])
    if isinstance(message, CallResult):
        return codec.dumps([CallResult.message_type_id, message.unique_id, message.payload])
    return codec.dumps(
        [
            CallError.message_type_id,
            message.unique_id,
            message.error_code,
            message.error_description,
            message.error_details,
        ]
    )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
