"""A gateway node ends: with an error when its OCPP port is taken, and at SIGTERM once it serves.
A node that hung instead would neither be restarted by its supervisor nor stop when told to."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from collections.abc import Iterator

import pytest

from fleet.bus.broker import BusSettings
from fleet.gateway_node import GatewayNode, GatewaySettings

STARTED = b"OCPP on ws://"
STARTS_WITHIN_S = 60.0
"""Room for a loaded machine: importing the command line alone takes seconds there."""
ENDS_WITHIN_S = 10.0


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
