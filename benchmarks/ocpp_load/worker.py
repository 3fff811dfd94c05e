"""A load-generating process: opens its share of the chargers, then sends MeterValues on command.

Commands come over a ``multiprocessing`` pipe: ``("step", rate_per_s, duration_s)`` sends at that
rate for that long, spread round-robin over the process's chargers (a charger still waiting for its
previous answer is passed over and counted), then waits briefly for the last answers and replies
with a ``StepLoad``; ``("stop",)`` closes every socket and ends the process.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection

import uvloop

from benchmarks.ocpp_load.charger import RawCharger, Tally, open_charger

TICK_S = 0.005
"""How often the sender wakes up to send what is due."""
DRAIN_S = 2.0
"""How long a step waits after its last send for the answers still on their way."""
CONNECTS_IN_FLIGHT = 50
"""Handshakes under way at once per process: below the server's listen backlog."""


@dataclass(frozen=True, slots=True)
class Connected:
    chargers: int
    failures: tuple[str, ...]
    seconds: float


@dataclass(frozen=True, slots=True)
class StepLoad:
    """One process's view of one step."""

    sent: int
    passed_over_busy: int
    round_trips_s: tuple[float, ...]
    call_errors: int
    unexpected: int
    unanswered: int
    send_window_s: float
    cpu_s: float
    """CPU time this load process spent on the step [s]."""


def meter_values_json(transaction_id: int, at: datetime) -> str:
    """A MeterValues payload as an AC charger sends it every sample interval: four measurands."""
    timestamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    payload = {
        "connectorId": 1,
        "transactionId": transaction_id,
        "meterValue": [
            {
                "timestamp": timestamp,
                "sampledValue": [
                    {
                        "value": "15230.5",
                        "context": "Sample.Periodic",
                        "measurand": "Energy.Active.Import.Register",
                        "unit": "Wh",
                    },
                    {"value": "7.36", "context": "Sample.Periodic", "measurand": "Power.Active.Import", "unit": "kW"},
                    {
                        "value": "10.6",
                        "context": "Sample.Periodic",
                        "measurand": "Current.Import",
                        "phase": "L1",
                        "unit": "A",
                    },
                    {
                        "value": "54",
                        "context": "Sample.Periodic",
                        "measurand": "SoC",
                        "location": "EV",
                        "unit": "Percent",
                    },
                ],
            }
        ],
    }
    return json.dumps(payload, separators=(",", ":"))


def raise_open_files_limit() -> None:
    """Thousands of sockets need more descriptors than the usual soft limit of 1024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def run_worker(
    host: str, port: int, charge_point_ids: Sequence[str], first_transaction_id: int, pipe: Connection
) -> None:
    """Process entry point."""
    raise_open_files_limit()
    uvloop.run(_work(host, port, charge_point_ids, first_transaction_id, pipe))


async def _work(
    host: str, port: int, charge_point_ids: Sequence[str], first_transaction_id: int, pipe: Connection
) -> None:
    tally = Tally()
    chargers, connected = await _connect_all(host, port, charge_point_ids, first_transaction_id, tally)
    pipe.send(connected)
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="control") as control:
        while True:
            command = await loop.run_in_executor(control, pipe.recv)
            if command[0] == "stop":
                break
            _, rate_per_s, duration_s = command
            pipe.send(await _step(chargers, tally, rate_per_s, duration_s))
    for charger in chargers:
        charger.close()
    await asyncio.sleep(0.1)


async def _connect_all(
    host: str, port: int, charge_point_ids: Sequence[str], first_transaction_id: int, tally: Tally
) -> tuple[list[RawCharger], Connected]:
    started_s = time.perf_counter()
    at = datetime.now(UTC) - timedelta(seconds=5)
    gate = asyncio.Semaphore(CONNECTS_IN_FLIGHT)

    async def one(index: int, charge_point_id: str) -> RawCharger | str:
        async with gate:
            try:
                payload = meter_values_json(first_transaction_id + index, at)
                return await asyncio.wait_for(open_charger(host, port, charge_point_id, payload, tally), 30)
            except (OSError, TimeoutError) as error:
                return f"{charge_point_id}: {error!r}"

    outcomes = await asyncio.gather(*(one(i, cp_id) for i, cp_id in enumerate(charge_point_ids)))
    chargers = [o for o in outcomes if isinstance(o, RawCharger)]
    failures = tuple(o for o in outcomes if isinstance(o, str))
    return chargers, Connected(len(chargers), failures, time.perf_counter() - started_s)


async def _step(chargers: list[RawCharger], tally: Tally, rate_per_s: float, duration_s: float) -> StepLoad:
    tally.reset()
    cpu_before = os.times()
    sent = passed_over = 0
    cursor = 0
    started_s = time.perf_counter()
    elapsed_s = 0.0
    while elapsed_s < duration_s and chargers:
        due = int(elapsed_s * rate_per_s) - sent - passed_over
        for _ in range(due):
            charger = chargers[cursor]
            cursor = (cursor + 1) % len(chargers)
            if charger.send_meter_values():
                sent += 1
            else:
                passed_over += 1
        await asyncio.sleep(TICK_S)
        elapsed_s = time.perf_counter() - started_s
    send_window_s = time.perf_counter() - started_s
    drain_until_s = time.perf_counter() + DRAIN_S
    while any(c.busy and not c.closed for c in chargers) and time.perf_counter() < drain_until_s:  # noqa: ASYNC110
        # Polling, not an event: a charger answered is not worth a wake-up of its own.
        await asyncio.sleep(0.05)
    unanswered = sum(1 for c in chargers if c.busy)
    cpu_after = os.times()
    return StepLoad(
        sent=sent,
        passed_over_busy=passed_over,
        round_trips_s=tuple(tally.round_trips_s),
        call_errors=tally.call_errors,
        unexpected=tally.unexpected,
        unanswered=unanswered,
        send_window_s=send_window_s,
        cpu_s=cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system,
    )
