"""What real chargers and networks do to a central system: repeats, half-open sockets, silence."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from ocpp.v16 import call
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from ocpp_server.central_system import CentralSystem
from ocpp_server.commands import CommandStatus
from ocpp_server.events import ChargerConnected, ChargerDisconnected, ConnectorStatusChanged, OcppVersion
from ocpp_server.rpc_v16 import ANSWERS_REMEMBERED
from tests.ocpp_server.support import AC_22KW, NOW, RecordingSink, charger, fixed_now, running, until
from tests.ocpp_server.test_commands import PLAN

STATUS = '{"connectorId":1,"errorCode":"NoError","status":"Preparing"}'


async def exchange(ws: ClientConnection, frame: str) -> list[Any]:
    await ws.send(frame)
    answer: list[Any] = json.loads(await ws.recv())
    return answer


async def test_the_same_message_id_twice_on_one_connection_is_handled_once() -> None:
    sink = RecordingSink()
    async with (
        running(CentralSystem(sink, fixed_now)) as url,
        connect(f"{url}/CP1", subprotocols=[Subprotocol("ocpp1.6")]) as ws,
    ):
        first = await exchange(ws, f'[2,"m1","StatusNotification",{STATUS}]')
        again = await exchange(ws, f'[2,"m1","StatusNotification",{STATUS}]')
        # The same id for another action is another message.
        other = await exchange(ws, '[2,"m1","Heartbeat",{}]')
        # An answer is remembered only for a while: an id far in the past is new again.
        for n in range(ANSWERS_REMEMBERED):
            await exchange(ws, f'[2,"h{n}","Heartbeat",{{}}]')
        much_later = await exchange(ws, f'[2,"m1","StatusNotification",{STATUS}]')

    assert first == again == [3, "m1", {}]
    assert other == [3, "m1", {"currentTime": "2025-06-02T10:00:00.000Z"}]
    assert much_later == [3, "m1", {}]
    assert len(sink.of_type(ConnectorStatusChanged)) == 2


async def test_a_message_that_failed_inside_the_central_system_is_handled_again() -> None:
    sink = RecordingSink(failing=frozenset({"connector_status_changed"}))
    async with (
        running(CentralSystem(sink, fixed_now)) as url,
        connect(f"{url}/CP1", subprotocols=[Subprotocol("ocpp1.6")]) as ws,
    ):
        failed = await exchange(ws, f'[2,"m1","StatusNotification",{STATUS}]')
        sink.failing = frozenset()
        retried = await exchange(ws, f'[2,"m1","StatusNotification",{STATUS}]')

    assert failed[:3] == [4, "m1", "InternalError"]
    assert retried == [3, "m1", {}]
    assert len(sink.of_type(ConnectorStatusChanged)) == 1


async def test_a_refused_message_repeated_gets_the_same_callerror() -> None:
    async with (
        running(CentralSystem(RecordingSink(), fixed_now)) as url,
        connect(f"{url}/CP1", subprotocols=[Subprotocol("ocpp1.6")]) as ws,
    ):
        bad = '[2,"m1","StatusNotification",{"connectorId":1,"status":"Available"}]'
        first = await exchange(ws, bad)
        again = await exchange(ws, bad)

    assert first[:3] == [4, "m1", "ProtocolError"]
    assert again == first


async def test_a_charger_reconnecting_while_its_old_socket_is_half_open_replaces_it() -> None:
    sink = RecordingSink()
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url:
        old = await connect(f"{url}/CP1", subprotocols=[Subprotocol("ocpp1.6")])
        try:
            assert await exchange(old, '[2,"o1","Heartbeat",{}]') == [
                3,
                "o1",
                {"currentTime": "2025-06-02T10:00:00.000Z"},
            ]
            # The network drops the old connection without a word: the socket stays open at the
            # central system, which hears nothing more from it (not even the close handshake).
            old.transport.pause_reading()
            started = time.monotonic()
            async with charger(url, "CP1") as new:
                answer = await new.call(call.Heartbeat())
                reconnected_s = time.monotonic() - started
                assert central.connected_ids() == frozenset({"CP1"})
                later = await new.call(call.Heartbeat())
        finally:
            old.transport.abort()
        await until("the disconnect", lambda: sink.of_type(ChargerDisconnected))

    assert answer.current_time == later.current_time == "2025-06-02T10:00:00.000Z"
    # Served at once, not after the old connection's close timeout.
    assert reconnected_s < 2.0
    assert sink.events == [
        ChargerConnected("CP1", OcppVersion.V16, NOW),
        ChargerConnected("CP1", OcppVersion.V16, NOW),
        ChargerDisconnected("CP1", NOW),
    ]


async def test_one_silent_charger_never_delays_the_others() -> None:
    timeout_s = 3.0
    central = CentralSystem(RecordingSink(), fixed_now, call_timeout_s=timeout_s)
    async with running(central) as url, charger(url, "SILENT") as silent, charger(url, "BUSY") as busy:
        silent.profile_answer = "Silent"
        stuck = asyncio.create_task(central.set_charging_profile("SILENT", PLAN, AC_22KW))
        await silent.next_profile()
        started = time.monotonic()
        served = await central.set_charging_profile("BUSY", PLAN, AC_22KW)
        heartbeat = await busy.call(call.Heartbeat())
        others_s = time.monotonic() - started
        result = await asyncio.wait_for(stuck, timeout=timeout_s + 2)
        stuck_s = time.monotonic() - started

    assert served.status is CommandStatus.ACCEPTED
    assert heartbeat.current_time == "2025-06-02T10:00:00.000Z"
    assert others_s < 1.0
    assert result.status is CommandStatus.TIMEOUT
    assert stuck_s < timeout_s + 1
