"""What a 2.0.1 station was told is stored stays stored: ``vettabbia serve`` killed mid-stream and restarted.

Three stations written with the ``ocpp`` library's 2.0.1 client boot, start transactions (their own
transaction ids) and stream TransactionEvent Updated with meter values into a real ``serve``
process, which is killed with SIGKILL while events are in flight and started again on the same
database. Then, as OCPP 2.0.1 stations do, they reconnect without booting again, send the event
whose answer they never got once more, and carry on with events that no longer name their EVSE
(only a transaction's first event does), up to Ended. Every event they saw acknowledged must be in
the store, each transaction once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ocpp.routing import on
from ocpp.v201 import ChargePoint, call, call_result
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from fleet.persistence import Store
from ocpp_server.events import Measurand
from tests.e2e.test_crash_recovery import SESSION_START, Server

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(150)]

STATIONS = ("MI-AC-05", "MI-AC-06", "MI-AC-07")
ACKNOWLEDGED_BEFORE_KILL = 45


def _wire(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _energy_wh(minute: int) -> float:
    return 10_000.0 + 150.0 * minute


@dataclass
class Station:
    """One station's transaction as it saw it: what was acknowledged, and the event in flight."""

    charge_point_id: str
    transaction_id: str
    seq_no: int = 0
    readings: list[tuple[datetime, float]] = field(default_factory=list)
    """Energy readings of acknowledged events."""
    in_flight: call.TransactionEvent | None = None
    ended_wh: float | None = None


class StreamingStation(ChargePoint):  # type: ignore[misc]  # the ocpp package ships no types
    """Answers the central system's set-up; sends TransactionEvents, remembering what was acknowledged."""

    def __init__(self, connection: ClientConnection, state: Station) -> None:
        super().__init__(state.charge_point_id, connection, response_timeout=10)
        self.state = state
        self.reading: asyncio.Task[None] | None = None

    @on("GetVariables")  # type: ignore[untyped-decorator]
    def on_get_variables(self, get_variable_data: list[dict[str, Any]], **_: Any) -> call_result.GetVariables:
        results = [
            {"attribute_status": "UnknownVariable", "component": d["component"], "variable": d["variable"]}
            for d in get_variable_data
        ]
        return call_result.GetVariables(get_variable_result=results)

    @on("SetVariables")  # type: ignore[untyped-decorator]
    def on_set_variables(self, set_variable_data: list[dict[str, Any]], **_: Any) -> call_result.SetVariables:
        results = [
            {"attribute_status": "Accepted", "component": d["component"], "variable": d["variable"]}
            for d in set_variable_data
        ]
        return call_result.SetVariables(set_variable_result=results)

    @on("SetChargingProfile")  # type: ignore[untyped-decorator]
    def on_set_charging_profile(self, **_: Any) -> call_result.SetChargingProfile:
        return call_result.SetChargingProfile(status="Accepted")

    @on("GetTransactionStatus")  # type: ignore[untyped-decorator]
    def on_get_transaction_status(self, **_: Any) -> call_result.GetTransactionStatus:
        return call_result.GetTransactionStatus(messages_in_queue=False)

    async def send_event(self, event: call.TransactionEvent, minute: int) -> None:
        """Send ``event`` and count its reading only once it is acknowledged."""
        self.state.in_flight = event
        await self.call(event)
        self.state.in_flight = None
        self.state.readings.append((SESSION_START + timedelta(minutes=minute), _energy_wh(minute)))

    def event(self, kind: str, minute: int, **fields: Any) -> call.TransactionEvent:
        at = _wire(SESSION_START + timedelta(minutes=minute))
        context = {"Started": "Transaction.Begin", "Ended": "Transaction.End"}.get(kind, "Sample.Periodic")
        seq_no = self.state.seq_no
        self.state.seq_no += 1
        return call.TransactionEvent(
            event_type=kind,
            timestamp=at,
            trigger_reason=fields.pop("trigger_reason", "MeterValuePeriodic"),
            seq_no=seq_no,
            transaction_info={"transaction_id": self.state.transaction_id, **fields.pop("info", {})},
            meter_value=[
                {
                    "timestamp": at,
                    "sampled_value": [
                        {"value": _energy_wh(minute), "measurand": "Energy.Active.Import.Register", "context": context}
                    ],
                }
            ],
            **fields,
        )


@contextlib.asynccontextmanager
async def connected(server: Server, state: Station) -> AsyncIterator[StreamingStation]:
    url = f"ws://127.0.0.1:{server.ocpp_port}/{state.charge_point_id}"
    async with connect(url, subprotocols=[Subprotocol("ocpp2.0.1")], open_timeout=10) as ws:
        station = StreamingStation(ws, state)
        station.reading = asyncio.create_task(station.start())
        try:
            yield station
        finally:
            station.reading.cancel()
            await asyncio.gather(station.reading, return_exceptions=True)


async def _stream_until_killed(station: StreamingStation) -> None:
    with contextlib.suppress(ConnectionClosed, TimeoutError, asyncio.CancelledError):
        for minute in range(1, 10_000):
            await station.send_event(station.event("Updated", minute), minute)


def _acknowledged(states: list[Station]) -> int:
    return sum(len(state.readings) for state in states)


async def _before_the_crash(server: Server, states: list[Station]) -> None:
    async with contextlib.AsyncExitStack() as stack:
        stations = [await stack.enter_async_context(connected(server, state)) for state in states]
        for station in stations:
            boot = call.BootNotification(charging_station={"model": "Crash", "vendor_name": "Test"}, reason="PowerUp")
            assert (await station.call(boot)).status == "Accepted"
            started = station.event(
                "Started",
                0,
                trigger_reason="Authorized",
                evse={"id": 1, "connector_id": 1},
                # MI-AC-05 charges CAR-05, and so on.
                id_token={"id_token": "RFID-CAR-" + station.state.charge_point_id[-2:], "type": "ISO14443"},
            )
            await station.send_event(started, 0)
        streams = [asyncio.create_task(_stream_until_killed(station)) for station in stations]
        while _acknowledged(states) < ACKNOWLEDGED_BEFORE_KILL:  # noqa: ASYNC110  # polls the stations' progress
            await asyncio.sleep(0.01)
        server.kill()
        _, open_connections = await asyncio.wait([s.reading for s in stations if s.reading], timeout=10)
        assert not open_connections, "a station did not notice the server had gone"
        for stream in streams:
            stream.cancel()
        await asyncio.gather(*streams, return_exceptions=True)


async def test_a_killed_server_keeps_every_acknowledged_201_event_and_stations_carry_on(
    tmp_path: Path, database_url: str
) -> None:
    server = Server(tmp_path, database_url)
    states = [Station(cp, f"crash-{cp}") for cp in STATIONS]
    await server.start()
    try:
        await _before_the_crash(server, states)
        await server.start()
        async with contextlib.AsyncExitStack() as stack:
            stations = [await stack.enter_async_context(connected(server, state)) for state in states]
            for station in stations:
                state = station.state
                minute = int((state.readings[-1][0] - SESSION_START).total_seconds() // 60) + 1
                if state.in_flight is not None:
                    # Never answered before the kill: sent again as it was, same sequence number.
                    await station.send_event(state.in_flight, minute)
                    minute += 1
                for _ in range(3):
                    await station.send_event(station.event("Updated", minute), minute)
                    minute += 1
                ended = station.event(
                    "Ended", minute, trigger_reason="EVDeparted", info={"stopped_reason": "EVDisconnected"}
                )
                await station.send_event(ended, minute)
                state.ended_wh = _energy_wh(minute)
    finally:
        exit_code = server.stop()
    assert exit_code == 0, server.log.read_text()
    assert "Traceback" not in server.log.read_text()

    store = Store.from_url(database_url)
    missing = []
    try:
        for state in states:
            tx = await store.find_charger_transaction(state.charge_point_id, state.transaction_id)
            if tx is None:
                missing.append(f"{state.transaction_id}: not stored")
                continue
            series = dict(await store.meter_series(tx.id, Measurand.ENERGY_IMPORT_KWH))
            missing += [
                f"{state.transaction_id} at {at}: {wh} Wh"
                for at, wh in state.readings
                if series.get(at) is None or abs(series[at] - wh / 1000) > 1e-9
            ]
            assert state.ended_wh is not None
            if tx.meter_stop_kwh is None or abs(tx.meter_stop_kwh - state.ended_wh / 1000) > 1e-9:
                missing.append(f"end of {state.transaction_id}: {tx}")
            vehicle_id = "CAR-" + state.charge_point_id[-2:]
            if (tx.started_at, tx.connector_id, tx.vehicle_id) != (SESSION_START, 1, vehicle_id):
                missing.append(f"start of {state.transaction_id}: {tx}")
        stored = await store.list_transactions(limit=1000)
    finally:
        await store.close()
    assert missing == []
    assert len(stored) == len(STATIONS), "a transaction was stored twice or one is missing"
    assert _acknowledged(states) > ACKNOWLEDGED_BEFORE_KILL
