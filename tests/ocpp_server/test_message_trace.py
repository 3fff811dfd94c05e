"""The recent-frames trace: bounded per charger, secrets masked, kept across reconnects, over real sockets."""

from __future__ import annotations

import json

from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from ocpp_server.central_system import CentralSystem
from ocpp_server.message_trace import MAX_FRAME_CHARS, Direction, MessageTrace, masked
from tests.ocpp_server.support import NOW, RecordingSink, fixed_now, running


def test_only_the_last_frames_of_each_charger_are_kept_oldest_first() -> None:
    trace = MessageTrace(fixed_now, frames_per_charger=2)
    for n in range(3):
        trace.record("CP1", Direction.RECEIVED, f'[2,"{n}","Heartbeat",{{}}]')
    trace.record("CP2", Direction.SENT, b'[3,"x",{}]')
    assert [f.frame for f in trace.recent("CP1")] == ['[2,"1","Heartbeat",{}]', '[2,"2","Heartbeat",{}]']
    assert [(f.at, f.direction, f.frame) for f in trace.recent("CP2")] == [(NOW, Direction.SENT, '[3,"x",{}]')]
    assert trace.recent("CP3") == ()


def test_a_zero_length_trace_keeps_nothing() -> None:
    trace = MessageTrace(fixed_now, frames_per_charger=0)
    trace.record("CP1", Direction.RECEIVED, "[2]")
    assert trace.recent("CP1") == ()


def test_the_authorization_key_value_is_masked_and_other_keys_are_not() -> None:
    secret = '[2,"c1","ChangeConfiguration",{"key":"AuthorizationKey","value":"3132333435363738"}]'
    assert masked(secret) == '[2,"c1","ChangeConfiguration",{"key":"AuthorizationKey","value":"***"}]'
    plain = '[2,"c2","ChangeConfiguration",{"key":"HeartbeatInterval","value":"300"}]'
    assert masked(plain) == plain


def test_long_frames_are_cut_and_say_so() -> None:
    trace = MessageTrace(fixed_now)
    trace.record("CP1", Direction.SENT, "x" * (MAX_FRAME_CHARS + 1))
    (frame,) = trace.recent("CP1")
    assert (len(frame.frame), frame.truncated) == (MAX_FRAME_CHARS, True)


async def test_the_central_system_traces_both_directions_and_keeps_them_after_a_disconnect() -> None:
    central = CentralSystem(RecordingSink(), fixed_now, frames_traced_per_charger=4)
    async with running(central) as url:
        async with connect(f"{url}/CP1", subprotocols=[Subprotocol("ocpp1.6")]) as ws:
            await ws.send('[2,"h1","Heartbeat",{}]')
            answer = json.loads(await ws.recv())
            await ws.send("not json")
            await ws.recv()
        frames = central.recent_frames("CP1")
    assert [(f.direction, f.frame) for f in frames[:3]] == [
        (Direction.RECEIVED, '[2,"h1","Heartbeat",{}]'),
        (Direction.SENT, json.dumps(answer, separators=(",", ":"))),
        (Direction.RECEIVED, "not json"),
    ]
    assert frames[3].direction is Direction.SENT
    assert json.loads(frames[3].frame)[:3] == [4, "-1", "FormationViolation"]
