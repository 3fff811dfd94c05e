"""The README's split demo, run as written: two gateway processes, a controller, the real NATS server.

Only the ports change (free ones instead of 9001, 9002, 8001, 8002 and 8000), the bus namespace (a
fresh one, so that the test never meets a deployment running on the same broker) and the database:
the test's own, so that the second pass of the test command runs the three processes on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import nats
import pytest
from nats.js.errors import NotFoundError

from fleet.bus.subjects import Subjects
from tests.e2e.ports import free_port

README = Path(__file__).resolve().parents[2] / "README.md"
VENV_BIN = Path(sys.executable).parent
NATS_URL = "nats://127.0.0.1:4222"
OPEN = re.compile(r"^vettabbia_ocpp_connections_open (\S+)$", re.MULTILINE)
ACCEPTED = re.compile(r'^vettabbia_dispatch_results_total\{outcome="Accepted"\} (\S+)$', re.MULTILINE)
BOOTS = re.compile(r'^vettabbia_bus_events_total\{kind="charger_booted",result="handled"\} (\S+)$', re.MULTILINE)


def split_demo_commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index("Split across machines")
    block = re.search(r"```sh\n(.*?)```", text[start:], flags=re.DOTALL)
    assert block is not None
    return [line.rstrip(" &") for line in block.group(1).splitlines() if line.strip()]


def metric(pattern: re.Pattern[str], text: str) -> float:
    found = pattern.search(text)
    return 0.0 if found is None else float(found.group(1))


@pytest.fixture
async def namespace() -> AsyncIterator[Subjects]:
    try:
        client = await nats.connect(NATS_URL, connect_timeout=2, allow_reconnect=False)
    except Exception as error:
        pytest.skip(f"no NATS server on {NATS_URL}: {error!r}")
    subjects = Subjects(f"readme{uuid.uuid4().hex[:10]}")
    try:
        yield subjects
    finally:
        js = client.jetstream()
        for name in (subjects.event_stream,):
            with contextlib.suppress(NotFoundError):
                await js.delete_stream(name)
        with contextlib.suppress(NotFoundError):
            await js.delete_key_value(subjects.state_bucket)
        await client.close()


def test_the_readme_names_two_gateways_and_a_demo_controller() -> None:
    gateway_a, gateway_b, controller = split_demo_commands()
    assert "vettabbia gateway" in gateway_a
    assert "vettabbia gateway" in gateway_b
    assert "vettabbia controller --demo" in controller
    assert "ws://127.0.0.1:9001,ws://127.0.0.1:9002" in controller
    assert "--database-url sqlite:///split-demo.db" in controller


@pytest.mark.timeout(240)
async def test_the_split_demo_spreads_the_chargers_over_both_gateways_and_plans(
    tmp_path: Path, namespace: Subjects, database_url: str
) -> None:
    ports = {old: str(free_port()) for old in ("9001", "9002", "8001", "8002")}
    controller_http = free_port()
    commands = []
    for line in split_demo_commands():
        for old, new in ports.items():
            line = line.replace(old, new)
        if "controller" in line:
            line = line.replace("sqlite:///split-demo.db", database_url) + f" --http-port {controller_http}"
        commands.append(line.replace(".venv/bin/", f"{VENV_BIN}/"))
    env = {**os.environ, "VETTABBIA_BUS_NAMESPACE": namespace.namespace}
    processes = [
        await asyncio.create_subprocess_exec(
            "bash",
            "-c",
            f"exec {command}",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=(tmp_path / f"process-{n}.log").open("wb"),
        )
        for n, command in enumerate(commands)
    ]
    gateway_urls = [f"http://127.0.0.1:{ports['8001']}/metrics", f"http://127.0.0.1:{ports['8002']}/metrics"]
    controller_url = f"http://127.0.0.1:{controller_http}/metrics"
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            held: list[float] = [0.0, 0.0]
            accepted = 0.0
            controller_metrics = ""
            for _ in range(180):
                await asyncio.sleep(1.0)
                try:
                    held = [metric(OPEN, (await http.get(url)).text) for url in gateway_urls]
                    controller_metrics = (await http.get(controller_url)).text
                    accepted = metric(ACCEPTED, controller_metrics)
                except httpx.TransportError:
                    continue
                if sum(held) == 60 and accepted > 0:
                    break
            ready = await http.get(f"http://127.0.0.1:{controller_http}/health/ready")
    finally:
        # The controller first, as its simulated chargers must close their sockets while the gateways
        # still serve them (the order `vettabbia demo` keeps in one process); then the gateways.
        # Each process stops its parts one after another, each given up to 10 s (fleet.runtime): on a
        # loaded machine that can add up; one that never exits is killed and fails the test below.
        codes = []
        for process in [processes[2], processes[0], processes[1]]:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            try:
                codes.append(await asyncio.wait_for(process.wait(), 60))
            except TimeoutError:
                process.kill()
                codes.append(await process.wait())
    logs = "\n".join((tmp_path / f"process-{n}.log").read_text(errors="replace")[-2000:] for n in range(3))
    # The site's 60 chargers, spread in turn over the two gateways, and profiles accepted by them.
    assert held == [30.0, 30.0], logs
    assert accepted > 0, logs
    assert metric(BOOTS, controller_metrics) == 60, logs
    assert ready.status_code == 200, ready.text
    # Each stopped when told: a process killed after 60 s hung in its shutdown.
    assert codes == [0, 0, 0], logs
    # The gateways stop cleanly. The controller is killed if it has not stopped within 60 s: on
    # PostgreSQL its demo sometimes takes longer to stop (a known problem, not yet traced).
    assert codes[1:] == [0, 0], logs
