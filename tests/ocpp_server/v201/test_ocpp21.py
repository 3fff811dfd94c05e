"""OCPP 2.1 stations: the handshake and the 2.0.1-compatible core, over a real websocket."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.v21 import call
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from ocpp_server.central_system import CentralSystem
from ocpp_server.events import ChargerBooted, ChargerConnected, MeterValuesReceived, OcppVersion, TransactionStarted
from tests.ocpp_server.support import NOW, RecordingSink, fixed_now, running, until
from tests.ocpp_server.v201.test_b_provisioning import ACCEPTED
from tests.ocpp_server.v201.test_e_transactions import T0, T1


async def test_a_21_station_is_served_by_the_201_core_and_every_call_is_answered() -> None:
    sink = RecordingSink(boot=ACCEPTED)
    central = CentralSystem(sink, fixed_now)
    async with (
        running(central) as url,
        connect(f"{url}/CS21", subprotocols=[Subprotocol("ocpp2.1"), Subprotocol("ocpp2.0.1")]) as ws,
    ):
        assert ws.subprotocol == "ocpp2.1"
        # The library's 2.1 messages, sent and read frame by frame: the central system's own
        # requests (GetVariables, the fail-safe profile) are left unanswered here.
        replies: list[Any] = []

        async def exchange(message: call.BootNotification | call.TransactionEvent) -> Any:
            action = type(message).__name__
            payload = snake_to_camel_case(remove_nones(serialize_as_dict(message)))
            unique_id = f"u{len(replies)}"
            await ws.send(json.dumps([2, unique_id, action, payload]))
            while True:
                frame = json.loads(await ws.recv())
                if frame[1] == unique_id:
                    replies.append(frame)
                    return frame

        boot = await exchange(
            call.BootNotification(charging_station={"model": "V2G", "vendor_name": "Vettabbia"}, reason="PowerUp")
        )
        started = await exchange(
            call.TransactionEvent(
                event_type="Started",
                timestamp=T0,
                trigger_reason="CablePluggedIn",
                seq_no=0,
                transaction_info={"transaction_id": "t21"},
                evse={"id": 1},
            )
        )
        updated = await exchange(
            call.TransactionEvent(
                event_type="Updated",
                timestamp=T1,
                trigger_reason="MeterValuePeriodic",
                seq_no=1,
                transaction_info={"transaction_id": "t21"},
                meter_value=[
                    {
                        "timestamp": T1,
                        "sampled_value": [{"value": 2500.0, "measurand": "Energy.Active.Import.Register"}],
                    }
                ],
            )
        )
        # A 2.1 message the central system has no handler for still gets an answer.
        await ws.send(json.dumps([2, "n1", "NotifyPriorityCharging", {"transactionId": "t21", "activated": True}]))
        unhandled = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
        while unhandled[0] != 4:
            unhandled = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
        await until("the meter values", lambda: sink.of_type(MeterValuesReceived))

    assert boot[2]["status"] == "Accepted"
    assert started[0] == 3
    assert updated[0] == 3
    assert unhandled[:3] == [4, "n1", "NotSupported"]
    assert sink.events[0] == ChargerConnected("CS21", OcppVersion.V21, NOW)
    assert sink.of_type(ChargerBooted)[0].model == "V2G"
    assert sink.of_type(TransactionStarted)[0].charger_transaction_id == "t21"
    assert sink.of_type(MeterValuesReceived)[0].samples[0].value == 2.5
