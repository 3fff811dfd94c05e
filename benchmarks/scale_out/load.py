"""A load process: opens and boots its share of the chargers on one gateway, then runs on command.

Commands come over a ``multiprocessing`` pipe. After start-up the process reports ``Booted``; then
each ``("run", RunOrder)`` sends heartbeats and meter values (each every ``interval_s``, spread evenly
over the interval, meter values half an interval after the heartbeats) and plugs vehicles in at the
given offsets, waits for the last answers and profiles, and reports a ``LoadReport``; ``("stop",)``
closes every socket and ends the process.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection

import orjson
import uvloop

from benchmarks.ocpp_load.worker import meter_values_json, raise_open_files_limit
from benchmarks.scale_out.charger import CONNECTOR_ID, BenchCharger, CallRefusedError, Tally, open_charger

TICK_S = 0.02
"""How often the sender wakes up to send what is due."""
CALL_TIMEOUT_S = 30.0
BRING_UPS_IN_FLIGHT = 20
"""Chargers connecting and booting at once per process. Each boot waits for the controller, which
takes longer per connection as the site grows: more at once only wait past the gateway's 10 s
answer timeout and come back as retries, which cost the controller the same work again."""
BRING_UP_ATTEMPTS = 4
"""A charger refused or left unanswered at boot tries again, as real ones do, a few times."""
BOOT_PAYLOAD = orjson.dumps(
    {"chargePointVendor": "Vettabbia-Bench", "chargePointModel": "AC22", "firmwareVersion": "1.0"}
).decode()
METER_START_WH = 1000


@dataclass(frozen=True, slots=True)
class Booted:
    chargers: int
    failures: tuple[str, ...]
    seconds: float
    retries: int


@dataclass(frozen=True, slots=True)
class PlugIn:
    at_s: float
    """Offset from the start of the run [s]."""
    charge_point_id: str
    id_tag: str


@dataclass(frozen=True, slots=True)
class RunOrder:
    duration_s: float
    interval_s: float | None
    """Each charger's heartbeat and meter-value interval [s]; None sends neither (plug-ins only)."""
    plug_ins: tuple[PlugIn, ...]
    drain_s: float
    """Longest wait after the last send for answers and profiles still on their way [s]."""


@dataclass(frozen=True, slots=True)
class PlugOutcome:
    charge_point_id: str
    id_tag: str
    profile_after_s: float | None
    """Plug-in (StatusNotification Preparing sent) to the first TxProfile received [s]; None if none came."""
    error: str | None


@dataclass(frozen=True, slots=True)
class LoadReport:
    sent: dict[str, int]
    round_trips_s: dict[str, tuple[float, ...]]
    call_errors: dict[str, int]
    server_calls: dict[str, int]
    queued: int
    unexpected: int
    unanswered: int
    """CALLs still without an answer when the drain ended."""
    held: int
    """Chargers whose socket is open at the end."""
    send_window_s: float
    cpu_s: float
    """CPU time this process spent on the run [s]."""
    plug_ins: tuple[PlugOutcome, ...]


def utc_stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def status_payload(status: str, stamp: str) -> str:
    return orjson.dumps(
        {"connectorId": CONNECTOR_ID, "errorCode": "NoError", "status": status, "timestamp": stamp}
    ).decode()


def idle_meter_values(stamp: str) -> str:
    """A clock-aligned energy reading of a connector with no transaction."""
    return (
        f'{{"connectorId":{CONNECTOR_ID},"meterValue":[{{"timestamp":"{stamp}","sampledValue":[{{"value":'
        f'"{METER_START_WH}","context":"Sample.Clock","measurand":"Energy.Active.Import.Register","unit":"Wh"}}]}}]}}'
    )


def run_load(host: str, port: int, charge_point_ids: Sequence[str], pipe: Connection) -> None:
    """Process entry point."""
    raise_open_files_limit()
    uvloop.run(_work(host, port, charge_point_ids, pipe))


async def _work(host: str, port: int, charge_point_ids: Sequence[str], pipe: Connection) -> None:
    tally = Tally()
    chargers, booted = await _bring_up_all(host, port, charge_point_ids, tally)
    pipe.send(booted)
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="control") as control:
        while True:
            command = await loop.run_in_executor(control, pipe.recv)
            if command[0] == "stop":
                break
            pipe.send(await run_order(chargers, tally, command[1]))
    for charger in chargers:
        charger.close()
    await asyncio.sleep(0.1)


async def _bring_up_all(
    host: str, port: int, charge_point_ids: Sequence[str], tally: Tally
) -> tuple[list[BenchCharger], Booted]:
    started_s = time.perf_counter()
    gate = asyncio.Semaphore(BRING_UPS_IN_FLIGHT)
    retries = 0

    async def one(charge_point_id: str) -> BenchCharger | str:
        nonlocal retries
        last = ""
        async with gate:
            for attempt in range(BRING_UP_ATTEMPTS):
                if attempt:
                    retries += 1
                    await asyncio.sleep(attempt)
                charger = None
                try:
                    charger = await asyncio.wait_for(open_charger(host, port, charge_point_id, tally), CALL_TIMEOUT_S)
                    boot = await charger.call("BootNotification", BOOT_PAYLOAD, CALL_TIMEOUT_S)
                    if boot.get("status") != "Accepted":
                        raise CallRefusedError(f"boot {boot.get('status')}")
                    stamp = utc_stamp(datetime.now(UTC))
                    await charger.call("StatusNotification", status_payload("Available", stamp), CALL_TIMEOUT_S)
                    return charger
                except (OSError, TimeoutError, CallRefusedError) as error:
                    last = f"{charge_point_id}: {error!r}"[:300]
                    if charger is not None:
                        charger.close()
        return last

    outcomes = await asyncio.gather(*(one(cp_id) for cp_id in charge_point_ids))
    chargers = [o for o in outcomes if isinstance(o, BenchCharger)]
    failures = tuple(o for o in outcomes if isinstance(o, str))
    return chargers, Booted(len(chargers), failures, time.perf_counter() - started_s, retries)


async def run_order(chargers: list[BenchCharger], tally: Tally, order: RunOrder) -> LoadReport:
    """Send the run's load and plug-ins; report once answered (or the drain ran out)."""
    tally.reset()
    cpu_before = os.times()
    by_id = {c.charge_point_id: c for c in chargers}
    plug_queue = sorted(order.plug_ins, key=lambda p: p.at_s)
    plugging: list[tuple[PlugIn, asyncio.Task[str | None]]] = []
    count = len(chargers)
    rate_per_s = 0.0 if order.interval_s is None or not count else count / order.interval_s
    heartbeats = meter_values = 0
    started_s = time.perf_counter()
    elapsed_s = 0.0
    while elapsed_s < order.duration_s:
        now = datetime.now(UTC)
        stamp = utc_stamp(now)
        due = int(elapsed_s * rate_per_s)
        while heartbeats < due:
            chargers[heartbeats % count].send("Heartbeat", "{}")
            heartbeats += 1
        # Meter values run half an interval behind the heartbeats, so the two never bunch up.
        while meter_values < due:
            charger = chargers[(meter_values + count // 2) % count]
            if charger.transaction_id is None:
                charger.send("MeterValues", idle_meter_values(stamp))
            else:
                charger.send("MeterValues", meter_values_json(charger.transaction_id, now))
            meter_values += 1
        while plug_queue and plug_queue[0].at_s <= elapsed_s:
            plug = plug_queue.pop(0)
            plugging.append((plug, asyncio.create_task(_plug_in(by_id.get(plug.charge_point_id), plug.id_tag))))
        await asyncio.sleep(TICK_S)
        elapsed_s = time.perf_counter() - started_s
    send_window_s = time.perf_counter() - started_s
    await _drain(chargers, [(by_id.get(p.charge_point_id), task) for p, task in plugging], order.drain_s)
    cpu_after = os.times()
    outcomes = []
    for plug, task in plugging:
        plugged = by_id.get(plug.charge_point_id)
        error = task.result() if task.done() else "still plugging in when the drain ended"
        after_s = None if plugged is None else plugged.profile_after_s
        outcomes.append(PlugOutcome(plug.charge_point_id, plug.id_tag, after_s, error))
        if not task.done():
            task.cancel()
    return LoadReport(
        sent=dict(tally.sent),
        round_trips_s={action: tuple(values) for action, values in tally.round_trips_s.items()},
        call_errors=dict(tally.call_errors),
        server_calls=dict(tally.server_calls),
        queued=tally.queued,
        unexpected=tally.unexpected,
        unanswered=sum(1 for c in chargers if c.busy and not c.closed),
        held=sum(1 for c in chargers if not c.closed),
        send_window_s=send_window_s,
        cpu_s=cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system,
        plug_ins=tuple(outcomes),
    )


async def _plug_in(charger: BenchCharger | None, id_tag: str) -> str | None:
    """Plug a vehicle in: Preparing, StartTransaction, Charging. None when all went through, else why not."""
    if charger is None or charger.closed:
        return "the charger is not connected"
    charger.plugged_at_s = time.perf_counter()
    try:
        await charger.call(
            "StatusNotification", status_payload("Preparing", utc_stamp(datetime.now(UTC))), CALL_TIMEOUT_S
        )
        start = orjson.dumps(
            {
                "connectorId": CONNECTOR_ID,
                "idTag": id_tag,
                "meterStart": METER_START_WH,
                "timestamp": utc_stamp(datetime.now(UTC)),
            }
        ).decode()
        answer = await charger.call("StartTransaction", start, CALL_TIMEOUT_S)
        status = answer.get("idTagInfo", {}).get("status")
        if status != "Accepted":
            return f"StartTransaction answered {status}"
        charger.transaction_id = int(answer["transactionId"])
        await charger.call(
            "StatusNotification", status_payload("Charging", utc_stamp(datetime.now(UTC))), CALL_TIMEOUT_S
        )
    except (OSError, TimeoutError, CallRefusedError) as error:
        return repr(error)[:300]
    return None


async def _drain(
    chargers: list[BenchCharger], plugging: list[tuple[BenchCharger | None, asyncio.Task[str | None]]], drain_s: float
) -> None:
    """Wait until every CALL is answered and every plugged charger has its profile, or ``drain_s`` ran out."""

    def settled() -> bool:
        if any(c.busy and not c.closed for c in chargers):
            return False
        for charger, task in plugging:
            if not task.done():
                return False
            if task.result() is None and charger is not None and not charger.closed and charger.profile_after_s is None:
                return False
        return True

    until_s = time.perf_counter() + drain_s
    while not settled() and time.perf_counter() < until_s:  # noqa: ASYNC110
        # Polling, not events: the drain happens once per run.
        await asyncio.sleep(0.05)
