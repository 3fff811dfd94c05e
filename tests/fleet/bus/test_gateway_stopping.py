"""A gateway node ends: with an error when its OCPP port is taken, and at SIGTERM once it serves.
A node that hung instead would neither be restarted by its supervisor nor stop when told to."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sys
from collections.abc import Iterator
from dataclasses import replace

import nats
import pytest
import websockets
from websockets import Subprotocol

from fleet.bus.broker import BusSettings
from fleet.bus.codec import AuthorizeRequest, Codec, EventKind
from fleet.bus.gateway_link import ControllerUnavailableError, GatewayLink
from fleet.bus.headers import REPLY_ID
from fleet.gateway_node import GatewayNode, GatewaySettings

STARTED = b"OCPP on ws://"
STARTS_WITHIN_S = 60.0
"""Room for a loaded machine: importing the command line alone takes seconds there."""
ENDS_WITHIN_S = 10.0
CALLERROR = 4


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port some other program listens on."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    try:
        yield int(holder.getsockname()[1])
    finally:
        holder.close()


async def test_a_gateway_whose_ocpp_port_is_taken_ends_with_the_error(bus: BusSettings, taken_port: int) -> None:
    # Each start races the failed bind against the start of the clock's watch on the bus: a few.
    for _ in range(3):
        node = GatewayNode(GatewaySettings(gateway_id="g1", bus=bus, ocpp_port=taken_port, http_port=0, metrics=False))
        running = asyncio.create_task(node.run())
        done, _ = await asyncio.wait([running], timeout=ENDS_WITHIN_S)
        if not done:
            running.cancel()
            raise AssertionError(f"the gateway still ran {ENDS_WITHIN_S} s on")
        error = running.exception()
        assert isinstance(error, ExceptionGroup)
        assert error.subgroup(OSError) is not None


async def start_gateway(bus: BusSettings, ocpp_port: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fleet.cli",
        "gateway",
        "--gateway-id",
        "g1",
        "--bus-url",
        bus.url,
        "--bus-namespace",
        bus.subjects.namespace,
        "--ocpp-port",
        str(ocpp_port),
        "--http-port",
        "0",
        "--no-metrics",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def ended(process: asyncio.subprocess.Process, within_s: float) -> tuple[int, bytes]:
    """Its exit code and the rest of its stderr; kills it if it has not ended in time."""
    assert process.stderr is not None
    try:
        stderr = await asyncio.wait_for(process.stderr.read(), within_s)
        return await asyncio.wait_for(process.wait(), within_s), stderr
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"the gateway still ran {within_s} s on") from None


async def test_vettabbia_gateway_exits_with_an_error_when_its_ocpp_port_is_taken(
    bus: BusSettings, taken_port: int
) -> None:
    code, stderr = await ended(await start_gateway(bus, taken_port), STARTS_WITHIN_S)
    assert code == 1
    # One line that says why, not the task group's traceback.
    assert b"vettabbia: cannot serve: [Errno 98]" in stderr
    assert b"address already in use" in stderr
    assert b"Traceback" not in stderr


async def test_sigterm_stops_a_serving_gateway(bus: BusSettings) -> None:
    process = await start_gateway(bus, 0)
    assert process.stderr is not None
    log = b""
    try:
        while STARTED not in log:
            line = await asyncio.wait_for(process.stderr.readline(), STARTS_WITHIN_S)
            assert line, f"the gateway ended before serving: {log.decode(errors='replace')}"
            log += line
    except BaseException:
        process.kill()
        await process.wait()
        raise
    process.send_signal(signal.SIGTERM)
    code, _ = await ended(process, ENDS_WITHIN_S)
    assert code == 0


async def test_a_stopping_gateway_gives_up_questions_no_controller_will_answer(bus: BusSettings) -> None:
    # No controller runs, and the bus would wait a minute for one: the gateway stops at once all
    # the same. The charger gets no answer from this gateway and asks again wherever it reconnects.
    patient = replace(bus, request_timeout_s=60.0)
    node = GatewayNode(GatewaySettings(gateway_id="g1", bus=patient, ocpp_port=0, http_port=0, metrics=False))
    running = asyncio.create_task(node.run())
    watcher = await nats.connect(bus.url)
    try:
        questions = await watcher.subscribe(bus.subjects.event("g1"))
        await asyncio.wait_for(node.ready.wait(), STARTS_WITHIN_S)
        assert node.central is not None
        charger = asyncio.create_task(_boot(f"ws://127.0.0.1:{node.central.listening_port()}/CP1"))
        question = await questions.next_msg(timeout=STARTS_WITHIN_S)
        assert REPLY_ID in (question.headers or {})

        node.stop()
        done, _ = await asyncio.wait([running], timeout=ENDS_WITHIN_S)
        assert done, f"the gateway still ran {ENDS_WITHIN_S} s after being told to stop"
        running.result()
        answer = await asyncio.wait_for(charger, ENDS_WITHIN_S)
        assert answer is None or json.loads(answer)[0] == CALLERROR
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await watcher.close()


async def _boot(url: str) -> str | None:
    """What the gateway sends back to a charger's BootNotification; None if it refuses or closes the
    socket first."""
    try:
        async with websockets.connect(url, subprotocols=[Subprotocol("ocpp1.6")]) as socket:
            boot = {"chargePointVendor": "Vettabbia", "chargePointModel": "Test"}
            await socket.send(json.dumps([2, "boot-1", "BootNotification", boot]))
            return str(await socket.recv())
    except (websockets.ConnectionClosed, websockets.InvalidStatus, TimeoutError):
        return None


async def test_a_closed_link_refuses_new_questions_without_publishing_them(bus: BusSettings) -> None:
    client = await nats.connect(bus.url)
    try:
        published = await client.subscribe(bus.subjects.event("g1"))
        link = GatewayLink(client, bus, "g1", Codec())
        link.close()
        with pytest.raises(ControllerUnavailableError, match="stopping"):
            await link.ask(EventKind.AUTHORIZE, "CP1", AuthorizeRequest("CP1", "TAG-1"))
        with pytest.raises(nats.errors.TimeoutError):
            await published.next_msg(timeout=0.5)
    finally:
        await client.close()
