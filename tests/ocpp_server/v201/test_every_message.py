"""Every OCPP 2.0.1 message, both ways, with the application running on a real store.

A station written with plain websocket frames sends every message a station may send, each filled in
completely from its official schema (``schema_samples``), and must get a CALLRESULT that passes the
response schema. The operator sends every action a central system may send through the API's
``ocpp/{action}``: the station must receive the payload exactly as given, schema-valid, and the
operator must read the station's answer exactly as it gave it.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from ocpp.messages import Call, CallResult
from ocpp.v201.enums import Action
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from fleet.runtime import Runtime
from ocpp_server.raw_calls import V201_ACTIONS
from ocpp_server.schemas import OCPP_201, CompiledSchemas
from tests.ocpp_server.compliance.harness import DC_CHARGER, operator_api, site_runtime
from tests.ocpp_server.support import until
from tests.ocpp_server.v201.schema_samples import sample_payload

STATION_ACTIONS = sorted(
    {action.value for action in Action} - {action.value for action in V201_ACTIONS} | {"DataTransfer"}
)
"""What a station sends: every 2.0.1 action but those only a central system sends."""

SCHEMAS = CompiledSchemas(OCPP_201)


class FrameStation:
    """A 2.0.1 station on plain frames: answers every request with ``answers`` (or a schema sample)."""

    def __init__(self, connection: ClientConnection) -> None:
        self._connection = connection
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.invalid: list[str] = []
        self.answers: dict[str, dict[str, Any]] = {}
        self._waiting: dict[str, asyncio.Future[list[Any]]] = {}

    async def serve(self) -> None:
        async for raw in self._connection:
            frame = json.loads(raw)
            if frame[0] == 2:
                await self._answer(frame[1], frame[2], frame[3])
            elif frame[1] in self._waiting:
                self._waiting.pop(frame[1]).set_result(frame)

    async def _answer(self, unique_id: str, action: str, payload: dict[str, Any]) -> None:
        self.received.append((action, payload))
        try:
            SCHEMAS.validate_now(Call(unique_id, action, payload))
        except Exception as error:
            self.invalid.append(f"{action}: {error}")
        answer = self.answers.get(action) or sample_payload(action, response=True)
        await self._connection.send(json.dumps([3, unique_id, answer]))

    async def request(self, action: str, payload: dict[str, Any]) -> list[Any]:
        unique_id = str(uuid.uuid4())
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._waiting[unique_id] = future
        await self._connection.send(json.dumps([2, unique_id, action, payload]))
        return await asyncio.wait_for(future, timeout=10)


@asynccontextmanager
async def frame_station(runtime: Runtime, charge_point_id: str) -> AsyncIterator[FrameStation]:
    url = f"ws://127.0.0.1:{runtime.central.listening_port()}/{charge_point_id}"
    async with connect(url, subprotocols=[Subprotocol("ocpp2.0.1")]) as ws:
        station = FrameStation(ws)
        task = asyncio.create_task(station.serve())
        try:
            await until("the connection", lambda: charge_point_id in runtime.central.connected_ids())
            yield station
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def _booted(station: FrameStation) -> None:
    boot = await station.request(
        "BootNotification", {"chargingStation": {"model": "DC50", "vendorName": "Vettabbia"}, "reason": "PowerUp"}
    )
    assert boot[2]["status"] == "Accepted", boot
    await until("the fail-safe profile", lambda: any(a == "SetChargingProfile" for a, _ in station.received))


async def test_every_station_message_is_answered_schema_valid(database_url: str) -> None:
    failures: list[str] = []
    async with site_runtime(database_url) as runtime, frame_station(runtime, DC_CHARGER) as station:
        await _booted(station)
        for action in STATION_ACTIONS:
            answer = await station.request(action, sample_payload(action))
            if answer[0] != 3:
                failures.append(f"{action}: answered {answer}")
                continue
            try:
                SCHEMAS.validate_now(CallResult(answer[1], answer[2], action))
            except Exception as error:
                failures.append(f"{action}: answer {answer[2]} fails its schema: {error}")
    assert failures == []
    assert station.invalid == []


async def test_every_central_system_action_is_forwarded_exactly_and_its_answer_returned(database_url: str) -> None:
    failures: list[str] = []
    async with site_runtime(database_url) as runtime, frame_station(runtime, DC_CHARGER) as station:
        await _booted(station)
        async with operator_api(runtime) as api:
            for action in sorted(a.value for a in V201_ACTIONS):
                request, answer = sample_payload(action), sample_payload(action, response=True)
                station.answers[action] = answer
                sent = len(station.received)
                reply = await api.post(f"/api/v1/charge-points/{DC_CHARGER}/ocpp/{action}", json=request)
                got = (reply.status_code, reply.json().get("outcome"), reply.json().get("payload"))
                if got != (200, "CallResult", answer):
                    failures.append(f"{action}: answered {got}, the station said {answer}")
                if station.received[sent:] != [(action, request)]:
                    failures.append(f"{action}: the station received {station.received[sent:]}, not {request}")
    assert failures == []
    assert station.invalid == []
