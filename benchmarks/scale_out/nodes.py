"""The deployment under test: a controller and gateway processes, each a real ``vettabbia`` command.

Each node runs as a child process with its log in a file; readiness comes from its
``/health/ready``; CPU time and resident memory (current and peak) from ``/proc``. The bus state a
run leaves on the shared NATS server (its stream and bucket) and a PostgreSQL database made for the
run are removed afterwards.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import nats
from nats.js.errors import NotFoundError

from benchmarks.scale_out.ports import HOST, free_port, listening_ports, taken_by_others
from fleet.bus.subjects import Subjects

STOP_TIMEOUT_S = 20.0
MAX_STARTS = 5
"""Starts of a node whose ports keep being taken before it gives up."""
_CLOCK_TICKS_PER_S = os.sysconf("SC_CLK_TCK")
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
_ADDRESS_IN_USE = re.compile(r"address already in use", re.IGNORECASE)
_PLAN_LINE = re.compile(
    r"plan (?P<id>\d+): (?P<status>\w+), (?P<vehicles>\d+) vehicles, unmet [\d.]+ kWh, (?P<seconds>[\d.]+) s "
    r"\((?P<reasons>.*)\); (?P<sent>\d+) profiles sent, (?P<failed>\d+) failed"
)


@dataclass(frozen=True, slots=True)
class ProcessSample:
    cpu_s: float
    """User and system CPU time since the process started [s]."""
    rss_bytes: int
    peak_rss_bytes: int
    at_s: float
    """``time.monotonic()`` when read."""


@dataclass(frozen=True, slots=True)
class PlanLine:
    """One plan as the controller logged it."""

    plan_id: int
    status: str
    vehicles: int
    seconds: float
    """Snapshot, forecasts, optimiser, storing and dispatch, together [s]."""
    reasons: str
    profiles_sent: int
    profiles_failed: int


def process_sample(pid: int) -> ProcessSample:
    """CPU time and memory of a running process, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        text = stat.read()
    fields = text[text.rindex(")") + 2 :].split()
    cpu_s = (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS_PER_S
    with open(f"/proc/{pid}/status") as status:
        values = dict(line.split(":", 1) for line in status if ":" in line)
    peak_kib = int(values.get("VmHWM", "0 kB").split()[0])
    with open(f"/proc/{pid}/statm") as statm:
        rss_bytes = int(statm.read().split()[1]) * _PAGE_BYTES
    return ProcessSample(cpu_s, rss_bytes, peak_kib * 1024, time.monotonic())


def plan_lines(log_text: str) -> list[PlanLine]:
    return [
        PlanLine(
            int(m["id"]),
            m["status"],
            int(m["vehicles"]),
            float(m["seconds"]),
            m["reasons"],
            int(m["sent"]),
            int(m["failed"]),
        )
        for m in _PLAN_LINE.finditer(log_text)
    ]


def vettabbia_command() -> list[str]:
    """The installed ``vettabbia`` command next to this interpreter, else the module."""
    script = Path(sys.executable).parent / "vettabbia"
    return [str(script)] if script.exists() else [sys.executable, "-m", "fleet.cli"]


@dataclass(frozen=True, slots=True)
class NodePorts:
    """Where a node serves."""

    http: int
    ocpp: int | None = None
    """Chargers' websockets (gateways)."""

    def all(self) -> set[int]:
        return {self.http} if self.ocpp is None else {self.http, self.ocpp}


class Node:
    """One ``vettabbia`` process, on ports chosen for it when it starts.

    A chosen port may be taken by another process before the child binds it; the child then ends
    with "address already in use" and :func:`wait_ready` starts it again on new ports. Its readiness
    counts only once the child itself listens on its ports: another server that got the port
    could answer ``/health/ready`` in its stead.
    """

    def __init__(
        self, name: str, arguments: Callable[[NodePorts], list[str]], log_path: Path, *, ocpp: bool = False
    ) -> None:
        self.name = name
        self.log_path = log_path
        self.starts = 0
        self._arguments = arguments
        self._ocpp = ocpp
        self._log: IO[bytes] = log_path.open("ab")
        self._start()

    def _start(self) -> None:
        self.ports = NodePorts(free_port(), free_port() if self._ocpp else None)
        self._log.flush()
        self._log_offset = self.log_path.stat().st_size
        self.starts += 1
        self.process = subprocess.Popen(
            [*vettabbia_command(), *self._arguments(self.ports)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    @property
    def http_port(self) -> int:
        return self.ports.http

    @property
    def ocpp_port(self) -> int:
        assert self.ports.ocpp is not None, f"{self.name} holds no chargers"
        return self.ports.ocpp

    @property
    def pid(self) -> int:
        return self.process.pid

    def sample(self) -> ProcessSample:
        return process_sample(self.pid)

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def lost_a_port(self) -> bool:
        """Another process holds one of the ports the node was started on, so it cannot serve.

        Either the node ended saying so (since it last started), or it still runs without one of
        its ports while another socket holds it: a gateway whose OCPP port is taken does not always
        end, and would only run into the start timeout.
        """
        if self.process.poll() is None:
            missing = self.ports.all() - listening_ports(self.pid)
            return bool(missing) and bool(taken_by_others(self.pid, missing))
        with self.log_path.open("rb") as log:
            log.seek(self._log_offset)
            text = log.read().decode(errors="replace")
        return _ADDRESS_IN_USE.search(text) is not None

    def restart_on_new_ports(self) -> None:
        """Start the node again, on ports chosen anew; a process still running is killed first
        (it is stuck starting, and may not heed SIGTERM)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._start()

    def holds_its_ports(self) -> bool:
        return self.ports.all() <= listening_ports(self.pid)

    def ready(self) -> bool:
        if not self.holds_its_ports():
            return False
        try:
            with urllib.request.urlopen(f"http://{HOST}:{self.http_port}/health/ready", timeout=2) as answer:
                return bool(answer.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def metric(self, name: str) -> float | None:
        """A Prometheus gauge or counter without labels from the node's ``/metrics``."""
        try:
            with urllib.request.urlopen(f"http://{HOST}:{self.http_port}/metrics", timeout=5) as answer:
                text = answer.read().decode()
        except (urllib.error.URLError, OSError):
            return None
        for line in text.splitlines():
            if line.startswith(f"{name} "):
                return float(line.split()[1])
        return None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def wait_ready(nodes: list[Node], timeout_s: float) -> None:
    """Until every node serves on its ports; a node that lost a port to another process starts again."""
    deadline_s = time.monotonic() + timeout_s
    for node in nodes:
        while not node.ready():
            if node.lost_a_port() and node.starts < MAX_STARTS:
                node.restart_on_new_ports()
                continue
            if node.process.poll() is not None:
                raise RuntimeError(f"{node.name} ended with {node.process.returncode}:\n{node.log_text()[-3000:]}")
            if time.monotonic() > deadline_s:
                raise TimeoutError(f"{node.name} not ready within {timeout_s} s:\n{node.log_text()[-3000:]}")
            time.sleep(0.2)


def bus_arguments(bus_url: str, namespace: str) -> list[str]:
    return ["--bus-url", bus_url, "--bus-namespace", namespace]


def start_controller(site_path: Path, database_url: str, bus_url: str, namespace: str, log_path: Path) -> Node:
    def arguments(ports: NodePorts) -> list[str]:
        return [
            *("controller", "--site", str(site_path), "--database-url", database_url),
            *("--http-host", HOST, "--http-port", str(ports.http)),
            *bus_arguments(bus_url, namespace),
        ]

    return Node("controller", arguments, log_path)


def start_gateway(gateway_id: str, bus_url: str, namespace: str, log_path: Path) -> Node:
    def arguments(ports: NodePorts) -> list[str]:
        return [
            *("gateway", "--gateway-id", gateway_id, "--ocpp-host", HOST, "--ocpp-port", str(ports.ocpp)),
            *("--http-host", HOST, "--http-port", str(ports.http)),
            *bus_arguments(bus_url, namespace),
        ]

    return Node(gateway_id, arguments, log_path, ocpp=True)


async def event_backlog(bus_url: str, namespace: str) -> int | None:
    """Events stored but not yet acknowledged by the controller; None if the broker cannot tell."""
    subjects = Subjects(namespace)
    client = await nats.connect(bus_url, connect_timeout=5, max_reconnect_attempts=0)
    try:
        info = await client.jetstream().consumer_info(subjects.event_stream, subjects.controller_consumer, timeout=5)
        return int(info.num_pending or 0) + int(info.num_ack_pending or 0)
    except (NotFoundError, TimeoutError, nats.errors.Error):
        return None
    finally:
        await client.close()


async def remove_bus_state(bus_url: str, namespace: str) -> None:
    """Delete the run's event stream and state bucket from the shared broker."""
    subjects = Subjects(namespace)
    client = await nats.connect(bus_url, connect_timeout=5, max_reconnect_attempts=0)
    try:
        js = client.jetstream()
        for remove, name in ((js.delete_stream, subjects.event_stream), (js.delete_key_value, subjects.state_bucket)):
            with contextlib.suppress(NotFoundError):
                await remove(name)
    finally:
        await client.close()


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", "", ""))


async def create_postgres_database(server_url: str, database: str) -> str:
    """Create ``database`` on the server of ``server_url`` (postgresql://user@host:port[/any]); its URL."""
    admin = await asyncpg.connect(_with_database(server_url, "postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()
    return _with_database(server_url, database)


async def drop_postgres_database(server_url: str, database: str) -> None:
    admin = await asyncpg.connect(_with_database(server_url, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await admin.close()


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
