"""OCPP-J 2.0.1 message routing: the 1.6 router (``rpc_v16``) with 2.0.1's messages and errors.

The ``ocpp`` library's 2.0.1 charge point differs from its 1.6 one only in the message classes it
builds, so the router's read loop, answer memory, schema checks and follow-ups carry over unchanged.
What changes is the protocol's vocabulary:

* error codes keep the library's (2.0.1) spelling: FormatViolation, OccurrenceConstraintViolation;
* a frame that is no RPC message, or a CALL whose structure is broken, is answered with
  RpcFrameworkError, a CALL whose payload is not an object with FormatViolation, both with the
  frame's unique id when it could be read and "-1" otherwise (OCPP-J 2.0.1, 4.2.3);
* an unknown message type id is answered with MessageTypeNotSupported, where 1.6 ignores it;
* a broken CALLRESULT or CALLERROR is still never answered, to avoid an error loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from ocpp.messages import CallError
from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

from ocpp_server.framing import UNREADABLE_UNIQUE_ID, FrameProblem, MalformedFrame
from ocpp_server.rpc_v16 import ChargePointRpcV16

FORMAT_VIOLATION = "FormatViolation"
RPC_FRAMEWORK_ERROR = "RpcFrameworkError"
MESSAGE_TYPE_NOT_SUPPORTED = "MessageTypeNotSupported"

_DESCRIPTIONS = {
    RPC_FRAMEWORK_ERROR: "Content of the call is not a valid RPC Request",
    FORMAT_VIOLATION: "Payload for Action is syntactically incorrect",
    MESSAGE_TYPE_NOT_SUPPORTED: "A message with a Message Type Number received that is not supported",
}

_CODE_OF_PROBLEM = {
    FrameProblem.NOT_RPC: RPC_FRAMEWORK_ERROR,
    FrameProblem.BROKEN_CALL: RPC_FRAMEWORK_ERROR,
    FrameProblem.CALL_PAYLOAD: FORMAT_VIOLATION,
    FrameProblem.UNKNOWN_MESSAGE_TYPE: MESSAGE_TYPE_NOT_SUPPORTED,
}


class ChargePointRpcV201(ChargePointRpcV16):
    """One charger's OCPP 2.0.1 session: frames in, replies out, outbound calls correlated."""

    _call = call
    _call_result = call_result
    _ocpp_version = "2.0.1"

    protocol_name: ClassVar[str] = "OCPP 2.0.1"
    error_spelling: ClassVar[Mapping[str, str]] = {}
    known_actions: ClassVar[frozenset[str]] = frozenset(action.value for action in Action)

    @classmethod
    def malformed_frame_error(cls, frame: MalformedFrame) -> CallError | None:
        code = _CODE_OF_PROBLEM.get(frame.problem)
        if code is None:
            return None
        unique_id = frame.readable_unique_id or UNREADABLE_UNIQUE_ID
        return CallError(unique_id, code, _DESCRIPTIONS[code], {"cause": frame.reason})
