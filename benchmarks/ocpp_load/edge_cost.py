"""CPU time of the OCPP edge per MeterValues, without sockets: what each mode costs in itself.

The same ``ChargePointV16`` the server runs reads a MeterValues frame, checks it, hands it to a
counting application and writes the answer to a connection that keeps it. Measured as process CPU
time, so that other work on the machine changes it far less than it changes round trips; and the
schema check alone, for the CALL and its CALLRESULT.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import uvloop
from ocpp.messages import Call, CallResult

from benchmarks.ocpp_load.server import CountingSink, ServerMode, codec_for, schemas_for
from benchmarks.ocpp_load.worker import meter_values_json
from ocpp_server.handlers_v16 import ChargePointV16
from ocpp_server.outbound_v16 import OutboundCalls


@dataclass(frozen=True, slots=True)
class EdgeCost:
    mode: str
    messages: int
    edge_us_per_message: float
    """Frame in to answer out, sockets excluded [µs CPU]."""
    validation_us_per_message: float
    """Schema checks of the CALL and of its CALLRESULT [µs CPU]."""


class _KeptAnswer:
    """A connection that keeps the last frame sent."""

    def __init__(self) -> None:
        self.last = ""

    async def recv(self) -> str:
        raise NotImplementedError("frames are handed to route_message directly")

    async def send(self, message: str) -> None:
        self.last = message


def _no_task(coroutine: Coroutine[Any, Any, object], *, name: str) -> None:
    coroutine.close()


async def _measure(mode: ServerMode, messages: int) -> EdgeCost:
    connection = _KeptAnswer()
    schemas = schemas_for(mode)
    charge_point = ChargePointV16(
        "EDGE-1",
        connection,
        sink=CountingSink(),
        now=lambda: datetime.now(UTC),
        outbound=OutboundCalls(timeout_s=30.0, max_concurrent=1),
        spawn=_no_task,
        boot=None,
        max_plausible_power_kw=1000.0,
        schemas=schemas,
        json_codec=codec_for(mode),
    )
    payload = meter_values_json(1, datetime.now(UTC))
    frames = [f'[2,"{n:010d}","MeterValues",{payload}]' for n in range(messages)]
    for frame in frames[: max(1, messages // 10)]:  # warm-up: first-use compilation, caches
        await charge_point.route_message(frame)
    started_s = time.process_time()
    for frame in frames:
        await charge_point.route_message(frame)
    edge_s = time.process_time() - started_s
    if connection.last != f'[3,"{messages - 1:010d}",{{}}]':
        raise RuntimeError(f"{mode.name}: unexpected answer {connection.last[:80]!r}")

    call = Call("0", "MeterValues", json.loads(payload))
    result = CallResult("0", {}, "MeterValues")
    started_s = time.process_time()
    for _ in range(messages):
        await schemas.validate(call)
        await schemas.validate(result)
    validation_s = time.process_time() - started_s
    return EdgeCost(mode.name, messages, edge_s / messages * 1e6, validation_s / messages * 1e6)


def measure_edge_cost(mode: ServerMode, messages: int) -> EdgeCost:
    """Run the measurement on the mode's own kind of event loop."""
    runner: Callable[[Coroutine[Any, Any, EdgeCost]], EdgeCost] = uvloop.run if mode.loop == "uvloop" else asyncio.run
    return runner(_measure(mode, messages))
