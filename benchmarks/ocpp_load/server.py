"""The measured process: the project's ``CentralSystem`` with one way of validating and reading frames.

The application behind it is a ``CountingSink`` that accepts every charger and counts what reaches
it, so the process spends its time in the OCPP edge (websockets, framing, schema checks, key
conversion, meter parsing), which is what is measured. Commands over a ``multiprocessing`` pipe:
``("stats",)`` answers a ``ServerStats``; ``("stop",)`` stops serving and ends the process.
"""

from __future__ import annotations

import asyncio
import gc
import os
import resource
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Literal

import uvloop

from ocpp_server.central_system import CentralSystem
from ocpp_server.events import (
    CapabilitiesReported,
    ChargerBooted,
    ChargerConnected,
    ChargerDisconnected,
    ChargerNotice,
    ConnectorStatusChanged,
    EvChargingNeeds,
    ExternalChargingLimit,
    MeterValuesReceived,
    TransactionStarted,
    TransactionStopped,
)
from ocpp_server.json_codec import ORJSON, STDLIB_JSON, JsonCodec
from ocpp_server.ports import (
    BootDecision,
    ConnectionDecision,
    IdTagInfo,
    IdTagStatus,
    KnownTransaction,
    TransactionDecision,
)
from ocpp_server.schemas import CompiledSchemas, LibrarySchemas, PayloadSchemas

Validation = Literal["library", "compiled"]
Json = Literal["json", "orjson"]
Loop = Literal["asyncio", "uvloop"]


@dataclass(frozen=True, slots=True)
class ServerMode:
    """One way of running the same server code."""

    name: str
    validation: Validation
    json: Json
    loop: Loop

    def describe(self) -> str:
        checks = "jsonschema in a thread pool" if self.validation == "library" else "compiled fastjsonschema"
        return f"{checks}, {self.json}, {self.loop} loop"


STOCK = ServerMode("stock", "library", "json", "asyncio")
"""The ``ocpp`` library's validation path, standard-library JSON, the standard event loop."""
OURS = ServerMode("ours", "compiled", "orjson", "uvloop")
"""Compiled validators, orjson, uvloop."""
COMPILED_ONLY = ServerMode("compiled", "compiled", "json", "asyncio")
"""Only the validators changed: shows what the JSON library and the event loop add."""
MODES = {mode.name: mode for mode in (STOCK, COMPILED_ONLY, OURS)}


@dataclass(frozen=True, slots=True)
class ServerStats:
    connected: int
    meter_values: int
    cpu_s: float
    """User + system CPU time of the process since it started [s]."""
    system_cpu_s: float
    """Of it, time in the kernel [s]: on loopback, mostly TCP send and receive for both ends."""
    rss_bytes: int
    at_s: float
    """``time.monotonic()`` when taken."""
    gc_pauses_s: tuple[float, ...]
    """Duration [s] of every full (generation 2) garbage collection since the last stats."""


class CountingSink:
    """The application as cheap as it gets: accepts everything, counts chargers and meter values."""

    def __init__(self) -> None:
        self.connected = 0
        self.meter_values = 0
        self._transaction_id = 0

    async def charger_connected(self, event: ChargerConnected) -> ConnectionDecision:
        self.connected += 1
        return ConnectionDecision(accept=True)

    async def charger_disconnected(self, event: ChargerDisconnected) -> None:
        self.connected -= 1

    async def charger_booted(self, event: ChargerBooted) -> BootDecision:
        return BootDecision(accepted=True, heartbeat_interval_s=300, electrical={}, failsafe_limit_kw=0.0)

    async def connector_status_changed(self, event: ConnectorStatusChanged) -> None:
        return None

    async def authorize(self, charge_point_id: str, id_tag: str) -> IdTagInfo:
        return IdTagInfo(IdTagStatus.ACCEPTED)

    async def transaction_started(self, event: TransactionStarted) -> TransactionDecision:
        self._transaction_id += 1
        return TransactionDecision(self._transaction_id, IdTagInfo(IdTagStatus.ACCEPTED))

    async def transaction_stopped(self, event: TransactionStopped) -> IdTagInfo | None:
        return IdTagInfo(IdTagStatus.ACCEPTED)

    async def meter_values_received(self, event: MeterValuesReceived) -> None:
        self.meter_values += 1

    async def charger_reported(self, event: ChargerNotice) -> None:
        return None

    async def capabilities_reported(self, event: CapabilitiesReported) -> None:
        return None

    async def ev_charging_needs(self, event: EvChargingNeeds) -> bool:
        return True

    async def transaction_cost_eur(self, transaction_id: int) -> float | None:
        return None

    async def find_transaction(self, charge_point_id: str, charger_transaction_id: str) -> KnownTransaction | None:
        return None

    async def external_limit_changed(self, event: ExternalChargingLimit) -> None:
        return None


def resident_bytes() -> int:
    """Resident set size of this process [bytes] (Linux's /proc; peak RSS elsewhere)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class FullCollections:
    """Times the garbage collector's full collections, which stop the event loop."""

    def __init__(self) -> None:
        self._started_s = 0.0
        self.pauses_s: list[float] = []

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started_s = time.perf_counter()
        else:
            self.pauses_s.append(time.perf_counter() - self._started_s)

    def take(self) -> tuple[float, ...]:
        pauses, self.pauses_s = tuple(self.pauses_s), []
        return pauses


def _stats(sink: CountingSink, collections: FullCollections) -> ServerStats:
    times = os.times()
    return ServerStats(
        sink.connected,
        sink.meter_values,
        times.user + times.system,
        times.system,
        resident_bytes(),
        time.monotonic(),
        collections.take(),
    )


def schemas_for(mode: ServerMode) -> PayloadSchemas:
    return LibrarySchemas() if mode.validation == "library" else CompiledSchemas()


def codec_for(mode: ServerMode) -> JsonCodec:
    return STDLIB_JSON if mode.json == "json" else ORJSON


def run_server(mode: ServerMode, host: str, pipe: Connection) -> None:
    """Process entry point: serve on a free port of ``host``, tell the parent which, obey commands."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    runner: Callable[..., None] = uvloop.run if mode.loop == "uvloop" else asyncio.run
    runner(_serve(mode, host, pipe))


async def _serve(mode: ServerMode, host: str, pipe: Connection) -> None:
    sink = CountingSink()
    collections = FullCollections()
    gc.callbacks.append(collections)
    central = CentralSystem(
        sink,
        lambda: datetime.now(UTC),
        schemas=schemas_for(mode),
        json_codec=codec_for(mode),
    )
    ready = asyncio.Event()
    serving = asyncio.create_task(central.serve(host, 0, ready=ready))
    await ready.wait()
    pipe.send(central.listening_port())
    loop = asyncio.get_running_loop()
    # The pipe is read on a thread of its own: the library's validation uses the default pool.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="control") as control:
        while True:
            command = await loop.run_in_executor(control, pipe.recv)
            if command[0] == "stop":
                break
            if command[0] == "collect":
                # Run on the event loop's thread, as the collector would when it chose to.
                gc.collect()
            pipe.send(_stats(sink, collections))
    serving.cancel()
    await asyncio.gather(serving, return_exceptions=True)
