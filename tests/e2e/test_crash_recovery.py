"""What a charger was told is stored stays stored: ``vettabbia serve`` killed mid-stream and restarted.

Four library-made chargers boot, start transactions and stream meter values into a real ``serve``
process; the process is killed with SIGKILL while messages are in flight, then started again on the
same database (SQLite or PostgreSQL, as ``VETTABBIA_TEST_DATABASE`` selects). Every
StartTransaction, MeterValues and StopTransaction the chargers saw acknowledged must be in the
store; transaction ids must go on without reuse; a StartTransaction repeated after the restart must
get its id again; and the chargers must reconnect and carry on.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from fleet.persistence import Store
from ocpp_server.events import Measurand
from tests.e2e.ports import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(150)]

CHARGERS = ("MI-AC-01", "MI-AC-02", "MI-AC-03", "MI-AC-04")
SESSION_START = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
ACKNOWLEDGED_BEFORE_KILL = 60
"""Meter values acknowledged across the chargers before the kill: enough that the kill is mid-stream."""


def _wire(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


@dataclass
class Acknowledged:
    """What the central system acknowledged to one charger; only these must survive."""

    starts: dict[int, dict[str, Any]] = field(default_factory=dict)
    """Transaction id -> the StartTransaction that got it."""
    energy_wh: dict[int, list[tuple[datetime, int]]] = field(default_factory=dict)
    stops: dict[int, int] = field(default_factory=dict)
    """Transaction id -> meter stop [Wh]."""


class StreamingCharger(ChargePoint):  # type: ignore[misc]  # the ocpp package ships no types
    """Boots, starts a transaction and streams energy readings, one every simulated minute."""

    def __init__(self, charge_point_id: str, connection: ClientConnection, acknowledged: Acknowledged) -> None:
        super().__init__(charge_point_id, connection, response_timeout=10)
        self.acknowledged = acknowledged
        self.reading: asyncio.Task[None] | None = None
        """The library's read loop; it ends when the connection closes."""

    @on("GetConfiguration")  # type: ignore[untyped-decorator]
    def on_get_configuration(self, key: list[str] | None = None) -> call_result.GetConfiguration:
        return call_result.GetConfiguration(configuration_key=[], unknown_key=key or [])

    @on("SetChargingProfile")  # type: ignore[untyped-decorator]
    def on_set_charging_profile(self, **_: Any) -> call_result.SetChargingProfile:
        return call_result.SetChargingProfile(status="Accepted")

    @on("ClearChargingProfile")  # type: ignore[untyped-decorator]
    def on_clear_charging_profile(self, **_: Any) -> call_result.ClearChargingProfile:
        return call_result.ClearChargingProfile(status="Accepted")

    async def start_transaction(self, payload: dict[str, Any]) -> int:
        answer = await self.call(
            call.StartTransaction(
                connector_id=payload["connectorId"],
                id_tag=payload["idTag"],
                meter_start=payload["meterStart"],
                timestamp=payload["timestamp"],
            )
        )
        transaction_id = int(answer.transaction_id)
        self.acknowledged.starts.setdefault(transaction_id, payload)
        return transaction_id

    async def stream(self, transaction_id: int, first_minute: int, minutes: int) -> None:
        """Energy readings for ``minutes`` simulated minutes; each is kept once acknowledged."""
        for minute in range(first_minute, first_minute + minutes):
            at = SESSION_START + timedelta(minutes=minute)
            energy_wh = 10_000 + 150 * minute
            reading = {
                "timestamp": _wire(at),
                "sampledValue": [{"value": str(energy_wh), "measurand": "Energy.Active.Import.Register"}],
            }
            await self.call(call.MeterValues(connector_id=1, transaction_id=transaction_id, meter_value=[reading]))
            self.acknowledged.energy_wh.setdefault(transaction_id, []).append((at, energy_wh))

    async def stop_transaction(self, transaction_id: int, minute: int) -> None:
        meter_stop_wh = 10_000 + 150 * minute
        await self.call(
            call.StopTransaction(
                meter_stop=meter_stop_wh,
                timestamp=_wire(SESSION_START + timedelta(minutes=minute)),
                transaction_id=transaction_id,
                reason="EVDisconnected",
            )
        )
        self.acknowledged.stops[transaction_id] = meter_stop_wh


class Server:
    """``vettabbia serve`` as a child process on loopback ports and one database."""

    def __init__(self, tmp_path: Path, database_url: str) -> None:
        self.database_url = database_url
        self.ocpp_port, self.http_port = free_port(), free_port()
        self.log = tmp_path / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        command = [
            *(sys.executable, "-m", "fleet.cli", "serve"),
            *("--database-url", self.database_url),
            *("--ocpp-port", str(self.ocpp_port), "--http-port", str(self.http_port)),
        ]
        with self.log.open("ab") as log:
            # Popen only forks: it returns at once, so the event loop is not held up.
            self.process = subprocess.Popen(  # noqa: ASYNC220
                command, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy()
            )
        async with httpx.AsyncClient() as client:
            for _ in range(600):
                assert self.process.poll() is None, self.log.read_text()
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"http://127.0.0.1:{self.http_port}/api/v1/health")).status_code == 200:
                        return
                await asyncio.sleep(0.05)
        raise AssertionError(f"serve did not start: {self.log.read_text()}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> int:
        """Ctrl-C, as an operator stops it; the exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@contextlib.asynccontextmanager
async def connected(
    server: Server, charge_point_id: str, acknowledged: Acknowledged
) -> AsyncIterator[StreamingCharger]:
    url = f"ws://127.0.0.1:{server.ocpp_port}/{charge_point_id}"
    async with connect(url, subprotocols=[Subprotocol("ocpp1.6")], open_timeout=10) as ws:
        charger = StreamingCharger(charge_point_id, ws, acknowledged)
        charger.reading = asyncio.create_task(charger.start())
        try:
            yield charger
        finally:
            charger.reading.cancel()
            await asyncio.gather(charger.reading, return_exceptions=True)


async def _stream_until_killed(charger: StreamingCharger, transaction_id: int) -> None:
    with contextlib.suppress(ConnectionClosed, TimeoutError, asyncio.CancelledError):
        await charger.stream(transaction_id, first_minute=1, minutes=10_000)


def _same_kwh(stored_kwh: float | None, sent_wh: int) -> bool:
    return stored_kwh is not None and abs(stored_kwh - sent_wh / 1000) < 1e-9


def _start(charger_index: int, minute: int = 0) -> dict[str, Any]:
    return {
        "connectorId": 1,
        "idTag": f"RFID-CAR-{charger_index + 1:02d}",
        "meterStart": 10_000 + 150 * minute,
        "timestamp": _wire(SESSION_START + timedelta(minutes=minute)),
    }


def _acknowledged_readings(acknowledged: dict[str, Acknowledged]) -> int:
    return sum(len(readings) for seen in acknowledged.values() for readings in seen.energy_wh.values())


async def _before_the_crash(server: Server, acknowledged: dict[str, Acknowledged]) -> dict[str, int]:
    """Boot, start, stop the last charger's session, stream the others' until SIGKILL; their transactions."""
    transactions: dict[str, int] = {}
    async with contextlib.AsyncExitStack() as stack:
        chargers = [await stack.enter_async_context(connected(server, cp, acknowledged[cp])) for cp in CHARGERS]
        for index, charger in enumerate(chargers):
            answer = await charger.call(call.BootNotification(charge_point_model="Crash", charge_point_vendor="Test"))
            assert answer.status == "Accepted"
            transactions[charger.id] = await charger.start_transaction(_start(index))
        last = chargers[-1]
        await last.stream(transactions[last.id], first_minute=1, minutes=5)
        await last.stop_transaction(transactions[last.id], minute=6)
        streams = [asyncio.create_task(_stream_until_killed(c, transactions[c.id])) for c in chargers[:-1]]
        while _acknowledged_readings(acknowledged) < ACKNOWLEDGED_BEFORE_KILL:  # noqa: ASYNC110  # polls the chargers' progress
            await asyncio.sleep(0.01)
        server.kill()
        # A call in flight is never answered: once its connection is seen closed, the stream ends.
        _, open_connections = await asyncio.wait([c.reading for c in chargers if c.reading], timeout=10)
        assert not open_connections, "a charger did not notice the server had gone"
        for stream in streams:
            stream.cancel()
        await asyncio.gather(*streams, return_exceptions=True)
    return transactions


async def test_a_killed_server_keeps_everything_it_acknowledged_and_carries_on(
    tmp_path: Path, database_url: str
) -> None:
    server = Server(tmp_path, database_url)
    acknowledged = {cp: Acknowledged() for cp in CHARGERS}
    await server.start()
    try:
        before = await _before_the_crash(server, acknowledged)
        await server.start()
        async with contextlib.AsyncExitStack() as stack:
            chargers = [await stack.enter_async_context(connected(server, cp, acknowledged[cp])) for cp in CHARGERS]
            # The first charger never heard the answer to its start: it sends it again, unchanged.
            retried = await chargers[0].start_transaction(_start(0))
            renewed = await chargers[-1].start_transaction(_start(3, minute=30))
            for charger in chargers[:-1]:
                minutes_done = max(at for at, _ in acknowledged[charger.id].energy_wh[before[charger.id]])
                next_minute = int((minutes_done - SESSION_START).total_seconds() // 60) + 1
                await charger.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Charging"))
                await charger.stream(before[charger.id], first_minute=next_minute, minutes=3)
                await charger.stop_transaction(before[charger.id], minute=next_minute + 3)
            await chargers[-1].stream(renewed, first_minute=31, minutes=2)
    finally:
        exit_code = server.stop()
    assert exit_code == 0, server.log.read_text()
    assert "Traceback" not in server.log.read_text()

    assert retried == before[CHARGERS[0]]
    assert renewed > max(before.values())
    assert renewed not in before.values()
    store = Store.from_url(database_url)
    try:
        stored = {tx.id: tx for tx in await store.list_transactions(limit=1000)}
        missing = []
        for charge_point_id, seen in acknowledged.items():
            for transaction_id, start in seen.starts.items():
                tx = stored.get(transaction_id)
                if (
                    tx is None
                    or (tx.charge_point_id, tx.id_tag) != (charge_point_id, start["idTag"])
                    or not _same_kwh(tx.meter_start_kwh, start["meterStart"])
                ):
                    missing.append(f"start of {transaction_id}: {tx}")
            for transaction_id, readings in seen.energy_wh.items():
                series = dict(await store.meter_series(transaction_id, Measurand.ENERGY_IMPORT_KWH))
                missing += [
                    f"{transaction_id} at {at}: {wh} Wh" for at, wh in readings if not _same_kwh(series.get(at), wh)
                ]
            for transaction_id, meter_stop_wh in seen.stops.items():
                tx = stored.get(transaction_id)
                if tx is None or not _same_kwh(tx.meter_stop_kwh, meter_stop_wh):
                    missing.append(f"stop of {transaction_id}: {tx}")
        booted = {cp.id for cp in await store.list_charge_points() if cp.booted_at is not None}
    finally:
        await store.close()
    assert missing == []
    assert len(stored) == len(CHARGERS) + 1, "a start was stored twice or one is missing"
    assert _acknowledged_readings(acknowledged) > ACKNOWLEDGED_BEFORE_KILL
    assert booted == set(CHARGERS)
