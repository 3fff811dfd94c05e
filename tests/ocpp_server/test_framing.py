"""Which websocket frames are OCPP-J messages, and how the ones that are not get answered."""

from __future__ import annotations

import pytest
from ocpp.messages import Call, CallError, CallResult

from ocpp_server.framing import MalformedFrame, parse_frame


def test_a_call_is_read_with_its_parts() -> None:
    frame = parse_frame('[2,"19223201","Heartbeat",{}]')

    assert isinstance(frame, Call)
    assert (frame.unique_id, frame.action, frame.payload) == ("19223201", "Heartbeat", {})


def test_results_and_errors_are_read() -> None:
    result = parse_frame(b'[3,"a",{"status":"Accepted"}]')
    error = parse_frame('[4,"b","GenericError","full",{}]')

    assert isinstance(result, CallResult)
    assert (result.unique_id, result.payload) == ("a", {"status": "Accepted"})
    assert isinstance(error, CallError)
    assert (error.unique_id, error.error_code, error.error_description) == ("b", "GenericError", "full")


@pytest.mark.parametrize(
    ("raw", "reply_unique_id"),
    [
        ("not json", "-1"),
        (b"\xff\xfe", "-1"),
        ('{"a": 1}', "-1"),
        ("[]", "-1"),
        ('["2","x","Heartbeat",{}]', "-1"),
        ('[true,"x","Heartbeat",{}]', "-1"),
        ('[2,"x","Heartbeat"]', "x"),
        ('[2,"x","Heartbeat",{},5]', "x"),
        ('[2,17,"Heartbeat",{}]', "-1"),
        ('[2,"x",17,{}]', "x"),
        ('[2,"x","Heartbeat",[]]', "x"),
    ],
)
def test_a_broken_call_is_answered_with_its_id_when_it_can_be_read(raw: str | bytes, reply_unique_id: str) -> None:
    frame = parse_frame(raw)

    assert isinstance(frame, MalformedFrame)
    assert frame.reply_unique_id == reply_unique_id


@pytest.mark.parametrize(
    "raw",
    ['[3,"a"]', '[3,"a",[]]', '[4,"b","GenericError"]', '[4,"b",1,"x",{}]', '[5,"c",{}]'],
)
def test_broken_responses_and_unknown_types_are_not_answered(raw: str) -> None:
    frame = parse_frame(raw)

    assert isinstance(frame, MalformedFrame)
    assert frame.reply_unique_id is None
